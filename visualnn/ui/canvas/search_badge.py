"""The badge on a node card whose parameters a hyperparameter search varies: ``search ×2`` at the card's top-left
corner, its tooltip listing each searched parameter as ``dense_1.units=16,32,64`` (``SearchParam.describe``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from visualnn.core.search_space import SearchParam
from visualnn.ui import theme

BADGE_HEIGHT = 15.0


class SearchBadge(QGraphicsItem):
    """A pill child of a node card; present only while the layer has searched parameters."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.params: tuple[SearchParam, ...] = ()
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.setPos(-6, -BADGE_HEIGHT / 2 - 2)

    @property
    def text(self) -> str:
        """What the pill says."""
        return f"search ×{len(self.params)}" if len(self.params) > 1 else "search"

    def set_params(self, params: Sequence[SearchParam]) -> None:
        """Show these searched parameters (the tooltip lists them)."""
        params = tuple(params)
        if params == self.params:
            return
        self.prepareGeometryChange()
        self.params = params
        self.setToolTip("Searched by the hyperparameter search:\n" + "\n".join(p.describe() for p in params))
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The pill."""
        width = QFontMetricsF(self._font).horizontalAdvance(self.text) + 12
        return QRectF(0, 0, width, BADGE_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """An accent pill with white text."""
        rect = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.ACCENT))
        painter.drawRoundedRect(rect, BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        painter.setPen(QColor("white"))
        painter.setFont(self._font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text)


def badge_of(item: QGraphicsItem) -> SearchBadge | None:
    """The search badge of a node card, if it has one."""
    return next((c for c in item.childItems() if isinstance(c, SearchBadge)), None)


def sync_badges(items: Mapping[str, QGraphicsItem], space: Sequence[SearchParam]) -> None:
    """Give each card whose layer is searched a badge listing its parameters; remove the others' badges."""
    by_node: dict[str, list[SearchParam]] = {}
    for param in space:
        if param.node is not None:
            by_node.setdefault(param.node, []).append(param)
    for node_id, item in items.items():
        badge = badge_of(item)
        params = by_node.get(node_id)
        if params:
            (badge or SearchBadge(item)).set_params(params)
        elif badge is not None:
            scene = badge.scene()
            if scene is not None:
                scene.removeItem(badge)  # the badge leaves its card with the scene (no parent keeps it)


__all__ = ["SearchBadge", "badge_of", "sync_badges"]
