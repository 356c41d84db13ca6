"""Where the window asks the person for a file or folder name: one seam for every file dialog.

Every "Open…", "Save As…", "Export…" and "Choose data" asks through a :class:`FileChooser`. The
desktop app uses :class:`DialogChooser` (Qt's file dialogs). The composition root can give the main
window another chooser (``build_main_window(..., chooser=...)``), which registers it for that window
with :func:`use_chooser`; panels and controllers find it with :func:`chooser_for`, which walks up their
Qt parents to the nearest window that has one. Tests answer file dialogs this way
instead of patching Qt, and an embedding application could route them to its own pickers.

Every method returns ``""`` (or ``[]``) when the person cancels.
"""

from __future__ import annotations

import weakref
from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget


class FileChooser(Protocol):
    """Asks for paths; each method mirrors one kind of file dialog."""

    def open_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """An existing file to read, or ``""``."""
        ...

    def open_files(self, parent: QWidget | None, title: str, start: str, filters: str) -> list[str]:
        """Existing files to read, or ``[]``."""
        ...

    def save_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """A file name to write (it may not exist yet), or ``""``."""
        ...

    def folder(self, parent: QWidget | None, title: str, start: str) -> str:
        """An existing folder, or ``""``."""
        ...


class DialogChooser:
    """The desktop's file dialogs (Qt's static ``QFileDialog`` functions)."""

    def open_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """``QFileDialog.getOpenFileName``."""
        return QFileDialog.getOpenFileName(parent, title, start, filters)[0]

    def open_files(self, parent: QWidget | None, title: str, start: str, filters: str) -> list[str]:
        """``QFileDialog.getOpenFileNames``."""
        return list(QFileDialog.getOpenFileNames(parent, title, start, filters)[0])

    def save_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """``QFileDialog.getSaveFileName``."""
        return QFileDialog.getSaveFileName(parent, title, start, filters)[0]

    def folder(self, parent: QWidget | None, title: str, start: str) -> str:
        """``QFileDialog.getExistingDirectory``."""
        return QFileDialog.getExistingDirectory(parent, title, start)


DIALOGS = DialogChooser()


_BY_WINDOW: weakref.WeakKeyDictionary[QObject, FileChooser] = weakref.WeakKeyDictionary()


def use_chooser(window: QObject, chooser: FileChooser) -> None:
    """Make ``chooser`` answer the file dialogs of ``window`` and of everything inside it."""
    _BY_WINDOW[window] = chooser


def chooser_for(obj: QObject | None) -> FileChooser:
    """The chooser registered for the nearest enclosing window of ``obj``, else the desktop's dialogs."""
    while obj is not None:
        chooser = _BY_WINDOW.get(obj)
        if chooser is not None:
            return chooser
        obj = obj.parent()
    return DIALOGS


__all__ = ["DIALOGS", "DialogChooser", "FileChooser", "chooser_for", "use_chooser"]
