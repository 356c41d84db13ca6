"""Undoable edits. Every change to a project goes through a Command (see ARCHITECTURE.md §3.2).

Each command checks everything it needs *before* touching the project and raises
:class:`CommandError` with a message for the user; ``redo`` then ``undo`` restores
``project.to_dict()`` exactly, document order of nodes and edges included. The base class,
the pure undo stack and :class:`Macro` live in ``command_base`` and are re-exported here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from visualnn.core.command_base import Command, CommandError, Macro, UndoStack
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import (
    FUNCTIONAL,
    MISSING,
    MODES,
    SEQUENTIAL,
    Edge,
    Graph,
    GraphError,
    Node,
    PortRef,
    clamp_position,
)
from visualnn.core.model_io import input_names, is_multi_io, output_names
from visualnn.core.names import layer_name_problem
from visualnn.core.project import Project
from visualnn.core.sequential import sequential_problem
from visualnn.core.specs import Registry, default_registry
from visualnn.core.training_config import TrainingConfig


# ----------------------------------------------------------------------- helpers
def _reg(registry: Registry | None) -> Registry:
    # `registry or default` would be wrong: an empty Registry is falsy (it has __len__).
    return default_registry() if registry is None else registry


def _node(graph: Graph, node_id: str) -> Node:
    if node_id not in graph.nodes:
        raise CommandError(f"There is no layer {node_id!r} in the model.")
    return graph.nodes[node_id]


def _check_json(value: Any, what: str) -> None:
    _as_json(value, what)


def _as_json(value: Any, what: str) -> Any:
    """``value`` as plain JSON data (tuples become lists, as they will be in the saved file)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise CommandError(f"{what} must be plain JSON data (numbers, text, lists); received {value!r}.") from None


def check_name(graph: Graph, name: str, node_id: str | None = None) -> str | None:
    """Why ``name`` cannot be the display name of ``node_id`` (None when it can)."""
    others = {other.label for other in graph if other.id != node_id}
    problem = layer_name_problem(name, others)
    if problem:
        return problem
    if name in others:
        return f"Another layer is already named {name!r}; layer names must be unique."
    return None


def fresh_id(graph: Graph, type_id: str, taken: set[str] | None = None) -> str:
    """A new node id for ``type_id`` that clashes with no id and no display name (``dense_3``)."""
    used = set(taken or ()) | set(graph.nodes) | {n.label for n in graph}
    base = Graph().new_id(type_id).rsplit("_", 1)[0]
    n = 1
    while f"{base}_{n}" in used:
        n += 1
    return f"{base}_{n}"


def free_input_port(graph: Graph, node_id: str) -> int:
    """The lowest input port of ``node_id`` with no edge into it (used to append to merge layers)."""
    taken = {e.dst.port for e in graph.edges if e.dst.node == node_id}
    port = 0
    while port in taken:
        port += 1
    return port


def check_edge(graph: Graph, edge: Edge, registry: Registry) -> str | None:
    """Why ``edge`` may not be added (structure, ports, occupancy), or ``None`` when it may."""
    problem = graph.check_connect(edge)
    if problem:
        return problem
    src, dst = graph.nodes[edge.src.node], graph.nodes[edge.dst.node]
    if edge.src.port != 0:
        return f"{src.label} has a single output (port 0); received output port {edge.src.port}."
    spec = registry.get(dst.type)
    if spec is None:
        return f"{dst.label} has the unknown layer type {dst.type!r}; replace it before connecting into it."
    if edge.dst.port < 0:
        return f"Input port numbers start at 0; received {edge.dst.port}."
    if not spec.inputs and not spec.variadic:
        return f"{dst.label} ({spec.type}) takes no incoming connections."
    if not spec.variadic and edge.dst.port >= len(spec.inputs):
        return (
            f"{dst.label} ({spec.type}) has {len(spec.inputs)} input port(s); "
            f"received port {edge.dst.port}. Connect into port 0..{len(spec.inputs) - 1}."
        )
    for e in graph.edges:
        if e.dst == edge.dst:
            other = graph.nodes[e.src.node].label
            return (
                f"{dst.label} input {spec.port_name(edge.dst.port)} is already connected to {other}; "
                "disconnect it first."
            )
    return None


