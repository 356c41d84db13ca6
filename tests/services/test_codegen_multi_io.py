"""The exported script for models with several Inputs and outputs (issue 14): named parts end to end.

The script keys every part by its layer name, builds the pipeline with ``from_tensor_slices`` on dicts,
compiles each output with its own loss, weight and metrics, trains the same in the functional and
subclass styles, and saves a model that takes the raw arrays of the .npz.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from visualnn.core.codegen import generate_script
from visualnn.core.codegen.literals import CodegenError
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings


def two_in_two_out(dataset: DatasetSpec | None = None) -> Project:
    """Inputs tabular (8) and sequence (12, 3); outputs kind (3 classes) and score (one number)."""
    g = Graph("functional")
    nodes = [("i1", "Input", {"shape": [8]}, "tabular"), ("i2", "Input", {"shape": [12, 3]}, "sequence"),
             ("d1", "Dense", {"units": 16, "activation": "relu"}, None), ("l1", "LSTM", {"units": 8}, None),
             ("c", "Concatenate", {}, None), ("o1", "Dense", {"units": 3, "activation": "softmax"}, "kind"),
             ("o2", "Dense", {"units": 1}, "score")]
    for nid, kind, params, name in nodes:
        g.add_node(Node(nid, kind, params, (0.0, 0.0), name=name))
    for a, b in (("i1", "d1"), ("i2", "l1"), ("d1", "c"), ("l1", "c"), ("c", "o1"), ("c", "o2")):
        g.connect(Edge.of(a, b))
    cfg = TrainingConfig(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=2, batch_size=32,
                         deterministic=True, device="cpu",
                         outputs=(OutputSettings("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
                                  OutputSettings("score", "mean_squared_error", 0.5, ("mae",))))
    return Project(g, "Two in two out", dataset, cfg, [])


def parts_npz(path: Path, n: int = 240) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(7)
    tab = (rng.standard_normal((n, 8)) * 3 + 1).astype("float32")
    seq = rng.standard_normal((n, 12, 3)).astype("float32")
    kind = (tab[:, 0] + seq[:, :, 0].mean(1) > 1).astype(int) + (tab[:, 1] > 2)
    score = (tab[:, 2] * 0.5 + seq.mean((1, 2))).astype("float32")
    arrays = {"tab": tab, "sequence": seq, "kind": kind, "score": score}
    np.savez(path, **arrays)
    return arrays


def load_module(code: str, path: Path) -> ModuleType:
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_takes_each_outputs_loss_weight_and_metrics_by_name() -> None:
    code = generate_script(two_in_two_out(), "functional")
    assert 'loss={"kind": "sparse_categorical_crossentropy", "score": "mean_squared_error"}' in code
    assert 'loss_weights={"kind": 1.0, "score": 0.5}' in code
    assert '"score": [keras.metrics.MeanAbsoluteError(name="mae")]' in code
    assert "# Each element of ds_x is {Input name: one sample}" in code
    assert "ds_x = tf.data.Dataset.from_tensor_slices(x)" in code
    sub = generate_script(two_in_two_out(), "subclass")
    assert 'tabular, sequence = (inputs["tabular"], inputs["sequence"])' in sub
    assert 'return {"kind": kind, "score": score}' in sub


def test_the_multiworker_script_and_non_npz_data_are_refused_with_the_reason() -> None:
    with pytest.raises(CodegenError, match="Inputs tabular, sequence and outputs kind, score"):
        generate_script(two_in_two_out(), "functional", strategy="multiworker")
    images = two_in_two_out(DatasetSpec("images", "pictures"))
    with pytest.raises(CodegenError, match=r"which Input takes the images, the table's key column.*export-code"):
        generate_script(images, "functional", facts={"path": "pictures"})
    csv = two_in_two_out(DatasetSpec("csv", "rows.csv"))
    with pytest.raises(CodegenError, match=r"column group of each Input and the target column of each output"):
        generate_script(csv, "functional", facts={"path": "rows.csv"})


@pytest.mark.tf
def test_random_stand_in_data_trains_the_same_in_functional_and_subclass_styles(tmp_path: Path) -> None:
    import numpy as np

    histories = {}
    for style in ("functional", "subclass"):
        module = load_module(generate_script(two_in_two_out(), style), tmp_path / f"rand_{style}.py")
        (x, y), _, _ = module.load_data()
        assert set(x) == {"tabular", "sequence"} and set(y) == {"kind", "score"}
        assert y["kind"].dtype == np.int32 and int(y["kind"].max()) < 3  # class numbers for the sparse loss
        histories[style] = module.main(["--epochs", "2", "--output", str(tmp_path / f"{style}.keras")]).history
    assert {"kind_loss", "score_loss", "kind_accuracy", "score_mae", "val_loss"} <= set(histories["functional"])
    for key, values in histories["functional"].items():
        np.testing.assert_allclose(histories["subclass"][key], values, atol=1e-5, err_msg=key)


@pytest.mark.tf
def test_npz_parts_script_saves_a_model_that_takes_the_raw_arrays(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from visualnn.services.script_facts import script_facts

    arrays = parts_npz(tmp_path / "parts.npz")
    spec = DatasetSpec("numpy", "parts.npz", {"split": {"val": 0.2, "test": 0.2, "seed": 3},
                                              "arrays": {"inputs": {"tabular": "tab"}}})
    project = two_in_two_out(spec)
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert facts is not None
    assert [p["array"] for p in facts["inputs"]] == ["tab", "sequence"]  # the Data panel's mapping is kept
    assert [p["task"] for p in facts["outputs"]] == ["multiclass", "regression"]
    module = load_module(generate_script(project, "functional", facts=facts), tmp_path / "parts_script.py")
    (x_train, y_train), (x_val, _), (x_test, _) = module.load_data()
    n = len(arrays["kind"])
    assert len(y_train["kind"]) + len(x_val["tabular"]) + len(x_test["sequence"]) == n
    assert abs(float(x_train["tabular"].mean())) < 0.05  # standardized with the training split's statistics
    saved = tmp_path / "raw.keras"
    module.main(["--epochs", "1", "--output", str(saved)])
    trained = keras.models.load_model(saved)
    assert [t.name for t in trained.inputs] == ["tabular", "sequence"]
    raw = {"tabular": arrays["tab"][:5], "sequence": arrays["sequence"][:5]}
    kind, score = trained.predict(raw, verbose=0)
    assert kind.shape == (5, 3) and score.shape == (5, 1)
    np.testing.assert_allclose(kind.sum(axis=1), 1.0, atol=1e-5)
    # The raw-input model equals the inner model on the scaled arrays the script trained on.
    inner = trained.get_layer("two_in_two_out")
    scaled = {k: (v - module.SCALING[k]["center"]) / module.SCALING[k]["scale"] for k, v in raw.items()}
    inner_kind, inner_score = inner.predict(scaled, verbose=0)
    np.testing.assert_allclose(kind, inner_kind, atol=1e-5)
    np.testing.assert_allclose(score, inner_score, atol=1e-4)


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_export_code_trains_the_same_model_from_the_same_npz_to_the_apps_losses(tmp_path: Path, style: str) -> None:
    """Issue 14's done-when: `visualnn train` and `export-code --style ...` give the same per-epoch losses."""
    from tests.services.multiio_helpers import two_io_project, write_npz
    from tests.services.script_parity import app_and_script_histories, assert_same_losses
    from visualnn.core.project.io import save_project

    write_npz(str(tmp_path))
    project = two_io_project()
    project.training = project.training.with_changes(deterministic=True, device="cpu", epochs=2)
    vnn = tmp_path / "two.vnn"
    save_project(project, vnn)
    app, script = app_and_script_histories(vnn, style)
    assert_same_losses(app, script, ("loss", "kind_loss", "score_loss", "val_loss", "val_kind_loss", "val_score_loss",
                                     "kind_accuracy", "score_mae"))
