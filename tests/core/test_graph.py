"""The graph document: JSON round trip, signals, cycle refusal, chains and mode conversion rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.core.commands import CommandError, SetMode
from visualnn.core.graph import FUNCTIONAL, MISSING, SEQUENTIAL, Edge, Graph, GraphError, Node
from visualnn.core.project import Project


def chain(n: int = 3, mode: str = SEQUENTIAL) -> Graph:
    """Input followed by ``n - 1`` Dense layers in a line."""
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    prev = "input_1"
    for i in range(1, n):
        nid = g.new_id("Dense")
        g.add_node(Node(nid, "Dense", {"units": i}, (0, 100.0 * i)))
        g.connect(Edge.of(prev, nid))
        prev = nid
    return g


def test_round_trip_keeps_order_names_and_ports() -> None:
    g = chain(4, FUNCTIONAL)
    g.rename("dense_2", "hidden")
    g.add_node(Node("concatenate_1", "Concatenate", {"axis": -1}, (12.345, 7)), index=1)
    g.connect(Edge.of("dense_1", "concatenate_1", dst_port=1))
    g.connect(Edge.of("input_1", "concatenate_1", dst_port=0))
    data = g.to_dict()
    again = Graph.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert list(again.nodes)[:2] == ["input_1", "concatenate_1"]
    assert again.nodes["dense_2"].label == "hidden" and data["nodes"][1]["pos"] == [12.35, 7.0]
    assert [e.src.node for e in again.in_edges("concatenate_1")] == ["input_1", "dense_1"]
    assert "name" not in data["nodes"][0]
    assert g.copy().to_dict() == data


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=20), st.integers(1, 10))
def test_round_trip_random_dags(pairs: list[tuple[int, int]], n: int) -> None:
    g = Graph(FUNCTIONAL)
    for i in range(n):
        g.add_node(Node(f"n{i}", "Dense", {"units": i + 1, "shape": [i, None]}, (i, -i)))
    for a, b in pairs:
        if a < n and b < n and g.check_connect(Edge.of(f"n{a}", f"n{b}", dst_port=a)) is None:
            g.connect(Edge.of(f"n{a}", f"n{b}", dst_port=a))
    assert Graph.from_dict(json.loads(json.dumps(g.to_dict()))).to_dict() == g.to_dict()
    assert not g.has_cycle()
    order = g.topological_order()
    assert all(order.index(e.src.node) < order.index(e.dst.node) for e in g.edges)


def test_signals_fire_for_every_mutation() -> None:
    g = chain(2)
    seen: list[tuple[str, Any]] = []
    g.node_added.connect(lambda n: seen.append(("added", n.id)))
    g.node_removed.connect(lambda n: seen.append(("removed", n.id)))
    g.edge_added.connect(lambda e: seen.append(("edge+", e.dst.node)))
    g.edge_removed.connect(lambda e: seen.append(("edge-", e.dst.node)))
    g.param_changed.connect(lambda nid, name, value: seen.append(("param", (nid, name, value))))
    g.node_renamed.connect(lambda nid, name: seen.append(("renamed", name)))
    g.node_moved.connect(lambda nid, pos: seen.append(("moved", pos)))
    g.mode_changed.connect(lambda mode: seen.append(("mode", mode)))
    changes: list[int] = []
    g.changed.connect(lambda: changes.append(1))
    g.add_node(Node("dense_9", "Dense"))
    g.connect(Edge.of("dense_1", "dense_9"))
    g.set_param("dense_9", "units", 7)
    g.set_param("dense_9", "units", MISSING)
    g.rename("dense_9", "out")
    g.move("dense_9", (1, 2))
    g.set_mode(FUNCTIONAL)
    g.disconnect(Edge.of("dense_1", "dense_9"))
    g.remove_node("dense_9")
    assert [k for k, _ in seen] == ["added", "edge+", "param", "param", "renamed", "moved", "mode", "edge-", "removed"]
    assert ("param", ("dense_9", "units", 7)) in seen and ("moved", (1.0, 2.0)) in seen
    assert len(changes) == 8  # every structural change; a move does not re-infer shapes


def test_refusals() -> None:
    g = chain(3, FUNCTIONAL)
    with pytest.raises(GraphError, match="would create a cycle"):
        g.connect(Edge.of("dense_2", "input_1"))
    with pytest.raises(GraphError, match="to itself"):
        g.connect(Edge.of("dense_1", "dense_1"))
    with pytest.raises(GraphError, match="already connected"):
        g.connect(Edge.of("input_1", "dense_1"))
    with pytest.raises(GraphError, match="no node 'ghost'"):
        g.connect(Edge.of("ghost", "dense_1"))
    with pytest.raises(GraphError, match="still has edges"):
        g.remove_node("dense_1")
    with pytest.raises(GraphError, match="already exists"):
        g.add_node(Node("dense_1", "Dense"))
    with pytest.raises(GraphError, match="mode must be one of"):
        Graph("tree")
    with pytest.raises(GraphError, match="Duplicate node id"):
        Graph.from_dict({"nodes": [{"id": "a", "type": "Dense"}, {"id": "a", "type": "Dense"}]})
    assert g.reaches("input_1", "dense_2") and not g.reaches("dense_2", "input_1")


def test_chain_order_and_new_ids() -> None:
    g = chain(3)
    assert g.chain_order() == ["input_1", "dense_1", "dense_2"]
    assert Graph().chain_order() == []
    g.add_node(Node("dense_3", "Dense"))
    assert g.chain_order() is None  # a separate part
    g.connect(Edge.of("dense_1", "dense_3"))
    assert g.chain_order() is None  # a branch
    assert g.new_id("Dense") == "dense_4" and g.new_id("Conv2D") == "conv2d_1"
    assert g.new_id("GlobalAveragePooling2D") == "global_average_pooling2d_1" and g.new_id("SimpleRNN") == "simple_rnn_1"
    assert g.sources() == ["input_1"] and g.sinks() == ["dense_2", "dense_3"]


def test_mode_conversion_rules() -> None:
    p = Project(chain(3, SEQUENTIAL))
    SetMode(FUNCTIONAL).redo(p)  # sequential -> functional is always possible
    assert p.graph.mode == FUNCTIONAL
    SetMode(SEQUENTIAL).redo(p)  # back again: the graph is a chain from an Input
    assert p.graph.mode == SEQUENTIAL

    branched = Project(chain(3, FUNCTIONAL))
    branched.graph.add_node(Node("dense_9", "Dense"))
    branched.graph.connect(Edge.of("dense_1", "dense_9"))
    with pytest.raises(CommandError, match="single chain of layers"):
        SetMode(SEQUENTIAL).redo(branched)
    assert branched.graph.mode == FUNCTIONAL

    headless = Graph(FUNCTIONAL)
    headless.add_node(Node("dense_1", "Dense"))
    with pytest.raises(CommandError, match=r"must start with an Input; dense_1 \(Dense\) comes first"):
        SetMode(SEQUENTIAL).redo(Project(headless))


def _loop() -> Graph:
    """input_1 -> dense_1 -> dense_2 -> dense_3 -> dense_1, as a saved file can hold it (connect refuses it)."""
    return Graph.from_dict({
        "nodes": [{"id": n, "type": "Dense"} for n in ("input_1", "dense_1", "dense_2", "dense_3")],
        "edges": [
            {"from": ["input_1", 0], "to": ["dense_1", 0]},
            {"from": ["dense_1", 0], "to": ["dense_2", 0]},
            {"from": ["dense_2", 0], "to": ["dense_3", 0]},
            {"from": ["dense_3", 0], "to": ["dense_1", 0]},
        ],
    })


def test_back_edges_name_the_edge_that_closes_each_cycle() -> None:
    assert chain(4).back_edges() == []
    g = _loop()
    assert g.back_edges() == [Edge.of("dense_3", "dense_1")]
    g.disconnect(Edge.of("dense_3", "dense_1"))
    assert g.back_edges() == [] and not g.has_cycle()
    # A cycle with no way in and a self-loop are found too; removing the back edges leaves no cycle.
    g = Graph.from_dict({
        "nodes": [{"id": n, "type": "Dense"} for n in ("a", "b", "c")],
        "edges": [{"from": ["a", 0], "to": ["b", 0]}, {"from": ["b", 0], "to": ["a", 0]}, {"from": ["c", 0], "to": ["c", 0]}],
    })
    back = g.back_edges()
    assert back == [Edge.of("b", "a"), Edge.of("c", "c")]
    for e in back:
        g.disconnect(e)
    assert not g.has_cycle()


def test_restoring_an_edge_skips_only_the_cycle_check() -> None:
    g = _loop()
    back = Edge.of("dense_3", "dense_1")
    index = g.disconnect(back)
    with pytest.raises(GraphError, match="cycle"):
        g.connect(back, index)
    g.connect(back, index, restoring=True)
    assert g.edges[index] == back
    with pytest.raises(GraphError, match="already connected"):
        g.connect(back, restoring=True)
    with pytest.raises(GraphError, match="no node"):
        g.connect(Edge.of("dense_3", "gone"), restoring=True)
