"""What the window says about a run that diverged, a loss that does not move, and mixed precision on a CPU."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig, divergence_message
from visualnn.ui import theme
from visualnn.ui.app import Shell


def _open_training(shell: Shell, qtbot: Any, **cfg: Any) -> Any:
    window = shell.window
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(**{"epochs": 5, **cfg})))
    window.docks["training"].raise_()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    return window.training_panel


def _train_job(shell: Shell, qtbot: Any, panel: Any) -> tuple[Any, dict[str, Any]]:
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    engine: Any = shell.window.engine
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "train"
    return engine.handles[job_id], payload


def test_a_diverged_run_says_where_and_what_to_try_and_stands_out_in_the_runs_table(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    handle, payload = _train_job(shell, qtbot, panel)
    handle._report("epoch", {"epoch": 1, "logs": {"loss": 0.9}, "lr": 0.001})
    handle._report("batch", {"epoch": 2, "batch": 1, "batches": 4, "epochs": 5, "logs": {"loss": "inf"}})
    handle._report("epoch", {"epoch": 2, "logs": {"loss": "inf"}, "lr": 0.001})
    assert "infinite" in panel.hints.text()  # said live, before the record arrives
    error = divergence_message(2, "infinite", 1)
    run = {"id": "run-d", "started": "2026-01-01T12:00:00", "status": "diverged", "duration_s": 1.0,
           "config": payload["project"]["training"], "history": {"loss": [0.9, None]}, "epochs_done": 2,
           "model_path": "/nowhere/run-d/model.keras", "error": error,
           "extra": {"diverged": {"epoch": 2, "loss": "infinite", "weights_from_epoch": 1}}}
    handle._finish({"run": run})
    assert panel.hints.text().startswith("The loss became infinite at epoch 2, so training stopped (diverged).")
    assert "weights after epoch 1" in panel.hints.text() and "Lower the learning rate" in panel.hints.text()
    assert "diverged" in panel.status.text()
    table = shell.window.runs_panel.table
    status = table.item(0, 2)
    assert status.text() == "diverged" and status.foreground().color() == QColor(theme.ERROR)
    assert status.toolTip() == error


def test_a_flat_loss_gets_the_learning_rate_hint_in_the_training_hints(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot, learning_rate=1e-6)
    handle, _payload = _train_job(shell, qtbot, panel)
    for epoch, loss in enumerate([1.1319, 1.1318, 1.1318, 1.1317, 1.1316], start=1):
        handle._report("epoch", {"epoch": epoch, "logs": {"loss": loss}, "lr": 1e-6})
        if epoch == 4:
            assert "barely changed" not in panel.hints.text()  # 4 epochs are too few to call it flat
    assert "barely changed over the last 5 epochs" in panel.hints.text()
    assert "learning rate (1e-06)" in panel.hints.text() and "initialisation" in panel.hints.text()
    run = {"id": "run-f", "started": "2026-01-01T12:00:00", "status": "finished", "config": _payload["project"]
           ["training"], "history": {"loss": [1.1319, 1.1318, 1.1318, 1.1317, 1.1316]}, "epochs_done": 5,
           "model_path": "/nowhere/run-f/model.keras"}
    handle._finish({"run": run})
    assert "barely changed over the last 5 epochs" in panel.hints.text()  # kept once the run is recorded


def test_mixed_precision_on_a_cpu_is_warned_under_the_precision_field(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    form = panel.form
    form.set_section_open("advanced", True)
    note = form.precision_note
    assert not note.isVisible()
    form.mixed_precision.setCurrentIndex(form.mixed_precision.findData("mixed_float16"))
    assert shell.window.document.project.training.mixed_precision == "mixed_float16"
    assert not note.isVisible()  # the fake engine has a GPU and the device is auto
    form.device.setCurrentText("cpu")
    qtbot.waitUntil(note.isVisible)
    assert note.text().startswith("Precision mixed_float16 on a CPU is slower than float32")
    form.device.setCurrentText("auto")
    assert not note.isVisible()
    form.set_devices(["cpu"])  # an engine without a GPU
    assert note.isVisible()
    form.mixed_precision.setCurrentIndex(form.mixed_precision.findData("none"))
    assert not note.isVisible()
