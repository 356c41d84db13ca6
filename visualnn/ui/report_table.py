"""The read-only, row-selecting table the Summary tab's layer and cost reports share."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableWidget, QWidget


def report_table(columns: list[str] | tuple[str, ...], parent: QWidget) -> QTableWidget:
    """A table with ``columns``: no row numbers, no editing, whole rows selected, alternating rows.

    Columns are Interactive with the last one stretched: ResizeToContents re-measures on every setItem
    (O(n²)), so callers resize once after filling.
    """
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table
