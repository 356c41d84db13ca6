"""The Summary tab's cost section: totals, a bar of the costliest layers and a sortable per-layer table.

Everything shown comes from ``core.costs.CostReport`` (pure Python, recomputed after each edit); nothing here
runs TensorFlow.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.costs import CostReport, NodeCost, fmt_bytes, fmt_flops
from visualnn.ui import theme
from visualnn.ui.report_table import report_table

COST_COLUMNS = ("Layer", "Type", "FLOPs / sample", "MACs / sample", "Weights", "Output (batch)", "Kept for training")
METRICS = {"FLOPs": "flops", "Training memory": "kept_bytes", "Weights": "weight_bytes"}
"""The bar's choices: label -> NodeCost attribute."""
TOP = 6


class SortItem(QTableWidgetItem):
    """A cell that shows formatted text but sorts by its number (unknown values sort first)."""

    def __init__(self, text: str, value: float | None) -> None:
        super().__init__(text)
        self.value = -1.0 if value is None else float(value)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, SortItem):
            return self.value < other.value
        return super().__lt__(other)


class CostBar(QWidget):
    """Horizontal bars of the ``TOP`` layers by one metric, each with its share of the total."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int, str]] = []  # (layer name, value, text)
        self.total = 0
        self.setFixedHeight(26)

    def set_rows(self, nodes: list[NodeCost], attribute: str) -> None:
        """Show the largest ``attribute`` values of ``nodes``."""
        values = [(n.name, int(getattr(n, attribute) or 0)) for n in nodes]
        self.total = sum(v for _, v in values)
        fmt = fmt_flops if attribute == "flops" else fmt_bytes
        top = sorted(values, key=lambda nv: nv[1], reverse=True)[:TOP]
        self.rows = [(name, v, fmt(v)) for name, v in top if v > 0]
        self.setFixedHeight(max(len(self.rows), 1) * 18 + 8)  # leave the rest of the tab to the table
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Name, bar (scaled to the largest) and value with its percentage of the total."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = painter.fontMetrics()
        name_w = min(160, max((fm.horizontalAdvance(r[0]) for r in self.rows), default=40) + 8)
        text_w = 120
        width = max(self.width() - name_w - text_w - 8, 10)
        biggest = max((r[1] for r in self.rows), default=1) or 1
        colour = QColor(theme.ACCENT)
        for i, (name, value, text) in enumerate(self.rows):
            y = 4 + i * 18
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(0, y, name_w - 4, 16), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             fm.elidedText(name, Qt.TextElideMode.ElideRight, name_w - 6))
            painter.fillRect(QRectF(name_w, y + 2, max(width * value / biggest, 1), 12), colour)
            share = f" ({100 * value / self.total:.0f} %)" if self.total else ""
            painter.drawText(QRectF(name_w + width + 6, y, text_w, 16),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text + share)
        painter.end()


class CostSection(QWidget):
    """Totals line, the bar with its metric chooser, and the sortable per-layer cost table."""

    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = CostReport()
        self.totals = QLabel(self)
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.metric_box = QComboBox(self)
        self.metric_box.addItems(list(METRICS))
        self.metric_box.setToolTip("What the bars compare")
        self.bar = CostBar(self)
        self.table = report_table(COST_COLUMNS, self)
        # No sort until a header is clicked: the rows stay in the model's order. (Qt's default indicator, column 0
        # descending, listed a model's layers by name backwards: input_1, dropout_1, dense_3, ...)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Top layers by", self))
        top.addWidget(self.metric_box)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.totals)
        lay.addLayout(top)
        lay.addWidget(self.bar)
        lay.addWidget(self.table, 1)
        self.metric_box.currentTextChanged.connect(self._on_metric_current_text_changed)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)

    def show_report(self, report: CostReport) -> None:
        """Fill the totals, the bar and the table from ``report`` (keeping the user's sort column)."""
        self.report = report
        self.totals.setText(totals_text(report))
        self.bar.set_rows(list(report.nodes), METRICS[self.metric_box.currentText()])
        table = self.table
        table.setUpdatesEnabled(False)
        table.setSortingEnabled(False)  # filling a sorted table moves rows under the cursor
        table.clearContents()
        table.setRowCount(len(report.nodes))
        mono = theme.mono_font(9)
        grey = QColor(theme.WARNING)
        for row, n in enumerate(report.nodes):
            flops_text = fmt_flops(n.flops) if n.formula else "0 (no formula)"
            cells: list[QTableWidgetItem] = [
                SortItem(n.name, row), QTableWidgetItem(n.type),  # by Layer: the model's order
                SortItem(flops_text, n.flops), SortItem(fmt_flops(n.macs), n.macs),
                SortItem(fmt_bytes(n.weight_bytes), n.weight_bytes),
                SortItem(fmt_bytes(n.activation_bytes), n.activation_bytes),
                SortItem(fmt_bytes(n.kept_bytes), n.kept_bytes),
            ]
            for col, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, n.id)
                if col >= 2:
                    item.setFont(mono)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if n.note:
                    item.setToolTip(n.note)
                if not n.formula or n.macs is None:
                    item.setForeground(grey)
                table.setItem(row, col, item)
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setUpdatesEnabled(True)

    def _on_metric_current_text_changed(self, text: str) -> None:
        self.bar.set_rows(list(self.report.nodes), METRICS[text])

    def _on_table_cell_double_clicked(self, row: int, column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_activated.emit(str(item.data(Qt.ItemDataRole.UserRole)))


def with_unit(number: str, unit: str) -> str:
    """``4.97 M`` + ``FLOPs`` -> ``4.97 MFLOPs``; ``198`` -> ``198 FLOPs``."""
    return f"{number}{unit}" if number[-1:].isalpha() else f"{number} {unit}"


def totals_text(report: CostReport) -> str:
    """One paragraph: FLOPs per sample, then the memory estimates and what they assume."""
    text = (f"<b>{with_unit(fmt_flops(report.flops), 'FLOPs')}</b> per sample "
            f"({with_unit(fmt_flops(report.macs), 'MACs')})  ·  "
            f"training peak ≈ <b>{fmt_bytes(report.training_peak_bytes)}</b>  ·  inference peak ≈ "
            f"{fmt_bytes(report.inference_peak_bytes)}  ·  batch {report.batch_size}, {report.optimizer} "
            f"({report.slots_per_weight} slot{'s' if report.slots_per_weight != 1 else ''} per weight)"
            + (f", {report.precision}" if report.precision != "none" else ""))
    gaps = [n.name for n in report.without_formula]
    if gaps:
        text += f"<br><span style='color:{theme.WARNING}'>No analytic formula (counted as 0): {', '.join(gaps)}</span>"
    unknown = [n.name for n in report.unknown]
    if unknown:
        text += f"<br><span style='color:{theme.WARNING}'>Cost unknown: {', '.join(unknown)}</span>"
    return text
