"""The training settings show the per-replica and the global batch for the chosen strategy."""

from __future__ import annotations

from typing import Any

from visualnn.core.training_config import TrainingConfig


def test_batch_note_follows_strategy_batch_and_devices(qtbot: Any) -> None:
    from visualnn.ui.training.settings import TrainingSettingsForm

    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config(TrainingConfig(batch_size=32, strategy="mirrored"))
    assert form.batch_note.text() == "batch 32 (one replica: global batch 32)"  # no GPU known yet
    form.set_devices(["cpu", "gpu:0", "gpu:1"])
    assert form.batch_note.text() == "batch 32 per replica × 2 replicas = 64 global"
    edited: list[TrainingConfig] = []
    form.config_edited.connect(edited.append)
    form.batch_size.setValue(16)
    assert form.batch_note.text() == "batch 16 per replica × 2 replicas = 32 global"
    form.strategy.setCurrentText("multiworker")
    assert "global batch = 16 × the cluster's replicas" in form.batch_note.text()
    assert edited[-1].strategy == "multiworker" and edited[-1].batch_size == 16
