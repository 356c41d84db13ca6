"""ProjectDocument: push/undo/redo through QUndoStack, merging, refusal, dirty flag, save/load."""

from __future__ import annotations

from typing import Any

from visualnn.core.commands import Command, CommandError
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.ui.document import ProjectDocument


class _SetUnits(Command):
    """A tiny local command so these tests do not depend on the concrete command set."""

    def __init__(self, node_id: str, value: Any) -> None:
        self.node_id, self.value = node_id, value
        self.old: Any = None
        self.text = "Set units"

    def redo(self, project: Project) -> None:
        if self.value < 1:
            raise CommandError(f"Dense units must be >= 1; received {self.value}.")
        self.old = project.graph.node(self.node_id).params.get("units")
        project.graph.set_param(self.node_id, "units", self.value)

    def undo(self, project: Project) -> None:
        project.graph.set_param(self.node_id, "units", self.old)

    def merge_id(self) -> object | None:
        return ("units", self.node_id)

    def merge(self, other: Command) -> bool:
        assert isinstance(other, _SetUnits)
        self.value = other.value
        return True


def _project() -> Project:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [8]}))
    g.add_node(Node("dense_1", "Dense", {"units": 4}))
    g.connect(Edge.of("input_1", "dense_1"))
    return Project(g, name="tiny")


def test_push_undo_redo_and_derived_state(qtbot: Any) -> None:
    doc = ProjectDocument(_project())
    assert doc.shapes.total_params == 8 * 4 + 4
    with qtbot.waitSignal(doc.graph_changed):
        assert doc.push(_SetUnits("dense_1", 10))
    assert doc.shapes.output("dense_1") == (None, 10)
    assert doc.is_dirty
    doc.undo_stack.undo()
    assert doc.shapes.output("dense_1") == (None, 4)
    assert not doc.is_dirty
    doc.undo_stack.redo()
    assert doc.graph.node("dense_1").params["units"] == 10


def test_merge_makes_one_step_and_failure_is_not_pushed(qtbot: Any) -> None:
    doc = ProjectDocument(_project())
    doc.push(_SetUnits("dense_1", 5))
    doc.push(_SetUnits("dense_1", 6))
    doc.push(_SetUnits("dense_1", 7))
    assert doc.undo_stack.count() == 1
    with qtbot.waitSignal(doc.command_failed) as blocker:
        assert not doc.push(_SetUnits("dense_1", 0))
    assert "received 0" in blocker.args[0]
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.graph.node("dense_1").params["units"] == 4


def test_save_load_round_trip(qtbot: Any, tmp_path: Any) -> None:
    doc = ProjectDocument(_project())
    doc.push(_SetUnits("dense_1", 9))
    dirty: list[bool] = []
    doc.dirty_changed.connect(dirty.append)
    path = str(tmp_path / "m.vnn")
    doc.save(path)
    assert not doc.is_dirty and dirty[-1] is False
    other = ProjectDocument()
    with qtbot.waitSignal(other.project_replaced):
        other.load(path)
    assert other.graph.to_dict() == doc.graph.to_dict()
    assert other.path == path and not other.is_dirty
