"""Model summary table, like ``model.summary()``: name, type, output shape, params, connected to."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QTableWidgetItem, QVBoxLayout, QWidget

from visualnn.core.costs import CostReport, analyze_costs
from visualnn.core.freezing import frozen_ids
from visualnn.core.specs import fmt_shape
from visualnn.core.summary import summary_rows
from visualnn.ui import theme
from visualnn.ui.cost_view import CostSection
from visualnn.ui.deploy_check import DeployCheckBar
from visualnn.ui.document import ProjectDocument
from visualnn.ui.report_table import report_table

COLUMNS = ("Layer", "Type", "Output shape", "Params", "Connected to")


class SummaryPanel(QWidget):
    """A read-only table of layers with totals; refreshed shortly after each edit while visible."""

    node_activated = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.table = report_table(COLUMNS, self)
        self.totals = QLabel(self)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.costs = CostSection(self)  # FLOPs and memory per layer, from core.costs
        left = QWidget(self)
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.table)
        left_lay.addWidget(self.totals)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.costs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        self.deploy = DeployCheckBar(document, self)  # the TFLite precheck (the window gives it the engine)
        lay.addWidget(self.deploy)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)  # coalesce bursts of edits (spin drags) into one rebuild
        self._timer.timeout.connect(self.refresh)
        self._stale = True
        document.graph_changed.connect(self._on_document_graph_changed)
        document.training_changed.connect(self._on_document_graph_changed)  # batch size, optimizer, precision
        document.project_replaced.connect(self._on_document_graph_changed)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        self.costs.node_activated.connect(self.node_activated)
        self.refresh()

    def _on_document_graph_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Catch up on edits made while hidden."""
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the table from core's summary rows (topological order, as ``visualnn summary`` prints)."""
        shapes = self.document.shapes
        rows = summary_rows(self.document.graph, shapes)
        self.table.setUpdatesEnabled(False)
        self.table.clearContents()
        self.table.setRowCount(len(rows))
        mono = theme.mono_font(9)
        red = QBrush(QColor(theme.ERROR))
        frozen = set(frozen_ids(self.document.graph))
        for index, row in enumerate(rows):
            count = theme.fmt_count(row.params) if row.params is not None else "?"
            cells = (
                row.name + (" (frozen)" if row.id in frozen else ""),
                row.type,
                fmt_shape(row.output_shape),
                count,
                ", ".join(row.connected_to) or "—",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if col in (2, 3):
                    item.setFont(mono)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 3 and row.trainable is not None and row.non_trainable is not None:
                    item.setToolTip(f"trainable {theme.fmt_count(row.trainable)}, non-trainable "
                                    f"{theme.fmt_count(row.non_trainable)}")
                if row.error:
                    item.setForeground(red)
                    item.setToolTip(row.error)
                self.table.setItem(index, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setUpdatesEnabled(True)
        self.totals.setText(
            f"Total params: {theme.fmt_count(shapes.total_params)}   ·   "
            f"Trainable: {theme.fmt_count(shapes.trainable_params)}   ·   "
            f"Non-trainable: {theme.fmt_count(shapes.non_trainable_params)}"
        )
        self.costs.show_report(self.cost_report())
        self._stale = False

    def cost_report(self) -> CostReport:
        """The cost analysis of the document's model with its training settings (pure Python, a few ms)."""
        doc = self.document
        return analyze_costs(doc.graph, doc.project.training, doc.shapes, doc.registry)

    def _on_table_cell_double_clicked(self, row: int, column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_activated.emit(str(item.data(Qt.ItemDataRole.UserRole)))
