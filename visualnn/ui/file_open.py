"""Open projects the desktop hands to a running app (macOS Finder sends a FileOpen event, not argv)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent


class FileOpenFilter(QObject):
    """Application event filter that passes ``.vnn`` files from ``QFileOpenEvent`` to ``open_path``."""

    def __init__(self, open_path: Callable[[str], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_path = open_path
        self.opened: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        """Handle FileOpen events for project files; let everything else through."""
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file()
            if path.lower().endswith(".vnn"):
                self.opened.append(path)
                self._open_path(path)
                return True
        return False


def install_file_open_handler(app: QObject, open_path: Callable[[str], object]) -> FileOpenFilter:
    """Make double-clicked projects (macOS) open in the running window via ``open_path(path)``."""
    handler = FileOpenFilter(open_path, app)
    app.installEventFilter(handler)
    return handler
