"""Graphics items for the canvas: node cards, ports and labelled edges. Items never own state."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from visualnn.core.graph import Edge, clamp_position
from visualnn.core.layout import NODE_HEIGHT, NODE_WIDTH
from visualnn.ui import theme
from visualnn.ui.canvas import GRID

PORT_R = 5.0
HEADER = 6.0
DEPLOY_BADGES = {"builtin": ("TFLite", "#2E9D5B"), "flex": ("Flex", "#E0A030"), "fails": ("no TFLite", "#D64541")}
"""The deployability precheck's badge per verdict: text and colour."""
RADIUS = 8.0
DETOUR_STEP = 24.0  # how far a detour runs below its source and above its target before turning
DETOUR_GAP = 40.0  # room between a detour and the cards it goes around
LOOPS_BACK = "loops back"
COMPACT_LOD = 0.75  # below this zoom a card shows its name and shape in enlarged letters, and edges drop their labels


class _Fonts:
    """Fonts are built once, after the QApplication exists."""

    name: QFont | None = None
    body: QFont | None = None
    mono: QFont | None = None
    label: QFont | None = None

    @classmethod
    def ensure(cls) -> None:
        """Create the fonts on first use."""
        if cls.name is None:
            cls.name = QFont()
            cls.name.setPointSizeF(9.5)
            cls.name.setBold(True)
            cls.body = QFont()
            cls.body.setPointSizeF(8.5)
            cls.mono = theme.mono_font(8.0)
            cls.label = theme.mono_font(7.5)


def _fit_text(painter: QPainter, base: QFont | None, text: str, width: float, lod: float,
              elide: Qt.TextElideMode, floor: float = 0.7) -> str:
    """Set a font that shows ``text`` at about ``base``'s size on screen at zoom ``lod``, shrunk (down to
    ``floor`` of it) to fit ``width``; returns the text, elided if even that does not fit."""
    font = QFont(base or QFont())
    size = font.pointSizeF() / lod
    font.setPointSizeF(size)
    painter.setFont(font)
    need = painter.fontMetrics().horizontalAdvance(text)
    if need > width:
        font.setPointSizeF(max(size * floor, size * width / need))
        painter.setFont(font)
    return painter.fontMetrics().elidedText(text, elide, int(width))


def frozen_tint(color: QColor) -> QColor:
    """A category colour washed out for a frozen layer: same hue, little saturation."""
    hue, sat, val = color.hsvHue(), color.hsvSaturation(), color.value()
    return QColor.fromHsv(max(hue, 0), int(sat * 0.3), val, color.alpha())


def frozen_fill() -> QColor:
    """The card fill of a frozen layer: a shade further from the text than a trainable card's."""
    fill = theme.node_fill()
    return fill.lighter(135) if theme.is_dark() else fill.darker(107)


def paint_lock(painter: QPainter, center: QPointF, size: float, color: QColor) -> None:
    """A padlock glyph (shackle over a body) centred on ``center``, ``size`` tall: the frozen-layer mark."""
    painter.save()
    w = size * 0.72
    body = QRectF(center.x() - w / 2, center.y() - size * 0.06, w, size * 0.56)
    shackle = QRectF(center.x() - w * 0.32, center.y() - size * 0.5, w * 0.64, size * 0.72)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(color, max(size * 0.13, 1.2)))
    painter.drawArc(shackle, 0, 180 * 16)
    painter.drawLine(QPointF(shackle.left(), shackle.center().y()), QPointF(shackle.left(), body.top()))
    painter.drawLine(QPointF(shackle.right(), shackle.center().y()), QPointF(shackle.right(), body.top()))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(body, size * 0.08, size * 0.08)
    painter.restore()


