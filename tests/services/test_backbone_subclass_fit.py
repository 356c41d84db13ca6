"""A backbone whose preprocessing standardizes per channel ("torch" mode: DenseNet121; KerasHub's ResNet does the
same) trains in the exported subclass-style script. Its preprocessing used to be Rescaling + Normalization(mean, variance),
and the subclass-style script then failed in fit: the Normalization's constants were made while the model was
first called on symbolic inputs ("defined in FuncGraph scratch_graph, which is out of scope")."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from visualnn.core.codegen import generate_script
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.specs import default_registry
from visualnn.core.training_config import TrainingConfig

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _project(mode: str) -> Project:
    graph = Graph(mode=mode)
    graph.add_node(Node("in", "Input", {"shape": [32, 32, 3]}))
    graph.add_node(Node("bb", "DenseNet121", {"weights": None, "pooling": "avg"}))
    graph.add_node(Node("out", "Dense", {"units": 3, "activation": "softmax"}))
    graph.connect(Edge.of("in", "bb"))
    graph.connect(Edge.of("bb", "out"))
    # Plain SGD: the optimizer does not matter here, and tracing Adam's update of 600 variables took 48 of 80 s.
    return Project(graph=graph, training=TrainingConfig(epochs=1, batch_size=8, loss="sparse_categorical_crossentropy",
                                                        optimizer="sgd"))


def test_the_torch_mode_preprocessing_is_one_rescaling_equal_to_preprocess_input() -> None:
    spec = default_registry()["DenseNet121"]
    layers = spec.call_for(spec.resolved({"weights": None}), [(None, 32, 32, 3)]).kwargs["layers"]
    assert [c.class_path for c in layers] == ["keras.layers.Rescaling", "keras.applications.DenseNet121"]
    import keras  # type: ignore[import-untyped]

    raw = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    ours = np.asarray(keras.layers.Rescaling(**layers[0].kwargs)(raw))
    expected = keras.applications.densenet.preprocess_input(raw.copy())
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_the_exported_subclass_model_fits(tmp_path: Path) -> None:
    # The style that failed; the functional and Sequential styles build the same layers as the app does, which
    # the backbone export and parity tests train (tests/services/test_backbones_export.py).
    style = "subclass"
    project = _project("functional")
    path = tmp_path / f"densenet_{style}.py"
    path.write_text(generate_script(project, style=style), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"densenet_{style}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        model = module.build_model()
        module.compile_model(model)
        rng = np.random.default_rng(1)
        x = rng.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
        y = rng.integers(0, 3, 8)
        history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    finally:
        sys.modules.pop(spec.name, None)
