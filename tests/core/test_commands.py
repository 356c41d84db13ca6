"""Undoable commands: each edit validates first, and undo restores the project dict exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualnn.core.commands import (
    AddNode,
    CommandError,
    Connect,
    Disconnect,
    InsertBetween,
    Macro,
    MoveNodes,
    Paste,
    RemoveNodes,
    Rename,
    SetDataset,
    SetMode,
    SetParam,
    SetProjectName,
    SetTraining,
    UndoStack,
    check_edge,
    fragment,
    free_input_port,
    fresh_id,
)
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.specs import default_registry
from visualnn.core.training_config import TrainingConfig

REG = default_registry()  # the catalog has the variadic merge layers (Add, Concatenate, ...)


def dump(project: Project) -> str:
    """Exact text form: key order and list order both count."""
    return json.dumps(project.to_dict())


def chain_project(mode: str = SEQUENTIAL) -> Project:
    """Input -> Dense -> Dropout -> Dense."""
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": [8]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 16, "activation": "relu"}, (0, 80)))
    g.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (0, 160)))
    g.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 240)))
    for a, b in [("input_1", "dense_1"), ("dense_1", "dropout_1"), ("dropout_1", "dense_2")]:
        g.connect(Edge.of(a, b))
    return Project(g, name="chain")


def test_add_and_undo() -> None:
    p = chain_project()
    before = dump(p)
    stack = UndoStack(p)
    stack.push(AddNode(Node("flatten_1", "Flatten"), index=1))
    assert list(p.graph.nodes)[1] == "flatten_1"
    stack.undo()
    assert dump(p) == before
    stack.redo()
    assert "flatten_1" in p.graph.nodes


def test_add_refuses_duplicate_id_and_name() -> None:
    p = chain_project()
    with pytest.raises(CommandError, match="already exists"):
        AddNode(Node("dense_1", "Dense")).redo(p)
    with pytest.raises(CommandError, match="already named 'dense_2'"):
        AddNode(Node("dense_9", "Dense", name="dense_2")).redo(p)


def test_remove_restores_document_order() -> None:
    p = chain_project()
    before = dump(p)
    cmd = RemoveNodes(["dropout_1", "dense_1"])
    cmd.redo(p)
    assert list(p.graph.nodes) == ["input_1", "dense_2"]
    assert p.graph.edges == []
    cmd.undo(p)
    assert dump(p) == before


def test_remove_unknown_leaves_project_untouched() -> None:
    p = chain_project()
    before = dump(p)
    with pytest.raises(CommandError, match="no layer 'nope'"):
        RemoveNodes(["dense_1", "nope"]).redo(p)
    assert dump(p) == before


def test_connect_refuses_cycles_ports_and_occupied() -> None:
    p = chain_project(FUNCTIONAL)
    with pytest.raises(CommandError, match="cycle"):
        Connect(Edge.of("dense_2", "dense_1"), REG).redo(p)
    with pytest.raises(CommandError, match="has 1 input port"):
        Connect(Edge.of("input_1", "dense_2", dst_port=1), REG).redo(p)
    with pytest.raises(CommandError, match="already connected to dropout_1"):
        Connect(Edge.of("input_1", "dense_2"), REG).redo(p)
    with pytest.raises(CommandError, match="takes no incoming"):
        p.graph.add_node(Node("input_2", "Input", {"shape": [3]}))
        Connect(Edge.of("dense_2", "input_2"), REG).redo(p)
    with pytest.raises(CommandError, match="single output"):
        Connect(Edge.of("input_2", "dense_1", src_port=1), REG).redo(p)


def test_connect_variadic_any_port() -> None:
    p = chain_project(FUNCTIONAL)
    p.graph.add_node(Node("add_1", "Add"))
    stack = UndoStack(p)
    stack.push(Connect(Edge.of("dense_1", "add_1", dst_port=0), REG))
    stack.push(Connect(Edge.of("dense_2", "add_1", dst_port=free_input_port(p.graph, "add_1")), REG))
    stack.push(Connect(Edge.of("dropout_1", "add_1", dst_port=7), REG))
    assert sorted(e.dst.port for e in p.graph.in_edges("add_1")) == [0, 1, 7]
    assert check_edge(p.graph, Edge.of("input_1", "add_1", dst_port=7), REG) is not None


def test_disconnect_restores_index() -> None:
    p = chain_project()
    before = dump(p)
    cmd = Disconnect(Edge.of("dense_1", "dropout_1"))
    cmd.redo(p)
    cmd.undo(p)
    assert dump(p) == before
    with pytest.raises(CommandError, match="no connection"):
        Disconnect(Edge.of("input_1", "dense_2")).redo(p)


def test_set_param_validates_and_merges() -> None:
    p = chain_project()
    before = dump(p)
    stack = UndoStack(p)
    with pytest.raises(CommandError, match=r"dropout_1 rate must be in \[0, 1\); received 1.2"):
        stack.push(SetParam("dropout_1", "rate", 1.2, REG))
    with pytest.raises(CommandError, match="has no parameter 'nope'"):
        stack.push(SetParam("dense_1", "nope", 1, REG))
    assert dump(p) == before
    for units in (17, 18, 19):
        stack.push(SetParam("dense_1", "units", units, REG))
    stack.push(SetParam("dense_1", "use_bias", False, REG))  # a new param, appended
    assert p.graph.nodes["dense_1"].params["units"] == 19
    assert stack.undo() and stack.undo()
    assert dump(p) == before
    assert not stack.can_undo
    stack.redo()
    assert p.graph.nodes["dense_1"].params["units"] == 19


def test_rename_refuses_duplicates_and_clears() -> None:
    p = chain_project()
    stack = UndoStack(p)
    with pytest.raises(CommandError, match="already named 'dense_2'"):
        stack.push(Rename("dense_1", "dense_2"))
    with pytest.raises(CommandError, match="contains '/'.*Use 'a_b' instead"):
        stack.push(Rename("dense_1", "a/b"))
    stack.push(Rename("dense_1", "hidden"))
    assert p.graph.nodes["dense_1"].label == "hidden"
    stack.push(Rename("dense_1", ""))
    assert p.graph.nodes["dense_1"].name is None
    stack.undo()
    stack.undo()
    assert "name" not in p.graph.nodes["dense_1"].to_dict()


def test_move_merges_drags() -> None:
    p = chain_project()
    stack = UndoStack(p)
    stack.push(MoveNodes({"dense_1": (5, 5)}))
    stack.push(MoveNodes({"dense_1": (9, 9)}))
    assert p.graph.nodes["dense_1"].pos == (9.0, 9.0)
    stack.undo()
    assert p.graph.nodes["dense_1"].pos == (0.0, 80.0)


def test_insert_between() -> None:
    p = chain_project()
    before = dump(p)
    cmd = InsertBetween(Edge.of("dense_1", "dropout_1"), Node("activation_1", "Activation"), REG)
    cmd.redo(p)
    assert p.graph.chain_order() == ["input_1", "dense_1", "activation_1", "dropout_1", "dense_2"]
    assert list(p.graph.nodes).index("activation_1") == 2
    cmd.undo(p)
    assert dump(p) == before
    bad = InsertBetween(Edge.of("dense_1", "dropout_1"), Node("input_9", "Input"), REG)
    with pytest.raises(CommandError, match="takes no incoming"):
        bad.redo(p)
    assert dump(p) == before


def test_paste_fresh_ids_names_and_internal_edges() -> None:
    p = chain_project()
    p.graph.rename("dense_1", "hidden")
    frag = fragment(p.graph, ["dense_1", "dropout_1", "dense_2"])
    before = dump(p)
    cmd = Paste(frag, (100, 0))
    cmd.redo(p)
    new = cmd.new_ids
    assert len(new) == 3 and not set(new) & {"dense_1", "dropout_1", "dense_2"}
    labels = [n.label for n in p.graph]
    assert len(labels) == len(set(labels))
    assert p.graph.nodes[new[0]].name == "hidden_2"
    assert p.graph.nodes[new[0]].pos == (100.0, 80.0)
    assert [(e.src.node, e.dst.node) for e in p.graph.edges[-2:]] == [(new[0], new[1]), (new[1], new[2])]
    cmd.undo(p)
    assert dump(p) == before
    cmd.redo(p)
    assert cmd.new_ids == new
    with pytest.raises(CommandError, match="clipboard"):
        Paste({"nodes": [{"type": "Dense"}]}).redo(p)


def test_set_mode_rules() -> None:
    p = chain_project(FUNCTIONAL)
    stack = UndoStack(p)
    stack.push(SetMode(SEQUENTIAL, REG))
    assert p.graph.mode == SEQUENTIAL
    stack.push(SetMode(FUNCTIONAL, REG))
    p.graph.add_node(Node("dense_3", "Dense"))
    p.graph.connect(Edge.of("dense_1", "dense_3"))
    with pytest.raises(CommandError, match="single chain"):
        SetMode(SEQUENTIAL, REG).redo(p)
    q = Project(Graph(FUNCTIONAL))
    q.graph.add_node(Node("dense_1", "Dense"))
    q.graph.add_node(Node("dense_2", "Dense"))
    q.graph.connect(Edge.of("dense_1", "dense_2"))
    with pytest.raises(CommandError, match="must start with an Input"):
        SetMode(SEQUENTIAL, REG).redo(q)
    with pytest.raises(CommandError, match="one of"):
        SetMode("graph", REG).redo(q)


def test_dataset_training_name_and_macro() -> None:
    p = chain_project()
    before = dump(p)
    events: list[object] = []
    p.dataset_changed.connect(events.append)
    stack = UndoStack(p)
    stack.push(SetDataset(DatasetSpec("csv", "data/iris.csv", {"target": "species"})))
    stack.push(SetTraining(TrainingConfig(epochs=3)))
    stack.push(SetTraining(TrainingConfig(epochs=4)))
    stack.push(SetProjectName("iris"))
    stack.push(Macro("Add two", [AddNode(Node("dense_9", "Dense")), Connect(Edge.of("dense_2", "dense_9"), REG)]))
    assert p.training.epochs == 4 and p.dataset is not None and len(events) == 1
    with pytest.raises(CommandError):
        stack.push(Macro("Bad", [AddNode(Node("dense_10", "Dense")), Connect(Edge.of("dense_10", "dense_10"), REG)]))
    assert "dense_10" not in p.graph.nodes
    while stack.undo():
        pass
    assert dump(p) == before


# --------------------------------------------------------------- property test
TYPES = ["Input", "Dense", "Dropout", "Activation", "Flatten", "Add"]


def _random_project(data: st.DataObject) -> Project:
    mode = data.draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL]))
    g = Graph(mode)
    for i in range(data.draw(st.integers(0, 7))):
        t = data.draw(st.sampled_from(TYPES))
        g.add_node(Node(g.new_id(t), t, {"units": i + 1} if t == "Dense" else {}, (0, 40.0 * i)))
    ids = list(g.nodes)
    for _ in range(data.draw(st.integers(0, 8))):
        if len(ids) < 2:
            break
        a, b = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        e = Edge.of(a, b, dst_port=free_input_port(g, b))
        if check_edge(g, e, REG) is None:
            g.connect(e)
    return Project(g)


def _random_command(data: st.DataObject, p: Project) -> Any:
    g = p.graph
    ids = list(g.nodes) or ["ghost"]
    kind = data.draw(
        st.sampled_from(["add", "remove", "connect", "disconnect", "param", "rename", "move", "insert", "paste", "mode", "data", "train", "macro"])
    )
    pick = lambda: data.draw(st.sampled_from(ids))  # noqa: E731
    if kind == "add":
        t = data.draw(st.sampled_from(TYPES))
        return AddNode(Node(g.new_id(t), t), index=data.draw(st.none() | st.integers(0, 8)))
    if kind == "remove":
        return RemoveNodes(data.draw(st.lists(st.sampled_from(ids), max_size=3)))
    if kind == "connect":
        b = pick()
        port = data.draw(st.sampled_from([0, 1, free_input_port(g, b) if b in g.nodes else 0]))
        return Connect(Edge.of(pick(), b, dst_port=port), REG)
    if kind == "disconnect":
        if g.edges and data.draw(st.booleans()):
            return Disconnect(data.draw(st.sampled_from(g.edges)))
        return Disconnect(Edge.of(pick(), pick()))
    if kind == "param":
        name, value = data.draw(st.sampled_from([("units", 5), ("units", 0), ("rate", 0.3), ("rate", 2.0), ("activation", "tanh"), ("shape", [4, 2])]))
        return SetParam(pick(), name, value, REG)
    if kind == "rename":
        return Rename(pick(), data.draw(st.sampled_from([None, "", "a", "b", "dense_1"])))
    if kind == "move":
        return MoveNodes({pick(): (data.draw(st.integers(-50, 50)), 3.5)})
    if kind == "insert":
        edge = data.draw(st.sampled_from(g.edges)) if g.edges else Edge.of(pick(), pick())
        t = data.draw(st.sampled_from(TYPES))
        return InsertBetween(edge, Node(g.new_id(t), t), REG)
    if kind == "paste":
        return Paste(fragment(g, data.draw(st.lists(st.sampled_from(ids), max_size=4))), (10, 10))
    if kind == "mode":
        return SetMode(data.draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL])), REG)
    if kind == "data":
        return SetDataset(data.draw(st.sampled_from([None, DatasetSpec("csv", "x.csv")])))
    if kind == "train":
        return SetTraining(TrainingConfig(epochs=data.draw(st.integers(1, 5))))
    return Macro("m", [_random_command(data, p) for _ in range(data.draw(st.integers(0, 2)))])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_commands_undo_redo_exactly(data: st.DataObject) -> None:
    project = _random_project(data)
    original = dump(project)
    stack = UndoStack(project)
    for _ in range(data.draw(st.integers(0, 15))):
        cmd = _random_command(data, project)
        before = dump(project)
        try:
            stack.push(cmd)
        except CommandError:
            assert dump(project) == before  # a refused edit changes nothing
    final = dump(project)
    while stack.undo():
        pass
    assert dump(project) == original
    while stack.redo():
        pass
    assert dump(project) == final


def test_values_are_stored_as_json() -> None:
    p = chain_project()
    SetParam("input_1", "shape", (4, 2), REG).redo(p)
    assert p.graph.nodes["input_1"].params["shape"] == [4, 2]
    AddNode(Node("conv_1", "Conv2D", {"kernel_size": (3, 3)})).redo(p)
    assert p.graph.nodes["conv_1"].params["kernel_size"] == [3, 3]
    with pytest.raises(CommandError, match="plain JSON data"):
        SetParam("dense_1", "units", float("nan"), REG).redo(p)
    with pytest.raises(CommandError, match="plain JSON data"):
        AddNode(Node("dense_7", "Dense", {"units": object()})).redo(p)


def test_fresh_id_avoids_names() -> None:
    p = chain_project()
    p.graph.rename("dense_1", "dense_3")
    assert fresh_id(p.graph, "Dense") == "dense_4"
    with pytest.raises(CommandError, match="already named 'dense_3'"):
        AddNode(Node("dense_3", "Dense")).redo(p)


def test_undo_restores_the_edges_of_a_cycle_read_from_a_file() -> None:
    from visualnn.core.commands import Disconnect, RemoveNodes

    graph = Graph.from_dict({
        "nodes": [{"id": "input_1", "type": "Input", "params": {"shape": [4]}}]
        + [{"id": n, "type": "Dense", "params": {"units": 2}} for n in ("dense_1", "dense_2", "dense_3")],
        "edges": [
            {"from": ["input_1", 0], "to": ["dense_1", 0]},
            {"from": ["dense_1", 0], "to": ["dense_2", 0]},
            {"from": ["dense_2", 0], "to": ["dense_3", 0]},
            {"from": ["dense_3", 0], "to": ["dense_1", 0]},
        ],
    })
    project = Project(graph)
    before = project.to_dict()
    for cmd in (Disconnect(Edge.of("dense_3", "dense_1")), RemoveNodes(["dense_2"])):
        stack = UndoStack(project)
        stack.push(cmd)
        assert project.to_dict() != before
        stack.undo()
        assert project.to_dict() == before