# ---------------------------------------------------------------------- commands
class AddNode(Command):
    """Add one layer (at document position ``index`` when given)."""

    def __init__(self, node: Node, index: int | None = None) -> None:
        self.node = node.copy()
        self.index = index
        self.text = f"Add {node.type}"

    def redo(self, project: Project) -> None:
        """Insert the node."""
        graph = project.graph
        if self.node.id in graph.nodes:
            raise CommandError(f"A layer with id {self.node.id!r} already exists; use Graph.new_id for a fresh one.")
        problem = check_name(graph, self.node.label, self.node.id)
        if problem:
            raise CommandError(problem)
        node = self.node.copy()
        node.params = _as_json(node.params, f"{node.type} parameters")
        graph.add_node(node, self.index)

    def undo(self, project: Project) -> None:
        """Remove the node again."""
        project.graph.remove_node(self.node.id)


class RemoveNodes(Command):
    """Delete layers and every edge touching them; undo restores document order exactly."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(dict.fromkeys(ids))
        self.text = "Delete layer" if len(self.ids) == 1 else f"Delete {len(self.ids)} layers"
        self._nodes: list[tuple[int, Node]] = []
        self._edges: list[tuple[int, Edge]] = []

    def redo(self, project: Project) -> None:
        """Disconnect incident edges, then remove the nodes."""
        graph = project.graph
        for nid in self.ids:
            _node(graph, nid)
        ids = set(self.ids)
        self._edges = [(i, e) for i, e in enumerate(graph.edges) if e.src.node in ids or e.dst.node in ids]
        self._nodes = [(i, graph.nodes[nid].copy()) for i, nid in enumerate(graph.nodes) if nid in ids]
        for _, edge in reversed(self._edges):
            graph.disconnect(edge)
        for _, node in reversed(self._nodes):
            graph.remove_node(node.id)

    def undo(self, project: Project) -> None:
        """Put nodes and edges back at their former positions (ascending, so indices line up)."""
        graph = project.graph
        for index, node in self._nodes:
            graph.add_node(node.copy(), index)
        for index, edge in self._edges:
            graph.connect(edge, index, restoring=True)


class Connect(Command):
    """Connect an output port to an input port (refusing cycles, unknown or occupied ports)."""

    def __init__(self, edge: Edge, registry: Registry | None = None, index: int | None = None) -> None:
        self.edge = edge
        self.registry = registry
        self.index = index
        self.text = "Connect"

    def redo(self, project: Project) -> None:
        """Add the edge."""
        problem = check_edge(project.graph, self.edge, _reg(self.registry))
        if problem:
            raise CommandError(problem)
        project.graph.connect(self.edge, self.index)

    def undo(self, project: Project) -> None:
        """Remove the edge."""
        project.graph.disconnect(self.edge)


class Disconnect(Command):
    """Remove one edge; undo puts it back at the same document position."""

    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.text = "Disconnect"
        self._index = -1

    def redo(self, project: Project) -> None:
        """Remove the edge."""
        if self.edge not in project.graph.edges:
            raise CommandError(f"There is no connection {self.edge.src.node} -> {self.edge.dst.node} to remove.")
        self._index = project.graph.disconnect(self.edge)

    def undo(self, project: Project) -> None:
        """Reconnect at the former index (an edge that closed a cycle comes back too)."""
        project.graph.connect(self.edge, self._index, restoring=True)


class SetParam(Command):
    """Change one parameter; consecutive edits of the same node and field merge (slider drags)."""

    def __init__(self, node_id: str, name: str, value: Any, registry: Registry | None = None) -> None:
        self.node_id = node_id
        self.name = name
        self.value = copy.deepcopy(value)
        self.registry = registry
        self.text = f"Set {name}"
        self._old: Any = MISSING

    def redo(self, project: Project) -> None:
        """Validate against the ParamSpec, then set."""
        node = _node(project.graph, self.node_id)
        spec = _reg(self.registry).get(node.type)
        self.value = _as_json(self.value, f"{node.label} {self.name}")
        if spec is not None:
            try:
                pspec = spec.param(self.name)
            except KeyError:
                names = ", ".join(p.name for p in spec.all_params)
                raise CommandError(f"{spec.type} has no parameter {self.name!r}; its parameters are {names}.") from None
            problem = pspec.check(self.value, node.label)
            if problem:
                raise CommandError(problem)
        # deepcopy would clone the MISSING sentinel and break the identity test in Graph.set_param
        self._old = copy.deepcopy(node.params[self.name]) if self.name in node.params else MISSING
        project.graph.set_param(self.node_id, self.name, self.value)

    def undo(self, project: Project) -> None:
        """Restore the former value (or remove the param if it was absent)."""
        project.graph.set_param(self.node_id, self.name, self._old)

    def merge_id(self) -> object | None:
        """Edits of the same node and field merge."""
        return ("SetParam", self.node_id, self.name)

    def merge(self, other: Command) -> bool:
        """Keep our old value and take the other's new one."""
        if not isinstance(other, SetParam) or other.merge_id() != self.merge_id():
            return False
        self.value = copy.deepcopy(other.value)
        return True


