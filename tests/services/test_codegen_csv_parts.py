"""The exported script for a multi-IO model on a CSV's column groups (issue 14): the same tensors, the same losses.

The script builds x as a dict of per-group arrays and y as a dict per output (bare for one output), feeds them to
``from_tensor_slices``, and trains to the app's per-epoch losses in the functional and subclass styles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.csv_parts_helpers import csv_columns, csv_graph, csv_project, write_csv
from tests.services.test_codegen_multi_io import load_module
from visualnn.core.codegen import generate_script

pytestmark = pytest.mark.tf


def test_the_script_loads_the_groups_as_the_app_does(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.core.model_io import input_names, output_names
    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    write_csv(str(tmp_path))
    project = csv_project()
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert facts is not None
    assert [g["name"] for g in facts["inputs"]] == ["tabular", "extra"]
    assert [(o["column"], o["task"]) for o in facts["outputs"]] == [("label", "multiclass"), ("value", "regression")]
    code = generate_script(project, "functional", facts=facts)
    assert "ds_x = tf.data.Dataset.from_tensor_slices(x)" in code
    module = load_module(code, tmp_path / "groups_script.py")
    splits = module.load_data()
    assert project.dataset is not None
    data = prepare(project.dataset, str(tmp_path), 32, 1, inputs=input_names(project.graph),
                   outputs=output_names(project.graph))
    for (x, y), name in zip(splits, ("train", "val", "test"), strict=True):
        app = list(getattr(data, name).unbatch().as_numpy_iterator())
        app_x = {k: np.stack([a[0][k] for a in app]) for k in x}
        app_y = {k: np.stack([a[1][k] for a in app]) for k in y}
        if name != "train":  # the training pipeline shuffles; the others keep the split's order
            for k in x:
                np.testing.assert_allclose(x[k], app_x[k], atol=1e-6, err_msg=f"{name} {k}")
            for k in y:
                np.testing.assert_allclose(y[k].reshape(app_y[k].shape), app_y[k], atol=1e-6, err_msg=f"{name} {k}")
        assert {k: v.shape for k, v in x.items()} == {k: v.shape for k, v in app_x.items()}
    single = csv_project(graph=csv_graph(score=False), columns=csv_columns(value={"role": "ignore"}))
    one = load_module(generate_script(single, "functional", facts=script_facts(single, str(tmp_path), str(tmp_path))),
                      tmp_path / "one_output.py")
    (_, y_train), _, _ = one.load_data()
    assert isinstance(y_train, np.ndarray) and y_train.dtype == np.int32  # one output: a bare array


@pytest.mark.slow
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_export_code_trains_the_same_model_from_the_same_csv_to_the_apps_losses(tmp_path: Path, style: str) -> None:
    from tests.services.script_parity import app_and_script_histories, assert_same_losses
    from visualnn.core.project.io import save_project

    write_csv(str(tmp_path))
    vnn = tmp_path / "groups.vnn"
    save_project(csv_project(), vnn)
    app, script = app_and_script_histories(vnn, style)
    assert_same_losses(app, script, ("loss", "kind_loss", "score_loss", "val_loss", "val_kind_loss", "val_score_loss",
                                     "kind_accuracy", "score_mae"))
    if style == "subclass":
        return  # loading a subclassed model needs the script's class imported; the functional save shows the layers
    import keras
    import pandas as pd

    saved = keras.models.load_model(tmp_path / "script.keras")
    rows = pd.read_csv(tmp_path / "rows.csv").head(4)
    raw = {c: (rows[c].astype(str).to_numpy() if c == "color" else rows[c].to_numpy("float32"))
           for c in ("x1", "color", "x2", "x3", "s1", "s2")}
    kind, score = saved.predict(raw, verbose=0)
    assert kind.shape == (4, 3) and score.shape == (4, 1)
