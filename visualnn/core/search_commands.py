"""Undoable edits for hyperparameter search: change the search, apply a trial's values to the project.

:class:`ApplySearchValues` writes one assignment (``{"dense_1.units": 64, "training.learning_rate": 0.003,
"dropout_1.@optional": False}``) into the canvas and the training settings as ONE undo step: layer parameters
through ``SetParam`` (checked against the layer's spec), training fields through one ``SetTraining`` (checked
against the settings table), a skipped optional layer removed with its input wired to its consumers, a repeated
layer followed by copies of itself. :func:`materialize` applies the same edits to a copy, which is what a
search trial trains, so "Apply this trial" gives exactly the model the trial trained.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from visualnn.core.command_base import Command, CommandError
from visualnn.core.commands import AddNode, Connect, Disconnect, RemoveNodes, SetParam, SetTraining, fresh_id
from visualnn.core.graph import Edge, Node, PortRef
from visualnn.core.project import Project
from visualnn.core.search_settings import SearchConfig
from visualnn.core.search_space import OPTIONAL_PARAM, REPEAT_PARAM, TRAINING, SearchSpaceError, split_target
from visualnn.core.specs import Registry
from visualnn.core.training_settings import FIELD_BY_NAME

Step = Callable[[Project], list[Command]]
REPEAT_SPACING = 140.0  # canvas distance between a repeated layer's copies


class SetSearch(Command):
    """Replace the project's search (space and settings); consecutive edits merge like the training form's."""

    def __init__(self, search: SearchConfig) -> None:
        self.search = search
        self.text = "Change search"
        self._old: SearchConfig | None = None

    def redo(self, project: Project) -> None:
        """Set the search."""
        self._old = project.search
        project.set_search(self.search)

    def undo(self, project: Project) -> None:
        """Restore the former search."""
        assert self._old is not None
        project.set_search(self._old)

    def merge_id(self) -> object | None:
        """Form edits of the search settings merge into one step."""
        return "SetSearch"

    def merge(self, other: Command) -> bool:
        """Keep the first old search, take the latest new one."""
        if not isinstance(other, SetSearch):
            return False
        self.search = other.search
        return True


class ApplySearchValues(Command):
    """Write a trial's parameter values into the project (see the module docstring); one undo step.

    Everything is checked before the first edit; an edit that fails part-way (a value a layer refuses) rolls
    the done part back and raises :class:`CommandError` naming the parameter.
    """

    def __init__(self, values: Mapping[str, Any], registry: Registry | None = None, label: str = "") -> None:
        self.values = copy.deepcopy(dict(values))
        self.registry = registry
        self.text = f"Apply {label}" if label else "Apply search values"
        self._done: list[Command] = []

    def redo(self, project: Project) -> None:
        """Apply parameters, then training settings, then repeats, then skipped layers."""
        plan = self._plan(project)
        self._done = []
        try:
            for step in plan:  # each step is planned against the graph the steps before it left
                for cmd in step(project):
                    cmd.redo(project)
                    self._done.append(cmd)
        except CommandError as exc:
            self.undo(project)
            raise CommandError(f"Cannot apply the search values: {exc}") from None

    def undo(self, project: Project) -> None:
        """Undo every edit in reverse order."""
        for cmd in reversed(self._done):
            cmd.undo(project)
        self._done = []

    def _plan(self, project: Project) -> list[Step]:
        graph = project.graph
        params: list[Command] = []
        training: dict[str, Any] = {}
        repeats: list[tuple[str, int]] = []
        skipped: list[str] = []
        for target, value in self.values.items():
            try:
                scope, name = split_target(target)
            except SearchSpaceError as exc:
                raise CommandError(str(exc)) from None
            if scope == TRAINING:
                field = FIELD_BY_NAME.get(name)
                if field is None:
                    raise CommandError(f"{target}: there is no training setting {name!r}.")
                problem = field.problem(value, target)
                if problem:
                    raise CommandError(problem)
                training[name] = value
                continue
            if scope not in graph.nodes:
                raise CommandError(f"{target}: there is no layer {scope!r} in the model.")
            if name == OPTIONAL_PARAM:
                if not isinstance(value, bool):
                    raise CommandError(f"{target}: must be true (present) or false (skipped); received {value!r}.")
                if not value:
                    skipped.append(scope)
            elif name == REPEAT_PARAM:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise CommandError(f"{target}: a repeat count must be a whole number >= 1; received {value!r}.")
                repeats.append((scope, value))
            else:
                params.append(SetParam(scope, name, value, self.registry))
        plan: list[Step] = [lambda p, c=cmd: [c] for cmd in params]  # type: ignore[misc]
        if training:
            plan.append(lambda p: [SetTraining(p.training.with_changes(**training))])
        reg = self.registry
        for node_id, count in repeats:
            if node_id not in skipped and count > 1:
                plan.append(lambda p, n=node_id, c=count: _repeat(p, n, c, reg))  # type: ignore[misc]
        for node_id in skipped:
            plan.append(lambda p, n=node_id: _skip(p, n, reg))  # type: ignore[misc]
        return plan


def _single_link(project: Project, node_id: str, what: str) -> tuple[Edge, list[Edge]]:
    graph = project.graph
    ins, outs = graph.in_edges(node_id), graph.out_edges(node_id)
    if len(ins) != 1 or not outs:
        raise CommandError(f"{node_id}.{what}: only a layer with one input connection and at least one consumer "
                           f"can be {'skipped' if what == OPTIONAL_PARAM else 'repeated'}; {node_id} has "
                           f"{len(ins)} input(s) and {len(outs)} consumer(s).")
    return ins[0], outs


def _skip(project: Project, node_id: str, registry: Registry | None) -> list[Command]:
    """Remove ``node_id`` and wire its input to each of its consumers."""
    incoming, outgoing = _single_link(project, node_id, OPTIONAL_PARAM)
    cmds: list[Command] = [RemoveNodes([node_id])]
    cmds += [Connect(Edge(incoming.src, e.dst), registry) for e in outgoing]
    return cmds


def _repeat(project: Project, node_id: str, count: int, registry: Registry | None) -> list[Command]:
    """Insert ``count - 1`` copies of ``node_id`` after it, chained, the last one feeding its consumers."""
    _, outgoing = _single_link(project, node_id, REPEAT_PARAM)
    graph = project.graph
    node = graph.nodes[node_id]
    index = graph.index_of(node_id)
    cmds: list[Command] = [Disconnect(e) for e in outgoing]
    taken: set[str] = set()
    previous = node_id
    for i in range(1, count):
        new_id = fresh_id(graph, node.type, taken)
        taken.add(new_id)
        copy_node = Node(new_id, node.type, copy.deepcopy(node.params),
                         (node.pos[0] + REPEAT_SPACING * i / 4, node.pos[1] + REPEAT_SPACING * i / 4))
        cmds.append(AddNode(copy_node, index + i))
        cmds.append(Connect(Edge.of(previous, new_id), registry))
        previous = new_id
    cmds += [Connect(Edge(PortRef(previous, 0), e.dst), registry) for e in outgoing]
    return cmds


def apply_values(values: Mapping[str, Any], label: str = "", registry: Registry | None = None) -> ApplySearchValues:
    """The command that writes ``values`` (target -> value) into a project (push it on the undo stack)."""
    return ApplySearchValues(values, registry, label)


def materialize(project: Project, values: Mapping[str, Any], registry: Registry | None = None) -> Project:
    """A copy of ``project`` with ``values`` applied (what a trial trains); ``project`` is untouched.

    Raises :class:`CommandError` naming the parameter when a value cannot be applied.
    """
    clone = Project(project.graph.copy(), project.name, project.dataset, project.training, [], project.path,
                    project.search)
    ApplySearchValues(values, registry).redo(clone)
    return clone


__all__ = ["ApplySearchValues", "SetSearch", "apply_values", "materialize"]
