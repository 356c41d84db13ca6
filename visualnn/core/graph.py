"""The graph document: nodes, typed port edges and change events, with no view state."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal

from visualnn.core.names import snake_case

SEQUENTIAL = "sequential"
FUNCTIONAL = "functional"
MODES = (SEQUENTIAL, FUNCTIONAL)


POSITION_LIMIT = 1_000_000.0
"""Canvas coordinates are kept within +/- this: a card far beyond it would only stall or break the canvas
(a huge scene rectangle, a zoom that underflows), and no model needs that much room."""


def clamp_position(x: float, y: float) -> tuple[float, float]:
    """``(x, y)`` moved into the canvas's range (:data:`POSITION_LIMIT`); NaN becomes 0."""
    return _clamp(x), _clamp(y)


def _clamp(v: float) -> float:
    v = float(v)
    if math.isnan(v):
        return 0.0
    return max(-POSITION_LIMIT, min(POSITION_LIMIT, v))


class GraphError(ValueError):
    """A structural edit that the graph refuses (unknown node, cycle, duplicate edge...)."""


@dataclass(frozen=True, order=True)
class PortRef:
    """One port of one node: an output port when an edge leaves it, an input port when it enters."""

    node: str
    port: int = 0


@dataclass(frozen=True, order=True)
class Edge:
    """A connection from an output port (``src``) to an input port (``dst``)."""

    src: PortRef
    dst: PortRef

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"from": [node, port], "to": [node, port]}``."""
        return {"from": [self.src.node, self.src.port], "to": [self.dst.node, self.dst.port]}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Edge:
        """Inverse of :meth:`to_dict`."""
        src, dst = data["from"], data["to"]
        return Edge(PortRef(str(src[0]), int(src[1])), PortRef(str(dst[0]), int(dst[1])))

    @staticmethod
    def of(src: str, dst: str, src_port: int = 0, dst_port: int = 0) -> Edge:
        """Shorthand constructor used by templates and tests."""
        return Edge(PortRef(src, src_port), PortRef(dst, dst_port))


@dataclass
class Node:
    """One layer in the document: stable id, layer type id, JSON parameters, position, name."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)
    name: str | None = None

    def __post_init__(self) -> None:
        self.pos = clamp_position(*self.pos)  # files, pastes and templates alike stay on a usable canvas

    @property
    def label(self) -> str:
        """The layer name shown to users (the explicit name, else the id)."""
        return self.name or self.id

    def to_dict(self) -> dict[str, Any]:
        """JSON form with a stable key order."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.name is not None:
            data["name"] = self.name
        data["params"] = copy.deepcopy(self.params)
        data["pos"] = [round(float(self.pos[0]), 2), round(float(self.pos[1]), 2)]
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Node:
        """Inverse of :meth:`to_dict`."""
        pos = data.get("pos", [0.0, 0.0])
        return Node(
            id=str(data["id"]),
            type=str(data["type"]),
            params=copy.deepcopy(dict(data.get("params", {}))),
            pos=(float(pos[0]), float(pos[1])),
            name=data.get("name"),
        )

    def copy(self) -> Node:
        """A deep copy (params included)."""
        return Node(self.id, self.type, copy.deepcopy(self.params), self.pos, self.name)


@dataclass
class BlockDef:
    """A named block: a sub-graph with its own Input(s) and one output, stored once and used by Block nodes.

    The inner graph holds no blocks of its own; Block nodes inside it refer to the same table as the
    graph that holds the definition.
    """

    name: str
    graph: Graph

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"name": ..., "graph": {...}}``."""
        return {"name": self.name, "graph": self.graph.to_dict()}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> BlockDef:
        """Inverse of :meth:`to_dict` (unvalidated; the project loader checks blocks)."""
        return BlockDef(str(data["name"]), Graph.from_dict(dict(data.get("graph") or {})))

    def copy(self) -> BlockDef:
        """A deep, signal-free copy."""
        return BlockDef(self.name, self.graph.copy())


