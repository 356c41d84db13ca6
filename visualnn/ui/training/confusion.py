"""The confusion matrix as a heatmap with the count in each cell and class names on both axes.

Painted in one pass: :meth:`ConfusionMatrixView.set_matrix` only stores the numbers (microseconds,
whatever the number of classes) and asks for a repaint; :meth:`~ConfusionMatrixView.paintEvent`
draws the cells as one scaled image and the counts and labels as text. A hidden view (the Evaluation
tab behind another one) is never painted, so evaluating after a run costs the window nothing until
the user looks. The earlier pyqtgraph view built one scene item per cell: 78 ms for ten classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

TEXT_LIMIT = 30  # counts are written in the cells up to about this many classes (and while a cell has room)
MIN_TEXT_CELL_PX = 14  # a cell smaller than this shows its colour only (the tooltip still tells its count)
LABEL_MAX_PX = 120  # a longer class name is elided on the axes (the tooltip names it in full)
DARK_TEXT_ABOVE = 0.6  # a cell's row share above which its count is written in black (viridis turns yellow)
EMPTY_TEXT = "Evaluate a classifier to see its confusion matrix."
_LUT = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


@dataclass(frozen=True)
class MatrixLayout:
    """Where the parts of the heatmap go in a widget of a given size (pixels)."""

    grid: QRect  # the n x n cells
    cell: float  # one cell's side
    left_labels: QRect  # class names of the rows (true class), right-aligned against the grid
    bottom_labels: QRect  # class names of the columns (predicted class)
    rotated: bool  # the column names are written upwards (too wide for their cells)
    label_step: int  # every label_step-th class is named (many classes, small cells)


class ConfusionMatrixView(QWidget):
    """A heatmap of ``matrix`` (row = true class, column = predicted class), coloured by each row's share."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.names: list[str] = []
        self._counts = np.zeros((0, 0), dtype=np.int64)
        self._share = np.zeros((0, 0))
        self._image: QImage | None = None  # built at the first paint after set_matrix
        self.paints = 0  # paint passes so far (what a hidden view saves is visible in tests)
        self.drawn_counts: dict[tuple[int, int], str] = {}  # the texts the last paint wrote into the cells
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 140)

    # ---------------------------------------------------------------- data
    def set_matrix(self, matrix: list[list[int]], names: list[str]) -> None:
        """Show ``matrix`` (row = true class) labelled with ``names``; drawn at the next paint, if visible."""
        self.matrix = matrix
        counts = np.asarray(matrix, dtype=np.int64).reshape(len(matrix), -1) if matrix else np.zeros((0, 0), np.int64)
        n = counts.shape[0]
        self.names = [names[k] if k < len(names) else str(k) for k in range(n)]
        rows = counts.sum(axis=1, keepdims=True)
        # Coloured by row share: readable at any size and for unbalanced classes.
        self._share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
        self._counts = counts
        self._image = None
        self.drawn_counts = {}
        self.update()

    def cell_text(self, row: int, column: int) -> str:
        """The count of true class ``row`` predicted as ``column``, as it is written in its cell."""
        return f"{int(self._counts[row, column]):,}"

    def cell_colour(self, row: int, column: int) -> QColor:
        """The colour of a cell (viridis over its row share)."""
        r, g, b = (int(v) for v in _LUT[self._level(row, column)])
        return QColor(r, g, b)

    def cell_rect(self, row: int, column: int) -> QRectF:
        """A cell's rectangle in widget coordinates (at the current size)."""
        lay = self.layout_for(self.size())
        return QRectF(lay.grid.left() + column * lay.cell, lay.grid.top() + row * lay.cell, lay.cell, lay.cell)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """The (row, column) under ``pos``, or None outside the cells."""
        n = self._counts.shape[0]
        if n == 0:
            return None
        lay = self.layout_for(self.size())
        if not lay.grid.contains(pos):
            return None
        col = int((pos.x() - lay.grid.left()) / lay.cell)
        row = int((pos.y() - lay.grid.top()) / lay.cell)
        return (row, col) if 0 <= row < n and 0 <= col < n else None

    def cell_tooltip(self, row: int, column: int) -> str:
        """What hovering a cell says: both classes, the count and its share of the true class."""
        true, pred = self.names[row], self.names[column]
        return (f"true {true}, predicted {pred}: {self.cell_text(row, column)} "
                f"({self._share[row, column]:.0%} of the {true} samples)")

    def _level(self, row: int, column: int) -> int:
        return int(round(float(self._share[row, column]) * 255))

    # ---------------------------------------------------------------- geometry
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API name)
        """Room for a ten-class matrix with readable counts."""
        return QSize(420, 360)

    def layout_for(self, size: QSize) -> MatrixLayout:
        """Place the cells, the class names and the axis titles in a widget of ``size``."""
        fm = self.fontMetrics()
        n = max(self._counts.shape[0], 1)
        line = fm.height()
        label_w = min(max((fm.horizontalAdvance(name) for name in self.names), default=0), LABEL_MAX_PX)
        left = line + 6 + label_w + 4  # "true class" (upwards), the row names, a gap
        top, right = 6, 8
        title_h = line + 2  # "predicted class"
        cell = _cell(size.width() - left - right, size.height() - top - title_h - line - 4, n)
        rotated = label_w > cell - 4
        if rotated:  # the column names are written upwards, under their cells
            cell = _cell(size.width() - left - right, size.height() - top - title_h - label_w - 4, n)
        side = int(cell * n)
        # Centre the square in the room beside the labels.
        x0 = left + max(0, (size.width() - left - right - side) // 2)
        grid = QRect(x0, top, side, side)
        bottom_h = label_w if rotated else line
        step = max(1, int(np.ceil(line / max(cell, 1.0))))
        return MatrixLayout(
            grid=grid, cell=cell,
            left_labels=QRect(x0 - 4 - label_w, top, label_w, side),
            bottom_labels=QRect(x0, top + side + 4, side, bottom_h),
            rotated=rotated, label_step=step,
        )

    # ---------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API name)
        """Draw the cells (one image), the counts, the class names and the axis titles."""
        self.paints += 1
        painter = QPainter(self)
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        n = self._counts.shape[0]
        if n == 0:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_TEXT)
            painter.end()
            self.drawn_counts = {}
            return
        lay = self.layout_for(self.size())
        if self._image is None:
            rgb = np.ascontiguousarray(_LUT[np.rint(self._share * 255).astype(np.uint8)])
            self._image = QImage(rgb.data, n, n, 3 * n, QImage.Format.Format_RGB888).copy()
        painter.drawImage(QRectF(lay.grid), self._image)  # nearest-neighbour: sharp cells at any size
        self.drawn_counts = {}
        if n <= TEXT_LIMIT and lay.cell >= MIN_TEXT_CELL_PX:
            font = QFont(self.font())
            font.setPixelSize(max(8, min(int(lay.cell * 0.32), 14)))
            painter.setFont(font)
            fits = QFontMetrics(font)
            dark, light = QColor("#000"), QColor("#fff")
            for i in range(n):
                for j in range(n):
                    text = self.cell_text(i, j)
                    if fits.horizontalAdvance(text) > lay.cell - 2:
                        continue  # a count wider than its cell: the tooltip tells it
                    rect = QRectF(lay.grid.left() + j * lay.cell, lay.grid.top() + i * lay.cell, lay.cell, lay.cell)
                    painter.setPen(dark if self._share[i, j] > DARK_TEXT_ABOVE else light)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
                    self.drawn_counts[(i, j)] = text
            painter.setFont(self.font())
        self._paint_labels(painter, lay, text_colour)
        painter.end()

    def _paint_labels(self, painter: QPainter, lay: MatrixLayout, colour: QColor) -> None:
        fm = self.fontMetrics()
        painter.setPen(colour)
        n = self._counts.shape[0]
        for k in range(0, n, lay.label_step):
            name = fm.elidedText(self.names[k], Qt.TextElideMode.ElideRight, LABEL_MAX_PX)
            y = lay.grid.top() + k * lay.cell
            painter.drawText(QRectF(lay.left_labels.left(), y, lay.left_labels.width(), lay.cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            x = lay.grid.left() + k * lay.cell
            if lay.rotated:  # upwards, ending just under the cell
                painter.save()
                painter.translate(x + lay.cell / 2, lay.bottom_labels.top())
                painter.rotate(-90)
                painter.drawText(QRectF(-lay.bottom_labels.height(), -fm.height() / 2, lay.bottom_labels.height(),
                                        fm.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
                painter.restore()
            else:
                painter.drawText(QRectF(x, lay.bottom_labels.top(), lay.cell, lay.bottom_labels.height()),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        title_font = QFont(self.font())
        title_font.setItalic(True)
        painter.setFont(title_font)
        painter.drawText(QRectF(lay.grid.left(), lay.bottom_labels.bottom() + 2, lay.grid.width(), fm.height() + 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "predicted class")
        painter.save()
        painter.translate(max(0, lay.left_labels.left() - fm.height() - 6), lay.grid.top() + lay.grid.height() / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-lay.grid.height() / 2, 0, lay.grid.height(), fm.height() + 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "true class")
        painter.restore()
        painter.setFont(self.font())

    def event(self, e: QEvent) -> bool:
        """Hovering a cell names both classes and gives its count and share."""
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            cell = self.cell_at(e.pos())
            if cell is None:
                QToolTip.hideText()
                e.ignore()
            else:
                QToolTip.showText(e.globalPos(), self.cell_tooltip(*cell), self)
            return True
        return super().event(e)


def _cell(width: int, height: int, n: int) -> float:
    """The side of one cell in whole pixels (sharp edges): the n x n square fills the smaller dimension."""
    return float(max(1, min(width, height) // n))


__all__ = ["ConfusionMatrixView", "MatrixLayout"]
