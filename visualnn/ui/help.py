"""Help menu: layer/loss/optimizer/metric reference with Keras links, the tour, the log and About.

The error dialog and the log helpers live in :mod:`visualnn.ui.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn.ui import errors
from visualnn.ui.about import show_about
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.model_styles_help import show_model_styles
from visualnn.ui.welcome import show_tour

KERAS_DOCS = "https://keras.io/api/"


# ----------------------------------------------------------------------------- reference
@dataclass(frozen=True)
class DocEntry:
    """One documented thing: a layer, loss, optimizer, metric or schedule, its one-line doc and link."""

    kind: str
    name: str
    doc: str
    url: str
    group: str = ""


def reference_entries() -> list[DocEntry]:
    """Every layer spec and compile option with its doc line and Keras documentation URL."""
    from visualnn.core.specs import default_registry

    entries = [
        DocEntry("Layers", spec.type, spec.doc.strip().splitlines()[0] if spec.doc else "", spec.url, spec.category)
        for spec in sorted(default_registry(), key=lambda s: s.type.lower())
    ]
    from visualnn.core import training_options as ts

    for kind, options in (
        ("Losses", ts.LOSSES),
        ("Optimizers", ts.OPTIMIZERS),
        ("Metrics", ts.METRICS),
        ("Learning-rate schedules", ts.SCHEDULES),
        ("Callbacks", ts.CALLBACKS),
    ):
        entries += [DocEntry(kind, o.label, o.doc, o.url, o.keras_name) for o in options]
    return entries


class ReferenceDialog(QDialog):
    """Searchable list of every layer, loss, optimizer and metric with its doc and Keras link."""

    def __init__(self, parent: QWidget | None = None, kind: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("VisualNN reference")
        self.resize(760, 520)
        self.entries = reference_entries()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers, losses, optimizers, metrics…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "What it does"])
        self.tree.setColumnWidth(0, 220)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setOpenExternalLinks(False)
        self.detail.linkActivated.connect(lambda url: errors.open_url(url))
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.open_button = QPushButton("Open Keras documentation")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._on_open_clicked)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 4)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(close)
        layout.addLayout(row)
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._items: list[tuple[QTreeWidgetItem, QTreeWidgetItem, DocEntry]] = []  # (group, item, entry)
        for entry in self.entries:
            group = self._groups.get(entry.kind)
            if group is None:
                group = self._groups[entry.kind] = QTreeWidgetItem(self.tree, [entry.kind])
                group.setFirstColumnSpanned(True)
                group.setExpanded(kind is None or kind == entry.kind)
            item = QTreeWidgetItem(group, [entry.name, entry.doc])
            item.setToolTip(0, entry.url)
            item.setToolTip(1, entry.doc)
            item.setData(0, Qt.ItemDataRole.UserRole, entry)
            self._items.append((group, item, entry))
        self.search.textChanged.connect(self._on_search_text_changed)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.tree.itemActivated.connect(lambda _item, _col: self._on_open_clicked())

    def current_entry(self) -> DocEntry | None:
        """The entry selected in the tree, if any."""
        item = self.tree.currentItem()
        data = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return data if isinstance(data, DocEntry) else None

    def visible_names(self) -> list[str]:
        """Names of the entries the search leaves visible (for tests and accessibility)."""
        return [entry.name for _group, item, entry in self._items if not item.isHidden()]

    def select(self, name: str) -> bool:
        """Select the entry called ``name`` (case-insensitive); False when there is none."""
        for group, item, entry in self._items:
            if entry.name.lower() == name.lower():
                group.setExpanded(True)
                self.tree.setCurrentItem(item)
                return True
        return False

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        shown: dict[str, int] = dict.fromkeys(self._groups, 0)
        for _group, item, entry in self._items:
            hit = not needle or needle in f"{entry.name} {entry.doc} {entry.group}".lower()
            item.setHidden(not hit)
            shown[entry.kind] += hit
        for kind, group in self._groups.items():
            group.setHidden(shown[kind] == 0)
            if needle:
                group.setExpanded(True)

    def _on_tree_current_changed(self, *_args: object) -> None:
        entry = self.current_entry()
        self.open_button.setEnabled(entry is not None)
        if entry is None:
            self.detail.clear()
            return
        self.detail.setText(
            f"<b>{entry.name}</b> <span style='color: palette(mid)'>{entry.kind[:-1].lower()}</span><br>"
            f"{entry.doc}<br><a href='{entry.url}'>{entry.url}</a>"
        )

    def _on_open_clicked(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            errors.open_url(entry.url)


# ----------------------------------------------------------------------------- menu
class HelpMenu(QObject):
    """Fills the window's Help menu and keeps the dialogs it opened (so Python does not collect them)."""

    def __init__(
        self,
        menu: QMenu,
        window: QWidget,
        engine: EngineLink | None,
        show_step: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(menu)
        self.menu = menu
        self.window = window
        self.engine = engine
        self.show_step = show_step
        self.dialogs: dict[str, QDialog] = {}
        self.actions: dict[str, QAction] = {}
        add = self._add
        add("helpLayerReference", "Layer reference…", lambda: self.reference("Layers"),
            QKeySequence(QKeySequence.StandardKey.HelpContents))
        add("helpCompileReference", "Losses, optimizers and metrics…", lambda: self.reference("Losses"))
        add("helpModelStyles", "Sequential, functional or subclassing: which and why", self.model_styles)
        add("helpKerasDocs", "Keras documentation", lambda: errors.open_url(KERAS_DOCS))
        menu.addSeparator()
        add("helpTour", "Guided tour", self.tour)
        menu.addSeparator()
        add("helpShowLog", "Show log", errors.show_log)
        add("helpLogFolder", "Open log folder", errors.show_log_folder)
        menu.addSeparator()
        add("helpAbout", "About VisualNN", self.about).setMenuRole(QAction.MenuRole.AboutRole)

    def _add(self, name: str, text: str, slot: Callable[[], object], shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        self.actions[name] = action
        return action

    def reference(self, kind: str | None = None) -> ReferenceDialog:
        """Open the reference, expanded at ``kind`` (``Layers``, ``Losses``...)."""
        dialog = ReferenceDialog(self.window, kind)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs["reference"] = dialog
        dialog.show()
        return dialog

    def model_styles(self) -> QDialog:
        """Open the page on the three ways to define a Keras model (also linked from the Code dock)."""
        dialog = show_model_styles(self.window)
        self.dialogs["model_styles"] = dialog
        return dialog

    def about(self) -> QDialog:
        """Open About: versions, and the devices the engine reports."""
        dialog = show_about(self.window, self.engine)
        self.dialogs["about"] = dialog
        return dialog

    def tour(self) -> QDialog | None:
        """Open the guided tour even when it was dismissed."""
        dialog = show_tour(self.window, force=True, show_step=self.show_step)
        if dialog is not None:
            self.dialogs["tour"] = dialog
        return dialog


def install_help_menu(
    menu: QMenu, window: QWidget, engine: EngineLink | None, show_step: Callable[[str], None] | None = None
) -> HelpMenu:
    """Add reference, Keras docs, tour, log and About actions to ``menu`` (the window's Help menu)."""
    return HelpMenu(menu, window, engine, show_step)


__all__ = ["KERAS_DOCS", "DocEntry", "HelpMenu", "ReferenceDialog", "install_help_menu", "reference_entries"]
