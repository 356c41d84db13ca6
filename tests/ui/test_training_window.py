"""The Training tab in the real window at its default size: one epochs field, Continue asks how many more,
the common settings visible without scrolling, the wheel scrolls the form, long status lines never widen the
window, readable plots, and nothing of the previous project left after opening another."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QScrollArea, QSpinBox, QWidget

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell

COMMON = ("loss", "optimizer", "learning_rate", "metrics", "epochs", "batch_size")


def _open_training(shell: Shell, qtbot: Any, **cfg: Any) -> Any:
    """Open a small project (as File > Open does) and raise the Training tab; returns the panel."""
    window = shell.window
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(**{"epochs": 3, **cfg})))
    window.docks["training"].raise_()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    return window.training_panel


def _finish_train_job(shell: Shell, epochs: int = 3, run_id: str = "run-1", lr: float = 0.001) -> dict[str, Any]:
    """Answer the last train job as the engine does: epoch reports, then the run record."""
    engine: Any = shell.window.engine
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "train"
    handle = engine.handles[job_id]
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": [], "lr": []}
    for e in range(1, epochs + 1):
        logs = {"loss": 1.0 / e, "val_loss": 1.1 / e, "accuracy": 1 - 0.5 / e, "val_accuracy": 1 - 0.6 / e}
        for b in range(1, 5):
            handle._report("batch", {"epoch": e, "batch": b, "batches": 4, "epochs": epochs, "logs": logs})
        handle._report("epoch", {"epoch": e, "logs": logs, "lr": lr})
        for k, v in logs.items():
            history[k].append(v)
        history["lr"].append(lr)
    run = {"id": run_id, "started": "2025-01-01T12:00:00", "status": "finished", "duration_s": 2.0,
           "config": payload["project"]["training"], "history": history, "model_path": f"/nowhere/{run_id}.keras",
           "metrics": {k: v[-1] for k, v in history.items()}, "epochs_done": epochs,
           "continued_from": payload.get("continue_run")}
    engine.finish(job_id, {"run": run})
    return payload


def test_train_uses_the_one_epochs_field_of_the_form(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot, epochs=10)
    extra = [s for s in panel.findChildren(QSpinBox) if not panel.form.isAncestorOf(s)
             and "epoch" in (s.suffix() + s.toolTip() + s.prefix()).lower()]
    assert not extra, "one epochs field only: a second box beside Train reads as Train's"
    panel.form.epochs.setFocus()
    qtbot.keyClick(panel.form.epochs, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.form.epochs, "80")
    qtbot.keyClick(panel.form.epochs, Qt.Key.Key_Return)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    payload = _finish_train_job(shell)
    assert payload["project"]["training"]["epochs"] == 80 and payload.get("epochs") is None


def test_continue_asks_how_many_more_epochs(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot, epochs=10)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    _finish_train_job(shell, run_id="run-1")
    asked: list[str] = []

    def answer() -> None:  # the real dialog: type 7, press Enter
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog), dialog
        asked.append(dialog.labelText())
        spin = dialog.findChild(QSpinBox)
        spin.selectAll()
        qtbot.keyClicks(spin, "7")
        qtbot.keyClick(spin, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(panel.continue_button, Qt.MouseButton.LeftButton)
    assert asked and "run-1" in asked[0]
    job_id, job_type, payload = shell.window.engine.jobs[-1]  # type: ignore[attr-defined]
    assert job_type == "train" and payload["continue_run"] == "run-1" and payload["epochs"] == 7

    jobs = len(shell.window.engine.jobs)  # type: ignore[attr-defined]
    _finish_train_job(shell, run_id="run-2")
    panel.ask_more_epochs = lambda parent, run, default: None  # Cancel: nothing is sent
    qtbot.mouseClick(panel.continue_button, Qt.MouseButton.LeftButton)
    assert len(shell.window.engine.jobs) == jobs  # type: ignore[attr-defined]


def _visible_in(area: QScrollArea, widget: QWidget) -> bool:
    top_left = widget.mapTo(area.viewport(), QPoint(0, 0))
    return area.viewport().rect().contains(top_left) and area.viewport().rect().contains(
        top_left + QPoint(widget.width() - 1, widget.height() - 1))


def test_common_settings_show_without_scrolling_at_the_default_size(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    assert (shell.window.width(), shell.window.height()) == (1400, 880)
    area = panel.settings_area
    hidden = [n for n in COMMON if not _visible_in(area, panel.form.widgets[n])]
    assert not hidden, f"{hidden} need scrolling in a {area.viewport().height()} px high form"
    assert _visible_in(area, panel.form.validation_split)
    for name in ("schedule", "terminate_on_nan", "device", "mixed_precision", "strategy"):
        assert not panel.form.widgets[name].isVisible(), f"{name} should fold away"


def test_the_wheel_over_a_field_scrolls_the_form(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    for group in panel.form.toggles:  # enough rows to scroll
        panel.form.set_section_open(group, True)
    area = panel.settings_area
    bar = area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    spin = panel.form.epochs
    area.ensureWidgetVisible(spin)
    bar.setValue(0)
    qtbot.waitUntil(lambda: _visible_in(area, spin))
    before = spin.value()
    window = shell.window.windowHandle()
    centre = spin.mapTo(shell.window, spin.rect().center())
    QTestWheel(window, centre, -120)  # one notch down, as a mouse sends it
    qtbot.waitUntil(lambda: bar.value() > 0)
    assert spin.value() == before, "an unfocused spin box must not eat the wheel"


def QTestWheel(window: Any, pos: QPoint, delta: int) -> None:  # noqa: N802 (reads like QTest's)
    from PySide6.QtTest import QTest

    QTest.wheelEvent(window, pos, QPoint(0, delta))


def test_a_long_status_line_does_not_widen_the_window(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    width = shell.window.width()
    long = "Run run-20250101-120000 finished in 1 min 12 s. " + "  ".join(f"val_metric_{i} 0.1234" for i in range(12))
    panel.controller.status_changed.emit(long)
    shell.window.evaluation_panel.controller.status_changed.emit(long)
    qtbot.wait(50)
    QApplication.processEvents()
    assert shell.window.minimumSizeHint().width() <= width and shell.window.width() == width
    assert panel.status.toolTip() == long  # the whole line is one hover away


def test_plot_legends_sit_outside_the_curves_and_log_ticks_read(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    _finish_train_job(shell, epochs=5, lr=0.005)  # a constant rate: less than a decade on the log axis
    plots = panel.plots
    plots.redraw()
    QApplication.processEvents()
    for name, plot in plots.plots.items():
        item = plot.getPlotItem()
        legend = item.legend
        view = item.vb.sceneBoundingRect()
        assert legend is not None and legend.isVisible()
        assert not legend.sceneBoundingRect().intersects(view), f"the {name} legend covers the curves"
    axis = plots.plots["learning rate"].getAxis("left")
    lo, hi = axis.range
    levels = axis.tickValues(lo, hi, axis.height())
    strings = [s for _spacing, values in levels for s in axis.tickStrings(values, 1.0, _spacing)]
    assert 2 <= len(strings) <= 6, strings
    assert any("0.005" in s or "5e-3" in s or "5×10" in s for s in strings), strings


def test_opening_another_project_clears_plots_and_status(shell: Shell, qtbot: Any) -> None:
    panel = _open_training(shell, qtbot)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    _finish_train_job(shell)
    panel.plots.redraw()
    assert panel.plots.series[("loss", "train")].n == 3 and "run-1" in panel.status.text()
    shell.window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(metrics=("mae",))))
    assert not any(s.n for s in panel.plots.series.values())
    assert set(panel.plots.plots) == {"loss", "mae", "learning rate"}  # the new project's plots, empty
    assert "run-1" not in panel.status.text() and panel.progress.format() == "Ready" and not panel.hints.text()
    assert not shell.window.runs_panel.table.rowCount()
    shell.window.document.set_project(Project())  # File > New
    assert not any(s.n for s in panel.plots.series.values()) and "run-1" not in panel.status.text()
