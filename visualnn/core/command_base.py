"""The command machinery: the Command base, all-or-nothing macros and a pure-Python undo stack."""

from __future__ import annotations

from collections.abc import Sequence

from visualnn.core.project import Project


class CommandError(ValueError):
    """An edit that cannot be applied; the project is left untouched and the message says why."""


class Command:
    """Base class: ``redo`` applies the edit, ``undo`` restores ``project`` exactly."""

    text: str = "Edit"

    def redo(self, project: Project) -> None:
        """Apply the edit (raise :class:`CommandError` before mutating anything if impossible)."""
        raise NotImplementedError

    def undo(self, project: Project) -> None:
        """Revert the edit."""
        raise NotImplementedError

    def merge_id(self) -> object | None:
        """Consecutive commands with the same non-None id may merge (slider drags)."""
        return None

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (already applied) into this command; True when merged."""
        return False


class UndoStack:
    """A pure-Python undo stack for the CLI and tests; the UI wraps commands in QUndoStack."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (merging with the previous one when allowed)."""
        command.redo(self.project)
        self._undone.clear()
        if self._done and command.merge_id() is not None and self._done[-1].merge_id() == command.merge_id():
            if self._done[-1].merge(command):
                return
        self._done.append(command)

    def undo(self) -> bool:
        """Undo the last command; False when there is none."""
        if not self._done:
            return False
        cmd = self._done.pop()
        cmd.undo(self.project)
        self._undone.append(cmd)
        return True

    def redo(self) -> bool:
        """Redo the last undone command; False when there is none."""
        if not self._undone:
            return False
        cmd = self._undone.pop()
        cmd.redo(self.project)
        self._done.append(cmd)
        return True

    @property
    def can_undo(self) -> bool:
        """Whether :meth:`undo` would do something."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """Whether :meth:`redo` would do something."""
        return bool(self._undone)


class Macro(Command):
    """Several commands applied as one undo step; a failure part-way rolls the done part back."""

    def __init__(self, text: str, commands: Sequence[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def redo(self, project: Project) -> None:
        """Apply every command in order (all or nothing)."""
        done: list[Command] = []
        try:
            for cmd in self.commands:
                cmd.redo(project)
                done.append(cmd)
        except CommandError:
            for cmd in reversed(done):
                cmd.undo(project)
            raise

    def undo(self, project: Project) -> None:
        """Undo every command in reverse order."""
        for cmd in reversed(self.commands):
            cmd.undo(project)
