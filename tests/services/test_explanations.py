"""Activations and explanations on real Keras models: values equal Keras's own, Grad-CAM finds a planted
patch, permutation importance ranks the informative column first, and bad input gets a message naming why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph, tiny_project
from visualnn.core.explain_protocol import ActivationsRequest, ExplainRequest, importance_effect
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.protocol import TrainRequest
from visualnn.services.explain_render import report_csv

pytestmark = pytest.mark.tf


def cnn_graph(side: int = 16, classes: int = 2) -> Graph:
    """Input(side, side, 1) -> Conv2D(8) -> Conv2D(8) -> GlobalAveragePooling2D -> Dense(softmax)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [side, side, 1]}))
    g.add_node(Node("conv_1", "Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}))
    g.add_node(Node("conv_2", "Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}))
    g.add_node(Node("gap", "GlobalAveragePooling2D", {}))
    g.add_node(Node("out", "Dense", {"units": classes, "activation": "softmax"}))
    for a, b in (("input_1", "conv_1"), ("conv_1", "conv_2"), ("conv_2", "gap"), ("gap", "out")):
        g.connect(Edge.of(a, b))
    return g


def patch_images(n: int = 240, side: int = 16, seed: int = 0) -> dict[str, Any]:
    """Noise images; class 1 has a bright 4x4 patch at a random spot of the top-left quarter, class 0 none."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.3, size=(n, side, side, 1)).astype("float32")
    y = np.arange(n) % 2
    for i in np.flatnonzero(y == 1):
        r, c = rng.integers(0, side // 2 - 4, size=2)
        x[i, r:r + 4, c:c + 4, 0] = 1.0
    return {"x": x.tolist(), "y": y.tolist(), "x_test": x[:40].tolist(), "y_test": y[:40].tolist()}


@pytest.fixture(scope="module")
def trained_cnn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str, dict[str, Any]]:
    from visualnn.services.training import run_training

    base = str(tmp_path_factory.mktemp("cnn"))
    data = patch_images()
    project = tiny_project(cnn_graph(), epochs=12, batch_size=16, learning_rate=0.01)
    run = run_training(TrainRequest(project=project, base_dir=base, inline_data=data)).run
    project.add_run(run)
    return project, base, data


def test_activation_equals_the_keras_sub_model_output(trained_cnn: tuple[Project, str, dict[str, Any]]) -> None:
    import keras
    import numpy as np

    from visualnn.services.activations import run_activations
    from visualnn.services.training_common import load_run_model

    project, base, data = trained_cnn
    run = project.runs[-1]
    got = run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_2", run_id=run.id,
                                             split="test", index=3, inline_data=data))
    model = load_run_model(base, run)
    want = np.asarray(keras.Model(model.inputs[0], model.get_layer("conv_2").output)(np.asarray(data["x_test"][3:4])))
    assert got["shape"] == [None, 16, 16, 8] and got["rank"] == 4
    assert got["values_shape"] == [8, 16, 16]  # channels first, one map each, small enough to keep whole
    np.testing.assert_allclose(np.moveaxis(np.asarray(got["values"]), 0, -1), want[0], rtol=1e-4, atol=1e-5)
    assert got["min"] == pytest.approx(float(want.min()), abs=1e-5)
    assert got["max"] == pytest.approx(float(want.max()), abs=1e-5)
    assert got["zero_fraction"] == pytest.approx(float(np.mean(want == 0)))
    assert got["card"]["axes"] == ["samples", "height", "width", "channels"]
    assert any("tf.squeeze" in line for line in got["card"]["code"])
    dense = run_activations(ActivationsRequest(project=project, base_dir=base, node="out", run_id=run.id,
                                               split="test", index=3, inline_data=data))
    assert dense["rank"] == 2 and sum(dense["values"]) == pytest.approx(1.0, abs=1e-5)


def test_untrained_activations_are_repeatable_and_the_input_is_the_sample(
        trained_cnn: tuple[Project, str, dict[str, Any]]) -> None:
    import numpy as np

    from visualnn.services.activations import run_activations

    project, base, data = trained_cnn
    first = run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1", index=5,
                                               split="test", inline_data=data))
    again = run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1", index=5,
                                               split="test", inline_data=data))
    assert first["run_id"] is None and first["values"] == again["values"]
    image = run_activations(ActivationsRequest(project=project, base_dir=base, node="input_1", index=5,
                                               split="test", inline_data=data))
    np.testing.assert_allclose(np.asarray(image["values"])[0], np.asarray(data["x_test"][5])[..., 0], atol=1e-6)


def test_gradcam_highlights_the_planted_patch(trained_cnn: tuple[Project, str, dict[str, Any]]) -> None:
    import numpy as np

    from visualnn.services.explanations import run_explain

    project, base, data = trained_cnn
    x = np.asarray(data["x_test"])
    hits = 0
    positives = [i for i in range(len(x)) if data["y_test"][i] == 1][:8]
    for i in positives:
        rep = run_explain(ExplainRequest(project=project, base_dir=base, method="gradcam", split="test", index=i,
                                         inline_data=data, class_index=1))
        heat = np.asarray(rep["heatmap"])
        assert heat.shape == (16, 16) and rep["layer"] == "conv_2" and 0 <= heat.min() <= heat.max() <= 1
        patch = x[i, ..., 0] == 1.0
        hits += heat[patch].mean() > 2 * heat[~patch].mean()
    assert hits >= 6, f"the heatmap was brighter on the patch in only {hits} of {len(positives)} images"
    sal = run_explain(ExplainRequest(project=project, base_dir=base, method="saliency", split="test",
                                     index=positives[0], inline_data=data))
    assert np.asarray(sal["heatmap"]).shape == (16, 16) and sal["layer"] is None
    assert sal["true"] == "1" or sal["true"] is None


def test_permutation_importance_ranks_the_informative_column_first(tmp_path: Any) -> None:
    import numpy as np

    from visualnn.services.explanations import run_explain
    from visualnn.services.training import run_training

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = (x[:, 2] > 0).astype(int)  # only column 2 matters
    data = {"x": x.tolist(), "y": y.tolist()}
    project = tiny_project(mlp_graph(4, 2), epochs=8, learning_rate=0.01)
    project.add_run(run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=data)).run)
    rep = run_explain(ExplainRequest(project=project, base_dir=str(tmp_path), method="permutation", inline_data=data))
    cols = [r["column"] for r in rep["importances"]]
    assert cols[0] == "feature 2" and rep["metric"] == "accuracy" and rep["baseline"] > 0.85
    assert importance_effect(rep) == "drop in accuracy" and report_csv(rep).startswith("column,accuracy_drop,std\n")
    assert rep["importances"][0]["drop"] > 0.25 > max(r["drop"] for r in rep["importances"][1:])


def test_bad_input_is_named(trained_cnn: tuple[Project, str, dict[str, Any]], tmp_path: Any) -> None:
    from visualnn.services.activations import run_activations
    from visualnn.services.explanations import run_explain
    from visualnn.services.model_probe import ProbeError

    project, base, data = trained_cnn
    run = project.runs[-1]
    with pytest.raises(ProbeError, match="No data is attached"):
        run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1"))
    with pytest.raises(ProbeError, match="There is no run 'gone'"):
        run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1", run_id="gone",
                                           inline_data=data))
    with pytest.raises(ProbeError, match="permutation.*images|table columns, and this model takes images"):
        run_explain(ExplainRequest(project=project, base_dir=base, method="permutation", inline_data=data))
    with pytest.raises(ProbeError, match="gap is not a convolutional layer.*conv_1, conv_2"):
        run_explain(ExplainRequest(project=project, base_dir=base, method="gradcam", node="gap", inline_data=data))
    with pytest.raises(ProbeError, match="no sample 99 in the test split: it has 40"):
        run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1", split="test", index=99,
                                           inline_data=data))
    with pytest.raises(ProbeError, match=r"shape \(4, 4\).*Input input_1 takes \(16, 16, 1\)"):
        run_activations(ActivationsRequest(project=project, base_dir=base, node="conv_1", sample=[[0.0] * 4] * 4,
                                           inline_data=data))
    # a tabular classifier has no convolution; a regression model has no class to explain
    tab = tiny_project(mlp_graph(4, 3), epochs=1)
    tdata = blobs(60)
    tab.add_run(__import__("visualnn.services.training", fromlist=["run_training"]).run_training(
        TrainRequest(project=tab, base_dir=str(tmp_path), inline_data=tdata)).run)
    with pytest.raises(ProbeError, match="Input input_1 takes rank-2 samples"):
        run_explain(ExplainRequest(project=tab, base_dir=str(tmp_path), method="gradcam", inline_data=tdata))
    # the run's folder deleted
    import shutil

    shutil.rmtree(str(tmp_path / "runs"))
    with pytest.raises(ProbeError, match=f"The model of run {tab.runs[-1].id} is missing"):
        run_activations(ActivationsRequest(project=tab, base_dir=str(tmp_path), node="dense_1",
                                           run_id=tab.runs[-1].id, inline_data=tdata))
    del run


def test_a_window_of_the_timeseries_example_as_a_heat_strip(tmp_path: Any) -> None:
    """A window of a series (the bundled weather example, untrained model): rank 3, time steps x features."""
    import shutil
    from pathlib import Path

    from visualnn.core.project.io import load_project
    from visualnn.services.activations import run_activations
    from visualnn.services.explanations import run_explain
    from visualnn.services.training_common import TrainingError

    src = Path(__file__).resolve().parents[2] / "resources" / "examples" / "timeseries"
    shutil.copytree(src, tmp_path / "ts")
    project = load_project(str(tmp_path / "ts" / "timeseries.vnn"))
    window = run_activations(ActivationsRequest(project=project, base_dir=str(tmp_path / "ts"), node="input_1",
                                                split="val", index=4))
    assert window["shape"] == [None, 24, 3] and window["values_shape"] == [24, 3]
    assert window["card"]["axes"] == ["samples", "time steps", "features"]
    assert any("tf.signal.frame" in c for c in window["card"]["code"])
    conv = run_activations(ActivationsRequest(project=project, base_dir=str(tmp_path / "ts"), node="conv1d_1",
                                              split="val", index=4))
    assert conv["shape"] == [None, 22, 32] and conv["card"]["axes"] == ["samples", "time steps", "features"]
    nxt = run_activations(ActivationsRequest(project=project, base_dir=str(tmp_path / "ts"), node="input_1",
                                             split="val", index=5))
    # consecutive windows (stride 1) overlap: window 5 starts where window 4's second step is
    assert nxt["values"][:-1] == window["values"][1:]
    with pytest.raises(TrainingError, match="no trained run yet"):
        run_explain(ExplainRequest(project=project, base_dir=str(tmp_path / "ts"), method="saliency"))


def test_permutation_importance_of_a_regression_model_is_the_rise_in_mae(tmp_path: Any) -> None:
    import numpy as np

    from visualnn.services.explanations import run_explain
    from visualnn.services.training import run_training

    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 3)).astype("float32")
    y = (3.0 * x[:, 1]).astype("float32")  # only column 1 matters
    data = {"x": x.tolist(), "y": y.tolist()}
    graph = mlp_graph(3, 1, activation="linear")
    project = tiny_project(graph, epochs=15, learning_rate=0.01, loss="mean_squared_error", metrics=["mae"])
    project.add_run(run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=data)).run)
    rep = run_explain(ExplainRequest(project=project, base_dir=str(tmp_path), method="permutation", inline_data=data))
    assert rep["metric"] == "mae" and rep["baseline"] >= 0
    assert rep["importances"][0]["column"] == "feature 1" and rep["importances"][0]["drop"] > 1.0
    # Shuffling raises the error: the figures are named so ("drop in mae +1.9" read as the error falling).
    assert rep["effect"] == "increase" and importance_effect(rep) == "increase in mae"
    assert report_csv(rep).splitlines()[0] == "column,mae_increase,std"
    # an image model that predicts a number has no class score to explain
    images = patch_images(40)
    images["y"] = [float(v) * 2.5 for v in images["y"]]
    cnn = cnn_graph(classes=1)
    cnn.set_param("out", "activation", "linear")
    reg = tiny_project(cnn, epochs=1, loss="mean_squared_error", metrics=["mae"])
    reg.add_run(run_training(TrainRequest(project=reg, base_dir=str(tmp_path / "reg"), inline_data=images)).run)
    with pytest.raises(Exception, match="regression model"):
        run_explain(ExplainRequest(project=reg, base_dir=str(tmp_path / "reg"), method="gradcam", inline_data=images))
