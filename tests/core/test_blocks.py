"""Blocks: make-block from a selection (one undoable command), shape inference through a block, the
project and block-file round trips, and the messages for a broken block."""

from __future__ import annotations

import copy
import json

import pytest

from visualnn.core.blocks import (
    InBlock,
    block_file_text,
    blocks_from_file_dict,
    import_blocks_command,
    make_block,
)
from visualnn.core.command_base import CommandError, UndoStack
from visualnn.core.commands import SetParam
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, load_project, project_from_dict, save_project
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import ParamCount
from visualnn.core.validation import validate


def residual_project() -> Project:
    """in(8,8,3) -> stem Conv 16 -> [c1 Conv 16 -> c2 Conv 16 -> add(stem, c2)] -> flat -> out Dense 10."""
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": [8, 8, 3]}, (0, 0)))
    g.add_node(Node("stem", "Conv2D", {"filters": 16, "kernel_size": [3, 3], "padding": "same"}, (0, 100)))
    g.add_node(Node("c1", "Conv2D", {"filters": 16, "kernel_size": [3, 3], "padding": "same", "activation": "relu"},
                    (0, 200)))
    g.add_node(Node("c2", "Conv2D", {"filters": 16, "kernel_size": [3, 3], "padding": "same"}, (0, 300)))
    g.add_node(Node("add", "Add", {}, (0, 400)))
    g.add_node(Node("flat", "Flatten", {}, (0, 500)))
    g.add_node(Node("out", "Dense", {"units": 10, "activation": "softmax"}, (0, 600)))
    for a, b in [("in", "stem"), ("stem", "c1"), ("c1", "c2"), ("add", "flat"), ("flat", "out")]:
        g.connect(Edge.of(a, b))
    g.connect(Edge.of("stem", "add", dst_port=0))
    g.connect(Edge.of("c2", "add", dst_port=1))
    return Project(g)


def test_make_block_replaces_the_selection_by_one_node_and_undo_restores_the_document_exactly() -> None:
    project = residual_project()
    before = copy.deepcopy(project.to_dict())
    total_before = infer_shapes(project.graph).total_params
    stack = UndoStack(project)
    stack.push(make_block(project, ["c1", "c2", "add"], "residual"))
    graph = project.graph
    assert [n.type for n in graph] == ["Input", "Conv2D", "Block", "Flatten", "Dense"]
    block_node = next(n for n in graph if n.type == "Block")
    assert block_node.params == {"block": "residual"}
    assert graph.predecessors(block_node.id) == ["stem"]
    assert graph.successors(block_node.id) == ["flat"]
    inner = graph.blocks["residual"].graph
    assert sorted(n.type for n in inner) == ["Add", "Conv2D", "Conv2D", "Input"]
    # The stem's tensor feeds both c1 and the Add: one block Input reads it for both.
    inp = next(n.id for n in inner if n.type == "Input")
    assert sorted(e.dst.node for e in inner.out_edges(inp)) == ["add", "c1"]
    report = infer_shapes(graph)
    assert report.errors == {}
    assert report.output(block_node.id) == (None, 8, 8, 16)
    assert report.nodes[block_node.id].params == ParamCount(2 * (3 * 3 * 16 * 16 + 16), 0)
    assert report.total_params == total_before
    assert stack.undo()
    assert project.to_dict() == before
    assert stack.redo()
    assert "residual" in project.graph.blocks


def test_make_block_refuses_a_selection_with_two_outputs_an_input_or_a_gap() -> None:
    project = residual_project()
    with pytest.raises(CommandError, match="one output.*stem, c1|one output.*c1, stem"):
        make_block(project, ["stem", "c1"], "two_out")
    with pytest.raises(CommandError, match="model's Input"):
        make_block(project, ["in", "stem"], "with_input")
    with pytest.raises(CommandError, match=r"one output, but 2 .*\(c1, add\)"):
        make_block(project, ["c1", "add"], "gap")  # a gap (c2) always means a second way out
    with pytest.raises(CommandError, match="Select the layers"):
        make_block(project, [], "empty")
    with pytest.raises(CommandError, match="must start with a letter"):
        make_block(project, ["c1", "c2", "add"], "2 blocks")
    before = project.to_dict()
    assert project.to_dict() == before  # a refusal never touches the document


def test_a_block_used_twice_infers_each_call_and_a_shared_one_counts_its_weights_once() -> None:
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    graph = project.graph
    first = next(n for n in graph if n.type == "Block")
    graph.disconnect(Edge.of(first.id, "flat"))
    graph.add_node(Node("again", "Block", {"block": "residual"}))
    graph.connect(Edge.of(first.id, "again"))
    graph.connect(Edge.of("again", "flat"))
    one_block = 2 * (3 * 3 * 16 * 16 + 16)
    report = infer_shapes(graph)
    assert report.nodes["again"].params == ParamCount(one_block, 0)
    graph.set_param(first.id, "shared", True)
    graph.set_param("again", "shared", True)
    report = infer_shapes(graph)
    assert report.nodes[first.id].params == ParamCount(one_block, 0)
    assert report.nodes["again"].params == ParamCount(0, 0)


