"""Named parts from a CSV (issue 14): column groups feed the Inputs, one target column per output.

Each group is encoded as a single-input CSV encodes its features (same recipes and statistics), each target
on its own; one shared split; bad mappings are refused naming the column and the node. The model trains,
evaluates, predicts from a CSV of new rows and exports a .keras that takes the raw columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.csv_parts_helpers import GROUPS, csv_columns, csv_graph, csv_project, write_csv
from visualnn.core.dataset import DatasetSpec
from visualnn.core.model_io import input_names, output_names
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest
from visualnn.services.datasets import prepare
from visualnn.services.datasets.errors import DataError
from visualnn.services.training_common import TrainingError

pytestmark = pytest.mark.tf


def _prepare(folder: Path, project: Project | None = None) -> Any:
    project = project or csv_project()
    assert project.dataset is not None
    return prepare(project.dataset, str(folder), 32, 1, inputs=input_names(project.graph),
                   outputs=output_names(project.graph))


def test_column_groups_are_encoded_as_the_single_input_csv_with_one_split(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    write_csv(str(tmp_path))
    data = _prepare(tmp_path)
    assert (data.n_train, data.n_val, data.n_test) == (180, 60, 60)
    x, y = data.train.element_spec
    assert set(x) == {"tabular", "extra"} and set(y) == {"kind", "score"}
    assert x["tabular"].shape.as_list() == [None, 6] and x["extra"].shape.as_list() == [None, 2]
    assert y["kind"].dtype == tf.int32 and y["score"].shape.as_list() == [None, 1]
    assert [(p.name, p.role, p.columns, p.shape) for p in data.parts] == [
        ("tabular", "input", ("x1", "color", "x2", "x3"), (6,)), ("extra", "input", ("s1", "s2"), (2,)),
        ("kind", "target", ("label",), ()), ("score", "target", ("value",), (1,))]
    parts = {p.name: p for p in data.parts}
    assert (parts["kind"].task, parts["kind"].class_names) == ("multiclass", ("high", "low", "mid"))
    assert parts["score"].task == "regression"
    # The same columns as a single-input CSV (every feature, target label) give the same encoded values.
    single = DatasetSpec("csv", "rows.csv", {"split": {"val": 0.2, "test": 0.2, "seed": 3},
                                             "columns": {**{c: {"role": "feature"} for c in GROUPS},
                                                         "label": {"role": "target"}, "value": {"role": "ignore"}}})
    one = prepare(single, str(tmp_path), 32, 1)
    assert one.n_train == data.n_train
    xs_one = np.concatenate([b[0].numpy() for b in one.test])
    xs = np.concatenate([np.concatenate([b[0]["tabular"].numpy(), b[0]["extra"].numpy()], axis=1) for b in data.test])
    names = one.stats["feature_names"]
    order = [names.index(n) for n in data.stats["feature_names"]]
    np.testing.assert_allclose(xs, xs_one[:, order], atol=1e-6)
    # New rows go through each group's recipes: the test split's raw rows give the test tensors back.
    raw = data.raw_samples("test", 5)
    again = data.transform(raw)
    np.testing.assert_allclose(again["tabular"], xs[:5, :6], atol=1e-6)
    assert data.stats["parts"][0]["columns"] == ["x1", "color", "x2", "x3"]


def test_one_output_gives_a_bare_target_and_one_input_takes_every_feature(tmp_path: Path) -> None:
    write_csv(str(tmp_path))
    cols = csv_columns(value={"role": "ignore"})
    data = _prepare(tmp_path, csv_project(graph=csv_graph(score=False), columns=cols))
    x, y = data.train.element_spec
    assert set(x) == {"tabular", "extra"} and y.shape.as_list() == [None]  # a bare array, no dict


@pytest.mark.parametrize(("columns", "match"), [
    (csv_columns({**GROUPS, "s2": "extras"}), r"Feature column 's2' .* feeds Input 'extras', but the model has no "
                                              r"Input of that name \(its Inputs: tabular, extra\)"),
    (csv_columns({**GROUPS, "s1": None}), r"Feature column 's1' .* feeds no Input; the model has several "
                                          r"\(tabular, extra\)"),
    (csv_columns({k: "tabular" for k in GROUPS}), r"Input extra has no columns .*: no feature column feeds it"),
    (csv_columns(value={"role": "target", "output": "price"}), r"Target column 'value' .* is compared with output "
                                                               r"'price', but the model has no output"),
    (csv_columns(value={"role": "target"}), r"Output score has no target column .* Target column 'value'|Target "
                                            r"column 'value' .* own name"),
    (csv_columns(x3={"role": "target", "output": "kind"}), r"Output kind has 2 target columns \(x3, label\)"),
])
def test_bad_column_mappings_are_refused_naming_the_column_and_the_node(tmp_path: Path, columns: Any,
                                                                        match: str) -> None:
    write_csv(str(tmp_path))
    with pytest.raises(DataError, match=match):
        _prepare(tmp_path, csv_project(columns=columns))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    from visualnn.services.training import run_training

    folder = tmp_path_factory.mktemp("csv_parts")
    write_csv(str(folder))
    project = csv_project()
    result = run_training(TrainRequest(project=project, base_dir=str(folder)))
    project.add_run(result.run)
    return project, folder


def test_training_evaluation_and_prediction_report_each_output(trained: tuple[Project, Path]) -> None:
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.predict import run_prediction

    project, folder = trained
    run = project.runs[-1]
    assert run.status == "finished" and len(run.history["val_kind_loss"]) == 2 and "score_mae" in run.history
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(folder)))
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["kind", "score"]
    assert len(report["outputs"]["kind"]["classification"]["confusion"]) == 3
    assert len(report["outputs"]["score"]["regression"]["true"]) == 60
    write_csv(str(folder), n=5, seed=4, name="new.csv")
    out = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="new.csv"))
    assert out["task"] == "multi-output" and out["inputs"] == ["tabular", "extra"]
    assert len(out["outputs"]["kind"]) == 5 and out["outputs"]["kind"][0]["label"] in ("high", "low", "mid")
    rows = [{"x1": 9.0, "color": "red", "x2": None, "x3": 1.0, "s1": 0.5, "s2": -1.0}]
    one = run_prediction(PredictRequest(project=project, base_dir=str(folder), rows=rows))
    assert len(one["outputs"]["score"]) == 1


def test_the_raw_input_keras_export_takes_the_columns(trained: tuple[Project, Path]) -> None:
    from visualnn.services.export_project import export_project

    project, folder = trained
    report, _ = export_project(project, folder / "m.keras", str(folder))
    assert report.passed and report.sample_source == "raw rows of the test split", report.summary()
    assert report.max_abs_diff < 1e-5 and "columns of Input 'extra': s1, s2" in report.summary()
    with pytest.raises(Exception, match=r"\.tflite .*column groups"):
        export_project(project, folder / "m.tflite", str(folder))
    with pytest.raises(Exception, match=r"\.onnx .*column groups.*ONNX does not convert"):
        export_project(project, folder / "m.onnx", str(folder))


def test_an_input_shape_that_differs_from_its_group_width_is_refused(tmp_path: Path) -> None:
    from visualnn.services.training import run_training

    write_csv(str(tmp_path))
    with pytest.raises(TrainingError, match=r"Input node 'tabular' takes samples of shape \[5\], but its columns "
                                            r"\(x1, color, x2, x3\) encode to 6 numbers per row"):
        run_training(TrainRequest(project=csv_project(graph=csv_graph(tabular=5)), base_dir=str(tmp_path)))
