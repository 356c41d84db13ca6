"""The app's one error dialog, and the hooks that route every uncaught failure to it.

``show_error(parent, title, message, details)`` shows a message that says what happened and what
to do, the traceback or cause folded under "Details", a "Copy details" button that puts a
ready-to-paste report (with versions) on the clipboard, and "Show log".

:class:`ErrorReporter` is installed once by the composition root (``visualnn.ui.app``): uncaught
exceptions (GUI and worker threads, through :func:`visualnn.logs.install_excepthook`, which writes
the traceback to the log) and Qt's critical messages each open an :class:`ErrorDialog` that names
what failed, so no failure in the window is silent.
"""

from __future__ import annotations

import logging
import platform
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QObject, Qt, QtMsgType, QUrl, Signal, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from visualnn import __version__, logs

log = logging.getLogger(__name__)
UNEXPECTED = "Unexpected error"


# ----------------------------------------------------------------------------- desktop and log
def open_url(url: str | QUrl) -> bool:
    """Open a web page or local file with the desktop's default handler (tests patch this one function)."""
    return bool(QDesktopServices.openUrl(url if isinstance(url, QUrl) else QUrl(url)))


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


# ----------------------------------------------------------------------------- the dialog
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
        self.title = title
        self.report = error_report(title, message, details)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(message)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # messages quote user data; never render it as HTML
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
        self.log_button.clicked.connect(self._on_log_clicked)
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the full report (message, versions, traceback) on the clipboard."""
        QGuiApplication.clipboard().setText(self.report)
        self.copy_button.setText("Copied ✓")

    def _on_details_clicked(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def _on_log_clicked(self) -> None:
        show_log()


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> ErrorDialog:
    """Show an error (window-modal, non-blocking), log it with its details, and return the dialog."""
    log.error("%s: %s%s", title, message, f"\n{details}" if details else "")
    dialog = ErrorDialog(title, message, details, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def show_exception(parent: QWidget | None, title: str, message: str, exc: BaseException) -> ErrorDialog:
    """:func:`show_error` with the exception's traceback as the details."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return show_error(parent, title, message, details)


# ----------------------------------------------------------------------------- uncaught failures
def describe_failure(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    """One sentence naming what failed: the exception and the function and file where it was raised."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = ""
    if frames:
        last = frames[-1]
        where = f" in {last.name} ({Path(last.filename).name}, line {last.lineno})"
    text = str(value).strip()
    return f"{kind.__name__}{where}: {text}" if text else f"{kind.__name__}{where}"


class ErrorReporter(QObject):
    """Shows every uncaught exception and Qt critical message in an :class:`ErrorDialog` (after logging it).

    Reports may come from any thread; they cross to the GUI thread through a queued signal.
    A failure that repeats while its dialog is open (a broken paint handler, say) opens no second
    dialog; the log still gets every occurrence.
    """

    failure_reported = Signal(str, str, str)  # title, message, details (also emitted from worker threads)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.dialogs: list[ErrorDialog] = []  # the dialogs open now (kept so Python does not collect them)
        self.reported: list[tuple[str, str]] = []  # (title, message) of every failure shown, for tests and support
        self._open: set[tuple[str, str]] = set()
        self._showing = False
        self._uninstall_hook: Callable[[], None] | None = None
        self._installed_qt_handler = False
        self._previous_qt_handler: Callable[[QtMsgType, QMessageLogContext, str], object] | None = None
        self.failure_reported.connect(self._on_failure_reported, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ installing
    def install(self) -> None:
        """Route uncaught exceptions (``sys.excepthook``, ``threading.excepthook``) and Qt criticals here."""
        if self._uninstall_hook is None:
            self._uninstall_hook = logs.install_excepthook(self.report_exception)
        if not self._installed_qt_handler:
            self._previous_qt_handler = qInstallMessageHandler(self._on_qt_message)
            self._installed_qt_handler = True

    def uninstall(self) -> None:
        """Put back the hooks that were there before :meth:`install`."""
        if self._uninstall_hook is not None:
            self._uninstall_hook()
            self._uninstall_hook = None
        if self._installed_qt_handler:
            qInstallMessageHandler(self._previous_qt_handler)
            self._previous_qt_handler = None
            self._installed_qt_handler = False

    # ------------------------------------------------------------ reporting
    def report_exception(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        """Show an uncaught exception (its traceback is already in the log); callable from any thread."""
        details = "".join(traceback.format_exception(kind, value, tb))
        message = (
            f"{describe_failure(kind, value, tb)}\n\nWhat you asked for did not complete. "
            "Copy details to report it; the full traceback is in the log (Help > Show log)."
        )
        self.failure_reported.emit(UNEXPECTED, message, details)

    def report(self, title: str, message: str, details: str = "") -> None:
        """Show a failure that was caught elsewhere but must reach the user; callable from any thread."""
        self.failure_reported.emit(title, message, details)

    def _on_failure_reported(self, title: str, message: str, details: str) -> None:
        key = (title, message)
        if key in self._open or self._showing:
            return
        self.reported.append(key)
        self._showing = True  # a Qt message raised while building the dialog must not recurse into another
        try:
            dialog = ErrorDialog(title, message, details, self.parent_widget)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._open.add(key)
            dialog.finished.connect(lambda _result, k=key: self._open.discard(k))
            self.dialogs.append(dialog)
            dialog.destroyed.connect(lambda _obj=None, d=dialog: self._forget(d))
            dialog.open()
        finally:
            self._showing = False

    def _forget(self, dialog: ErrorDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)

    def _on_qt_message(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        where = f" ({context.file}:{context.line}, {context.function})" if context.file else ""
        if self._previous_qt_handler is not None:
            self._previous_qt_handler(mode, context, message)  # e.g. pytest-qt's capture keeps seeing messages
        if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            log.critical("Qt %s%s: %s", "fatal" if mode == QtMsgType.QtFatalMsg else "critical", where, message)
            if mode == QtMsgType.QtCriticalMsg:  # after a fatal message Qt aborts: only the log outlives it
                self.report("Qt error", f"Qt reported a critical error{where}: {message}", message)
        elif mode == QtMsgType.QtWarningMsg:
            log.warning("Qt%s: %s", where, message)
        else:
            log.debug("Qt%s: %s", where, message)


__all__ = [
    "UNEXPECTED",
    "ErrorDialog",
    "ErrorReporter",
    "describe_failure",
    "error_report",
    "open_url",
    "show_error",
    "show_exception",
    "show_log",
    "show_log_folder",
]
