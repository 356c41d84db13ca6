"""Turns canvas gestures (drops, port drags, deletes, clipboard) into core commands."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QGuiApplication

from visualnn.core import commands as C
from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node, PortRef
from visualnn.core.layout import NODE_HEIGHT, NODE_WIDTH, auto_layout
from visualnn.core.project import Project
from visualnn.ui.canvas import CLIPBOARD_MIME, GRID
from visualnn.ui.document import ProjectDocument


def _snap(v: float) -> float:
    return round(v / GRID) * GRID


class CanvasController(QObject):
    """The canvas's editor: every method builds a command and pushes it through the document."""

    selection_requested = Signal(list)  # node ids the view should select (after add/paste)
    message = Signal(str)  # short feedback for the status bar

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document

    @property
    def graph(self) -> Graph:
        """The document's graph."""
        return self.document.graph

    # ------------------------------------------------------------ adding layers
    def new_node(self, type_id: str, center: tuple[float, float] | None = None) -> Node:
        """A fresh node of ``type_id`` with its visible defaults, centred on ``center``."""
        spec = self.document.registry[type_id]
        params = {p.name: p.default for p in spec.params if not p.advanced}
        cx, cy = center if center is not None else self._below_everything()
        return Node(self.graph.new_id(spec.type), spec.type, json.loads(json.dumps(params)), (_snap(cx - NODE_WIDTH / 2), _snap(cy - NODE_HEIGHT / 2)))

    def _below_everything(self) -> tuple[float, float]:
        if not self.graph.nodes:
            return (NODE_WIDTH / 2, NODE_HEIGHT / 2)
        x = min(n.pos[0] for n in self.graph) + NODE_WIDTH / 2
        y = max(n.pos[1] for n in self.graph) + NODE_HEIGHT * 1.5 + 60
        return (x, y)

    def add_layer(
        self,
        type_id: str,
        center: tuple[float, float] | None = None,
        after: str | None = None,
        edge: Edge | None = None,
    ) -> str | None:
        """Add a layer: onto ``edge`` (insert), after node ``after``, or at ``center``; returns its id."""
        if type_id not in self.document.registry:
            self.message.emit(f"Unknown layer type {type_id!r}; it is not in the layer catalog.")
            return None
        if center is None and after is not None and after in self.graph.nodes:
            ax, ay = self.graph.nodes[after].pos
            center = (ax + NODE_WIDTH / 2, ay + NODE_HEIGHT * 1.5 + 56)
        node = self.new_node(type_id, center)
        cmds = self._add_commands(node, after, edge, center)
        if self.graph.mode == SEQUENTIAL and self.graph.nodes:
            cmds = self._with_chain_layout(cmds)
        cmd: C.Command = cmds[0] if len(cmds) == 1 else C.Macro(f"Add {node.type}", cmds)
        if self.document.push(cmd):
            self.selection_requested.emit([node.id])
            return node.id
        return None

    def add_block(
        self, name: str, center: tuple[float, float] | None = None, after: str | None = None, edge: Edge | None = None
    ) -> str | None:
        """Add a Block node using the project's block ``name`` (like :meth:`add_layer`); returns its id."""
        if name not in self.graph.blocks:
            self.message.emit(f"There is no block {name!r} in this project; import its .vnnblock file first.")
            return None
        if center is None and after is not None and after in self.graph.nodes:
            ax, ay = self.graph.nodes[after].pos
            center = (ax + NODE_WIDTH / 2, ay + NODE_HEIGHT * 1.5 + 56)
        node = self.new_node("Block", center)
        node.id = C.fresh_id(self.graph, name)
        node.params["block"] = name
        cmds = self._add_commands(node, after, edge, center)
        if self.graph.mode == SEQUENTIAL and self.graph.nodes:
            cmds = self._with_chain_layout(cmds)
        cmd: C.Command = cmds[0] if len(cmds) == 1 else C.Macro(f"Add block {name}", cmds)
        if self.document.push(cmd):
            self.selection_requested.emit([node.id])
            return node.id
        return None

    def _add_commands(
        self, node: Node, after: str | None, edge: Edge | None, center: tuple[float, float] | None
    ) -> list[C.Command]:
        reg = self.document.registry
        g = self.graph
        if edge is not None and edge in g.edges:
            return [C.InsertBetween(edge, node, reg)]
        if after is not None and after in g.nodes:
            outs = g.out_edges(after)
            if g.mode == SEQUENTIAL and outs:
                return [C.InsertBetween(outs[0], node, reg)]
            return [C.AddNode(node), C.Connect(Edge(PortRef(after), PortRef(node.id, 0)), reg)]
        if g.mode == SEQUENTIAL and g.nodes:
            return self._chain_insert(node, center)
        return [C.AddNode(node)]

    def _chain_insert(self, node: Node, center: tuple[float, float] | None) -> list[C.Command]:
        """Sequential models stay a chain: a dropped layer goes between the layers above and below it."""
        g = self.graph
        reg = self.document.registry
        order = g.chain_order()
        if not order:
            return [C.AddNode(node)]
        y = center[1] if center is not None else float("inf")
        below = [nid for nid in order if g.nodes[nid].pos[1] + NODE_HEIGHT / 2 > y]
        if not below:
            return [C.AddNode(node), C.Connect(Edge(PortRef(order[-1]), PortRef(node.id, 0)), reg)]
        first_below = below[0]
        ins = g.in_edges(first_below)
        if ins:
            return [C.InsertBetween(ins[0], node, reg)]
        return [C.AddNode(node, 0), C.Connect(Edge(PortRef(node.id), PortRef(first_below, 0)), reg)]

    def _with_chain_layout(self, cmds: list[C.Command]) -> list[C.Command]:
        """Append a MoveNodes that re-stacks the chain, computed on a scratch copy of the project."""
        scratch = Project(self.graph.copy())
        try:
            C.Macro("scratch", cmds).redo(scratch)
        except C.CommandError:
            return cmds  # the real push reports the problem
        positions = auto_layout(scratch.graph)
        order = scratch.graph.chain_order() or list(scratch.graph.nodes)
        anchor = next((n for n in order if n in self.graph.nodes), None)
        if anchor is not None:
            dx = self.graph.nodes[anchor].pos[0] - positions[anchor][0]
            dy = self.graph.nodes[anchor].pos[1] - positions[anchor][1]
            positions = {k: (x + dx, y + dy) for k, (x, y) in positions.items()}
        return [*cmds, C.MoveNodes(positions)]

    # ------------------------------------------------------------ connections
    def connection_problem(self, src: str, dst: str, port: int) -> str | None:
        """Why src -> dst:port cannot be connected (None when it can)."""
        return C.check_edge(self.graph, Edge(PortRef(src), PortRef(dst, port)), self.document.registry)

    def connect_ports(self, src: str, dst: str, port: int) -> str | None:
        """Connect an output to an input; returns the refusal message or None."""
        problem = self.connection_problem(src, dst, port)
        if problem:
            self.message.emit(problem)
            return problem
        cmd = C.Connect(Edge(PortRef(src), PortRef(dst, port)), self.document.registry)
        if self.graph.mode == SEQUENTIAL:
            # A second output or input breaks the chain: say so and switch mode in the same step.
            scratch = self.graph.copy()
            scratch.connect(cmd.edge)
            if scratch.chain_order() is None:
                self.message.emit("Branching needs a functional model; switched to functional mode.")
                return None if self.document.push(C.Macro("Connect", [C.SetMode(FUNCTIONAL), cmd])) else "refused"
        return None if self.document.push(cmd) else "refused"

    def free_port(self, node_id: str) -> int:
        """The first unconnected input port of a node."""
        return C.free_input_port(self.graph, node_id)

    # ------------------------------------------------------------ delete / move
    def delete(self, node_ids: Iterable[str], edges: Iterable[Edge] = ()) -> None:
        """Delete layers and connections (a sequential chain is healed around removed layers)."""
        ids = [n for n in node_ids if n in self.graph.nodes]
        gone = set(ids)
        cmds: list[C.Command] = [C.Disconnect(e) for e in edges if e in self.graph.edges and e.src.node not in gone and e.dst.node not in gone]
        if ids:
            cmds.append(C.RemoveNodes(ids))
            if self.graph.mode == SEQUENTIAL:
                order = self.graph.chain_order() or []
                kept = [n for n in order if n not in gone]
                before = [(a, b) for a, b in zip(order, order[1:], strict=False)]
                wanted = [(a, b) for a, b in zip(kept, kept[1:], strict=False)]
                for a, b in wanted:
                    if (a, b) not in before:
                        cmds.append(C.Connect(Edge(PortRef(a), PortRef(b, 0)), self.document.registry))
                if len(wanted) != len(before):
                    cmds = self._with_chain_layout(cmds)
        if not cmds:
            return
        self.document.push(cmds[0] if len(cmds) == 1 else C.Macro("Delete", cmds))

    def move(self, positions: Mapping[str, tuple[float, float]]) -> None:
        """Record a finished drag (reorders the chain of a sequential model when a layer was dragged past another)."""
        moved = {k: v for k, v in positions.items() if k in self.graph.nodes and tuple(self.graph.nodes[k].pos) != tuple(v)}
        if not moved:
            return
        if self.graph.mode == SEQUENTIAL and len(moved) == 1:
            order = self.graph.chain_order()
            if order and len(order) > 1:
                ys = {n: self.graph.nodes[n].pos[1] for n in order} | {k: v[1] for k, v in moved.items()}
                new_order = sorted(order, key=lambda n: ys[n])
                if new_order != order:
                    self._reorder(order, new_order)
                    return
        self.document.push(C.MoveNodes(moved))

    def _reorder(self, order: list[str], new_order: list[str]) -> None:
        reg = self.document.registry
        cmds: list[C.Command] = [C.Disconnect(e) for e in list(self.graph.edges)]
        cmds += [C.Connect(Edge(PortRef(a), PortRef(b, 0)), reg) for a, b in zip(new_order, new_order[1:], strict=False)]
        scratch = Project(self.graph.copy())
        C.Macro("scratch", cmds).redo(scratch)
        pos = auto_layout(scratch.graph)
        first = self.graph.nodes[order[0]].pos
        dx, dy = first[0] - pos[new_order[0]][0], first[1] - pos[new_order[0]][1]
        cmds.append(C.MoveNodes({k: (x + dx, y + dy) for k, (x, y) in pos.items()}))
        self.document.push(C.Macro("Reorder layers", cmds))

    def auto_layout(self) -> None:
        """Lay the whole graph out top to bottom (one undo step)."""
        if self.graph.nodes:
            self.document.push(C.MoveNodes(auto_layout(self.graph)))

    def set_mode(self, mode: str) -> None:
        """Switch sequential <-> functional."""
        if mode != self.graph.mode:
            self.document.push(C.SetMode(mode, self.document.registry))

    # ------------------------------------------------------------ clipboard
    def copy(self, node_ids: Sequence[str]) -> bool:
        """Put the layers (and edges between them) on the clipboard as JSON."""
        ids = [n for n in node_ids if n in self.graph.nodes]
        if not ids:
            return False
        data = {"format": "visualnn-fragment", **C.fragment(self.graph, ids)}
        text = json.dumps(data, indent=1)
        mime = QMimeData()
        mime.setData(CLIPBOARD_MIME, text.encode("utf-8"))
        mime.setText(text)  # plain text too, so it can move between app instances and editors
        QGuiApplication.clipboard().setMimeData(mime)
        return True

    def cut(self, node_ids: Sequence[str]) -> None:
        """Copy then delete."""
        if self.copy(node_ids):
            self.delete(node_ids)

    def clipboard_fragment(self) -> dict[str, Any] | None:
        """The layers on the clipboard, or None when it holds something else."""
        mime = QGuiApplication.clipboard().mimeData()
        raw = None
        if mime is not None and mime.hasFormat(CLIPBOARD_MIME):
            raw = bytes(mime.data(CLIPBOARD_MIME).data()).decode("utf-8")
        elif mime is not None and mime.hasText():
            raw = mime.text()
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
            return None
        return data

    def paste(
        self,
        center: tuple[float, float] | None = None,
        fragment: Mapping[str, Any] | None = None,
        selected: Sequence[str] = (),
    ) -> list[str]:
        """Paste clipboard layers with fresh ids as one undo step; returns their ids.

        Sequential: the copies join the chain after the last ``selected`` layer (else at its end),
        connected. Functional: at ``center`` when given, moved aside until they hide no card.
        """
        data = dict(fragment) if fragment is not None else self.clipboard_fragment()
        if not data or not data.get("nodes"):
            self.message.emit("The clipboard holds no VisualNN layers to paste.")
            return []
        nodes, edges = list(data["nodes"]), list(data.get("edges", []))
        try:
            xs = [float(n.get("pos", [0, 0])[0]) for n in nodes]
            ys = [float(n.get("pos", [0, 0])[1]) for n in nodes]
        except (AttributeError, TypeError, ValueError, IndexError):
            self.message.emit("The clipboard does not hold VisualNN layers (a layer has no valid position).")
            return []
        cmd: C.Command | None = None
        if self.graph.mode == SEQUENTIAL:
            cmd = self._paste_into_chain(nodes, edges, selected)
        if cmd is None:
            offset = (40.0, 40.0) if center is None else (
                _snap(center[0] - NODE_WIDTH / 2 - min(xs)), _snap(center[1] - NODE_HEIGHT / 2 - min(ys))
            )
            paste = C.Paste({"nodes": nodes, "edges": edges}, self._free_offset(xs, ys, offset))
            cmd = paste
            if self.graph.mode == SEQUENTIAL and self.graph.nodes:
                self.message.emit("The pasted layers cannot continue the chain, so they were pasted apart "
                                  "and the model switched to functional mode.")
                cmd = C.Macro("Paste", [C.SetMode(FUNCTIONAL), paste])
        if not self.document.push(cmd):
            return []
        ids = self._pasted_ids(cmd)
        self.selection_requested.emit(ids)
        return ids

    @staticmethod
    def _pasted_ids(cmd: C.Command) -> list[str]:
        if isinstance(cmd, C.Paste):
            return cmd.new_ids
        if isinstance(cmd, C.Macro):
            return next((ids for c in cmd.commands if (ids := CanvasController._pasted_ids(c))), [])
        return []

    def _free_offset(self, xs: list[float], ys: list[float], offset: tuple[float, float]) -> tuple[float, float]:
        """``offset``, moved right a fragment's width at a time until no pasted card covers another card."""
        taken = [(n.pos[0], n.pos[1]) for n in self.graph]
        width = max(xs) - min(xs) + NODE_WIDTH + GRID * 2
        dx, dy = offset

        def clashes() -> bool:
            return any(
                abs(x + dx - tx) < NODE_WIDTH + GRID and abs(y + dy - ty) < NODE_HEIGHT + GRID
                for x, y in zip(xs, ys, strict=True) for tx, ty in taken
            )

        for _ in range(len(taken) + 1):  # each step passes at least one card, so this always ends
            if not clashes():
                break
            dx += width
        return (_snap(dx), _snap(dy))

    def _paste_into_chain(self, nodes: list[Any], edges: list[Any], selected: Sequence[str]) -> C.Command | None:
        """The copies chained after the selected layer (or the last one), re-stacked; None when they cannot chain."""
        try:
            piece = Graph.from_dict({"nodes": nodes, "edges": edges})
        except (KeyError, TypeError, ValueError, IndexError):
            return None  # Paste reports the malformed clipboard
        order = piece.topological_order()
        links = list(zip(order, order[1:], strict=False))
        if len(order) != len(piece.nodes) or any((e.src.node, e.dst.node) not in links or e.src.port or e.dst.port for e in piece.edges):
            return None  # branches or merges: not a piece of a chain
        chain = [{"from": [a, 0], "to": [b, 0]} for a, b in links]
        ordered = [piece.nodes[n].to_dict() for n in order]
        paste = C.Paste({"nodes": ordered, "edges": chain}, (0.0, 0.0))
        g, reg = self.graph, self.document.registry
        if not g.nodes:
            return paste
        main = g.chain_order()
        if main is None or not self._takes_input(str(ordered[0].get("type", ""))):
            return None  # an Input (or a broken chain) cannot continue the chain
        new_ids = paste.plan(g)
        chosen = [n for n in main if n in set(selected)]
        after = chosen[-1] if chosen else main[-1]
        cmds: list[C.Command] = [paste, C.Connect(Edge(PortRef(after), PortRef(new_ids[0], 0)), reg)]
        outs = g.out_edges(after)
        if outs:
            cmds = [C.Disconnect(outs[0]), *cmds, C.Connect(Edge(PortRef(new_ids[-1]), outs[0].dst), reg)]
        return C.Macro("Paste", self._with_chain_layout(cmds))

    def _takes_input(self, type_id: str) -> bool:
        spec = self.document.registry.get(type_id)
        return spec is not None and bool(spec.inputs or spec.variadic)

    def duplicate(self, node_ids: Sequence[str]) -> list[str]:
        """Paste a copy of the layers next to them, or after them in a chain (the clipboard is left alone)."""
        ids = [n for n in node_ids if n in self.graph.nodes]
        if not ids:
            return []
        return self.paste(fragment=C.fragment(self.graph, ids), selected=ids)
