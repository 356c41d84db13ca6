"""Live plots, hints and formatting, without the engine."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from visualnn.ui.training.hints import format_duration, training_hints


def test_hints_nan_overfitting_flat() -> None:
    assert "NaN" in training_hints({"loss": [1.0, float("nan")]})[0]
    assert "NaN" in training_hints({"loss": [1.0, None]})[0]
    over = training_hints({"loss": [1.0, 0.8, 0.6, 0.4, 0.3], "val_loss": [1.0, 0.9, 0.95, 1.0, 1.1]})
    assert len(over) == 1 and "overfitting" in over[0]
    assert "infinite" in training_hints({"loss": [1.0, float("inf")]})[0]
    assert training_hints({"loss": [1.0986, 1.0986, 1.0985]}) == []  # 3 epochs: too early to call it flat
    flat = training_hints({"loss": [1.0986, 1.0986, 1.0985, 1.0985, 1.0984]}, learning_rate=1e-6)
    assert len(flat) == 1 and "learning rate (1e-06) may be too low" in flat[0] and "initialisation" in flat[0]
    assert training_hints({"loss": [1.1287, 1.1216, 1.1148, 1.1081, 1.1018]}) == []  # slow, but moving
    assert training_hints({"loss": [1e-4] * 5}) == []  # converged, not stuck
    assert training_hints({"loss": [1.0, 0.7, 0.5], "val_loss": [1.0, 0.8, 0.6]}) == []


def test_format_duration() -> None:
    assert format_duration(5.2) == "5 s"
    assert format_duration(72.4) == "1 min 12 s"
    assert format_duration(3700) == "1 h 1 min"


def test_series_grows_and_views() -> None:
    from visualnn.ui.training.plots import Series

    s = Series(capacity=2)
    for i in range(5):
        s.append(i, i * 2)
    s.extend([5, 6], [10, 12])
    x, y = s.view()
    assert list(x) == [0, 1, 2, 3, 4, 5, 6] and list(y) == [0, 2, 4, 6, 8, 10, 12]


def test_metric_plots_curves_and_exports(qtbot: Any, tmp_path: Path) -> None:
    from visualnn.ui.training.plots import MetricPlots, base_metric

    assert base_metric("val_accuracy") == ("accuracy", True)
    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.prepare(["loss", "accuracy", "learning rate"])
    assert list(plots.plots) == ["loss", "accuracy", "learning rate"]
    for b in range(1, 11):
        plots.add_batch(1, b, 10, {"loss": 1.0 / b, "accuracy": 0.1 * b})
    plots.add_epoch(1, {"loss": 0.5, "accuracy": 0.6, "val_loss": 0.55, "val_accuracy": 0.58}, lr=0.001)
    plots.add_epoch(2, {"loss": float("nan"), "accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.6}, lr=0.0005)
    plots.redraw()
    x, y = plots.series[("loss", "batch")].view()
    assert x[-1] == 1.0 and y[0] == 1.0 and y[-1] > 0.1  # smoothed, not the raw last value
    assert plots.series[("loss", "train")].n == 1  # the NaN epoch is not drawn
    assert plots.series[("accuracy", "val")].n == 2
    assert plots.series[("learning rate", "train")].n == 2
    assert math.isnan(plots.epoch_history["loss"][1])
    path = tmp_path / "h.csv"
    plots.export_csv(str(path))
    rows = list(csv.reader(path.open()))
    assert rows[0][:3] == ["epoch", "loss", "accuracy"] and rows[2][0] == "2"
    png = tmp_path / "loss.png"
    plots.export_png("loss", str(png))
    assert png.stat().st_size > 1000
    plots.clear()
    assert plots.series == {} and list(plots.plots) == ["loss", "accuracy", "learning rate"]


def test_long_curves_drop_markers(qtbot: Any) -> None:
    from visualnn.ui.training.plots import SYMBOL_LIMIT, MetricPlots

    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.load_history({"loss": [1.0 / (i + 1) for i in range(SYMBOL_LIMIT + 10)]})
    item = plots._items[("loss", "train")]
    assert item.opts["symbol"] is None and len(item.getData()[0]) > 0


def test_panels_without_an_engine_explain_instead_of_crashing(qtbot: Any) -> None:
    from tests.services.training_helpers import mlp_graph
    from visualnn.core.project import Project
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.training import EvaluationPanel, PredictPanel, RunsPanel, TrainingPanel

    doc = ProjectDocument(Project(graph=mlp_graph()))
    training = TrainingPanel(doc, None)
    for w in (training, EvaluationPanel(doc, None), PredictPanel(doc, None), RunsPanel(doc, None)):
        qtbot.addWidget(w)
    assert training.start_training() is None and "visualnn train" in training.hints.text()