def test_errors_inside_a_block_name_the_block_and_the_inner_layer() -> None:
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    graph = project.graph
    node = next(n for n in graph if n.type == "Block")
    # Fed the 3-channel Input instead of the 16-channel stem, the Add inside meets 3 and 16 channels.
    graph.disconnect(Edge.of("stem", node.id))
    graph.connect(Edge.of("in", node.id))
    msg = infer_shapes(graph).error(node.id)
    assert msg is not None and msg.startswith("Inside block 'residual', add: ")
    graph.set_param(node.id, "block", "nope")
    assert "Block 'nope' is not defined in this project (blocks: residual)" in (infer_shapes(graph).error(node.id) or "")
    graph.set_param(node.id, "block", "residual")
    graph.blocks["residual"].graph.nodes["c1"].params["filters"] = -3  # as a hand-edited file may hold it
    issues = [i.message for i in validate(project)]
    assert any(m.startswith(f"Inside block 'residual' ({node.label}): c1 filters must be in") for m in issues)


def test_editing_inside_a_block_is_undoable_and_reinfers_the_main_graph() -> None:
    project = residual_project()
    stack = UndoStack(project)
    stack.push(make_block(project, ["c1", "c2", "add"], "residual"))
    node = next(n for n in project.graph if n.type == "Block")
    before = project.to_dict()
    changes: list[str] = []
    project.graph.block_changed.connect(changes.append)
    stack.push(InBlock("residual", SetParam("c1", "kernel_size", [1, 1])))
    assert changes == ["residual"]
    assert infer_shapes(project.graph).nodes[node.id].params == ParamCount((16 * 16 + 16) + (9 * 16 * 16 + 16), 0)
    stack.undo()
    assert project.to_dict() == before


def test_project_round_trip_keeps_blocks_and_old_files_load(tmp_path) -> None:
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    path = tmp_path / "p.vnn"
    save_project(project, path)
    data = json.loads(path.read_text())
    assert [b["name"] for b in data["graph"]["blocks"]] == ["residual"]
    loaded = load_project(path)
    assert loaded.graph.to_dict() == project.graph.to_dict()
    assert infer_shapes(loaded.graph).total_params == infer_shapes(project.graph).total_params
    old = residual_project().to_dict()
    assert "blocks" not in old["graph"]  # files without blocks are written as before
    assert project_from_dict(old).graph.blocks == {}


def test_a_broken_block_in_a_file_is_refused_naming_the_block() -> None:
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    data = project.to_dict()
    broken = copy.deepcopy(data)
    inner = broken["graph"]["blocks"][0]["graph"]
    inner["nodes"] = [n for n in inner["nodes"] if n["type"] != "Input"]
    inner["edges"] = [e for e in inner["edges"] if e["from"][0] in {n["id"] for n in inner["nodes"]}]
    with pytest.raises(ProjectFileError, match=r"graph.blocks\[0\]: block 'residual' has no Input layer"):
        project_from_dict(broken, "p.vnn")
    bad_edge = copy.deepcopy(data)
    bad_edge["graph"]["blocks"][0]["graph"]["edges"][0]["to"] = ["ghost", 0]
    with pytest.raises(ProjectFileError, match=r"graph.blocks\[0\].graph.edges\[0\].to: refers to the missing node"):
        project_from_dict(bad_edge, "p.vnn")
    bad_name = copy.deepcopy(data)
    bad_name["graph"]["blocks"][0]["name"] = "my block"
    with pytest.raises(ProjectFileError, match=r"graph.blocks\[0\].name: The block name 'my block'"):
        project_from_dict(bad_name, "p.vnn")


def test_block_file_round_trip_into_another_project() -> None:
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    text = block_file_text(project.graph, "residual")
    name, blocks = blocks_from_file_dict(json.loads(text), "residual.vnnblock")
    assert name == "residual" and [b.name for b in blocks] == ["residual"]
    other = Project()
    stack = UndoStack(other)
    stack.push(import_blocks_command(other, blocks))
    assert other.graph.blocks["residual"].graph.to_dict() == project.graph.blocks["residual"].graph.to_dict()
    with pytest.raises(CommandError, match="already has these blocks"):
        import_blocks_command(other, blocks)
    stack.undo()
    assert other.graph.blocks == {}
    with pytest.raises(ValueError, match="x.vnnblock: not a VisualNN block file"):
        blocks_from_file_dict({"format": "visualnn-project"}, "x.vnnblock")
    data = json.loads(text)
    data["blocks"][0]["graph"]["edges"] = [e for e in data["blocks"][0]["graph"]["edges"] if e["from"][0] != "c1"]
    with pytest.raises(ValueError, match=r"blocks\[0\]: block 'residual' must have exactly one output layer"):
        blocks_from_file_dict(data, "x.vnnblock")


def test_a_block_inside_a_block_infers_exports_with_its_dependency_and_sequential_mode_keeps_a_chain() -> None:
    from visualnn.core.blocks import closure
    from visualnn.core.sequential import sequential_problem

    project = residual_project()
    stack = UndoStack(project)
    stack.push(make_block(project, ["c1", "c2", "add"], "residual"))
    inner_node = next(n.id for n in project.graph if n.type == "Block")
    total = infer_shapes(project.graph).total_params
    stack.push(make_block(project, ["stem", inner_node], "stage"))
    graph = project.graph
    assert [n.type for n in graph] == ["Input", "Block", "Flatten", "Dense"]
    assert [n.type for n in graph.blocks["stage"].graph] == ["Input", "Conv2D", "Block"]
    assert infer_shapes(graph).errors == {} and infer_shapes(graph).total_params == total
    assert closure("stage", dict(graph.blocks)) == ["residual", "stage"]
    data = json.loads(block_file_text(graph, "stage"))
    assert [b["name"] for b in data["blocks"]] == ["residual", "stage"]
    assert sequential_problem(graph) is None  # a chain of layers and blocks can be a keras.Sequential
