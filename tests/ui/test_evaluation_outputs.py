"""Evaluation of a model with several outputs: an Output box shows each head's metrics and its own views."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.engine_fakes import training_document
from tests.ui.fake_engine import FakeEngine
from tests.ui.multi_output import two_output_graph, two_output_report
from visualnn.core.training_config import RunRecord


def _evaluation(qtbot: Any, graph: Any = None) -> tuple[Any, FakeEngine]:
    from visualnn.ui.training import EvaluationPanel

    engine = FakeEngine()
    engine.start()
    doc = training_document(graph=graph or two_output_graph(), runs=[
        RunRecord(id="r1", started="2026-01-01T00:00:00", model_path="runs/r1/model.keras")])
    panel = EvaluationPanel(doc, engine)
    qtbot.addWidget(panel)
    panel.resize(1300, 520)
    panel.show()
    return panel, engine


def _cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_each_output_shows_its_metrics_and_its_own_views(qtbot: Any) -> None:
    panel, engine = _evaluation(qtbot)
    assert not panel.output_combo.isVisible()
    with qtbot.waitSignal(panel.evaluated, timeout=5_000):
        qtbot.mouseClick(panel.evaluate_button, Qt.MouseButton.LeftButton)
        job_id, job_type, _payload = engine.jobs[-1]
        assert job_type == "evaluate"
        engine.finish(job_id, two_output_report())
    assert panel.output_combo.isVisible() and panel.output_label.isVisible()
    assert [panel.output_combo.itemText(i) for i in range(panel.output_combo.count())] == [
        "kind (classification)", "score (regression)"]
    assert panel.status.toolTip() == "Run r1 on the test split: 20 samples. Total loss 0.495."

    # The first head: a classifier, with its confusion matrix and per-class report.
    assert panel.shown_output() == "kind" and panel.pages.currentIndex() == 0
    assert dict(_cells(panel.metrics_table)) == {"loss": "0.4100", "accuracy": "0.8500"}
    assert panel.confusion.matrix == [[5, 1, 0], [0, 6, 1], [1, 0, 6]] and panel.per_class.rowCount() == 3
    sample = panel.wrong.item(0, 4).text()  # a sample of a model with two inputs: each input's first values
    assert "tabular: 0.5, 0.5" in sample and "sequence: 0.1, 0.2, 0.3" in sample

    # The user picks the regression head: its metrics, predicted-vs-true and residuals; nothing of the classifier.
    panel.output_combo.setFocus()
    qtbot.keyClick(panel.output_combo, Qt.Key.Key_Down)
    assert panel.shown_output() == "score" and panel.pages.currentIndex() == 1
    assert dict(_cells(panel.metrics_table)) == {"loss": "0.1700", "mae": "0.4000"}
    x, y = panel.scatter_points.getData()
    assert len(x) == 20 and y[1] == 1.5
    assert list(panel.residual_bars.opts["height"]) == [10, 0, 0, 10]
    assert panel.confusion.matrix == [] and panel.per_class.rowCount() == 0

    # A new evaluation keeps the chosen head on screen.
    with qtbot.waitSignal(panel.evaluated, timeout=5_000):
        panel.evaluate_button.click()
        engine.finish(engine.jobs[-1][0], two_output_report())
    assert panel.shown_output() == "score" and dict(_cells(panel.metrics_table))["mae"] == "0.4000"
    with pytest.raises(KeyError, match="its outputs are kind, score"):
        panel.show_output("price")


def test_a_single_output_report_has_no_output_box(qtbot: Any) -> None:
    panel, _engine = _evaluation(qtbot)
    panel.show_report(two_output_report())
    assert panel.output_combo.isVisible()
    panel.show_report({"run_id": "r1", "split": "test", "task": "classification", "n_samples": 3,
                       "metrics": {"loss": 0.3, "accuracy": 0.67},
                       "classification": {"class_names": ["a", "b"], "confusion": [[1, 0], [1, 1]],
                                          "per_class": [], "wrong": [{"index": 0, "true": "b", "pred": "a",
                                                                      "confidence": 0.7, "sample": [1.0, 2.0]}]}})
    assert not panel.output_combo.isVisible() and panel.shown_output() is None
    assert panel.status.toolTip() == "Run r1 on the test split: 3 samples."
    assert _cells(panel.metrics_table) == [["loss", "0.3000"], ["accuracy", "0.6700"]]
    assert panel.confusion.matrix == [[1, 0], [1, 1]] and panel.wrong.item(0, 4).text() == "1, 2"
    assert panel.wrong_caption.text() == "The 1 most confidently wrong sample(s) of the split"
    panel.show_report({"run_id": "r1", "split": "test", "task": "classification", "n_samples": 2,
                       "metrics": {"loss": 0.1, "accuracy": 1.0},
                       "classification": {"class_names": ["a", "b"], "confusion": [[1, 0], [0, 1]], "per_class": [],
                                          "wrong": []}})
    assert panel.wrong.rowCount() == 0 and panel.wrong_caption.text() == "No sample of this split was classified wrong."
    panel.show_report({"run_id": "r1", "split": "test", "task": "regression", "n_samples": 3,
                       "metrics": {"loss": 0.3}, "warnings": ["The data changed since run r1 was trained: ..."]})
    assert panel.status.toolTip() == "⚠ The data changed since run r1 was trained: ... Run r1 on the test split: 3 samples."


def test_the_output_box_lists_the_heads_in_model_order(qtbot: Any) -> None:
    graph = two_output_graph()
    graph.rename("dense_3", "type")  # outputs "type" then "score": not alphabetical
    panel, engine = _evaluation(qtbot, graph)
    report = two_output_report()
    report["outputs"] = {"type": report["outputs"]["kind"], "score": report["outputs"]["score"]}
    with qtbot.waitSignal(panel.evaluated, timeout=5_000):  # the engine's answer crosses a Qt signal (keys sorted)
        panel.evaluate_button.click()
        engine.finish(engine.jobs[-1][0], report)
    assert [panel.output_combo.itemData(i) for i in range(panel.output_combo.count())] == ["type", "score"]
    assert panel.shown_output() == "type" and panel.pages.currentIndex() == 0


def test_a_yes_no_head_of_several_gets_its_own_threshold_kept_under_its_name(qtbot: Any) -> None:
    import numpy as np

    from visualnn.core.decision import EXTRA_KEY
    from visualnn.services.evaluation import classification_report

    panel, engine = _evaluation(qtbot)
    report = two_output_report()
    rng = np.random.default_rng(1)
    y = (rng.random(20) < 0.4).astype(int)
    head = classification_report(y, np.clip(0.3 * y + 0.6 * rng.random(20), 0, 1).reshape(-1, 1), ["no", "yes"])
    head["output"] = "kind"
    report["outputs"]["kind"] = {**report["outputs"]["kind"], "classification": head}
    with qtbot.waitSignal(panel.evaluated, timeout=5_000):
        panel.evaluate_button.click()
        engine.finish(engine.jobs[-1][0], report)
    assert panel.shown_output() == "kind" and panel.threshold_box.isVisible()
    panel.threshold_box.set_threshold(0.35)
    qtbot.mouseClick(panel.threshold_box.keep_button, Qt.MouseButton.LeftButton)
    assert panel.document.project.runs[0].extra[EXTRA_KEY] == {"kind": 0.35}
    assert engine.jobs[-1][1] == "evaluate"  # scored again at it
    panel.show_report(report)
    panel.show_output("score")  # the regression head: no threshold
    assert not panel.threshold_box.isVisible()
