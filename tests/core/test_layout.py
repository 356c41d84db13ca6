"""Layered auto-layout: downward edges, no overlaps, few crossings, cycles tolerated."""

from __future__ import annotations

import random

from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.layout import (
    NODE_HEIGHT,
    NODE_WIDTH,
    assign_layers,
    auto_layout,
    count_crossings,
    layered_positions,
)


def _no_overlap(pos: dict[str, tuple[float, float]]) -> bool:
    items = list(pos.values())
    for i, (x1, y1) in enumerate(items):
        for x2, y2 in items[i + 1 :]:
            if abs(x1 - x2) < NODE_WIDTH and abs(y1 - y2) < NODE_HEIGHT:
                return False
    return True


def test_chain_is_one_vertical_column() -> None:
    g = Graph()
    for i in range(5):
        g.add_node(Node(f"n{i}", "Dense"))
    for i in range(4):
        g.connect(Edge.of(f"n{i}", f"n{i + 1}"))
    pos = auto_layout(g)
    assert len({x for x, _ in pos.values()}) == 1
    ys = [pos[f"n{i}"][1] for i in range(5)]
    assert ys == sorted(ys) and len(set(ys)) == 5


def test_edges_point_down_and_nodes_do_not_overlap() -> None:
    rng = random.Random(3)
    nodes = [f"n{i}" for i in range(60)]
    edges = [(nodes[i], nodes[j]) for j in range(1, 60) for i in rng.sample(range(j), k=min(j, 2))]
    pos = layered_positions(nodes, edges)
    assert set(pos) == set(nodes)
    assert all(pos[a][1] < pos[b][1] for a, b in edges)
    assert _no_overlap(pos)


def test_crossings_are_removed_from_a_twisted_graph() -> None:
    # a->d, b->c written in an order whose naive placement crosses.
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "d"), ("b", "c")]
    pos = layered_positions(nodes, edges)
    layers = [sorted(["a", "b"], key=lambda n: pos[n][0]), sorted(["c", "d"], key=lambda n: pos[n][0])]
    assert count_crossings(layers, {"a": ["d"], "b": ["c"]}) == 0


def test_long_edges_do_not_push_nodes_into_each_other() -> None:
    nodes = ["in", "a", "b", "c", "add"]
    edges = [("in", "a"), ("a", "b"), ("b", "c"), ("c", "add"), ("in", "add")]
    pos = layered_positions(nodes, edges)
    assert assign_layers(nodes, edges)["add"] == 4
    assert _no_overlap(pos)


def test_cycle_is_tolerated() -> None:
    layers = assign_layers(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert set(layers) == {"a", "b", "c"}
    assert layered_positions(["a", "b"], [("a", "b"), ("b", "a")])
    assert layered_positions([], []) == {}
