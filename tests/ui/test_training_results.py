"""Evaluation, Predict and Runs panels on runs trained through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig

pytestmark = pytest.mark.tf

DATA = blobs(300)


@pytest.fixture(scope="module")
def engine() -> Any:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient()
    yield client
    client.stop()


def test_evaluate_predict_and_compare_runs(qtbot: Any, engine: Any) -> None:
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.training import EvaluationPanel, PredictPanel, RunsPanel, TrainingPanel

    doc = ProjectDocument(Project(graph=mlp_graph(), training=TrainingConfig(epochs=3, batch_size=16)))
    training = TrainingPanel(doc, engine, extra_job={"inline_data": DATA})
    evaluation = EvaluationPanel(doc, engine, extra_job={"inline_data": DATA})
    predict = PredictPanel(doc, engine)
    runs = RunsPanel(doc, engine)
    for w in (training, evaluation, predict, runs):
        qtbot.addWidget(w)
    assert not evaluation.evaluate_button.isEnabled()

    with qtbot.waitSignals([training.training_finished, evaluation.evaluated], timeout=180_000) as both:
        training.start_training()  # a new run is evaluated automatically
    assert evaluation.run_combo.count() == 1 and evaluation.evaluate_button.isEnabled()
    assert evaluation.report is not None and evaluation.report["run_id"] == doc.project.runs[0].id
    # In-memory arrays have no test split: the engine scores validation and the panel says so.
    assert evaluation.report["split"] == "val"
    assert evaluation.status.toolTip().endswith("on the validation split (this project has no test split): 60 samples.")
    assert both.signal_triggered

    evaluation.auto_evaluate = False
    with qtbot.waitSignal(evaluation.evaluated, timeout=60_000) as blocker:
        evaluation.evaluate_button.click()
    report = blocker.args[0]
    assert report["n_samples"] == 60
    assert evaluation.metrics_table.rowCount() == len(report["metrics"])
    assert sum(map(sum, evaluation.confusion.matrix)) == 60
    assert evaluation.per_class.rowCount() == 3
    assert evaluation.wrong.rowCount() == len(report["classification"]["wrong"])

    with qtbot.waitSignal(predict.predicted, timeout=60_000) as blocker:
        predict.sample_edit.setText(", ".join(str(v) for v in DATA["x"][0]))
        predict.predict_button.click()
    (row,) = blocker.args[0]["predictions"]
    assert predict.table.rowCount() == 1 and predict.table.item(0, 1).text() == row["label"]

    doc.push(__import__("visualnn.core.commands", fromlist=["SetTraining"]).SetTraining(
        doc.project.training.with_changes(learning_rate=0.01, epochs=2)))
    with qtbot.waitSignal(training.training_finished, timeout=180_000):
        training.start_training()
    assert runs.table.rowCount() == 2
    runs.select([r.id for r in doc.project.runs])
    assert len(runs.selected_runs()) == 2
    settings = [runs.diff_table.item(r, 0).text() for r in range(runs.diff_table.rowCount())]
    assert "learning_rate" in settings and "epochs" in settings
    assert "loss" in runs.plots.plots and len(runs.plots.series) >= 4  # train+val for each of two runs


def test_evaluation_panel_shows_regression_report(qtbot: Any, engine: Any) -> None:
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.training import EvaluationPanel

    panel = EvaluationPanel(ProjectDocument(Project()), engine)
    qtbot.addWidget(panel)
    panel.show_report({"run_id": "r", "split": "test", "n_samples": 3, "metrics": {"loss": 0.5},
                       "regression": {"true": [1.0, 2.0, 3.0], "pred": [1.1, 1.9, 3.2], "mae": 0.13, "rmse": 0.14,
                                      "r2": 0.97, "hist_counts": [1, 2], "hist_edges": [-0.1, 0.05, 0.2]}})
    assert panel.pages.currentIndex() == 1 and panel.metrics_table.rowCount() == 1
    assert len(panel.scatter_points.data) == 3
