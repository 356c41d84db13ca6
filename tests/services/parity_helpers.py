"""Reusable checks that VisualNN's shape inference and parameter counts agree with Keras.

Use ``assert_matches_keras(graph)`` from any TensorFlow-marked test (templates, examples,
generated graphs); ``compare_with_keras(graph)`` returns the mismatches instead of raising.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import ParamCount, Registry, default_registry, fmt_shape


def keras_facts(layer: Any) -> tuple[tuple[int | None, ...], ParamCount]:
    """A built Keras layer's output shape and (trainable, non-trainable) weight counts."""
    import math

    shape = tuple(None if d is None else int(d) for d in layer.output.shape)
    trainable = sum(math.prod(int(d) for d in w.shape) for w in layer.trainable_weights)
    frozen = sum(math.prod(int(d) for d in w.shape) for w in layer.non_trainable_weights)
    return shape, ParamCount(trainable, frozen)


def compare_with_keras(graph: Graph, registry: Registry | None = None) -> list[str]:
    """Build ``graph`` with Keras and list every node whose inferred shape or count differs.

    Raises when inference reports errors (the graph is expected to be valid) or Keras refuses it.
    """
    import keras

    from visualnn.services.keras_builder import build_model

    registry = registry or default_registry()
    report = infer_shapes(graph, registry)
    assert not report.errors, f"inference reported errors for a graph expected valid: {report.errors}"
    keras.backend.clear_session()
    model = build_model(graph, registry)
    problems = []
    for nid, node in graph.nodes.items():
        if node.type == "Input":
            continue
        info = report.nodes[nid]
        shape, count = keras_facts(model.get_layer(node.label))
        if info.output != shape:
            problems.append(f"{node.label} ({node.type} {node.params}): shape {fmt_shape(info.output)} != Keras {fmt_shape(shape)}")
        if info.params != count:
            problems.append(f"{node.label} ({node.type} {node.params}): params {info.params} != Keras {count}")
    keras_total = model.count_params()
    if report.total_params != keras_total:
        problems.append(f"model total params {report.total_params} != Keras {keras_total}")
    return problems


def assert_matches_keras(graph: Graph, registry: Registry | None = None) -> None:
    """Fail with every mismatch between VisualNN's inference and the model Keras builds."""
    problems = compare_with_keras(graph, registry)
    assert not problems, "\n".join(problems)


def single_layer_graph(
    layer_type: str,
    input_shapes: Sequence[Sequence[int | None]],
    params: dict[str, Any] | None = None,
    input_dtype: str = "float32",
) -> Graph:
    """A functional graph: one Input per shape, each wired to port i of one ``layer_type`` node."""
    graph = Graph(FUNCTIONAL)
    for i, shape in enumerate(input_shapes):
        graph.add_node(Node(f"input_{i + 1}", "Input", {"shape": list(shape), "dtype": input_dtype}))
    graph.add_node(Node("layer_1", layer_type, dict(params or {})))
    for i in range(len(input_shapes)):
        graph.connect(Edge.of(f"input_{i + 1}", "layer_1", dst_port=i))
    return graph


def chain_graph(input_shape: Sequence[int | None], layers: Sequence[tuple[str, dict[str, Any]]], mode: str = FUNCTIONAL) -> Graph:
    """Input -> layers[0] -> layers[1] ... as a graph in ``mode``."""
    graph = Graph(mode)
    graph.add_node(Node("input_1", "Input", {"shape": list(input_shape)}))
    prev = "input_1"
    for i, (layer_type, params) in enumerate(layers):
        nid = f"n{i + 1}_{layer_type.lower()}"
        graph.add_node(Node(nid, layer_type, dict(params)))
        graph.connect(Edge.of(prev, nid))
        prev = nid
    return graph
