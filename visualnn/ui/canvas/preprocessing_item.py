"""The read-only "preprocessing" group in front of the Input card: the Keras layers the data implies.

Not a node of the graph: the scene derives it from the project's data (``core.preprocessing_steps``)
and hangs it above the single Input card as a child item, so it follows that card and goes with it.
It cannot be selected, moved, deleted or undone; a click on it folds or unfolds it (session state).
Collapsed it is one compact card, "Preprocessing (n steps)"; expanded, one small row per step. A
dashed arrow joins it to the Input card.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem, QWidget

from visualnn.core.layout import NODE_WIDTH
from visualnn.core.preprocessing_steps import PreprocessingStep
from visualnn.ui import theme
from visualnn.ui.canvas.items import COMPACT_LOD

TITLE_H = 30.0  # the collapsed card, and the title row of the expanded one
ROW_H = 19.0
GAP = 34.0  # between the group and the Input card: room for the dashed arrow
PAD = 10.0
STRIP = 4.0  # the category-coloured strip along the top, as on the layer cards
INDENT = 12.0  # the rows sit under the title, past its fold arrow
SLACK = 12.0  # text widths differ a little between the metrics here and the painter's device
MAX_WIDTH = 2 * NODE_WIDTH
TIP = ("Preprocessing the data implies, derived from the data (not part of the graph, not saved as layers).\n"
       "Exported models (.keras, SavedModel, .tflite, .onnx) and the script's with_preprocessing(model) put these\n"
       "Keras layers in front of the model, so they take raw data. Click to fold or unfold.")


def title_text(steps: list[PreprocessingStep]) -> str:
    """``Preprocessing (3 steps)``; ``Preprocessing (none)`` when the data goes in as it is."""
    if not steps:
        return "Preprocessing (none)"
    return f"Preprocessing ({len(steps)} step{'' if len(steps) == 1 else 's'})"


class PreprocessingGroup(QGraphicsItem):
    """The folded or unfolded list of preprocessing steps above an Input card (a child of that card)."""

    def __init__(self, steps: list[PreprocessingStep], expanded: bool = False, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.steps: list[PreprocessingStep] = []
        self.expanded = expanded
        self._width = NODE_WIDTH
        self._shown = False  # set_steps has run once
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.set_steps(steps)

    # ------------------------------------------------------------ content
    @property
    def title(self) -> str:
        """The collapsed card's text."""
        return title_text(self.steps)

    @property
    def rows(self) -> list[str]:
        """The texts of the rows on screen: none when folded."""
        return [s.text for s in self.steps] if self.expanded else []

    def set_steps(self, steps: list[PreprocessingStep]) -> None:
        """Show these steps (no repaint when nothing changed)."""
        if self._shown and steps == self.steps:
            return
        self._shown = True
        self.steps = list(steps)
        lines = [self.title, *(f"  {s.text}: {s.tooltip}" if s.tooltip else f"  {s.text}" for s in self.steps)]
        self.setToolTip("\n".join(lines) + "\n\n" + TIP)
        self._relayout()

    def set_expanded(self, expanded: bool) -> None:
        """Fold or unfold."""
        if expanded != self.expanded:
            self.expanded = expanded
            self._relayout()

    def toggle(self) -> None:
        """Fold an unfolded group, unfold a folded one."""
        self.set_expanded(not self.expanded)

    def card_height(self) -> float:
        """Height of the card (the arrow below it not counted)."""
        if not self.expanded or not self.steps:
            return TITLE_H
        return TITLE_H + ROW_H * len(self.steps) + 6

    def card_rect(self) -> QRectF:
        """The card in item coordinates (the arrow to the Input card runs below it)."""
        return QRectF(0, 0, self._width, self.card_height())

    def _relayout(self) -> None:
        fm = QFontMetricsF(_body_font())
        widest = max((fm.horizontalAdvance(s.text) for s in self.steps), default=0.0) if self.expanded else 0.0
        title = QFontMetricsF(_title_font()).horizontalAdvance(f"▾  {self.title}")
        self.prepareGeometryChange()
        self._width = min(MAX_WIDTH, max(NODE_WIDTH, widest + 2 * PAD + INDENT + SLACK, title + 2 * PAD + SLACK))
        # Centred above the Input card, the bottom GAP above its top edge: unfolding grows upwards.
        self.setPos((NODE_WIDTH - self._width) / 2, -GAP - self.card_height())
        self.update()

    # ------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The card and the dashed arrow down to the Input card."""
        return QRectF(-2, -2, self._width + 4, self.card_height() + GAP + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """A dashed-outline card with a category strip, a fold arrow, the title and (unfolded) one row per step."""
        lod = option.levelOfDetailFromTransform(painter.worldTransform())  # type: ignore[attr-defined]
        color = theme.category_color("preprocessing")
        card = self.card_rect()
        mid = self._width / 2
        edge = QPen(theme.edge_color(), 1.4, Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(edge)
        tip = QPointF(mid, card.bottom() + GAP)
        painter.drawLine(QPointF(mid, card.bottom()), tip - QPointF(0, 6))
        if lod < 0.32:  # overview: a tinted block, as the cards simplify
            painter.fillRect(card, color.lighter(150) if not theme.is_dark() else color)
            return
        head = QPainterPath(tip)
        head.lineTo(tip + QPointF(-4.5, -8))
        head.lineTo(tip + QPointF(4.5, -8))
        head.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.edge_color())
        painter.drawPath(head)
        path = QPainterPath()
        path.addRoundedRect(card, 7, 7)
        painter.setBrush(QBrush(theme.node_fill()))
        painter.drawPath(path)
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(QRectF(0, 0, self._width, STRIP), color)
        painter.restore()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(color, 1.3, Qt.PenStyle.DashLine))
        painter.drawPath(path)
        # Below the cards' compact zoom the letters grow, as the cards' do, so they stay readable.
        small = lod < COMPACT_LOD
        painter.setPen(theme.text_color())
        arrow = "▾" if self.expanded and self.steps else "▸"
        room = self._width - 2 * PAD
        title = f"{arrow}  {self.title}"
        if small:
            title = _fitted(painter, _title_font(), title, room, lod, Qt.TextElideMode.ElideRight)
        else:
            painter.setFont(_title_font())
        painter.drawText(QRectF(PAD, STRIP, room, TITLE_H - STRIP), Qt.AlignmentFlag.AlignVCenter, title)
        if not self.expanded:
            return
        painter.setPen(theme.muted_text_color())
        painter.setFont(_body_font())
        room -= INDENT
        for i, step in enumerate(self.steps):
            row = QRectF(PAD + INDENT, TITLE_H + i * ROW_H, room, ROW_H)
            if small:
                text = _fitted(painter, _body_font(), step.text, room, lod, Qt.TextElideMode.ElideMiddle)
            else:
                text = painter.fontMetrics().elidedText(step.text, Qt.TextElideMode.ElideMiddle, int(room))
            painter.drawText(row, Qt.AlignmentFlag.AlignVCenter, text)

    # ------------------------------------------------------------ the fold toggle
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Take the press on the card (so it neither selects nor drags the Input card below)."""
        if self.card_rect().contains(event.pos()):
            event.accept()
        else:
            event.ignore()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """A click on the card folds or unfolds it."""
        if self.card_rect().contains(event.pos()):
            self.toggle()
        event.accept()

    def shape(self) -> QPainterPath:
        """Only the card takes clicks; the arrow below it does not."""
        path = QPainterPath()
        path.addRect(self.card_rect())
        return path


class _Fonts:
    title: QFont | None = None
    body: QFont | None = None


def _title_font() -> QFont:
    if _Fonts.title is None:
        _Fonts.title = QFont()
        _Fonts.title.setPointSizeF(9.0)
        _Fonts.title.setBold(True)
    return _Fonts.title


def _body_font() -> QFont:
    if _Fonts.body is None:
        _Fonts.body = theme.mono_font(8.0)
    return _Fonts.body


def _fitted(painter: QPainter, base: QFont, text: str, width: float, lod: float, elide: Qt.TextElideMode) -> str:
    """Set a font about ``base``'s size on screen at zoom ``lod``, shrunk (to half at most) until ``text`` fits
    ``width``; returns the text, elided if even that does not fit."""
    font = QFont(base)
    size = font.pointSizeF() / lod
    smallest = size / 2
    for _ in range(10):
        font.setPointSizeF(size)
        painter.setFont(font)
        need = painter.fontMetrics().horizontalAdvance(text)
        if need <= width or size <= smallest:
            break
        size = max(smallest, min(size * 0.95, size * width / need))
    return painter.fontMetrics().elidedText(text, elide, int(width))