class NodeView:
    """What a node card displays; compared before repainting so unchanged cards are not redrawn."""

    __slots__ = ("category", "deploy", "error", "footer_params", "footer_shape", "frozen", "name", "severity",
                 "subtitle", "tooltip")

    def __init__(self, **kw: Any) -> None:
        self.name = kw.get("name", "")
        self.subtitle = kw.get("subtitle", "")
        self.category = kw.get("category", "generic")
        self.footer_shape = kw.get("footer_shape", "")
        self.footer_params = kw.get("footer_params", "")
        self.severity = kw.get("severity")  # None | "warning" | "error"
        self.error = kw.get("error", "")
        self.tooltip = kw.get("tooltip", "")
        self.deploy = kw.get("deploy")  # None | "builtin" | "flex" | "fails": the TFLite precheck's badge
        self.frozen = bool(kw.get("frozen", False))  # trainable off: muted card with a lock

    def key(self) -> tuple[Any, ...]:
        """Everything that affects painting."""
        return tuple(getattr(self, s) for s in self.__slots__)


class PortItem(QGraphicsItem):
    """An input (top) or output (bottom) port of a node card; drag from one to connect."""

    def __init__(self, node: NodeItem, index: int, is_output: bool, name: str, connected: bool) -> None:
        super().__init__(node)
        self.node = node
        self.index = index
        self.is_output = is_output
        self.connected = connected
        self.state: str | None = None  # "ok" | "bad" while a connection is dragged over it
        self._hover = False
        self.setAcceptHoverEvents(True)
        self.setToolTip(f"{'Output' if is_output else 'Input'}: {name}" + ("" if is_output else " (drop a connection here)"))
        self.setZValue(2)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """Generous hit area around the small dot."""
        r = PORT_R + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """A small dot: filled when connected, hollow when free, tinted while a drag hovers."""
        r = PORT_R + (1.5 if self._hover or self.state else 0)
        color = theme.category_color(self.node.view.category)
        if self.state == "ok":
            color = QColor("#2E9E5B")
        elif self.state == "bad":
            color = QColor(theme.ERROR)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(QBrush(color if self.connected or self.state else theme.node_fill()))
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Grow a little under the mouse."""
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Back to normal size."""
        self._hover = False
        self.update()


