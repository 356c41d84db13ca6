"""The Problems list: every diagnostic with its severity; activating one selects its connection or layer.

A diagnostic that carries a one-click fix (``Issue.action``) shows it as a button in the Fix column;
the button pushes the fix as one undoable command.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from visualnn.core.commands import CommandError
from visualnn.core.fixes import fix_command, fix_label
from visualnn.core.validation import Issue
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument

_ORDER = {"error": 0, "warning": 1}


class ProblemsPanel(QWidget):
    """Diagnostics from validation; clicking one asks the window to select and centre its connection or layer."""

    node_activated = Signal(str)
    edge_activated = Signal(object)  # the Edge an issue is about (a connection to remove, say)
    count_changed = Signal(int, int)  # errors, warnings

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._shown: list[Issue] = []  # the issues in the order of the rows
        self.fix_buttons: list[QPushButton] = []  # one per row with a one-click fix, in row order
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["", "Layer", "Problem", "Fix"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree)
        document.graph_changed.connect(self.refresh)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.itemActivated.connect(self._on_tree_item_clicked)
        self.refresh()

    def issues(self) -> list[Issue]:
        """Errors and warnings, errors first."""
        shown = [i for i in self.document.issues if i.severity in _ORDER]
        return sorted(shown, key=lambda i: _ORDER[i.severity])

    def refresh(self) -> None:
        """Rebuild the list from the document's diagnostics."""
        issues = self.issues()
        names = self.document.graph.names()
        self.tree.clear()
        items = []
        for issue in issues:
            nid = issue.node_id
            item = QTreeWidgetItem(["●", names.get(nid, nid) if nid else "model", issue.message, issue.fix or ""])
            color = QColor(theme.ERROR if issue.severity == "error" else theme.WARNING)
            item.setForeground(0, color)
            item.setToolTip(0, issue.severity)
            item.setToolTip(2, issue.message)
            item.setData(0, Qt.ItemDataRole.UserRole, nid)
            items.append(item)
        self._shown = issues
        self.tree.addTopLevelItems(items)
        self.fix_buttons = []
        for item, issue in zip(items, issues, strict=True):
            if issue.action is not None:  # the button replaces the words (they stay in its tooltip)
                item.setText(3, "")
                self.tree.setItemWidget(item, 3, self._fix_cell(issue))
        errors = sum(1 for i in issues if i.severity == "error")
        self.count_changed.emit(errors, len(issues) - errors)

    def _fix_cell(self, issue: Issue) -> QWidget:
        """The Fix column of an issue with a one-click fix: a button as wide as its words, left-aligned."""
        cell = QWidget(self.tree)
        row = QHBoxLayout(cell)
        row.setContentsMargins(2, 1, 2, 1)
        button = QPushButton(fix_label(issue.action), cell)
        button.setToolTip(issue.fix or issue.message)
        button.clicked.connect(lambda _checked=False, i=issue: self.apply_fix(i))
        row.addWidget(button)
        row.addStretch(1)
        self.fix_buttons.append(button)
        return cell

    def apply_fix(self, issue: Issue) -> bool:
        """Apply the issue's one-click fix as an undoable command; True when applied."""
        if issue.action is None:
            return False
        try:
            command = fix_command(issue.action, self.document.project, self.document.registry)
        except CommandError as exc:  # the model changed since the list was drawn: the status bar says why
            self.document.command_failed.emit(str(exc))
            return False
        return self.document.push(command)

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        row = self.tree.indexOfTopLevelItem(item)
        edge = self._shown[row].edge if 0 <= row < len(self._shown) else None
        if edge is not None:
            self.edge_activated.emit(edge)
            return
        nid = item.data(0, Qt.ItemDataRole.UserRole)
        if nid:
            self.node_activated.emit(str(nid))