class Graph:
    """The model graph: the only place nodes and edges change, each change announced by a signal."""

    node_added = Signal(object)  # Node
    node_removed = Signal(object)  # Node
    edge_added = Signal(object)  # Edge
    edge_removed = Signal(object)  # Edge
    param_changed = Signal(str, str, object)  # node id, param name, new value
    node_renamed = Signal(str, object)  # node id, new name (or None)
    node_moved = Signal(str, object)  # node id, (x, y)
    mode_changed = Signal(str)
    block_changed = Signal(str)  # block name (added, replaced or removed)
    changed = Signal()  # after any mutation: derived state should be recomputed

    def __init__(self, mode: str = FUNCTIONAL) -> None:
        if mode not in MODES:
            raise GraphError(f"Graph mode must be one of {MODES}; received {mode!r}.")
        self._mode = mode
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []
        self._blocks: dict[str, BlockDef] = {}

    # ----------------------------------------------------------------- reading
    @property
    def blocks(self) -> dict[str, BlockDef]:
        """Block definitions by name, in document order. Treat as read-only: edit through :meth:`set_block`."""
        return self._blocks

    @property
    def mode(self) -> str:
        """``"sequential"`` or ``"functional"``."""
        return self._mode

    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by id, in document order. Treat as read-only: edit through methods."""
        return self._nodes

    @property
    def edges(self) -> list[Edge]:
        """Edges in document order. Treat as read-only: edit through methods."""
        return self._edges

    def node(self, node_id: str) -> Node:
        """The node with this id, or :class:`GraphError` naming it."""
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"There is no node {node_id!r} in the graph.") from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges entering ``node_id``, ordered by input port (then document order)."""
        return sorted((e for e in self._edges if e.dst.node == node_id), key=lambda e: e.dst.port)

    def out_edges(self, node_id: str) -> list[Edge]:
        """Edges leaving ``node_id`` in document order."""
        return [e for e in self._edges if e.src.node == node_id]

    def incident_edges(self, node_ids: Iterable[str]) -> list[Edge]:
        """Edges touching any of ``node_ids`` in document order."""
        ids = set(node_ids)
        return [e for e in self._edges if e.src.node in ids or e.dst.node in ids]

    def predecessors(self, node_id: str) -> list[str]:
        """Source node ids of the edges entering ``node_id``, by input port."""
        return [e.src.node for e in self.in_edges(node_id)]

    def successors(self, node_id: str) -> list[str]:
        """Target node ids of the edges leaving ``node_id``."""
        return [e.dst.node for e in self.out_edges(node_id)]

    def sources(self) -> list[str]:
        """Nodes with no incoming edge, in document order."""
        targets = {e.dst.node for e in self._edges}
        return [n for n in self._nodes if n not in targets]

    def sinks(self) -> list[str]:
        """Nodes with no outgoing edge, in document order."""
        origins = {e.src.node for e in self._edges}
        return [n for n in self._nodes if n not in origins]

    def reaches(self, start: str, goal: str) -> bool:
        """True when a directed path leads from ``start`` to ``goal``."""
        out: dict[str, list[str]] = {}
        for e in self._edges:
            out.setdefault(e.src.node, []).append(e.dst.node)
        stack, seen = [start], set()
        while stack:
            cur = stack.pop()
            if cur == goal:
                return True
            if cur in seen:
                continue
            seen.add(cur)
            stack.extend(out.get(cur, ()))
        return False

    def topological_order(self) -> list[str]:
        """Node ids so that every edge goes forward; nodes on a cycle are left out.

        Ties keep document order, so the order is stable for a given document.
        """
        indeg = {n: 0 for n in self._nodes}
        out: dict[str, list[str]] = {n: [] for n in self._nodes}
        for e in self._edges:
            if e.src.node in indeg and e.dst.node in indeg:
                indeg[e.dst.node] += 1
                out[e.src.node].append(e.dst.node)
        position = {n: i for i, n in enumerate(self._nodes)}
        import heapq

        ready = [(position[n], n) for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, n = heapq.heappop(ready)
            order.append(n)
            for m in out[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    heapq.heappush(ready, (position[m], m))
        return order

    def back_edges(self) -> list[Edge]:
        """The edges that close a cycle: a depth-first walk in document order meets them pointing back up its path.

        Removing them all leaves the graph acyclic; for a graph built by :meth:`connect` the list is empty.
        """
        out: dict[str, list[Edge]] = {n: [] for n in self._nodes}
        for e in self._edges:
            if e.src.node in out and e.dst.node in out:
                out[e.src.node].append(e)
        state: dict[str, int] = {}  # 1: on the current path, 2: finished
        back: set[Edge] = set()
        fed = {e.dst.node for e in self._edges}
        starts = [n for n in self._nodes if n not in fed] + list(self._nodes)
        for start in starts:
            if start in state:
                continue
            state[start] = 1
            stack = [(start, iter(out[start]))]
            while stack:
                node, pending = stack[-1]
                edge = next(pending, None)
                if edge is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(edge.dst.node) == 1:
                    back.add(edge)
                elif edge.dst.node not in state:
                    state[edge.dst.node] = 1
                    stack.append((edge.dst.node, iter(out[edge.dst.node])))
        return [e for e in self._edges if e in back]

    def has_cycle(self) -> bool:
        """True when some nodes lie on a directed cycle."""
        return len(self.topological_order()) != len(self._nodes)

    def chain_order(self) -> list[str] | None:
        """The node ids from first to last when the graph is a single chain, else ``None``."""
        if not self._nodes:
            return []
        if len(self._edges) != len(self._nodes) - 1:
            return None
        order = self.topological_order()
        if len(order) != len(self._nodes):
            return None
        for a, b in zip(order, order[1:], strict=False):
            if [e.dst.node for e in self.out_edges(a)] != [b]:
                return None
        return order

    def new_id(self, type_id: str) -> str:
        """A fresh, readable node id for a layer type (``conv2d_3``)."""
        base = snake_case(type_id)  # Keras's rule, so ids match Keras layer names
        n = 1
        while f"{base}_{n}" in self._nodes:
            n += 1
        return f"{base}_{n}"

    def names(self) -> dict[str, str]:
        """Display name of every node by id."""
        return {nid: node.label for nid, node in self._nodes.items()}

    # ---------------------------------------------------------------- mutators
    def add_node(self, node: Node, index: int | None = None) -> None:
        """Insert ``node`` (at document position ``index`` when given)."""
        if node.id in self._nodes:
            raise GraphError(f"A node with id {node.id!r} already exists.")
        if index is None or index >= len(self._nodes):
            self._nodes[node.id] = node
        else:
            items = list(self._nodes.items())
            items.insert(max(index, 0), (node.id, node))
            self._nodes = dict(items)
        self.node_added.emit(node)
        self.changed.emit()

    def index_of(self, node_id: str) -> int:
        """Document position of a node."""
        return list(self._nodes).index(node_id)

    def remove_node(self, node_id: str) -> Node:
        """Remove a node that has no edges left; returns it."""
        node = self.node(node_id)
        if self.incident_edges([node_id]):
            raise GraphError(f"Node {node_id!r} still has edges; disconnect them first.")
        del self._nodes[node_id]
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def check_connect(self, edge: Edge, *, allow_cycle: bool = False) -> str | None:
        """Why ``edge`` cannot be added structurally, or ``None`` when it can."""
        for ref in (edge.src, edge.dst):
            if ref.node not in self._nodes:
                return f"There is no node {ref.node!r} in the graph."
        if edge.src.node == edge.dst.node and not allow_cycle:
            return f"Cannot connect {self._nodes[edge.src.node].label} to itself."
        if edge in self._edges:
            return "These ports are already connected."
        if not allow_cycle and self.reaches(edge.dst.node, edge.src.node):
            a, b = self._nodes[edge.src.node].label, self._nodes[edge.dst.node].label
            return f"Connecting {a} to {b} would create a cycle; models must be acyclic."
        return None

    def connect(self, edge: Edge, index: int | None = None, *, restoring: bool = False) -> None:
        """Add an edge (cycles and duplicates refused with :class:`GraphError`).

        ``restoring`` is for undo putting back an edge the graph had: a file may hold a cycle, and
        undoing the deletion of its edges must restore them, so only the cycle check is skipped.
        """
        problem = self.check_connect(edge, allow_cycle=restoring)
        if problem:
            raise GraphError(problem)
        if index is None:
            self._edges.append(edge)
        else:
            self._edges.insert(index, edge)
        self.edge_added.emit(edge)
        self.changed.emit()

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge; returns its former document index."""
        try:
            index = self._edges.index(edge)
        except ValueError:
            raise GraphError(f"There is no edge {edge.to_dict()} in the graph.") from None
        del self._edges[index]
        self.edge_removed.emit(edge)
        self.changed.emit()
        return index

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter (``value`` must be JSON data); a missing value removes it."""
        node = self.node(node_id)
        if value is _MISSING:
            node.params.pop(name, None)
        else:
            node.params[name] = copy.deepcopy(value)
        self.param_changed.emit(node_id, name, value)
        self.changed.emit()

    def rename(self, node_id: str, name: str | None) -> None:
        """Set or clear a node's display name."""
        self.node(node_id).name = name
        self.node_renamed.emit(node_id, name)
        self.changed.emit()

    def move(self, node_id: str, pos: tuple[float, float]) -> None:
        """Move a node on the canvas."""
        self.node(node_id).pos = clamp_position(pos[0], pos[1])
        self.node_moved.emit(node_id, self.node(node_id).pos)
        # Position is document state but not structure: no `changed` (no reinference).

    def set_mode(self, mode: str) -> None:
        """Switch between sequential and functional (callers check that the graph allows it)."""
        if mode not in MODES:
            raise GraphError(f"Graph mode must be one of {MODES}; received {mode!r}.")
        self._mode = mode
        self.mode_changed.emit(mode)
        self.changed.emit()

    def set_block(self, name: str, block: BlockDef | None, index: int | None = None) -> BlockDef | None:
        """Add, replace (``block``) or remove (``None``) the block definition ``name``; returns the former one.

        ``index`` puts a new definition at that document position (undo restores the order).
        """
        old = self._blocks.get(name)
        if block is None:
            self._blocks.pop(name, None)
        elif old is not None or index is None or index >= len(self._blocks):
            self._blocks[name] = block
        else:
            items = list(self._blocks.items())
            items.insert(max(index, 0), (name, block))
            self._blocks = dict(items)
        self.block_changed.emit(name)
        self.changed.emit()
        return old

    # ----------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON form: mode, nodes in document order, edges in document order, then blocks when there are any."""
        data: dict[str, Any] = {
            "mode": self._mode,
            "nodes": [n.to_dict() for n in self._nodes.values()],
            "edges": [e.to_dict() for e in self._edges],
        }
        if self._blocks:  # absent otherwise, so files without blocks stay as they were
            data["blocks"] = [b.to_dict() for b in self._blocks.values()]
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Graph:
        """Build a graph from JSON data without validating it (validation reports problems)."""
        graph = Graph(data.get("mode", FUNCTIONAL))
        for nd in data.get("nodes", []):
            node = Node.from_dict(nd)
            if node.id in graph._nodes:
                raise GraphError(f"Duplicate node id {node.id!r}.")
            graph._nodes[node.id] = node
        for ed in data.get("edges", []):
            graph._edges.append(Edge.from_dict(ed))
        for bd in data.get("blocks", []):
            block = BlockDef.from_dict(bd)
            graph._blocks[block.name] = block
        return graph

    def copy(self) -> Graph:
        """A deep, signal-free copy."""
        return Graph.from_dict(self.to_dict())


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING: Any = _MISSING
"""Sentinel for :meth:`Graph.set_param` that removes a parameter (used by undo)."""
