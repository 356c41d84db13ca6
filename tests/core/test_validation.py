"""Validation: every kind of diagnostic, tied to the right node, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Graph
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import LayerSpec, Registry, default_registry
from visualnn.core.validation import (
    BAD_EDGE,
    BAD_PARAM,
    CYCLE,
    DANGLING,
    DUPLICATE_NAME,
    EMPTY,
    EXTRA_OUTPUT,
    MERGE_SHAPES,
    MISSING_INPUT,
    NO_OUTPUT,
    SEQUENTIAL_MODE,
    SHAPE,
    TOO_MANY_EDGES,
    UNCONNECTED_INPUT,
    UNKNOWN_PARAM,
    UNKNOWN_TYPE,
    UNUSED_INPUT,
    Issue,
    errors,
    validate,
)

REG = default_registry()


def codes(issues: list[Issue]) -> list[tuple[str, str | None]]:
    """(code, node) pairs for compact assertions."""
    return [(i.code, i.node_id) for i in issues]


def graph(mode: str, nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str, int]]) -> Graph:
    """Build a graph without any checks (validation must catch what commands would refuse)."""
    return Graph.from_dict(
        {
            "mode": mode,
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "edges": [{"from": [a, 0], "to": [b, port]} for a, b, port in edges],
        }
    )


MLP = [("input_1", "Input", {"shape": [4]}), ("dense_1", "Dense", {"units": 8}), ("dense_2", "Dense", {"units": 3})]


def test_valid_chain_has_no_issues() -> None:
    g = graph(SEQUENTIAL, MLP, [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0)])
    assert validate(Project(g), REG) == []


def test_empty_and_missing_input() -> None:
    assert codes(validate(Graph(), REG)) == [(EMPTY, None)]
    g = graph(FUNCTIONAL, [("dense_1", "Dense", {})], [])
    found = codes(validate(g, REG))
    assert (MISSING_INPUT, None) in found and (UNCONNECTED_INPUT, "dense_1") in found


def test_only_input_has_no_output() -> None:
    g = graph(FUNCTIONAL, [("input_1", "Input", {"shape": [3]})], [])
    assert codes(validate(g, REG)) == [(NO_OUTPUT, "input_1")]


def test_cycle_reported_per_node() -> None:
    g = graph(
        FUNCTIONAL,
        [*MLP, ("dense_3", "Dense", {})],
        [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_2", "dense_3", 0), ("dense_3", "dense_2", 0)],
    )
    found = codes(validate(g, REG))
    assert (CYCLE, "dense_2") in found and (CYCLE, "dense_3") in found
    assert (TOO_MANY_EDGES, "dense_2") in found


def test_unknown_type_and_params() -> None:
    g = graph(
        SEQUENTIAL,
        [("input_1", "Input", {"shape": [4]}), ("x_1", "FancyLayer", {"k": 1}), ("dense_1", "Dense", {"units": 0, "colour": "red"})],
        [("input_1", "x_1", 0), ("x_1", "dense_1", 0)],
    )
    issues = validate(g, REG)
    found = codes(issues)
    assert (UNKNOWN_TYPE, "x_1") in found
    assert (BAD_PARAM, "dense_1") in found and (UNKNOWN_PARAM, "dense_1") in found
    bad = next(i for i in issues if i.code == BAD_PARAM)
    assert bad.message == "dense_1 units must be in [1, inf); received 0." and bad.fix
    assert next(i for i in issues if i.code == UNKNOWN_PARAM).severity == "warning"


def test_too_many_edges_and_bad_edges() -> None:
    g = graph(
        FUNCTIONAL,
        [*MLP, ("input_2", "Input", {"shape": [4]})],
        [("input_1", "dense_1", 0), ("input_2", "dense_1", 0), ("dense_1", "dense_2", 1), ("dense_1", "ghost", 0)],
    )
    issues = validate(g, REG)
    found = codes(issues)
    assert found.count((TOO_MANY_EDGES, "dense_1")) == 1
    assert (TOO_MANY_EDGES, "dense_2") in found and (UNCONNECTED_INPUT, "dense_2") in found
    assert any(i.code == BAD_EDGE and i.edge is not None for i in issues)


def test_dangling_and_unused_inputs_and_extra_outputs() -> None:
    g = graph(
        FUNCTIONAL,
        [*MLP, ("input_2", "Input", {"shape": [2]}), ("dense_3", "Dense", {}), ("dense_4", "Dense", {})],
        [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_1", "dense_3", 0)],
    )
    found = codes(validate(g, REG))
    assert (UNUSED_INPUT, "input_2") in found
    assert (UNCONNECTED_INPUT, "dense_4") in found
    assert (EXTRA_OUTPUT, "dense_2") in found
    # A node below an unconnected one is reported once (on the first), not again as dangling.
    h = graph(FUNCTIONAL, [*MLP, ("dense_3", "Dense", {}), ("dense_4", "Dense", {})],
              [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_3", "dense_4", 0)])
    assert (DANGLING, "dense_4") not in codes(validate(h, REG))
    # A merge fed only by non-Input parts is dangling.
    k = graph(FUNCTIONAL, [*MLP, ("dense_3", "Dense", {}), ("add_1", "Add", {})],
              [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_3", "add_1", 0), ("dense_3", "add_1", 1)])
    found = codes(validate(k, REG))
    assert (UNCONNECTED_INPUT, "dense_3") in found


def test_sequential_violations() -> None:
    g = graph(SEQUENTIAL, [*MLP, ("dense_3", "Dense", {})],
              [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_1", "dense_3", 0)])
    assert (SEQUENTIAL_MODE, "dense_1") in codes(validate(g, REG))  # the layer that branches
    assert SEQUENTIAL_MODE not in [c for c, _ in codes(validate(graph(FUNCTIONAL, *_split(g)), REG))]


def _split(g: Graph) -> tuple[list[tuple[str, str, dict[str, Any]]], list[tuple[str, str, int]]]:
    return ([(n.id, n.type, n.params) for n in g], [(e.src.node, e.dst.node, e.dst.port) for e in g.edges])


def test_duplicate_names() -> None:
    g = graph(SEQUENTIAL, MLP, [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0)])
    g.nodes["dense_2"].name = "dense_1"
    issues = validate(g, REG)
    assert codes(issues) == [(DUPLICATE_NAME, "dense_2")]
    assert "Keras needs unique names" in issues[0].message


def test_merge_shapes_and_shape_errors() -> None:
    g = graph(
        FUNCTIONAL,
        [*MLP, ("add_1", "Add", {})],
        [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_1", "add_1", 0), ("dense_2", "add_1", 1)],
    )
    issues = validate(g, REG)
    assert codes(issues) == [(MERGE_SHAPES, "add_1")]
    assert issues[0].message.startswith("add_1:") and "(None, 8)" in issues[0].fix  # type: ignore[operator]
    h = graph(SEQUENTIAL, [("input_1", "Input", {"shape": []}), ("dense_1", "Dense", {})], [("input_1", "dense_1", 0)])
    found = validate(h, REG)
    assert [i.code for i in found] == [SHAPE] and found[0].node_id == "input_1"


def test_shapes_argument_is_used_and_never_raises() -> None:
    g = graph(SEQUENTIAL, MLP, [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0)])
    report = infer_shapes(g, REG)
    assert validate(g, REG, report) == []

    class Broken(Registry):
        def get(self, type_id: str) -> LayerSpec | None:
            raise RuntimeError("boom")

    issues = validate(g, Broken())
    assert len(issues) == 1 and issues[0].code == "internal" and "boom" in issues[0].message
    assert errors(issues) == issues
    assert issues[0].to_dict()["severity"] == "error"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_never_raises_on_random_graphs(data: st.DataObject) -> None:
    types = sorted(s.type for s in REG) + ["Unknown"]
    n = data.draw(st.integers(0, 8))
    nodes = [(f"n{i}", data.draw(st.sampled_from(types)), {}) for i in range(n)]
    edges = data.draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 3)), max_size=12))
    g = graph(data.draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL])), nodes,
              [(f"n{a}", f"n{b}", port) for a, b, port in edges if a < n])
    issues = validate(g, REG)
    assert all(isinstance(i, Issue) and i.code != "internal" for i in issues)
    assert all(i.node_id is None or i.node_id in g.nodes for i in issues)
