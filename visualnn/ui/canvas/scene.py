"""GraphScene: mirrors the document's graph as items and turns port drags into connections."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsSceneMouseEvent, QToolTip

from visualnn.core.costs import NodeCost, analyze_costs, fmt_bytes, fmt_flops
from visualnn.core.freezing import is_frozen
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.preprocessing_steps import preprocessing_steps
from visualnn.core.shapes import ShapeReport, block_inputs, describe
from visualnn.core.specs import fmt_shape
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.ui import theme
from visualnn.ui.canvas.controller import CanvasController
from visualnn.ui.canvas.items import EdgeItem, NodeItem, NodeView, PortItem
from visualnn.ui.canvas.preprocessing_item import PreprocessingGroup
from visualnn.ui.canvas.search_badge import sync_badges
from visualnn.ui.document import ProjectDocument

_SEVERITY_RANK = {"error": 2, "warning": 1}


class GraphScene(QGraphicsScene):
    """Items for every node and edge of the open graph; the document stays the only truth."""

    selection_ids_changed = Signal(list)
    node_double_clicked = Signal(str)  # node id (a Block node opens its block)
    preprocessing_changed = Signal()  # the preprocessing group appeared or went

    def __init__(self, document: ProjectDocument, controller: CanvasController | None = None) -> None:
        super().__init__()
        self.document = document
        self.controller = controller or CanvasController(document, self)
        self.nodes: dict[str, NodeItem] = {}
        self.show_costs = False  # footers show FLOPs instead of parameters (View menu)
        self.deploy: dict[str, str] = {}  # node id -> TFLite verdict of the last precheck (badges); edits clear it
        self.edges: dict[Edge, EdgeItem] = {}
        self._graph: Graph | None = None
        self._drag_port: PortItem | None = None
        self._drag_line: QGraphicsPathItem | None = None
        self._drag_target: PortItem | None = None
        # The read-only group of preprocessing steps above the Input card (None: no data, or not one Input).
        self.preprocessing: PreprocessingGroup | None = None
        self._preprocessing_key: tuple[Any, ...] = (None, None)
        self._preprocessing_expanded = False
        self.setSceneRect(-50000, -50000, 100000, 100000)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        document.project_replaced.connect(self._on_document_project_replaced)
        document.graph_changed.connect(self.refresh_derived)
        document.positions_changed.connect(self._on_document_positions_changed)
        document.search_changed.connect(self.refresh_search_badges)
        self.selectionChanged.connect(self._on_scene_selection_changed)
        self.controller.selection_requested.connect(self.select_ids)
        self._on_document_project_replaced()

    # ------------------------------------------------------------ mirroring
    def _on_document_project_replaced(self) -> None:
        if self._graph is not None:
            for sig, slot in self._graph_slots(self._graph):
                try:
                    sig.disconnect(slot)
                except Exception:  # psygnal raises when not connected
                    pass
        self.clear_items()
        self._graph = self.document.graph
        for sig, slot in self._graph_slots(self._graph):
            sig.connect(slot)
        for node in self._graph:
            self._on_graph_node_added(node)
        for edge in self._graph.edges:
            self._on_graph_edge_added(edge)
        self.refresh_derived()

    def _graph_slots(self, g: Graph) -> list[tuple[Any, Any]]:
        return [
            (g.node_added, self._on_graph_node_added),
            (g.node_removed, self._on_graph_node_removed),
            (g.edge_added, self._on_graph_edge_added),
            (g.edge_removed, self._on_graph_edge_removed),
            (g.node_moved, self._on_graph_node_moved),
        ]

    def clear_items(self) -> None:
        """Remove every item (before mirroring another graph)."""
        if self.preprocessing is not None:
            self._preprocessing_expanded = False  # another project: its group starts folded
        self.preprocessing, self._preprocessing_key = None, (None, None)
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._drag_line = None
        self._drag_port = None

    def _on_graph_node_added(self, node: Node) -> None:
        item = NodeItem(node.id, self._node_view(node, None), *self._ports(node))
        item.sync_pos(*node.pos)
        self.nodes[node.id] = item
        self.addItem(item)

    def _on_graph_node_removed(self, node: Node) -> None:
        item = self.nodes.pop(node.id, None)
        if item is not None:
            for edge in list(item.edges):
                self._remove_edge_item(edge)
            self.removeItem(item)

    def _on_graph_edge_added(self, edge: Edge) -> None:
        src, dst = self.nodes.get(edge.src.node), self.nodes.get(edge.dst.node)
        if src is None or dst is None:
            return
        self._update_ports(dst)
        item = EdgeItem(edge, src, dst)
        self.edges[edge] = item
        self.addItem(item)
        item.adjust()  # in the scene now, so it can see the cards in its way

    def _on_graph_edge_removed(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            self._remove_edge_item(item)

    def _remove_edge_item(self, item: EdgeItem) -> None:
        item.detach()
        self.edges.pop(item.edge, None)
        if item.scene() is self:
            self.removeItem(item)

    def _on_graph_node_moved(self, node_id: str, pos: Any) -> None:
        item = self.nodes.get(node_id)
        if item is not None and (item.pos().x(), item.pos().y()) != tuple(pos):
            item.sync_pos(float(pos[0]), float(pos[1]))

    def _on_document_positions_changed(self) -> None:
        # A finished move can put a card in the way of edges that do not touch it, or clear their way.
        for item in self.edges.values():
            item.adjust()

    # ------------------------------------------------------------ derived state
    def _ports(self, node: Node, connected: set[int] | None = None) -> tuple[int, list[str], set[int]]:
        if connected is None:
            connected = {e.dst.port for e in self.document.graph.edges if e.dst.node == node.id}
        spec = self.document.registry.get(node.type)
        if spec is None:
            n = max(connected, default=-1) + 1
            return max(n, 1), [], connected
        block = self.document.graph.blocks.get(str(node.params.get("block"))) if spec.type == BLOCK_TYPE else None
        if block is not None:  # one port per Input of the block, named after it
            inputs = [block.graph.nodes[i].label for i in block_inputs(block.graph)]
            n = max(len(inputs), max(connected, default=-1) + 1)
            return n, [*inputs, *(f"port {i}" for i in range(len(inputs), n))], connected
        if spec.variadic:
            n = max(spec.min_inputs, max(connected, default=-1) + 2)
            return n, [spec.port_name(i) for i in range(n)], connected
        return len(spec.inputs), list(spec.inputs), connected

    def _update_ports(self, item: NodeItem, connected: set[int] | None = None) -> None:
        node = self.document.graph.nodes.get(item.node_id)
        if node is None:
            return
        before = len(item.inputs)
        item.set_ports(*self._ports(node, connected))
        if len(item.inputs) != before:
            for edge in item.edges:
                edge.adjust()

    def set_deploy_badges(self, verdicts: dict[str, str]) -> None:
        """Badge each node with its TFLite precheck verdict (``builtin``/``flex``/``fails``); ``{}`` removes them."""
        self.deploy = dict(verdicts)
        self.refresh_derived()

    def set_show_costs(self, on: bool) -> None:
        """Show each node's FLOPs in its footer (View > Show Layer Costs on Nodes) instead of its parameter count."""
        self.show_costs = on
        self.refresh_derived()

    def _node_view(self, node: Node, shapes: ShapeReport | None, issues: list[Any] = (),  # type: ignore[assignment]
                   cost: NodeCost | None = None) -> NodeView:
        spec = self.document.registry.get(node.type)
        category = spec.category if spec else "generic"
        summary = spec.summary(spec.resolved(node.params)) if spec else ""
        subtitle = node.type + (f" · {summary}" if summary else "")
        info = shapes.nodes.get(node.id) if shapes else None
        shape_txt = fmt_shape(info.output) if info and info.output is not None else "?"
        count = info.params.total if info and info.params else None
        params_txt = "" if count is None else (f"{theme.fmt_count(count)} params" if count < 100_000 else f"{theme.fmt_count(count)} p")
        if cost is not None:
            params_txt = cost_footer(cost)
        severity = None
        messages = []
        for issue in issues:
            sev = getattr(issue, "severity", "error")
            if sev in _SEVERITY_RANK:
                messages.append(issue.message)
                if severity is None or _SEVERITY_RANK[sev] > _SEVERITY_RANK[severity]:
                    severity = sev
        frozen = is_frozen(node)
        lines = [f"<b>{node.label}</b> — {node.type}"]
        if frozen:
            lines.append("<b>Frozen</b> (trainable off): training leaves its weights as they are.")
        if node.type == BLOCK_TYPE:
            lines.append("Double-click (or Edit > Open Block) to see and edit its layers.")
        elif category == "pretrained":
            lines.append("Double-click (or Edit > Open Block) to see its layers (read-only).")
        if spec:
            lines.append(f"<i>{spec.doc}</i>")
            for p in spec.params:
                value = node.params.get(p.name, p.default)
                lines.append(f"{p.name} = {value!r}")
        lines.append(f"output: {describe(info.output) if info and info.output is not None else '?'}")
        if cost is not None:
            lines.append(cost_tooltip(cost))
        for m in messages:
            lines.append(f"<span style='color:{theme.ERROR if severity == 'error' else theme.WARNING}'>{m}</span>")
        return NodeView(
            name=node.label,
            subtitle=subtitle,
            category=category,
            footer_shape=shape_txt,
            footer_params=params_txt,
            deploy=self.deploy.get(node.id),
            severity=severity,
            error="\n".join(messages),
            tooltip="<br>".join(lines),
            frozen=frozen,
        )

    def refresh_derived(self) -> None:
        """Update card texts, error outlines, ports and edge labels from fresh derived state."""
        shapes = self.document.shapes
        costs = ({n.id: n for n in analyze_costs(self.document.graph, self.document.project.training, shapes,
                                                self.document.registry).nodes} if self.show_costs else {})
        by_node: dict[str, list[Any]] = {}
        for issue in self.document.issues:
            nid = getattr(issue, "node_id", None)
            if nid:
                by_node.setdefault(nid, []).append(issue)
        graph = self.document.graph
        connected: dict[str, set[int]] = {}
        for e in graph.edges:
            connected.setdefault(e.dst.node, set()).add(e.dst.port)
        for nid, item in self.nodes.items():
            node = graph.nodes.get(nid)
            if node is None:
                continue
            item.set_view(self._node_view(node, shapes, by_node.get(nid, []), costs.get(nid)))
            self._update_ports(item, connected.get(nid, set()))
        back = set(graph.back_edges())
        for edge, eitem in self.edges.items():
            eitem.set_closes_cycle(edge in back)
            eitem.set_label(describe(shapes.edge_shape(edge)) if shapes.edge_shape(edge) is not None else "")
        self._refresh_preprocessing()
        self.refresh_search_badges()

    def refresh_search_badges(self) -> None:
        """A "search" badge on each card whose layer the hyperparameter search varies (tooltip: what and how)."""
        sync_badges(self.nodes, self.document.project.search.space)

    # ------------------------------------------------------------ the preprocessing group
    def _refresh_preprocessing(self) -> None:
        """Show the steps the attached data implies above the one Input card; nothing without data."""
        project = self.document.project
        spec, facts = project.dataset, self.document.data_facts
        parent: NodeItem | None = None
        if spec is not None and facts is not None:
            inputs = [nid for nid, node in project.graph.nodes.items() if node.type == "Input"]
            if len(inputs) == 1:  # several inputs: the exports put no preprocessing in front
                parent = self.nodes.get(inputs[0])
        group = self.preprocessing
        key = (spec, facts)
        if group is not None and group.parentItem() is parent and key == self._preprocessing_key:
            return  # the common case: a layer was edited
        self._preprocessing_key = key
        if group is not None and group.parentItem() is not parent:
            self._preprocessing_expanded = group.expanded
            if group.scene() is self:
                self.removeItem(group)
            self.preprocessing = None
        if parent is None or spec is None or facts is None:
            if group is not None:
                self.preprocessing_changed.emit()
            return
        steps = preprocessing_steps(spec, facts)
        if self.preprocessing is None:
            self.preprocessing = PreprocessingGroup(steps, self._preprocessing_expanded, parent)
            self.preprocessing_changed.emit()
        else:
            self.preprocessing.set_steps(steps)

    # ------------------------------------------------------------ selection
    def selected_ids(self) -> list[str]:
        """Ids of the selected nodes, in document order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self.document.graph.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        """Selected connections."""
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_ids(self, ids: list[str], edges: list[Edge] | None = None) -> None:
        """Select exactly these nodes (and these connections)."""
        self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in ids:
                if nid in self.nodes:
                    self.nodes[nid].setSelected(True)
            for edge in edges or ():
                if edge in self.edges:
                    self.edges[edge].setSelected(True)
        finally:
            self.blockSignals(False)
        self._on_scene_selection_changed()

    def _on_scene_selection_changed(self) -> None:
        self.selection_ids_changed.emit(self.selected_ids())

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 (Qt API)
        """A double-click on a card announces its node (the window opens a Block node's block)."""
        item = self.node_at(event.scenePos())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.node_double_clicked.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # ------------------------------------------------------------ port drags
    def port_at(self, pos: QPointF) -> PortItem | None:
        """The port under a scene position (the topmost one)."""
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def node_at(self, pos: QPointF) -> NodeItem | None:
        """The node card under a scene position."""
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
            if isinstance(item, PortItem):
                return item.node
        return None

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        """The connection under a scene position (for dropping a layer onto it)."""
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def _endpoints(self, target: PortItem | NodeItem | None) -> tuple[str, str, int] | None:
        """(src, dst, port) for a drag from ``self._drag_port`` to ``target``."""
        start = self._drag_port
        if start is None or target is None:
            return None
        if isinstance(target, NodeItem):
            if start.is_output:
                return start.node.node_id, target.node_id, self.controller.free_port(target.node_id)
            return target.node_id, start.node.node_id, start.index
        if target.is_output == start.is_output:
            return None
        if start.is_output:
            return start.node.node_id, target.node.node_id, target.index
        return target.node.node_id, start.node.node_id, start.index

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Start a connection drag when a port is pressed."""
        port = self.port_at(event.scenePos()) if event.button() == Qt.MouseButton.LeftButton else None
        if port is not None:
            self._drag_port = port
            self._drag_line = QGraphicsPathItem()
            self._drag_line.setPen(QPen(QColor(theme.ACCENT), 2, Qt.PenStyle.DashLine))
            self._drag_line.setZValue(5)
            self.addItem(self._drag_line)
            self._update_drag(event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)

    def _update_drag(self, pos: QPointF) -> None:
        assert self._drag_port is not None and self._drag_line is not None
        a = self._drag_port.scenePos()
        a, b = (a, pos) if self._drag_port.is_output else (pos, a)
        dy = max(abs(b.y() - a.y()) * 0.5, 40.0)
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
        self._drag_line.setPath(path)
        target = self.port_at(pos)
        if self._drag_target is not None and self._drag_target is not target:
            self._drag_target.state = None
            self._drag_target.update()
        self._drag_target = None
        if target is not None and target.is_output != self._drag_port.is_output:
            ends = self._endpoints(target)
            target.state = "bad" if ends is None or self.controller.connection_problem(*ends) else "ok"
            target.update()
            self._drag_target = target

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Follow the cursor with the provisional connection."""
        if self._drag_port is not None:
            self._update_drag(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Finish a connection drag, or record the positions of dragged cards."""
        if self._drag_port is not None:
            pos = event.scenePos()
            target: PortItem | NodeItem | None = self.port_at(pos) or self.node_at(pos)
            self.finish_connection(target, event.screenPos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        graph = self.document.graph
        moved = {
            i.node_id: (i.pos().x(), i.pos().y())
            for i in self.selectedItems()
            if isinstance(i, NodeItem) and i.node_id in graph.nodes and tuple(graph.nodes[i.node_id].pos) != (i.pos().x(), i.pos().y())
        }
        if moved:
            self.controller.move(moved)

    def start_connection(self, port: PortItem) -> None:
        """Begin a connection drag from ``port`` (used by tests and the mouse handler)."""
        self._drag_port = port
        self._drag_line = QGraphicsPathItem()
        self.addItem(self._drag_line)

    def finish_connection(self, target: PortItem | NodeItem | None, screen_pos: Any = None) -> str | None:
        """Connect the dragged port to ``target``; returns the refusal message, shown as a tooltip."""
        ends = self._endpoints(target)
        if self._drag_line is not None:
            self.removeItem(self._drag_line)
        if self._drag_target is not None:
            self._drag_target.state = None
            self._drag_target.update()
        self._drag_line = self._drag_port = self._drag_target = None
        if target is None:
            return None
        problem: str | None = "Connect an output (bottom) to an input (top)."
        if ends is not None:
            problem = self.controller.connect_ports(*ends)
        if problem and screen_pos is not None:
            QToolTip.showText(screen_pos, problem)
        return problem


def cost_footer(cost: NodeCost) -> str:
    """A node footer's cost: ``4.5 MFLOPs``, or ``? FLOPs`` when unknown."""
    text = fmt_flops(cost.flops)
    return f"{text}FLOPs" if text[-1:].isalpha() else f"{text} FLOPs"


def cost_tooltip(cost: NodeCost) -> str:
    """The cost lines of a node's tooltip."""
    line = (f"cost: {cost_footer(cost)} per sample · weights {fmt_bytes(cost.weight_bytes)} · "
            f"output {fmt_bytes(cost.activation_bytes)} per batch")
    return line + (f"<br><i>{cost.note}</i>" if cost.note else "")
