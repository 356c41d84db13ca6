"""The Sequential rule: one home (core.sequential), every reader agrees with it, refusals name the layer."""

from __future__ import annotations

import pytest

from visualnn.core.codegen import CodegenError, generate_model_code
from visualnn.core.commands import CommandError, SetMode
from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.sequential import SequentialProblem, sequential_problem
from visualnn.core.validation import SEQUENTIAL_MODE, validate


def _graph(nodes: list[tuple[str, str]], edges: list[tuple[str, str, int]], mode: str = FUNCTIONAL) -> Graph:
    g = Graph(mode)
    for nid, type_id in nodes:
        params = {"shape": [4]} if type_id == "Input" else {"units": 3} if type_id == "Dense" else {}
        g.add_node(Node(nid, type_id, params))
    for src, dst, port in edges:
        g.connect(Edge.of(src, dst, dst_port=port))
    return g


CHAIN = _graph([("input_1", "Input"), ("dense_1", "Dense"), ("dense_2", "Dense")],
               [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0)])
BRANCH = _graph([("input_1", "Input"), ("dense_1", "Dense"), ("dense_2", "Dense"), ("dense_3", "Dense")],
                [("input_1", "dense_1", 0), ("dense_1", "dense_2", 0), ("dense_1", "dense_3", 0)])
MERGE = _graph([("input_1", "Input"), ("dense_1", "Dense"), ("dense_2", "Dense"), ("add_1", "Add")],
               [("input_1", "dense_1", 0), ("input_1", "dense_2", 0), ("dense_1", "add_1", 0),
                ("dense_2", "add_1", 1)])
PARTS = _graph([("input_1", "Input"), ("dense_1", "Dense"), ("input_2", "Input"), ("dense_2", "Dense")],
               [("input_1", "dense_1", 0), ("input_2", "dense_2", 0)])
HEADLESS = _graph([("dense_1", "Dense"), ("dense_2", "Dense")], [("dense_1", "dense_2", 0)])

CASES = {
    "branch": (BRANCH, "dense_1", "dense_1 branches into 2 layers"),
    "merge": (MERGE, "input_1", "input_1 branches into 2 layers"),
    "parts": (PARTS, "input_2", "input_2 is not connected to the chain that starts at input_1"),
    "headless": (HEADLESS, "dense_1", "must start with an Input; dense_1 (Dense) comes first"),
}


def test_a_chain_from_an_input_and_the_empty_graph_are_sequential() -> None:
    assert sequential_problem(CHAIN) is None
    assert sequential_problem(Graph()) is None


@pytest.mark.parametrize("case", list(CASES))
def test_each_refusal_names_the_layer_at_fault(case: str) -> None:
    graph, node_id, words = CASES[case]
    problem = sequential_problem(graph)
    assert isinstance(problem, SequentialProblem)
    assert problem.node_id == node_id and words in problem.reason
    assert problem.kind == ("input" if case == "headless" else "chain")
    assert problem.message == f"{problem.reason} {problem.fix}" and problem.fix


def test_a_merge_below_a_single_branch_is_named_where_it_merges() -> None:
    g = _graph([("input_1", "Input"), ("dense_1", "Dense"), ("add_1", "Add")],
               [("input_1", "dense_1", 0), ("dense_1", "add_1", 0), ("input_1", "add_1", 1)])
    problem = sequential_problem(g)
    assert problem is not None and problem.node_id == "input_1"  # the branch comes first in the chain order
    merge_only = _graph([("input_1", "Input"), ("input_2", "Input"), ("add_1", "Add")],
                        [("input_1", "add_1", 0), ("input_2", "add_1", 1)])
    found = sequential_problem(merge_only)
    assert found is not None and found.node_id == "add_1" and "add_1 merges 2 inputs" in found.reason


@pytest.mark.parametrize("case", [None, *CASES])
def test_switching_mode_validation_and_codegen_read_the_same_rule(case: str | None) -> None:
    graph = CHAIN if case is None else CASES[case][0]
    problem = sequential_problem(graph)
    project = Project(graph.copy())
    # Switching to sequential mode: refused with the rule's own words.
    if problem is None:
        SetMode(SEQUENTIAL).redo(project)
        assert project.graph.mode == SEQUENTIAL
    else:
        with pytest.raises(CommandError) as refused:
            SetMode(SEQUENTIAL).redo(project)
        assert str(refused.value) == problem.message
    # Validation in sequential mode: one issue on the named layer, with the rule's reason and fix.
    seq = graph.copy()
    seq.set_mode(SEQUENTIAL)
    issues = [i for i in validate(seq) if i.code == SEQUENTIAL_MODE]
    if problem is None:
        assert issues == []
    else:
        assert [(i.message, i.node_id, i.fix) for i in issues] == [(problem.reason, problem.node_id, problem.fix)]
    # The Sequential code style: written, or refused naming the same layer.
    if problem is None:
        assert "keras.Sequential(" in generate_model_code(Project(graph.copy()), "sequential")
    elif case != "headless":  # a graph without an Input cannot be written in any style
        with pytest.raises(CodegenError, match="The sequential style cannot write this model") as no_code:
            generate_model_code(Project(graph.copy()), "sequential")
        assert problem.reason in str(no_code.value) and "functional or subclass style" in str(no_code.value)