class Rename(Command):
    """Set (or clear, with ``None`` or "") a layer's display name; duplicate names are refused."""

    def __init__(self, node_id: str, name: str | None) -> None:
        self.node_id = node_id
        self.name = (name or "").strip() or None
        self.text = "Rename layer"
        self._old: str | None = None

    def redo(self, project: Project) -> None:
        """Rename."""
        node = _node(project.graph, self.node_id)
        if self.name is not None:
            problem = check_name(project.graph, self.name, self.node_id)
            if problem:
                raise CommandError(problem)
        elif check_name(project.graph, self.node_id, self.node_id):
            raise CommandError(f"Clearing the name of {node.label} would clash with another layer named {self.node_id!r}.")
        self._old = node.name
        old_label = node.label
        self._training, self._dataset = project.training, project.dataset
        project.graph.rename(self.node_id, self.name)
        _carry_port_name(project, old_label, project.graph.nodes[self.node_id].label)

    def undo(self, project: Project) -> None:
        """Restore the old name, and the per-output settings and array mapping that followed it."""
        project.graph.rename(self.node_id, self._old)
        if project.training is not self._training:
            project.set_training(self._training)
        if project.dataset is not self._dataset:
            project.set_dataset(self._dataset)


def _carry_port_name(project: Project, old: str, new: str) -> None:
    """A renamed output keeps its own loss/weight/metrics row, and a renamed Input or output of a model with
    named parts keeps reading the same .npz array (names key both; see ``core.model_io``)."""
    if old == new:
        return
    outputs = project.training.outputs
    if isinstance(outputs, tuple) and any(o.name == old for o in outputs):
        project.set_training(replace(project.training, outputs=tuple(
            replace(o, name=new) if o.name == old else o for o in outputs)))
    spec = project.dataset
    if spec is None or spec.kind != "numpy" or not is_multi_io(project.graph):
        return
    arrays = spec.arrays()
    for key, names, pick in (("inputs", input_names(project.graph), arrays.input_array),
                             ("outputs", output_names(project.graph), arrays.output_array)):
        if new in names:
            mapping = {k: v for k, v in (getattr(arrays, key) or {}).items() if k != old}
            mapping[new] = pick(old)
            if mapping[new] == new:
                del mapping[new]  # the array already has the new name
            raw = dict(spec.options.get("arrays") or {})
            raw[key] = mapping or None
            project.set_dataset(spec.with_options(arrays=raw))


class MoveNodes(Command):
    """Move layers on the canvas; successive drags of the same selection merge."""

    def __init__(self, positions: Mapping[str, tuple[float, float]]) -> None:
        self.positions = {k: clamp_position(v[0], v[1]) for k, v in positions.items()}
        self.text = "Move layers"
        self._old: dict[str, tuple[float, float]] = {}

    def redo(self, project: Project) -> None:
        """Move."""
        for nid in self.positions:
            _node(project.graph, nid)
        self._old = {nid: project.graph.nodes[nid].pos for nid in self.positions}
        for nid, pos in self.positions.items():
            project.graph.move(nid, pos)

    def undo(self, project: Project) -> None:
        """Move back."""
        for nid, pos in self._old.items():
            project.graph.move(nid, pos)

    def merge_id(self) -> object | None:
        """Drags of the same set of nodes merge."""
        return ("MoveNodes", frozenset(self.positions))

    def merge(self, other: Command) -> bool:
        """Keep the first old positions, take the latest new ones."""
        if not isinstance(other, MoveNodes) or other.merge_id() != self.merge_id():
            return False
        self.positions = dict(other.positions)
        return True