class NodeItem(QGraphicsItem):
    """A rounded node card: category header strip, bold name, type and key params, shape footer."""

    def __init__(self, node_id: str, view: NodeView, n_inputs: int, input_names: list[str], connected: set[int]):
        super().__init__()
        _Fonts.ensure()
        self.node_id = node_id
        self.view = view
        self.edges: list[EdgeItem] = []
        self.highlight = False
        self.inputs: list[PortItem] = []
        self.output: PortItem | None = None
        self._syncing = False  # True while the scene moves us to follow the document
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.output = PortItem(self, 0, True, "output", True)
        self.output.setPos(NODE_WIDTH / 2, NODE_HEIGHT)
        self.set_ports(n_inputs, input_names, connected)
        self.setToolTip(view.tooltip)

    def set_ports(self, n_inputs: int, names: list[str], connected: set[int]) -> None:
        """(Re)create the input ports spread along the top edge."""
        if len(self.inputs) == n_inputs:
            for port in self.inputs:
                port.connected = port.index in connected
                port.update()
            return
        scene = self.scene()
        for port in self.inputs:
            if scene is not None:
                scene.removeItem(port)
            port.setParentItem(None)  # type: ignore[arg-type]  # Qt accepts nullptr; the stubs do not say so
        self.inputs = []
        for i in range(n_inputs):
            port = PortItem(self, i, False, names[i] if i < len(names) else f"input {i + 1}", i in connected)
            port.setPos(NODE_WIDTH * (i + 1) / (n_inputs + 1), 0)
            self.inputs.append(port)

    def input_pos(self, port: int) -> QPointF:
        """Scene position of an input port (the top centre if the port does not exist)."""
        if 0 <= port < len(self.inputs):
            return self.inputs[port].scenePos()
        return self.mapToScene(QPointF(NODE_WIDTH / 2, 0))

    def output_pos(self) -> QPointF:
        """Scene position of the output port."""
        return self.mapToScene(QPointF(NODE_WIDTH / 2, NODE_HEIGHT))

    def set_view(self, view: NodeView) -> None:
        """Show new content; repaints only when something visible changed."""
        if view.key() == self.view.key():
            return
        self.view = view
        self.setToolTip(view.tooltip)
        for port in [*self.inputs, *([self.output] if self.output else [])]:
            port.update()
        self.update()

    def _paint_compact(self, painter: QPainter, path: QPainterPath, cat: QColor, border: QPen, lod: float) -> None:
        """A fitted model of many layers: the name and the output shape only, in letters that stay readable.

        The fonts grow as the zoom shrinks, so they keep about their normal size on screen; the
        subtitle and parameter count, which would not fit, are left to the tooltip and the full card.
        """
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(QRectF(0, 0, NODE_WIDTH, HEADER / max(lod, 0.5)), cat)
        painter.restore()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(border)
        painter.drawPath(path)
        pad = min(5 / lod, 10.0)  # about 5 screen pixels: the card is small on screen
        width = NODE_WIDTH - 2 * pad
        top = HEADER / max(lod, 0.5)
        half = (NODE_HEIGHT - top) / 2
        painter.setPen(theme.text_color())
        text = _fit_text(painter, _Fonts.name, self.view.name, width, lod, Qt.TextElideMode.ElideRight)
        painter.drawText(QRectF(pad, top, width, half), Qt.AlignmentFlag.AlignVCenter, text)
        painter.setPen(theme.muted_text_color())
        shape = _fit_text(painter, _Fonts.mono, self.view.footer_shape, width, lod, Qt.TextElideMode.ElideMiddle)
        painter.drawText(QRectF(pad, top + half, width, half), Qt.AlignmentFlag.AlignVCenter, shape)

    def boundingRect(self) -> QRectF:  # noqa: N802
        """The card plus room for the selection outline and error badge."""
        return QRectF(-4, -4, NODE_WIDTH + 12, NODE_HEIGHT + 8)

    def _paint_deploy_badge(self, painter: QPainter, status: str) -> None:
        """A pill at the card's top right: ``TFLite`` (green), ``Flex`` (amber) or ``no TFLite`` (red)."""
        text, colour = DEPLOY_BADGES.get(status, (status, theme.WARNING))
        painter.setFont(_Fonts.body or QFont())
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        right = NODE_WIDTH - (30 if self.view.severity else 8)  # left of the problem dot
        pill = QRectF(right - width, HEADER + 6, width, 17)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(pill, 9, 9)
        painter.setPen(QColor("white"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Draw the card (simplified at low zoom)."""
        v = self.view
        lod = option.levelOfDetailFromTransform(painter.worldTransform())  # type: ignore[attr-defined]
        rect = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        cat = theme.category_color(v.category)
        if v.frozen:
            cat = frozen_tint(cat)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if v.severity == "error":
            border = QPen(QColor(theme.ERROR), 2.2)
        elif v.severity == "warning":
            border = QPen(QColor(theme.WARNING), 2.0)
        else:
            border = QPen(theme.grid_color().darker(125), 1.0)
        if self.isSelected():
            border = QPen(QColor(theme.ACCENT), 2.6)
        elif self.highlight:
            border = QPen(QColor(theme.ACCENT).lighter(130), 2.0)
        if v.category in ("blocks", "pretrained") and lod >= 0.1:
            # A block (or a backbone) holds layers: a second card peeks out behind it, like a stack (double-click
            # opens it).
            painter.setPen(QPen(cat, 1.4))
            painter.setBrush(theme.node_fill())
            painter.drawRoundedRect(rect.translated(4, 4), RADIUS, RADIUS)
        if lod < 0.1:
            # Whole-model overview: a flat block is all the eye can see at this size.
            painter.fillRect(rect, QColor(theme.ACCENT) if self.isSelected() else (QColor(theme.ERROR) if v.severity == "error" else cat))
            return
        if lod < 0.32:
            # Far away: a coloured block with the name and the shape only.
            painter.setPen(border)
            painter.setBrush(cat.lighter(115) if theme.is_dark() else cat.lighter(150))
            painter.drawRoundedRect(rect, RADIUS, RADIUS)
            if lod > 0.12:
                painter.setPen(theme.text_color())
                f = QFont(_Fonts.name or QFont())
                f.setPointSizeF(16)
                painter.setFont(f)
                painter.drawText(rect.adjusted(8, 4, -8, -4), Qt.AlignmentFlag.AlignCenter, v.name)
            return
        path = QPainterPath()
        path.addRoundedRect(rect, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(frozen_fill() if v.frozen else theme.node_fill())
        painter.drawPath(path)
        if v.frozen:  # a fine hatch over the muted fill: frozen reads at a glance, even in grey-scale
            hatch = QColor(theme.muted_text_color())
            hatch.setAlpha(40)
            painter.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
            painter.drawPath(path)
        if lod < COMPACT_LOD:
            self._paint_compact(painter, path, cat, border, lod)
            if v.frozen:
                paint_lock(painter, QPointF(NODE_WIDTH - 12 / lod, HEADER / max(lod, 0.5) + 12 / lod), 12 / lod,
                           theme.muted_text_color())
            return
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(QRectF(0, 0, NODE_WIDTH, HEADER), cat)
        footer = QRectF(0, NODE_HEIGHT - 24, NODE_WIDTH, 24)
        painter.fillRect(footer, theme.canvas_background() if not theme.is_dark() else QColor("#272B30"))
        painter.restore()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(border)
        painter.drawPath(path)
        pad = 10
        painter.setPen(theme.text_color())
        painter.setFont(_Fonts.name or QFont())
        painter.drawText(QRectF(pad, HEADER + 4, NODE_WIDTH - 2 * pad - 14, 20), Qt.AlignmentFlag.AlignVCenter, v.name)
        painter.setPen(theme.muted_text_color())
        painter.setFont(_Fonts.body or QFont())
        sub = painter.fontMetrics().elidedText(v.subtitle, Qt.TextElideMode.ElideRight, int(NODE_WIDTH - 2 * pad))
        painter.drawText(QRectF(pad, HEADER + 23, NODE_WIDTH - 2 * pad, 18), Qt.AlignmentFlag.AlignVCenter, sub)
        painter.setFont(_Fonts.mono or QFont())
        fm = painter.fontMetrics()
        params = v.footer_params
        for attempt in (params, params.split(" ")[0]):  # the shape matters more than the word "params"
            params = attempt
            params_w = fm.horizontalAdvance(params) if params else 0
            room = int(NODE_WIDTH - 2 * pad - params_w - (8 if params_w else 0))
            if fm.horizontalAdvance(v.footer_shape) <= room:
                break
        shape = fm.elidedText(v.footer_shape, Qt.TextElideMode.ElideMiddle, room)
        painter.drawText(footer.adjusted(pad, 0, -pad, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shape)
        painter.drawText(footer.adjusted(pad, 0, -pad, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, params)
        if v.deploy:
            self._paint_deploy_badge(painter, v.deploy)
        if v.frozen:  # left of the error badge when there is one
            paint_lock(painter, QPointF(NODE_WIDTH - (30 if v.severity else 12), HEADER + 14), 13,
                       theme.muted_text_color())
        if v.severity:
            badge = QColor(theme.ERROR if v.severity == "error" else theme.WARNING)
            center = QPointF(NODE_WIDTH - 12, HEADER + 14)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(badge)
            painter.drawEllipse(center, 7, 7)
            painter.setPen(QColor("white"))
            f = QFont(_Fonts.name or QFont())
            f.setPointSizeF(8)
            painter.setFont(f)
            painter.drawText(QRectF(center.x() - 7, center.y() - 7, 14, 14), Qt.AlignmentFlag.AlignCenter, "!")

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        """Snap user drags to the grid (within the canvas's range) and keep attached edges following."""
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._syncing:
            p = QPointF(value)
            x, y = clamp_position(p.x(), p.y())
            return QPointF(round(x / GRID) * GRID, round(y / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        return super().itemChange(change, value)

    def sync_pos(self, x: float, y: float) -> None:
        """Move to the document position without snapping (the document is the truth)."""
        self._syncing = True
        try:
            self.setPos(*clamp_position(x, y))
        finally:
            self._syncing = False

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Raise the hovered card above its neighbours."""
        self.setZValue(1.5)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Back to the normal stacking order."""
        self.setZValue(1)


def _rounded(points: list[QPointF], radius: float) -> QPainterPath:
    """A polyline through ``points`` with its corners rounded (a detour around cards)."""
    path = QPainterPath(points[0])
    for prev, corner, nxt in zip(points, points[1:], points[2:], strict=False):
        a, b = corner - prev, nxt - corner
        la, lb = math.hypot(a.x(), a.y()), math.hypot(b.x(), b.y())
        r = min(radius, la / 2, lb / 2)
        if r <= 0.5:
            path.lineTo(corner)
            continue
        path.lineTo(corner - a * (r / la))
        path.quadTo(corner, corner + b * (r / lb))
    path.lineTo(points[-1])
    return path


class EdgeItem(QGraphicsPathItem):
    """A smooth curve from an output port to an input port, labelled with shape and rank.

    When the plain curve would hide behind cards (the target is not below the source, or other cards
    are in the way) the edge detours around their right side. An edge that closes a cycle is dashed
    in the error colour, so the connection a Problems entry asks to remove is there to click.
    """

    def __init__(self, edge: Edge, src: NodeItem, dst: NodeItem) -> None:
        super().__init__()
        _Fonts.ensure()
        self.edge = edge
        self.src = src
        self.dst = dst
        self.label = ""
        self.highlight = False
        self.closes_cycle = False
        self.detours = False
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        src.edges.append(self)
        dst.edges.append(self)
        self.adjust()

    def detach(self) -> None:
        """Forget the end nodes (before removal from the scene)."""
        for item in (self.src, self.dst):
            if self in item.edges:
                item.edges.remove(self)

    def set_closes_cycle(self, closes: bool) -> None:
        """Mark the edge that closes a cycle (dashed, error colour, always routed in the open)."""
        if closes != self.closes_cycle:
            self.closes_cycle = closes
            self.adjust()
            self._update_tooltip()
            self.update()

    def pen_style(self) -> Qt.PenStyle:
        """Dashed for an edge that closes a cycle, solid otherwise."""
        return Qt.PenStyle.DashLine if self.closes_cycle else Qt.PenStyle.SolidLine

    def adjust(self) -> None:
        """Recompute the curve after an end moved (detouring when the plain curve would be hidden)."""
        a = self.src.output_pos()
        b = self.dst.input_pos(self.edge.dst.port)
        dy = max(abs(b.y() - a.y()) * 0.5, 40.0)
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
        upward = b.y() < a.y() + 2 * DETOUR_STEP and abs(b.x() - a.x()) < NODE_WIDTH + DETOUR_GAP
        self.detours = self.closes_cycle or upward or bool(self._cards_in_the_way(path))
        if self.detours:
            path = self._detour(a, b)
        self.prepareGeometryChange()
        self.setPath(path)

    def _cards_in_the_way(self, path: QPainterPath) -> list[NodeItem]:
        """Cards other than the two ends that the plain curve would pass behind."""
        scene = self.scene()
        if scene is None:
            return []
        return [
            item for item in scene.items(path.boundingRect())
            if isinstance(item, NodeItem) and item is not self.src and item is not self.dst
            and path.intersects(item.sceneBoundingRect().adjusted(6, 6, -6, -6))
        ]

    def _detour(self, a: QPointF, b: QPointF) -> QPainterPath:
        """Down from the source, along the right of every card in between, into the target from above."""
        below, above = a.y() + DETOUR_STEP, b.y() - DETOUR_STEP
        top, bottom = min(below, above) - DETOUR_STEP, max(below, above) + DETOUR_STEP
        ends = [self.src.sceneBoundingRect(), self.dst.sceneBoundingRect()]
        side = max(r.right() for r in ends) + DETOUR_GAP + 12.0 * self.edge.dst.port
        scene = self.scene()
        if scene is not None:
            band = QRectF(min(a.x(), b.x()), top, 1.0, bottom - top)
            band.setRight(side + 10 * NODE_WIDTH)
            cards = sorted(
                (i.sceneBoundingRect() for i in scene.items(band) if isinstance(i, NodeItem)),
                key=lambda r: r.left(),
            )
            for rect in cards:  # step right past each card the side line would cross
                if rect.left() - DETOUR_GAP / 2 <= side <= rect.right() + DETOUR_GAP / 2:
                    side = rect.right() + DETOUR_GAP
        points = [a, QPointF(a.x(), below), QPointF(side, below), QPointF(side, above), QPointF(b.x(), above), b]
        return _rounded(points, 18.0)

    def set_label(self, text: str) -> None:
        """Show a new shape label (repaint only when it changed); an edge closing a cycle says so."""
        text = text or (LOOPS_BACK if self.closes_cycle else "")
        if text != self.label:
            self.prepareGeometryChange()
            self.label = text
            self._update_tooltip()
            self.update()

    def _update_tooltip(self) -> None:
        tip = f"{self.src.view.name} → {self.dst.view.name}\n{self.label}".rstrip()
        if self.closes_cycle:
            tip += (f"\nThis connection closes a cycle; models must be acyclic. "
                    f"Click it and press Delete to disconnect {self.src.view.name} from {self.dst.view.name}.")
        self.setToolTip(tip)

    def _label_rect(self) -> QRectF:
        mid = self.path().pointAtPercent(0.5)
        w = max(40.0, QFontMetricsF(_Fonts.label or QFont()).horizontalAdvance(self.label) + 14)
        return QRectF(mid.x() - w / 2, mid.y() - 8, w, 16)

    def boundingRect(self) -> QRectF:  # noqa: N802
        """The curve plus its label."""
        rect = self.path().boundingRect().adjusted(-6, -6, 6, 6)
        return rect.united(self._label_rect()) if self.label else rect

    def shape(self) -> QPainterPath:
        """A wide stroke so the curve is easy to hit (and to drop layers onto)."""
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Draw the curve, an arrow head and the label pill."""
        hot = self.highlight or self.isSelected()
        color = QColor(theme.ACCENT) if hot else (QColor(theme.ERROR) if self.closes_cycle else theme.edge_color())
        lod = option.levelOfDetailFromTransform(painter.worldTransform())  # type: ignore[attr-defined]
        if lod < 0.32:
            # Overview: a hairline without arrow head or label keeps big graphs fluid.
            pen = QPen(color, 0, self.pen_style())
            painter.setPen(pen)
            painter.drawPath(self.path())
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 2.4 if hot else 1.6, self.pen_style()))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        end = self.path().pointAtPercent(1.0)
        head = QPainterPath(end)
        head.lineTo(end + QPointF(-4.5, -8))
        head.lineTo(end + QPointF(4.5, -8))
        head.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPath(head)
        if self.label and lod >= COMPACT_LOD:  # a compact card already shows this shape, readably
            rect = self._label_rect()
            painter.setPen(QPen(color, 1.0))
            painter.setBrush(theme.node_fill())
            painter.drawRoundedRect(rect, 8, 8)
            painter.setPen(theme.muted_text_color() if not hot else QColor(theme.ACCENT))
            painter.setFont(_Fonts.label or QFont())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Highlight the curve and both end cards."""
        self._set_hot(True)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Remove the highlight."""
        self._set_hot(False)

    def _set_hot(self, hot: bool) -> None:
        self.highlight = hot
        for node in (self.src, self.dst):
            node.highlight = hot
            node.update()
        self.update()
