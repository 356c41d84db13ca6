"""A functional model with two Inputs and two outputs trains, evaluates, predicts and exports from a
.npz of named parts through the services (issue 14)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.services.multiio_helpers import arrays, two_io_graph, two_io_project, write_npz
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest
from visualnn.services.training_common import TrainingError

pytestmark = pytest.mark.tf

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path, Events]:
    from visualnn.services.training import run_training

    folder = tmp_path_factory.mktemp("two_io")
    write_npz(str(folder))
    project = two_io_project()
    events: Events = []
    result = run_training(TrainRequest(project=project, base_dir=str(folder)), lambda k, d: events.append((k, d)))
    project.add_run(result.run)
    return project, folder, events


def test_training_records_each_outputs_history(trained: tuple[Project, Path, Events]) -> None:
    project, _, events = trained
    run = project.runs[-1]
    assert run.status == "finished" and run.epochs_done == 2
    for key in ("loss", "kind_loss", "kind_accuracy", "score_loss", "score_mae", "val_loss", "val_kind_accuracy",
                "val_score_mae"):
        assert len(run.history[key]) == 2, key
    assert {"test_kind_accuracy", "test_score_mae", "test_loss"} <= set(run.metrics)
    epochs = [d["logs"] for k, d in events if k == "epoch"]
    assert len(epochs) == 2 and {"kind_loss", "score_loss", "val_score_mae"} <= set(epochs[-1])
    assert not [d for k, d in events if k == "log" and d.get("level") == "error"]


def test_evaluation_reports_each_output(trained: tuple[Project, Path, Events]) -> None:
    from visualnn.services.evaluation import run_evaluation

    project, folder, _ = trained
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(folder)))
    assert report["task"] == "multi-output" and report["split"] == "test" and report["n_samples"] == 47
    assert {"loss", "kind_loss", "kind_accuracy", "score_loss", "score_mae"} == set(report["metrics"])
    assert list(report["outputs"]) == ["kind", "score"]
    kind, score = report["outputs"]["kind"], report["outputs"]["score"]
    assert kind["task"] == "multiclass" and set(kind["metrics"]) == {"loss", "accuracy"}
    assert kind["metrics"]["accuracy"] == pytest.approx(report["metrics"]["kind_accuracy"])
    cm = kind["classification"]["confusion"]
    assert len(cm) == 3 and sum(map(sum, cm)) == 47 and len(kind["classification"]["per_class"]) == 3
    assert score["task"] == "regression" and set(score["metrics"]) == {"loss", "mae"}
    assert score["regression"]["mae"] == pytest.approx(score["metrics"]["mae"], rel=1e-4)
    assert len(score["regression"]["true"]) == 47


def test_predict_takes_one_array_per_input_and_reports_each_output(trained: tuple[Project, Path, Events]) -> None:
    import numpy as np

    from visualnn.services.predict import run_prediction

    project, folder, _ = trained
    new = arrays(5, seed=9)
    np.savez(folder / "new.npz", sequence=new["sequence"], tabular=new["tabular"], extra=np.zeros(3))
    out = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="new.npz"))
    assert out["task"] == "multi-output" and list(out["outputs"]) == ["kind", "score"]
    assert out["tasks"] == {"kind": "multiclass", "score": "regression"}
    kind, score = out["outputs"]["kind"], out["outputs"]["score"]
    assert len(kind) == len(score) == len(out["predictions"]) == 5
    assert kind[0]["label"] in ("0", "1", "2") and set(kind[0]["probabilities"]) == {"0", "1", "2"}
    assert len(score[0]["values"]) == 1
    assert out["predictions"][2] == {"kind": kind[2], "score": score[2]}
    np.savez(folder / "half.npz", tabular=new["tabular"])
    with pytest.raises(TrainingError, match="no array 'sequence' for Input node 'sequence'; its arrays are tabular"):
        run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="half.npz"))
    np.save(folder / "one.npy", new["tabular"])
    with pytest.raises(TrainingError, match=r"several Inputs \(tabular, sequence\); give an \.npz"):
        run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="one.npy"))


def test_exports_take_raw_arrays_and_match_the_apps_predictions(trained: tuple[Project, Path, Events]) -> None:
    import keras
    import numpy as np

    from visualnn.services.export_project import export_project
    from visualnn.services.predict import run_prediction

    project, folder, _ = trained
    new = arrays(7, seed=11)
    np.savez(folder / "raw.npz", tabular=new["tabular"], sequence=new["sequence"])
    app = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="raw.npz", top_k=3))
    report, _ = export_project(project, folder / "m.keras", str(folder))
    assert report.passed and report.sample_source.startswith("raw samples"), report.summary()
    exported = keras.saving.load_model(folder / "m.keras")
    kind, score = exported.predict({"tabular": new["tabular"], "sequence": new["sequence"]}, verbose=0)
    app_kind = np.array([[row["probabilities"][c] for c in ("0", "1", "2")] for row in app["outputs"]["kind"]])
    app_score = np.array([row["values"] for row in app["outputs"]["score"]])
    assert np.allclose(kind, app_kind, atol=1e-5) and np.allclose(score, app_score, atol=1e-4)
    assert not np.allclose(new["tabular"].mean(), 0, atol=1)  # the raw arrays are far from the scaled ones
    tflite, _ = export_project(project, folder / "m.tflite", str(folder))
    assert tflite.passed and tflite.max_abs_diff < 1e-4, tflite.summary()


def test_repeat_runs_ceil_n_over_batch_steps_per_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from visualnn.services import training_common
    from visualnn.services.training import run_training

    monkeypatch.setattr(training_common, "BATCH_REPORT_INTERVAL_S", 0.0)
    write_npz(str(tmp_path))
    project = two_io_project(pipeline={"repeat": True})
    events: Events = []
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)), lambda k, d: events.append((k, d)))
    steps = math.ceil(result.data.n_train / 32)
    assert steps == 5
    for epoch in (1, 2):
        assert {d["batch"] for k, d in events if k == "batch" and d["epoch"] == epoch} == set(range(1, steps + 1))
    assert len(result.run.history["val_kind_loss"]) == 2


def test_each_output_is_checked_with_its_own_loss_and_targets(tmp_path: Path) -> None:
    from visualnn.services.training import run_training

    write_npz(str(tmp_path))
    # The model-wide loss is a classification loss; the score output (first in the model's order) has its own
    # mean squared error, so the data-aware check must not call it a regression with a classification loss.
    ok = run_training(TrainRequest(project=two_io_project(epochs=1, graph=two_io_graph(score_first=True)),
                                   base_dir=str(tmp_path)))
    assert ok.run.status == "finished" and ok.model.output_names == ["score", "kind"]
    events: Events = []
    with pytest.raises(TrainingError, match="Output 'kind': dense_3: the output has 2 units but the data has 3 "
                                            "classes. Set units to 3."):
        run_training(TrainRequest(project=two_io_project(graph=two_io_graph(kind_units=2)), base_dir=str(tmp_path)),
                     lambda k, d: events.append((k, d)))
    assert [d["text"] for k, d in events if k == "log" and d["level"] == "error"]


def test_an_input_shape_that_differs_from_its_array_is_refused(tmp_path: Path) -> None:
    from visualnn.services.training import run_training

    write_npz(str(tmp_path))
    project = two_io_project(graph=two_io_graph(tabular_shape=10))
    with pytest.raises(TrainingError, match=r"Input node 'tabular' takes samples of shape \[10\], but its array "
                                            r"'tabular' holds samples of shape \[8\]"):
        run_training(TrainRequest(project=project, base_dir=str(tmp_path)))


def test_multiworker_refuses_a_multi_io_model_and_names_the_strategies_that_work(tmp_path: Path) -> None:
    from visualnn.services.training import run_training

    write_npz(str(tmp_path))
    project = two_io_project()
    project.training = project.training.with_changes(strategy="multiworker")
    with pytest.raises(TrainingError, match=r"'multiworker' strategy trains models with one Input and one output.*"
                                            r"Inputs tabular, sequence and outputs kind, score.*'auto'.*'mirrored'"):
        run_training(TrainRequest(project=project, base_dir=str(tmp_path)))


def test_two_inputs_and_one_output_train_evaluate_and_predict(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    write_npz(str(tmp_path))
    graph = two_io_graph()
    graph.disconnect(graph.in_edges("dense_4")[0])
    graph.remove_node("dense_4")  # only the kind output is left
    project = two_io_project(epochs=1, graph=graph)
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    assert result.run.status == "finished" and "val_accuracy" in result.run.history
    assert "y_train = kind_train" in result.data.code
    project.add_run(result.run)
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path)))
    assert report["task"] == "multiclass" and sum(map(sum, report["classification"]["confusion"])) == 47
    new = arrays(4, seed=2)
    np.savez(tmp_path / "new.npz", tabular=new["tabular"], sequence=new["sequence"])
    out = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="new.npz"))
    assert out["task"] == "multiclass" and len(out["predictions"]) == 4 and "label" in out["predictions"][0]
