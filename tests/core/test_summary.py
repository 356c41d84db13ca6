"""The summary rows (core): what `visualnn summary` prints and the Summary dock shows."""

from __future__ import annotations

import json

from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.shapes import infer_shapes
from visualnn.core.summary import SummaryRow, summary_rows


def _merge_graph() -> Graph:
    g = Graph()
    g.add_node(Node("b", "Input", {"shape": [3]}))  # document order differs from port order on purpose
    g.add_node(Node("a", "Input", {"shape": [2]}))
    g.add_node(Node("cat", "Concatenate", {}, name="joined"))
    g.add_node(Node("out", "Dense", {"units": 4}))
    g.connect(Edge.of("b", "cat", dst_port=1))
    g.connect(Edge.of("a", "cat", dst_port=0))
    g.connect(Edge.of("cat", "out"))
    return g


def test_rows_follow_topological_order_with_inputs_by_port() -> None:
    graph = _merge_graph()
    rows = summary_rows(graph, infer_shapes(graph))
    assert [r.id for r in rows] == ["b", "a", "cat", "out"]
    joined = rows[2]
    assert joined.name == "joined" and joined.connected_to == ("a", "b")  # port 0 first
    assert joined.output_shape == (None, 5) and joined.params == 0
    dense = rows[3]
    assert (dense.params, dense.trainable, dense.non_trainable) == (24, 24, 0)
    assert dense.connected_to == ("joined",) and dense.error is None


def test_json_row_keeps_the_cli_format() -> None:
    graph = _merge_graph()
    row = summary_rows(graph, infer_shapes(graph))[3]
    assert json.loads(json.dumps(row.to_dict())) == {
        "id": "out", "name": "out", "type": "Dense", "output_shape": [None, 4], "params": 24, "trainable": 24,
        "non_trainable": 0, "connected_to": ["joined"], "error": None,
    }


def test_unknown_shapes_and_errors_are_none_and_named() -> None:
    g = Graph()
    g.add_node(Node("d", "Dense", {"units": 2}))  # no input: shape unknown, an error
    rows = summary_rows(g, infer_shapes(g))
    assert rows == [SummaryRow("d", "d", "Dense", None, None, None, None, (), rows[0].error)]
    assert rows[0].error