class InsertBetween(Macro):
    """Drop a new layer onto an edge: src -> node -> dst."""

    def __init__(self, edge: Edge, node: Node, registry: Registry | None = None) -> None:
        new_in = Edge(edge.src, PortRef(node.id, 0))
        new_out = Edge(PortRef(node.id, 0), edge.dst)
        super().__init__(
            f"Insert {node.type}",
            [Disconnect(edge), AddNode(node), Connect(new_in, registry), Connect(new_out, registry)],
        )
        self.edge = edge
        self.node = node

    def redo(self, project: Project) -> None:
        """Insert, placing the new node just before the edge's target in document order."""
        graph = project.graph
        if self.edge not in graph.edges:
            raise CommandError(f"There is no connection {self.edge.src.node} -> {self.edge.dst.node} to insert into.")
        add = self.commands[1]
        assert isinstance(add, AddNode)
        add.index = graph.index_of(self.edge.dst.node)
        super().redo(project)


def fragment(graph: Graph, ids: Sequence[str]) -> dict[str, Any]:
    """Clipboard form of some layers: their nodes and the edges between them (JSON data)."""
    keep = set(ids)
    return {
        "nodes": [n.to_dict() for n in graph if n.id in keep],
        "edges": [e.to_dict() for e in graph.edges if e.src.node in keep and e.dst.node in keep],
    }


def _fresh_name(name: str, taken: set[str]) -> str:
    base, n = name, 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


class Paste(Command):
    """Paste a fragment with fresh ids and names, keeping its internal edges, shifted by ``offset``."""

    def __init__(self, fragment_dict: Mapping[str, Any], offset: tuple[float, float] = (40.0, 40.0)) -> None:
        self.fragment = copy.deepcopy(dict(fragment_dict))
        self.offset = (float(offset[0]), float(offset[1]))
        self.text = "Paste"
        self._nodes: list[Node] = []
        self._edges: list[Edge] = []

    @property
    def new_ids(self) -> list[str]:
        """Ids of the pasted nodes (after the first redo)."""
        return [n.id for n in self._nodes]

    def plan(self, graph: Graph) -> list[str]:
        """Choose the fresh ids for pasting into ``graph`` now, so other commands of a macro can name them."""
        self._plan(graph)
        return self.new_ids

    def _plan(self, graph: Graph) -> None:
        try:
            nodes = [Node.from_dict(d) for d in self.fragment.get("nodes", [])]
            edges = [Edge.from_dict(d) for d in self.fragment.get("edges", [])]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CommandError(f"The clipboard does not hold VisualNN layers ({exc}).") from None
        taken_ids = set(graph.nodes)
        taken_names = {n.label for n in graph} | taken_ids
        mapping: dict[str, str] = {}
        planned: list[Node] = []
        for node in nodes:
            new_id = fresh_id(graph, node.type, taken_ids | taken_names)
            taken_ids.add(new_id)
            name = None
            if node.name is not None:
                name = node.name if node.name not in taken_names else _fresh_name(node.name, taken_names)
                taken_names.add(name)
            taken_names.add(new_id)
            mapping[node.id] = new_id
            pos = (node.pos[0] + self.offset[0], node.pos[1] + self.offset[1])
            planned.append(Node(new_id, node.type, copy.deepcopy(node.params), pos, name))
        self._nodes = planned
        self._edges = [
            Edge(PortRef(mapping[e.src.node], e.src.port), PortRef(mapping[e.dst.node], e.dst.port))
            for e in edges
            if e.src.node in mapping and e.dst.node in mapping
        ]

    def redo(self, project: Project) -> None:
        """Add the fresh nodes and the fragment's internal edges."""
        graph = project.graph
        if not self._nodes or any(n.id in graph.nodes for n in self._nodes):
            self._plan(graph)
        for node in self._nodes:
            node.params = _as_json(node.params, f"{node.type} parameters")
        for node in self._nodes:
            graph.add_node(node.copy())
        try:
            for edge in self._edges:
                graph.connect(edge)
        except GraphError as exc:  # only a malformed fragment (duplicate edges) gets here
            for edge in self._edges:
                if edge in graph.edges:
                    graph.disconnect(edge)
            for node in reversed(self._nodes):
                graph.remove_node(node.id)
            raise CommandError(f"The pasted layers cannot be connected as copied: {exc}") from None

    def undo(self, project: Project) -> None:
        """Remove what was pasted."""
        graph = project.graph
        for edge in reversed(self._edges):
            graph.disconnect(edge)
        for node in reversed(self._nodes):
            graph.remove_node(node.id)


