"""A straight chain of layers (Input -> l1 -> l2 ...), the graph most core tests start from."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import Edge, Graph, Node


def chain(shape: list[int | None], *layers: tuple[str, dict[str, Any]]) -> Graph:
    """Input -> layers, node ids l1, l2, ..."""
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": shape}))
    prev = "in"
    for i, (kind, params) in enumerate(layers, 1):
        g.add_node(Node(f"l{i}", kind, params))
        g.connect(Edge.of(prev, f"l{i}"))
        prev = f"l{i}"
    return g
