"""Live plots of a model with several outputs: the total loss, each output's loss, each metric per output."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.engine_fakes import training_document
from tests.ui.fake_engine import FakeEngine
from tests.ui.multi_output import OUTPUTS, two_output_epoch, two_output_graph
from visualnn.core.training_options import OutputSettings


def test_log_keys_are_placed_by_output() -> None:
    from visualnn.ui.training.plots import OUTPUT_LOSS, place

    outputs = ["kind", "class_head"]
    assert place("loss", outputs) == ("loss", "", False)
    assert place("val_kind_loss", outputs) == (OUTPUT_LOSS, "kind", True)
    assert place("class_head_top_k_accuracy", outputs) == ("top_k_accuracy", "class_head", False)
    assert place("val_accuracy", []) == ("accuracy", "", True)  # one output: as before
    assert place("learning_rate", outputs) == ("learning rate", "", False)


def _train(qtbot: Any, doc: Any) -> tuple[Any, Any, Any]:
    from visualnn.ui.training import TrainingPanel

    engine = FakeEngine()
    engine.start()
    panel = TrainingPanel(doc, engine)
    qtbot.addWidget(panel)
    panel.resize(1500, 650)
    panel.show()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.job_id is not None, panel.hints.text()
    return panel, engine, engine.handles[panel.job_id]


def _legend(plot: Any) -> list[str]:
    return [label.text for _sample, label in plot.getPlotItem().legend.items]


def two_output_panel(qtbot: Any, epochs: int = 3) -> Any:
    """A Training panel that has trained the two-output model for ``epochs`` fake epochs (batches too)."""
    doc = training_document(graph=two_output_graph(), loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                            outputs=(OutputSettings("score", "mean_squared_error", 0.5, ("mae",)),))
    panel, _engine, handle = _train(qtbot, doc)
    for epoch in range(1, epochs + 1):
        for batch in (1, 2):
            logs = {k: v * (1.2 - 0.1 * batch) for k, v in two_output_epoch(epoch).items() if not k.startswith("val_")}
            handle.progress.emit("batch", {"epoch": epoch, "batch": batch, "batches": 2, "epochs": epochs,
                                           "logs": logs})
        handle.progress.emit("epoch", {"epoch": epoch, "logs": two_output_epoch(epoch), "lr": 0.001})
    panel.plots.redraw()
    return panel


def test_two_outputs_plot_the_total_each_outputs_loss_and_each_metric_per_output(qtbot: Any, tmp_path: Path) -> None:
    panel = two_output_panel(qtbot)
    plots = panel.plots
    assert list(plots.plots) == ["loss", "loss per output", "accuracy", "mae", "learning rate"]
    assert plots.curve("loss", "train").n == 3 and plots.curve("loss", "batch").n == 6  # the total, as before
    for output in OUTPUTS:
        assert plots.curve("loss per output", "train", output).n == 3
        assert plots.curve("loss per output", "val", output).n == 3
        assert plots.curve("loss per output", "batch", output).n == 6
    x, y = plots.curve("loss per output", "val", "score").view()
    assert list(x) == [1.0, 2.0, 3.0] and abs(y[0] - 0.55) < 1e-9
    assert plots.curve("accuracy", "val", "kind").n == 3 and plots.curve("mae", "train", "score").n == 3
    assert ("accuracy", "score/train") not in plots.series  # score reports no accuracy: no empty curve for it
    assert ("kind_loss", "train") not in plots.series  # no plot per raw key
    assert _legend(plots.plots["loss per output"]) == ["kind", "kind val", "score", "score val"]
    assert _legend(plots.plots["accuracy"]) == ["kind", "kind val"]
    kind = plots._items[("loss per output", "kind/train")].opts["pen"].color().name()
    assert kind == plots._items[("accuracy", "kind/train")].opts["pen"].color().name()  # one colour per output
    assert kind != plots._items[("loss per output", "score/train")].opts["pen"].color().name()

    path = tmp_path / "history.csv"
    plots.export_csv(str(path))
    header = next(csv.reader(path.open()))
    assert {"loss", "kind_loss", "score_loss", "kind_accuracy", "val_score_mae"} <= set(header)


def test_a_finished_two_output_run_reopens_with_the_same_plots(qtbot: Any) -> None:
    from visualnn.ui.training.plots import MetricPlots

    plots = MetricPlots()  # the runs panel: only the history, the outputs read from its keys
    qtbot.addWidget(plots)
    history: dict[str, list[float]] = {}
    for epoch in (1, 2):
        for key, value in two_output_epoch(epoch).items():
            history.setdefault(key, []).append(value)
    plots.load_history(history)
    assert plots.outputs == OUTPUTS
    assert list(plots.plots) == ["loss", "loss per output", "accuracy", "mae"]
    assert plots.curve("mae", "val", "score").n == 2


def test_a_single_output_run_plots_as_before(qtbot: Any) -> None:
    panel, _engine, handle = _train(qtbot, training_document(metrics=("accuracy",)))
    handle.progress.emit("epoch", {"epoch": 1, "logs": {"loss": 0.5, "val_loss": 0.6, "accuracy": 0.7,
                                                        "val_accuracy": 0.65}, "lr": 0.001})
    panel.plots.redraw()
    assert list(panel.plots.plots) == ["loss", "accuracy", "learning rate"]
    assert panel.plots.series[("accuracy", "val")].n == 1
    assert _legend(panel.plots.plots["loss"]) == ["batches", "train", "val"]
