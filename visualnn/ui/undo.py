"""The one adapter between pure core commands and Qt's QUndoStack."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from visualnn.core.commands import Command
    from visualnn.core.project import Project


class MergeIds:
    """Maps a core command's ``merge_id`` (any hashable) to the int ``QUndoCommand.id`` wants."""

    def __init__(self) -> None:
        self._ids: dict[object, int] = {}

    def qt_id(self, merge_id: object | None) -> int:
        """A stable positive int for ``merge_id``; -1 (never merge) for None or unhashable ids."""
        if merge_id is None:
            return -1
        try:
            return self._ids.setdefault(merge_id, len(self._ids) + 1)
        except TypeError:
            return -1


class CommandAdapter(QUndoCommand):
    """Wraps one core :class:`Command`; the document applies it once before pushing it here."""

    def __init__(
        self,
        command: Command,
        project: Callable[[], Project],
        merge_ids: MergeIds,
        guard: Callable[[Callable[[], None]], None],
    ) -> None:
        super().__init__(command.text)
        self.command = command
        self._project = project
        self._merge_ids = merge_ids
        self._guard = guard
        # QUndoStack.push() calls redo() immediately; the document already applied the command
        # (so a CommandError could refuse it before anything was recorded), so skip that first call.
        self._applied = True

    def redo(self) -> None:
        """Re-apply the command (skipped on the push that recorded it)."""
        if self._applied:
            self._applied = False
            return
        self._guard(lambda: self.command.redo(self._project()))

    def undo(self) -> None:
        """Revert the command."""
        self._applied = False
        self._guard(lambda: self.command.undo(self._project()))

    def id(self) -> int:
        """Qt merge id derived from the core command's ``merge_id``."""
        return self._merge_ids.qt_id(self.command.merge_id())

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API name)
        """Let the core command absorb the next one (spin/slider drags become one step)."""
        if not isinstance(other, CommandAdapter):
            return False
        if self.command.merge_id() != other.command.merge_id():
            return False
        merged = bool(self.command.merge(other.command))
        if merged:
            self.setText(self.command.text)
        return merged
