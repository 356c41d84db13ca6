"""The builder: graph -> Keras model, and the messages when it cannot build one."""

from __future__ import annotations

import dataclasses

import pytest

from tests.services.parity_helpers import chain_graph, single_layer_graph
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.specs import Registry, default_registry

pytestmark = pytest.mark.tf


def test_sequential_and_functional_models() -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    seq = build_model(chain_graph((8,), [("Dense", {"units": 4})], mode=SEQUENTIAL))
    assert isinstance(seq, keras.Sequential) and seq.output_shape == (None, 4)
    fun = build_model(single_layer_graph("Concatenate", [(3,), (5,)]))
    assert not isinstance(fun, keras.Sequential) and fun.output_shape == (None, 8)
    assert [layer.name for layer in fun.layers] == ["input_1", "input_2", "layer_1"]


def test_a_branching_sequential_graph_is_refused_with_the_core_rule() -> None:
    from visualnn.core.sequential import sequential_problem
    from visualnn.services.keras_builder import BuildError, build_model

    graph = chain_graph((8,), [("Dense", {"units": 4}), ("Dense", {"units": 2})], mode=SEQUENTIAL)
    first = (graph.chain_order() or [])[1]
    graph.add_node(Node("extra", "Dense", {"units": 3}))
    graph.connect(Edge.of(first, "extra"))
    problem = sequential_problem(graph)
    assert problem is not None and problem.node_id == first
    with pytest.raises(BuildError) as refused:
        build_model(graph)
    assert str(refused.value) == problem.message


def test_named_ports_pass_query_value_key() -> None:
    from visualnn.services.keras_builder import build_model

    model = build_model(single_layer_graph("MultiHeadAttention", [(6, 8), (5, 4), (5, 2)], {"num_heads": 1}))
    mha = model.get_layer("layer_1")
    # The key projection was built from the third input (2 features), the value from the second (4).
    assert mha._key_dense.kernel.shape[0] == 2 and mha._value_dense.kernel.shape[0] == 4


def test_bidirectional_builds_the_nested_layer() -> None:
    from visualnn.services.keras_builder import build_model

    model = build_model(single_layer_graph("Bidirectional", [(10, 4)], {"layer": "GRU", "units": 3}))
    layer = model.get_layer("layer_1")
    assert type(layer.forward_layer).__name__ == "GRU" and layer.forward_layer.units == 3


def test_inference_errors_stop_the_build_with_the_node_name() -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    graph = chain_graph((784,), [("Conv2D", {})])
    with pytest.raises(BuildError, match=r"n1_conv2d: Conv2D needs an input of rank 4"):
        build_model(graph)


def test_sequential_model_must_start_with_an_input() -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    graph = Graph(SEQUENTIAL)
    graph.add_node(Node("a", "Input", {"shape": [4]}))
    graph.add_node(Node("b", "Dense", {}))
    graph.add_node(Node("c", "Dense", {}))
    graph.connect(Edge.of("a", "b"))
    graph.connect(Edge.of("a", "c"))
    with pytest.raises(BuildError, match="single chain"):
        build_model(graph)


def test_keras_refusing_a_setting_names_the_node() -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    # Only spec checks guard this value; the builder must still report Keras's refusal by node name.
    graph = chain_graph((8,), [("Dense", {"units": 4, "activation": "no_such_activation"})])
    with pytest.raises(BuildError, match=r"n1_dense: Keras refused the settings of Dense"):
        build_model(graph)


def test_keras_refusing_an_input_names_the_node() -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    # A deliberately wrong spec that lets Conv2D accept a vector: Keras refuses at the call.
    registry = Registry()
    for spec in default_registry():
        if spec.type == "Conv2D":
            spec = dataclasses.replace(spec, infer=lambda params, inputs: inputs[0])
        registry.register(spec)
    for mode in ("functional", SEQUENTIAL):
        graph = chain_graph((8,), [("Conv2D", {})], mode=mode)
        with pytest.raises(BuildError, match=r"n1_conv2d: Keras could not apply Conv2D to its input"):
            build_model(graph, registry)


def test_one_input_with_several_outputs_takes_named_parts_without_a_structure_warning() -> None:
    """Keras warned "The structure of `inputs` doesn't match the expected structure" on every batch of a
    multi-output model fed {Input name: x} (the multi_output template, a series with several targets)."""
    import warnings

    import numpy as np

    from tests.services.series_helpers import series_graph
    from visualnn.services.keras_builder import build_model

    model = build_model(series_graph(outputs=("temp", "hum")))
    model.compile("sgd", ["mse", "mse"])
    x, y = np.ones((4, 8, 3), "float32"), np.ones((4, 1), "float32")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="The structure")
        model.fit({"window": x}, {"temp": y, "hum": y}, epochs=1, verbose=0)
        model.predict({"window": x}, verbose=0)
        model.predict(x, verbose=0)  # a bare array still goes in
