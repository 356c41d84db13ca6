"""Frozen nodes in Keras: the builder and the code of every style freeze them, and call a frozen nested model or
BatchNormalization with training=False; phase 2 unfreezes the top layers of the frozen part, BN excepted."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.services.finetune_helpers import backbone_graph, backbone_registry, conv_graph
from visualnn.core.codegen.literals import CodegenError
from visualnn.core.codegen.model_code import model_definition
from visualnn.core.finetune import FineTunePlan
from visualnn.core.graph import SEQUENTIAL

pytestmark = pytest.mark.tf


def call_kwargs(model: Any, name: str) -> dict[str, Any]:
    """The keyword arguments the functional model called layer ``name`` with."""
    layer = model.get_layer(name)
    return dict(layer._inbound_nodes[0].arguments.kwargs)


def load(code: str, path: Path) -> ModuleType:
    path.write_text("import keras\n\n\n" + code)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trainable_map(model: Any) -> dict[str, bool]:
    return {layer.name: bool(layer.trainable) for layer in model.layers if layer.__class__.__name__ != "InputLayer"}


def test_the_builder_freezes_nodes_and_calls_a_frozen_bn_in_inference_mode() -> None:
    from visualnn.services.keras_builder import build_model

    model = build_model(conv_graph())
    assert trainable_map(model) == {"conv_a": False, "bn": False, "conv_b": False, "flatten": True, "head": True}
    assert call_kwargs(model, "bn") == {"training": False}
    assert call_kwargs(model, "conv_a") == {}  # frozen, but a convolution behaves alike either way
    head = model.get_layer("head")
    assert len(model.trainable_weights) == len(head.trainable_weights) == 2
    unfrozen = build_model(conv_graph(frozen=()))
    assert "training" not in call_kwargs(unfrozen, "bn")


def test_the_builder_calls_a_frozen_nested_model_with_training_false() -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    registry = backbone_registry()
    model = build_model(backbone_graph(), registry)
    backbone = model.get_layer("backbone")
    assert isinstance(backbone, keras.Model) and not backbone.trainable
    assert model.count_params() == 273_800 + 432 * 2 + 2
    assert sum(int(w.numpy().size) for w in model.trainable_weights) == 432 * 2 + 2
    # Its BatchNormalization statistics stay as they are while the head trains.
    assert moving_stats_after_a_fit(model) == 0.0
    assert moving_stats_after_a_fit(build_model(backbone_graph(frozen=False), registry)) > 0.0


def moving_stats_after_a_fit(model: Any) -> float:
    """How far one epoch on random images moves the moving means of the BatchNormalization layers in the model."""
    import keras
    import numpy as np

    from visualnn.services.finetune import keras_layers

    bns = [layer for top in model.layers for layer in keras_layers(top)
           if isinstance(layer, keras.layers.BatchNormalization)]
    before = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in bns]
    rng = np.random.default_rng(0)
    shape = (16, 32, 32, 3)  # the backbone graph's Input
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)  # no tracing: fast
    model.fit(rng.uniform(size=shape).astype("float32") * 255, rng.integers(0, 2, 16), epochs=1, verbose=0)
    return float(max(np.abs(keras.ops.convert_to_numpy(layer.moving_mean) - b).max() for layer, b in zip(bns, before, strict=True)))


def test_a_sequential_chain_with_a_frozen_nested_model_is_built_functionally() -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    graph = backbone_graph()
    graph.set_mode(SEQUENTIAL)
    model = build_model(graph, backbone_registry())
    assert not isinstance(model, keras.Sequential)
    assert [layer.name for layer in model.layers] == ["input_1", "backbone", "head"]
    seq = build_model(conv_graph(SEQUENTIAL))  # a frozen BN alone: Keras 3 runs it in inference mode in Sequential
    assert isinstance(seq, keras.Sequential) and not seq.get_layer("bn").trainable


@pytest.mark.parametrize("style", ["sequential", "functional", "subclass"])
def test_the_code_of_every_style_freezes_like_the_builder(style: str, tmp_path: Path) -> None:
    from visualnn.services.keras_builder import build_model

    mode = SEQUENTIAL if style == "sequential" else "functional"
    graph = conv_graph(mode)
    code = "\n".join(model_definition(graph, "frozen", style))
    assert 'model.get_layer(name).trainable = False' in code
    if style != "sequential":
        assert "training=False" in code
    model = load(code, tmp_path / f"gen_{style}.py").build_model()
    reference = build_model(graph)
    assert trainable_map(model) == trainable_map(reference)
    assert len(model.trainable_weights) == len(reference.trainable_weights) == 2
    if style == "functional":
        assert call_kwargs(model, "bn") == {"training": False}


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_the_code_calls_a_frozen_backbone_with_training_false(style: str, tmp_path: Path) -> None:
    code = "\n".join(model_definition(backbone_graph(), "tl", style, backbone_registry()))
    assert "(input_1, training=False)" in code
    model = load(code, tmp_path / f"bb_{style}.py").build_model()
    assert not model.get_layer("backbone").trainable
    assert sum(int(w.numpy().size) for w in model.trainable_weights) == 432 * 2 + 2
    assert moving_stats_after_a_fit(model) == 0.0


def test_the_sequential_style_refuses_a_frozen_backbone_and_says_which_style_to_use() -> None:
    graph = backbone_graph()
    graph.set_mode(SEQUENTIAL)
    with pytest.raises(CodegenError, match="frozen backbone must be called with training=False.*functional or subclass"):
        model_definition(graph, "tl", "sequential", backbone_registry())


def test_phase_two_unfreezes_the_top_layers_inside_a_backbone_but_no_batch_normalization() -> None:
    import keras

    from visualnn.services.finetune import keras_layers, unfreeze
    from visualnn.services.keras_builder import build_model

    model = build_model(backbone_graph(), backbone_registry())
    inner = keras_layers(model.get_layer("backbone"))
    names = unfreeze(model, FineTunePlan(("backbone",), 10, None, 1e-4, 1))
    top = inner[-10:]
    assert names == [layer.name for layer in top if not isinstance(layer, keras.layers.BatchNormalization)]
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in top)  # the rule was exercised
    assert [layer.name for layer in inner if layer.trainable] == names
    assert moving_stats_after_a_fit(model) == 0.0  # phase 2 keeps the statistics too
    assert {v.path for v in model.trainable_weights} >= {v.path for name in names
                                                         for v in model.get_layer("backbone").get_layer(name).weights}
    trained = {id(v) for v in model.trainable_weights}
    assert all(id(v) not in trained for layer in inner[:-10] for v in layer.weights)


def test_phase_two_from_a_node_unfreezes_every_frozen_layer_from_it() -> None:
    from visualnn.services.finetune import unfreeze
    from visualnn.services.keras_builder import build_model

    model = build_model(conv_graph())
    assert unfreeze(model, FineTunePlan(("conv_a", "bn", "conv_b"), 1, "bn", 1e-4, 1)) == ["conv_b"]
    assert trainable_map(model) == {"conv_a": False, "bn": False, "conv_b": True, "flatten": True, "head": True}


def test_an_imported_frozen_layer_stays_a_catalog_node_with_its_switch_off() -> None:
    import json

    import keras

    from visualnn.core.shapes import infer_shapes
    from visualnn.services.importing import graph_from_config
    from visualnn.services.keras_builder import build_model

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="frozen", trainable=False),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2, name="head")])
    result = graph_from_config(json.loads(model.to_json()))
    nodes = {n.label: n for n in result.graph}
    assert result.generic == [] and nodes["frozen"].type == "Dense"
    assert nodes["frozen"].params["trainable"] is False and "trainable" not in nodes["head"].params
    report = infer_shapes(result.graph)
    rebuilt = build_model(result.graph)
    theirs = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert report.non_trainable_params == theirs == sum(int(w.numpy().size) for w in rebuilt.non_trainable_weights)
