"""Batch reports stream in several times a second: the Training tab follows them without working the window's
thread hard. Each plot is refreshed at most once a tick (one setData per curve), its axes only move when a point
falls outside them, and the progress bar is never repainted on the spot (issue 16, failure 3)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject, Qt

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell

MAX_REFRESH_HZ = 10  # the goal: at most ~10 plot refreshes a second (the issue asks for 5-10)
EPOCHS, BATCHES = 5, 19  # 5 x (19 batch reports + 1 epoch report) = 100 messages


class PaintCounter(QObject):
    """Counts the paint events of the widgets it is installed on."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


@pytest.fixture
def training(shell: Shell, qtbot: Any) -> Iterator[tuple[Any, Any]]:
    """The Training tab on screen, Train clicked: (panel, the train job's handle); the job ends afterwards."""
    window = shell.window
    window.document.set_project(Project(graph=mlp_graph(),
                                        training=TrainingConfig(epochs=EPOCHS, metrics=("accuracy",))))
    window.docks["training"].raise_()
    panel = window.training_panel
    qtbot.waitUntil(panel.isVisible)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.job_id is not None, panel.hints.text()
    engine: Any = window.engine
    yield panel, engine.handles[panel.job_id]
    if panel.job_id is not None:  # a running job would make closing the project ask what to do with it
        engine.finish_training(panel.job_id)


def _messages() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for epoch in range(1, EPOCHS + 1):
        for batch in range(1, BATCHES + 1):
            i = (epoch - 1) * BATCHES + batch
            out.append(("batch", {"epoch": epoch, "epochs": EPOCHS, "batch": batch, "batches": BATCHES,
                                  "elapsed_s": 0.01 * i, "samples_per_s": 3200.0,
                                  "logs": {"loss": 0.5 + 0.1 * math.sin(i), "accuracy": 0.7 + 0.1 * math.cos(i)}}))
        out.append(("epoch", {"epoch": epoch, "lr": 0.001,
                              "logs": {"loss": 0.5, "accuracy": 0.7, "val_loss": 0.55, "val_accuracy": 0.65}}))
    return out


def test_a_stream_of_batch_reports_refreshes_each_curve_at_most_once_a_tick(
        training: tuple[Any, Any], qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    panel, handle = training
    plots = panel.plots
    calls: dict[int, list[float]] = {}  # curve -> times of its setData calls
    original = pg.PlotDataItem.setData

    def counting(item: Any, *args: Any, **kwargs: Any) -> Any:
        calls.setdefault(id(item), []).append(time.perf_counter())
        return original(item, *args, **kwargs)

    monkeypatch.setattr(pg.PlotDataItem, "setData", counting)
    paints = PaintCounter()
    for plot in plots.plots.values():
        plot.viewport().installEventFilter(paints)
    moves: list[str] = []
    for metric, plot in plots.plots.items():
        plot.getPlotItem().getViewBox().sigRangeChanged.connect(lambda *_a, m=metric: moves.append(m))
    qtbot.wait(50)
    paints.paints = 0

    t0 = time.perf_counter()
    for kind, data in _messages():  # as the engine streams them: one every 10 ms, the loop running between
        handle.progress.emit(kind, data)
        qtbot.wait(10)

    def all_points_shown() -> bool:
        shown = sum(len(item.xData) for plot in plots.plots.values() for item in plot.listDataItems()
                    if item.xData is not None)
        return shown == sum(s.n for s in plots.series.values())

    qtbot.waitUntil(all_points_shown, timeout=5_000)  # coalesced, nothing lost
    elapsed = time.perf_counter() - t0
    assert plots.curve("loss", "batch").n == EPOCHS * BATCHES and plots.curve("accuracy", "val").n == EPOCHS

    # One setData per curve per tick: two calls on one curve are at least a tick apart (Qt's coarse timers
    # may fire up to 5 % early).
    tick = 1.0 / MAX_REFRESH_HZ
    gaps = [b - a for times in calls.values() for a, b in zip(times, times[1:], strict=False)]
    assert gaps and min(gaps) >= 0.9 * tick, f"a curve was refreshed {min(gaps) * 1000:.0f} ms after its last update"
    # The axes move when a point falls outside them (x: at 1, 1.5, 2, 3, 5 epochs; y: a few times while the
    # values spread), not on every refresh.
    for metric in ("loss", "accuracy"):
        assert moves.count(metric) <= 8, f"the {metric} axes moved {moves.count(metric)} times"
    # One plot per tick: the batch curves (one in each of two plots) were refreshed at most MAX_REFRESH_HZ times a
    # second between them, whatever the batch rate.
    batch_curves = [plots.plots[m].listDataItems()[0] for m in ("loss", "accuracy")]
    assert all(item.name() == "batches" for item in batch_curves)
    refreshes = sum(len(calls.get(id(item), [])) for item in batch_curves)
    assert refreshes <= MAX_REFRESH_HZ * elapsed + 2, f"{refreshes} batch-curve refreshes in {elapsed:.2f} s"
    assert paints.paints > 0


def test_a_burst_of_batch_reports_paints_the_progress_bar_once(training: tuple[Any, Any], qtbot: Any) -> None:
    panel, handle = training
    paints = PaintCounter()
    panel.progress.installEventFilter(paints)
    qtbot.wait(50)
    paints.paints = 0
    batches = [data for kind, data in _messages() if kind == "batch"]
    for data in batches:  # 95 reports handled back to back, as when the engine's lines arrive together
        handle.progress.emit("batch", data)
    assert paints.paints == 0, "the progress bar was repainted on the spot"
    qtbot.waitUntil(lambda: panel.progress.format() == f"Epoch {EPOCHS}/{EPOCHS} · batch {BATCHES}/{BATCHES}")
    qtbot.wait(100)
    assert panel.progress.value() == panel.progress.maximum() == EPOCHS * BATCHES
    # Once per report before (95 paints); now a frame or a few (the style may repaint on its own under load).
    assert 1 <= paints.paints <= 10, f"{paints.paints} paints for one visible change"
    assert "3,200 samples/s" in panel.status.text()

    # A state that is not one of the stream is shown at once, and no pending batch report overwrites it.
    handle.progress.emit("batch", batches[3])
    handle.progress.emit("paused", {"paused": True})
    assert panel.progress.format() == "Paused"
    qtbot.wait(100)
    assert panel.progress.format() == "Paused"


def test_training_again_empties_the_curves_in_place(training: tuple[Any, Any], shell: Shell, qtbot: Any) -> None:
    panel, handle = training
    for kind, data in _messages()[:40]:
        handle.progress.emit(kind, data)
    plots = panel.plots
    plots.redraw()
    before = {metric: list(plot.listDataItems()) for metric, plot in plots.plots.items()}
    legends = {metric: len(plot.getPlotItem().legend.items) for metric, plot in plots.plots.items()}
    engine: Any = shell.window.engine
    engine.finish_training(handle.id)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)  # the same settings: the same plots
    assert panel.running
    # The curves are kept (re-creating them and their legend entries froze the window at every Train) ...
    assert {metric: list(plot.listDataItems()) for metric, plot in plots.plots.items()} == before
    assert {metric: len(plot.getPlotItem().legend.items) for metric, plot in plots.plots.items()} == legends
    # ... and nothing of the last run stays on screen once the timer has been round.
    assert all(s.n == 0 for s in plots.series.values())
    qtbot.waitUntil(lambda: all(item.xData is None or len(item.xData) == 0
                                for items in before.values() for item in items), timeout=3_000)
