"""GraphView: zoom, pan, fit, the empty-canvas hint and palette drops.

The view follows a fit (an opened project, Fit to View) through window and panel resizes until the
user zooms, pans or drops a layer; from then on it keeps their zoom and position.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from visualnn.core.graph import Edge
from visualnn.ui import theme
from visualnn.ui.canvas import BLOCK_MIME, LAYER_MIME
from visualnn.ui.canvas.items import EdgeItem
from visualnn.ui.canvas.scene import GraphScene

MIN_ZOOM = 0.08
MAX_ZOOM = 3.0
FIT_MARGIN = 28  # pixels kept free around a fitted model
EMPTY_HINT = "Drag a layer from the palette, or start from a template (File ▸ New from Template)."


class GraphView(QGraphicsView):
    """The canvas widget: wheel/pinch zoom, middle- or space-drag pan, drops from the palette."""

    zoom_changed = Signal(float)

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.graph_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self._pan_from: QPointF | None = None
        self._space = False
        self._drop_edge: EdgeItem | None = None
        self._hint_shown = not scene.nodes
        self._follow_fit = True  # refit on resize until the user zooms or pans
        self.setBackgroundBrush(theme.canvas_background())
        scene.document.graph_changed.connect(self._on_document_graph_changed)
        scene.preprocessing_changed.connect(self._on_scene_preprocessing_changed)

    # ------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        """Current scale factor (1.0 = 100 %)."""
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        """The user's zoom: scale to ``factor`` (clamped), keeping ``anchor`` (view coords) fixed when given."""
        self._follow_fit = False
        self._scale_to(factor, anchor)

    def _scale_to(self, factor: float, anchor: QPointF | None = None) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor)) if not math.isnan(factor) else 1.0
        current = self.zoom
        if not (math.isfinite(current) and current > 0):
            # A degenerate transform (a fit of an unusable rectangle) cannot be scaled from: start at 100 %.
            self.resetTransform()
            current = 1.0
        rel = factor / current
        if anchor is None:
            self.scale(rel, rel)
        else:
            before = self.mapToScene(anchor.toPoint())
            self.scale(rel, rel)
            after = self.mapToScene(anchor.toPoint())
            delta = after - before
            self.translate(delta.x(), delta.y())
        self.zoom_changed.emit(self.zoom)

    def zoom_in(self) -> None:
        """One step closer."""
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        """One step further."""
        self.set_zoom(self.zoom / 1.25)

    def fit(self) -> None:
        """Show the whole model (not above 120 % so small models do not look huge), and keep it shown on resizes."""
        self._follow_fit = True
        rect = self.graph_scene.itemsBoundingRect()
        if rect.isEmpty() or not all(math.isfinite(v) for v in (rect.left(), rect.top(), rect.width(), rect.height())):
            self.resetTransform()
            self.centerOn(0, 0)
        else:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            # A margin in screen pixels, so a large model at low zoom still has room around it.
            vp = self.viewport().rect()
            room = min((vp.width() - 2 * FIT_MARGIN) / max(vp.width(), 1), (vp.height() - 2 * FIT_MARGIN) / max(vp.height(), 1))
            self._scale_to(min(1.2, self.zoom * max(room, 0.1)))
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom)

    def show_model(self) -> None:
        """Opening view: the whole model fitted to the canvas (cards simplify when it is large)."""
        self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Keep a fitted model fitted while the window or the panels around the canvas change size."""
        super().resizeEvent(event)
        if self._follow_fit:
            self.fit()

    def center_on_node(self, node_id: str) -> None:
        """Scroll so a node is in the middle of the view (Problems list double-click)."""
        item = self.graph_scene.nodes.get(node_id)
        if item is not None:
            self._follow_fit = False
            self.centerOn(item.sceneBoundingRect().center())

    def focus_edge(self, edge: Edge) -> None:
        """Select a connection and scroll it into the middle (a Problems entry about it); its layer when it is not drawn."""
        item = self.graph_scene.edges.get(edge)
        if item is None:
            ends = [n for n in (edge.dst.node, edge.src.node) if n in self.graph_scene.nodes]
            if ends:
                self.graph_scene.select_ids(ends[:1])
                self.center_on_node(ends[0])
            return
        self.graph_scene.select_ids([], [edge])
        self._follow_fit = False
        self.centerOn(item.path().pointAtPercent(0.5))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        """Wheel zooms around the cursor (touchpad two-finger scroll without Ctrl pans)."""
        if event.pixelDelta().manhattanLength() and not event.modifiers() & Qt.KeyboardModifier.ControlModifier and not event.angleDelta().y() % 120 == 0:
            d = event.pixelDelta()
            self._follow_fit = False
            self.translate(d.x() / self.zoom, d.y() / self.zoom)
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom * math.pow(1.15, steps), event.position())

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        """Pinch to zoom on touchpads."""
        if event.type() == QEvent.Type.NativeGesture and isinstance(event, QNativeGestureEvent):
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                self.set_zoom(self.zoom * (1.0 + event.value()), event.position())
                return True
        return super().viewportEvent(event)

    # ------------------------------------------------------------ pan
    def _start_pan(self, event: QMouseEvent) -> None:
        self._pan_from = event.position()
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Middle button (or space + left) starts panning."""
        if event.button() == Qt.MouseButton.MiddleButton or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._start_pan(event)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Pan while the pan button is held."""
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the view by screen pixels."""
        self._follow_fit = False
        t = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.translate(dx / self.zoom, dy / self.zoom)
        self.setTransformationAnchor(t)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Stop panning."""
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Holding space turns left-drag into panning."""
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Releasing space ends pan mode."""
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept layers dragged from the palette."""
        if event.mimeData().hasFormat(LAYER_MIME) or event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        """Highlight the connection a layer would be inserted into."""
        if not (event.mimeData().hasFormat(LAYER_MIME) or event.mimeData().hasFormat(BLOCK_MIME)):
            super().dragMoveEvent(event)
            return
        edge = self.graph_scene.edge_at(self.mapToScene(event.position().toPoint()))
        self._set_drop_edge(edge)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QEvent) -> None:  # noqa: N802
        """Clear the drop highlight."""
        self._set_drop_edge(None)
        super().dragLeaveEvent(event)  # type: ignore[arg-type]

    def _set_drop_edge(self, edge: EdgeItem | None) -> None:
        if edge is self._drop_edge:
            return
        if self._drop_edge is not None and self._drop_edge.scene() is not None:
            self._drop_edge.highlight = False
            self._drop_edge.update()
        self._drop_edge = edge
        if edge is not None:
            edge.highlight = True
            edge.update()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Add the dropped layer at the drop point, or into the connection under it."""
        mime = event.mimeData()
        if mime.hasFormat(BLOCK_MIME):  # one of the project's blocks: a Block node that uses it
            self._set_drop_edge(None)
            self._follow_fit = False
            pos = self.mapToScene(event.position().toPoint())
            edge = self.graph_scene.edge_at(pos)
            self.graph_scene.controller.add_block(bytes(mime.data(BLOCK_MIME).data()).decode("utf-8"),
                                                  (pos.x(), pos.y()), edge=edge.edge if edge is not None else None)
            event.acceptProposedAction()
            return
        if not mime.hasFormat(LAYER_MIME):
            super().dropEvent(event)
            return
        type_id = bytes(mime.data(LAYER_MIME).data()).decode("utf-8")
        self._set_drop_edge(None)
        # The user is placing layers where they see them: the view stays put from now on (a refit, say when
        # the preprocessing group appears above a dropped Input, would move the canvas under their hand).
        self._follow_fit = False
        self.drop_layer(type_id, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
        self.setFocus()

    def drop_layer(self, type_id: str, scene_pos: QPointF) -> str | None:
        """Add ``type_id`` at ``scene_pos`` (inserting into an edge under it); returns the new id."""
        edge = self.graph_scene.edge_at(scene_pos)
        return self.graph_scene.controller.add_layer(
            type_id, (scene_pos.x(), scene_pos.y()), edge=edge.edge if edge is not None else None
        )

    # ------------------------------------------------------------ painting
    def _on_document_graph_changed(self) -> None:
        # The hint spans the whole viewport, but a smart update repaints only the items that
        # changed: without a full repaint, the parts of the hint beside the first card stay on screen.
        empty = not self.graph_scene.nodes
        if empty != self._hint_shown:
            self._hint_shown = empty
            self.viewport().update()

    def _on_scene_preprocessing_changed(self) -> None:
        # The group above the Input card arrives when the data has been read: a fitted view takes it in.
        if self._follow_fit:
            self.fit()

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        """Plain background with a light dot grid when zoomed in enough."""
        painter.fillRect(rect, theme.canvas_background())
        if self.zoom < 0.5:
            return
        step = 40.0
        painter.setPen(theme.grid_color())
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        if len(points) < 20000:
            painter.drawPoints(points)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        """The empty-canvas hint."""
        if self.graph_scene.nodes:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(theme.muted_text_color())
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        painter.setFont(font)
        painter.drawText(self.viewport().rect().adjusted(40, 0, -40, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_HINT)
        painter.restore()
