"""Help menu: layer/loss/optimizer/metric reference with Keras links, Show log, and the error dialog.

``show_error(parent, title, message, details)`` is the one error dialog of the app: a message that
says what happened and what to do, the traceback or cause folded under "Details", and a "Copy
details" button that puts a ready-to-paste report (with versions) on the clipboard.
"""

from __future__ import annotations

import logging
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn import __version__, logs

log = logging.getLogger(__name__)
KERAS_DOCS = "https://keras.io/api/"


def open_url(url: str | QUrl) -> bool:
    """Open a web page or local file with the desktop's default handler (patched in tests)."""
    return bool(QDesktopServices.openUrl(url if isinstance(url, QUrl) else QUrl(url)))


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
    from visualnn.core import training_settings as ts

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
        self.detail.linkActivated.connect(lambda url: open_url(url))
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
            open_url(entry.url)


# ----------------------------------------------------------------------------- error dialog
def error_report(title: str, message: str, details: str = "") -> str:
    """Plain-text report for bug trackers: what failed, the details, versions and the log's location."""
    from PySide6 import __version__ as pyside_version

    lines = [
        f"{title}: {message}",
        "",
        f"VisualNN {__version__}; Python {platform.python_version()}; PySide6 {pyside_version}; "
        f"{platform.system()} {platform.release()} ({platform.machine()})",
        f"Log file: {logs.log_path()}",
    ]
    if details:
        lines += ["", "Details:", details.rstrip()]
    return "\n".join(lines) + "\n"


class ErrorDialog(QDialog):
    """An error message with folded details and a "Copy details" button (copies :func:`error_report`)."""

    def __init__(self, title: str, message: str, details: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("ErrorDialog")
        self.report = error_report(title, message, details)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(160)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.message, 1)
        buttons = QDialogButtonBox()
        self.details_button = buttons.addButton("Show details", QDialogButtonBox.ButtonRole.ActionRole)
        self.details_button.setEnabled(bool(details))
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.log_button = buttons.addButton("Show log", QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        # ActionRole buttons would close a QMessageBox; wiring clicks here keeps the dialog open.
        self.details_button.clicked.connect(self._on_details_clicked)
        self.copy_button.clicked.connect(self.copy_details)
        self.log_button.clicked.connect(show_log)
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the full report on the clipboard."""
        QGuiApplication.clipboard().setText(self.report)
        self.copy_button.setText("Copied ✓")

    def _on_details_clicked(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> ErrorDialog:
    """Show an error (window-modal, non-blocking), log it with its details, and return the dialog."""
    log.error("%s: %s%s", title, message, f"\n{details}" if details else "")
    dialog = ErrorDialog(title, message, details, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def show_exception(parent: QWidget | None, title: str, message: str, exc: BaseException) -> ErrorDialog:
    """:func:`show_error` with the exception's traceback as the details."""
    import traceback

    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return show_error(parent, title, message, details)


# ----------------------------------------------------------------------------- logs
def show_log(process: str = "visualnn") -> bool:
    """Open the log file in the default viewer (its folder when the file does not exist yet)."""
    path: Path = logs.log_path(process)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path = path.parent
    return open_url(QUrl.fromLocalFile(str(path)))


def show_log_folder() -> bool:
    """Open the folder holding the app's and the engine's logs."""
    folder = logs.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return open_url(QUrl.fromLocalFile(str(folder)))


# ----------------------------------------------------------------------------- menu
def _help_menu(menu_bar: QMenuBar) -> QMenu:
    for action in menu_bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "").strip().lower() == "help":
            return menu
    return menu_bar.addMenu("&Help")


def install_help_menu(
    window: QMainWindow, menu_bar: QMenuBar | None = None, *, engine_info: Callable[[], object] | None = None
) -> QMenu:
    """Add reference, tour, log and About actions to the window's Help menu (created if missing)."""
    menu = _help_menu(menu_bar or window.menuBar())
    for existing in menu.actions():
        # One About entry: ours shows versions and devices, so it replaces a plain one.
        if existing.text().replace("&", "").strip().lower() == "about visualnn":
            menu.removeAction(existing)
    dialogs: dict[str, QDialog | None] = {}

    def reference(kind: str | None = None) -> None:
        dialog = ReferenceDialog(window, kind)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialogs["reference"] = dialog
        dialog.show()

    def about() -> None:
        from visualnn.ui.about import show_about

        dialogs["about"] = show_about(window, engine_info() if engine_info else None)

    def tour() -> None:
        from visualnn.ui.welcome import show_tour

        dialogs["tour"] = show_tour(window, force=True)

    def add(text: str, slot: Callable[[], object], name: str, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, window)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    add("Layer reference…", lambda: reference("Layers"), "helpLayerReference", QKeySequence(QKeySequence.StandardKey.HelpContents))
    add("Losses, optimizers and metrics…", lambda: reference("Losses"), "helpCompileReference")
    add("Keras documentation", lambda: open_url(KERAS_DOCS), "helpKerasDocs")
    menu.addSeparator()
    add("Guided tour", tour, "helpTour")
    menu.addSeparator()
    add("Show log", show_log, "helpShowLog")
    add("Open log folder", show_log_folder, "helpLogFolder")
    menu.addSeparator()
    about_action = add("About VisualNN", about, "helpAbout")
    about_action.setMenuRole(QAction.MenuRole.AboutRole)
    window.setProperty("visualnn_help_installed", True)
    # Keep the dialogs reachable from the menu object (tests, and so Python does not collect them).
    menu.visualnn_dialogs = dialogs  # type: ignore[attr-defined]
    return menu


def excepthook_dialog(parent: QWidget | None) -> None:
    """Show uncaught exceptions in the GUI as an error dialog (after logging them)."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        previous(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt):
            return
        import traceback

        details = "".join(traceback.format_exception(kind, value, tb))
        try:
            show_error(parent, "Unexpected error", f"Something went wrong: {value}. The details are in the log; Copy details for a report.", details)
        except Exception:  # never let the hook itself raise
            log.exception("could not show the error dialog")

    sys.excepthook = hook


__all__ = [
    "DocEntry",
    "ErrorDialog",
    "ReferenceDialog",
    "error_report",
    "excepthook_dialog",
    "install_help_menu",
    "open_url",
    "reference_entries",
    "show_error",
    "show_exception",
    "show_log",
    "show_log_folder",
]
