"""Generated model code equals the builder's model on random valid graphs (every layer kind, merges)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.random_graphs import draw_branch_merge, draw_chain
from visualnn.core.codegen import generate_model_code
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.specs import default_registry

pytestmark = pytest.mark.tf


def unnamed(value: Any) -> Any:
    """A config without auto-generated names (``forward_lstm_3``), random seeds or the built batch size."""
    if isinstance(value, dict):
        return {k: unnamed(v) for k, v in value.items() if k not in ("name", "build_config", "seed")}
    if isinstance(value, (list, tuple)):
        return [unnamed(v) for v in value]
    return value


def configs(model: Any) -> list[tuple[str, str, Any]]:
    out = []
    for layer in model.layers:
        if layer.__class__.__name__ != "InputLayer":
            out.append((layer.name, layer.__class__.__name__, unnamed(layer.get_config())))
    return sorted(out, key=lambda t: t[0])


def check(graph: Graph) -> None:
    from visualnn.services.keras_builder import build_model

    reference = build_model(graph)
    project = Project(graph, name="random")
    for style in ("functional", "subclass"):
        namespace: dict[str, Any] = {}
        exec(compile(generate_model_code(project, style), f"<{style}>", "exec"), namespace)  # noqa: S102
        model = namespace["build_model"]()
        assert model.count_params() == reference.count_params(), style
        assert configs(model) == configs(reference), style


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_chains(data: st.DataObject) -> None:
    check(draw_chain(data.draw, default_registry()))


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_branch_merges(data: st.DataObject) -> None:
    check(draw_branch_merge(data.draw, default_registry()))


def test_bidirectional_and_generic_layers() -> None:
    from visualnn.core.specs.builtin.generic import config_text

    graph = Graph()
    graph.add_node(Node("input_1", "Input", {"shape": [10, 4]}))
    graph.add_node(Node("bidirectional_1", "Bidirectional", {}))
    relu6 = {"module": "keras.layers", "class_name": "ReLU", "config": {"max_value": 6.0, "name": "r"}}
    graph.add_node(Node("relu6", "KerasLayer", {"config": config_text(relu6), "output_shape": [10, 64]}))
    graph.connect(Edge.of("input_1", "bidirectional_1"))
    graph.connect(Edge.of("bidirectional_1", "relu6"))
    check(graph)
