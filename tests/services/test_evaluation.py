"""Evaluation reports (pure numpy parts and a real run) and prediction formatting."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph, tiny_project
from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest


def test_confusion_and_per_class_report() -> None:
    from visualnn.core.decision import per_class_report
    from visualnn.services.evaluation import confusion_matrix

    cm = confusion_matrix([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 3)
    assert cm == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    rows = per_class_report(cm, ["a", "b", "c"])
    assert rows[1] == {"class": "b", "precision": 2 / 3, "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}
    assert rows[2]["recall"] == 0.5 and rows[0]["support"] == 2


def test_most_confidently_wrong_first_and_binary_sigmoid() -> None:
    from visualnn.services.evaluation import classification_report

    probs = [[0.9], [0.2], [0.6], [0.99]]  # one sigmoid unit
    rep = classification_report([0, 0, 1, 0], probs, ["no", "yes"], xs=[[1.0], [2.0], [3.0], [4.0]])
    assert [w["index"] for w in rep["wrong"]] == [3, 0]
    assert rep["wrong"][0] == {"index": 3, "true": "no", "pred": "yes", "confidence": 0.99, "sample": [4.0]}
    assert rep["accuracy"] == 0.5 and rep["confusion"] == [[1, 2], [0, 1]]


def test_a_yes_no_report_decides_at_its_threshold_and_counts_every_other() -> None:
    import numpy as np

    from visualnn.core.decision import confusion_at, grid
    from visualnn.services.evaluation import classification_report, threshold_curve

    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.25).astype(int)
    p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1).round(2)  # rounded: many ties, some on grid thresholds
    rep = classification_report(y, p.reshape(-1, 1), ["no", "yes"], threshold=0.3)
    pred = (p > 0.3).astype(int)
    assert rep["threshold"] == 0.3 and rep["accuracy"] == float(np.mean(pred == y))
    assert rep["confusion"] == [[int(np.sum((y == a) & (pred == b))) for b in (0, 1)] for a in (0, 1)]
    curve = rep["curve"]
    for t in grid():  # every count as the rule gives it, ties on the threshold included
        q = p > t
        assert confusion_at(curve, t) == [[int(np.sum(~q & (y == 0))), int(np.sum(q & (y == 0)))],
                                          [int(np.sum(~q & (y == 1))), int(np.sum(q & (y == 1)))]]
    pairs = [(a, b) for a in p[y == 1] for b in p[y == 0]]  # ROC AUC by its definition
    assert curve["roc_auc"] == pytest.approx(np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs]))
    assert threshold_curve(np.ones(4), np.full(4, 0.7))["roc_auc"] is None  # a single class has no ROC curve
    assert "threshold" not in classification_report([0, 1, 2], np.eye(3), ["a", "b", "c"])  # more classes: argmax
    assert classification_report(y, p.reshape(-1, 1), ["no", "yes"])["threshold"] == 0.5


def test_regression_report() -> None:
    from visualnn.services.evaluation import regression_report

    rep = regression_report([1.0, 2.0, 3.0, 4.0], [[1.0], [2.0], [3.0], [5.0]], bins=4)
    assert rep["mae"] == 0.25 and rep["rmse"] == pytest.approx(0.5)
    assert rep["r2"] == pytest.approx(1 - 1 / 5)
    assert sum(rep["hist_counts"]) == 4 and rep["pred"] == [1.0, 2.0, 3.0, 5.0]


def test_prediction_formatting() -> None:
    from visualnn.services.predict import format_predictions

    rows = format_predictions([[0.1, 0.7, 0.2]], "classification", ["a", "b", "c"], top_k=2)
    assert rows[0]["label"] == "b" and rows[0]["top"] == [["b", 0.7], ["c", 0.2]]
    assert format_predictions([[1.5]], "regression", []) == [{"values": [1.5]}]
    # A yes/no output names its second class above the threshold, with that class's probability as confidence.
    low = format_predictions([[0.35], [0.25]], "binary", ["no", "yes"], threshold=0.3)
    assert [r["label"] for r in low] == ["yes", "no"] and low[0]["confidence"] == 0.35
    assert low[0]["top"][0][0] == "no"  # the classes still listed by probability
    assert [r["label"] for r in format_predictions([[0.35], [0.5]], "binary", ["no", "yes"])] == ["no", "no"]
    two = format_predictions([[0.6, 0.4]], "multiclass", ["cat", "dog"], threshold=0.3)  # a softmax of two
    assert two[0]["label"] == "dog" and two[0]["confidence"] == 0.4


@pytest.mark.tf
def test_evaluate_and_predict_a_trained_run(tmp_path: Any) -> None:
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import TrainingError, run_training

    data = blobs(300)
    project = tiny_project(mlp_graph(), epochs=3)
    run = run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=data)).run
    project.add_run(run)
    rep = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path), inline_data=data))
    cls = rep["classification"]
    assert rep["run_id"] == run.id and rep["n_samples"] == 60
    assert sum(map(sum, cls["confusion"])) == 60
    assert rep["metrics"]["accuracy"] == pytest.approx(cls["accuracy"], abs=1e-6)
    assert len(cls["per_class"]) == 3 and all(w["confidence"] >= 1 / 3 for w in cls["wrong"])
    pred = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), rows=data["x"][:4]))
    assert len(pred["predictions"]) == 4
    assert sum(pred["predictions"][0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(TrainingError, match="no run 'nope'"):
        run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path), run_id="nope", inline_data=data))


@pytest.mark.tf
def test_arrays_without_a_test_split_are_scored_on_validation_and_say_so(tmp_path: Any) -> None:
    import numpy as np

    from visualnn.core.dataset import NO_TEST_LABEL
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.training import run_training

    data = blobs(300)
    project = tiny_project(mlp_graph(), epochs=1)
    project.add_run(run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=data)).run)
    rep = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path), inline_data=data))
    assert (rep["split"], rep["requested_split"], rep["split_label"]) == ("val", "test", NO_TEST_LABEL)
    assert rep["n_samples"] == 60  # the held-out 20 %

    rng = np.random.default_rng(1)
    with_test = dict(data, x_test=rng.normal(size=(25, 4)).tolist(), y_test=rng.integers(0, 3, 25).tolist())
    rep = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path), inline_data=with_test))
    assert (rep["split"], rep["split_label"], rep["n_samples"]) == ("test", "test split", 25)


def test_the_default_run_is_the_latest_that_did_not_diverge() -> None:
    from visualnn.core.training_config import RunRecord
    from visualnn.services.evaluation import pick_run

    project = tiny_project()
    project.add_run(RunRecord("run-a", "2026-01-01T00:00:00", model_path="runs/run-a/model.keras"))
    project.add_run(RunRecord("run-b", "2026-01-02T00:00:00", status="diverged", model_path="runs/run-b/model.keras"))
    assert pick_run(project, None).id == "run-a"  # the diverged run holds only its last finite epoch's weights
    assert pick_run(project, "run-b").id == "run-b"  # named: it is evaluated as asked
    only = tiny_project()
    only.add_run(RunRecord("run-b", "2026-01-02T00:00:00", status="diverged", model_path="runs/run-b/model.keras"))
    assert pick_run(only, None).id == "run-b"  # nothing better: the diverged run's model is still a model
