"""While the engine downloads a backbone's ImageNet weights, the Training tab's progress bar follows the download
(issue 17 item 7: "Keras downloads ImageNet weights to its cache with a progress bar in the window")."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from visualnn.core.templates import template
from visualnn.ui.app import Shell


def test_the_progress_bar_follows_the_weights_download_then_training(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(template("pretrained_mobilenetv3").build())
    window.docks["training"].raise_()
    panel = window.training_panel
    qtbot.waitUntil(panel.isVisible)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.job_id is not None, panel.hints.text()
    engine: Any = window.engine
    handle = engine.handles[panel.job_id]
    total = 9_900_000
    text = "Downloading the ImageNet weights of MobileNetV3Small for backbone: {} of 9.9 MB"
    for done in (0, 3_300_000, 6_600_000):
        handle.progress.emit("status", {"text": text.format(f"{done / 1e6:.1f} MB"), "done": done, "total": total})
        qtbot.wait(5)
    bar = panel.progress
    assert (bar.value(), bar.maximum()) == (6_600_000 // 1024, total // 1024)
    assert bar.format() == text.format("6.6 MB")
    assert panel.status.text() == text.format("6.6 MB")
    # A server that does not say the size: a busy bar with what arrived so far.
    handle.progress.emit("status", {"text": "Downloading ...: 1.2 MB", "done": 1_200_000, "total": 0})
    qtbot.wait(5)
    assert bar.maximum() == 0
    # Training then takes the bar over, batch by batch.
    handle.progress.emit("status", {"text": "Training…"})
    handle.progress.emit("batch", {"epoch": 1, "epochs": 10, "batch": 1, "batches": 4, "logs": {"loss": 1.0}})
    qtbot.waitUntil(lambda: bar.maximum() == 40, timeout=2_000)
    assert bar.value() == 1
    engine.finish_training(panel.job_id)