class SetMode(Command):
    """Switch between sequential and functional (functional -> sequential only for a chain from an Input)."""

    def __init__(self, mode: str, registry: Registry | None = None) -> None:
        self.mode = mode
        self.registry = registry
        self.text = f"Switch to {mode} mode"
        self._old = FUNCTIONAL

    def redo(self, project: Project) -> None:
        """Switch mode."""
        if self.mode not in MODES:
            raise CommandError(f"Model mode must be one of {', '.join(MODES)}; received {self.mode!r}.")
        if self.mode == SEQUENTIAL:
            problem = sequential_problem(project.graph, self.registry)
            if problem is not None:
                raise CommandError(problem.message)
        self._old = project.graph.mode
        project.graph.set_mode(self.mode)

    def undo(self, project: Project) -> None:
        """Restore the former mode."""
        project.graph.set_mode(self._old)


class SetDataset(Command):
    """Replace the dataset description (None removes it)."""

    def __init__(self, spec: DatasetSpec | None) -> None:
        self.spec = spec
        self.text = "Change dataset"
        self._old: DatasetSpec | None = None

    def redo(self, project: Project) -> None:
        """Set the dataset."""
        if self.spec is not None:
            _check_json(self.spec.to_dict(), "Dataset settings")
        self._old = project.dataset
        project.set_dataset(self.spec)

    def undo(self, project: Project) -> None:
        """Restore the former dataset."""
        project.set_dataset(self._old)


class SetTraining(Command):
    """Replace the training configuration; consecutive edits merge."""

    def __init__(self, cfg: TrainingConfig) -> None:
        self.cfg = cfg
        self.text = "Change training settings"
        self._old: TrainingConfig | None = None

    def redo(self, project: Project) -> None:
        """Set the config."""
        _check_json(self.cfg.to_dict(), "Training settings")
        self._old = project.training
        project.set_training(self.cfg)

    def undo(self, project: Project) -> None:
        """Restore the former config."""
        assert self._old is not None
        project.set_training(self._old)

    def merge_id(self) -> object | None:
        """Spin-box edits of the training panel merge into one step."""
        return "SetTraining"

    def merge(self, other: Command) -> bool:
        """Keep the first old config, take the latest new one."""
        if not isinstance(other, SetTraining):
            return False
        self.cfg = other.cfg
        return True


class SetProjectName(Command):
    """Rename the project."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.text = "Rename project"
        self._old = ""

    def redo(self, project: Project) -> None:
        """Rename."""
        if not self.name.strip():
            raise CommandError("A project name cannot be empty.")
        self._old = project.name
        project.set_name(self.name)

    def undo(self, project: Project) -> None:
        """Restore the old name."""
        project.set_name(self._old)


__all__ = [
    "AddNode", "Command", "CommandError", "Connect", "Disconnect", "InsertBetween", "Macro", "MoveNodes",
    "Paste", "RemoveNodes", "Rename", "SetDataset", "SetMode", "SetParam", "SetProjectName", "SetTraining",
    "UndoStack", "check_edge", "check_name", "fragment", "free_input_port", "fresh_id",
]
