"""Autosave and crash recovery for the open project.

The open project is written to a recovery file (``.<name>.vnn.recovery`` beside it, or the user
data dir for unsaved projects and read-only folders) a quiet second after each edit, and at the
latest 5 s after the first edit not yet written, however steadily the edits come (each edit
restarts the quiet second, so that alone could wait forever); a 60 s timer catches anything else. The user's own file is never touched. Saving, undoing back
to the saved state, or closing the app cleanly deletes the recovery file; after a crash, the next
launch finds it and offers to restore it. The question is asked by a :data:`RecoveryPrompter`:
the app's is :func:`ask_with_dialog` (the modal :class:`~visualnn.ui.recovery_dialog.RecoveryDialog`);
tests inject one that answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, project_from_dict
from visualnn.core.recovery import (
    PendingRecovery,
    RecoveryError,
    RecoveryScan,
    fallback_recovery_path,
    recovery_path_for,
    remove_quietly,
    scan_recoveries,
    set_aside,
    untitled_recovery_path,
    write_recovery,
)
from visualnn.ui.document import ProjectDocument
from visualnn.ui.recovery_dialog import DISCARD, LATER, RESTORE, RecoveryDialog

log = logging.getLogger(__name__)

INTERVAL_MS = 60_000
QUIET_MS = 1_000
MAX_WAIT_MS = 5_000  # an unsaved edit reaches the recovery file within this, even while edits keep coming
DATA_DIR_ENV = "VISUALNN_DATA_DIR"
ANSWERS = (RESTORE, DISCARD, LATER)

# Asks the user what to do with a crashed session's recovery: returns ``restore``, ``discard`` or ``later``.
RecoveryPrompter = Callable[[PendingRecovery, QWidget | None], str]


def ask_with_dialog(pending: PendingRecovery, parent: QWidget | None) -> str:
    """The app's prompter: the modal "Recover unsaved changes?" dialog."""
    dialog = RecoveryDialog(pending, parent)
    dialog.exec()
    return dialog.choice


def recovery_dir() -> Path:
    """Folder for recovery files of unsaved projects (``$VISUALNN_DATA_DIR/recovery`` or the user data dir)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "recovery"
    import platformdirs

    return Path(platformdirs.user_data_dir("VisualNN", appauthor=False)) / "recovery"


def scan_recovery(path: str | None, folder: Path | None = None) -> RecoveryScan:
    """The recovery left by a crashed session for the project at ``path`` (None: an unsaved project), and the
    candidate files that could not be read."""
    folder = folder or recovery_dir()
    if path:
        return scan_recoveries(path, [recovery_path_for(path), fallback_recovery_path(path, folder)])
    candidates = sorted(folder.glob("untitled-*.vnn.recovery")) if folder.is_dir() else []
    return scan_recoveries(None, candidates)


def pending_recovery(path: str | None, folder: Path | None = None) -> PendingRecovery | None:
    """The recovery left by a crashed session for the project at ``path`` (None: an unsaved project)."""
    return scan_recovery(path, folder).pending


def project_from_document(data: dict[str, Any]) -> Project:
    """A :class:`Project` from its ``to_dict()`` form, validated like a file on disk."""
    return project_from_dict(data, "<recovery>")


class AutosaveManager(QObject):
    """Writes the open document's recovery file after edits and on a timer; restores or discards it."""

    autosaved = Signal(str)  # recovery file path
    recovery_removed = Signal(str)
    restored = Signal(str)  # recovery file path
    restore_failed = Signal(str)  # a message saying why and where the autosaved copy is
    autosave_failed = Signal(str)  # a message saying where it could not write and why

    def __init__(
        self,
        document: ProjectDocument,
        parent: QObject | None = None,
        *,
        interval_ms: int = INTERVAL_MS,
        quiet_ms: int = QUIET_MS,
        max_wait_ms: int = MAX_WAIT_MS,
        folder: Path | None = None,
        prompter: RecoveryPrompter = ask_with_dialog,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.prompter = prompter
        self.folder = folder or recovery_dir()
        self._target: Path | None = None
        self._written: set[Path] = set()  # recovery files this session wrote (ours to delete)
        self._generation = 0
        self._saved_generation = 0
        self._restoring = False
        self._stopped = False
        self._offer_scheduled = False
        self._offer_untitled = False
        # The last start-up/open offer and its answer: lets tests and logs see what was offered.
        self.last_offer: tuple[str, PendingRecovery | None] = ("none", None)
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(quiet_ms)
        self._quiet.timeout.connect(self.autosave_now)
        # Started by the first edit after a write and never restarted by later ones: caps how long edits wait.
        self._max_wait = QTimer(self)
        self._max_wait.setSingleShot(True)
        self._max_wait.setInterval(max_wait_ms)
        self._max_wait.timeout.connect(self.autosave_now)
        self._periodic = QTimer(self)
        self._periodic.setInterval(interval_ms)
        self._periodic.timeout.connect(self.autosave_now)
        self._periodic.start()
        for edited in (document.graph_changed, document.positions_changed, document.dataset_changed,
                       document.training_changed, document.runs_changed, document.name_changed):
            edited.connect(self._on_document_edited)
        document.dirty_changed.connect(self._on_document_dirty_changed)
        document.path_changed.connect(self._on_document_path_changed)
        document.project_replaced.connect(self._on_document_project_replaced)

    # ------------------------------------------------------------ writing
    def recovery_path(self) -> Path:
        """Where the next autosave goes (beside the project, or the data dir when unsaved)."""
        if self._target is None:
            path = self.document.path
            self._target = recovery_path_for(path) if path else untitled_recovery_path(self.folder)
        return self._target

    def autosave_now(self) -> Path | None:
        """Write the recovery file if there are unsaved edits not yet autosaved; returns its path."""
        self._quiet.stop()
        self._max_wait.stop()
        if self._stopped or not self.document.is_dirty or self._generation == self._saved_generation:
            return None
        data = self.document.project.to_dict()
        target = self.recovery_path()
        try:
            write_recovery(target, data, self.document.path)
        except OSError as exc:
            if self.document.path and target == recovery_path_for(self.document.path):
                # The project's folder is read-only: keep the recovery in the user data dir instead.
                log.warning("cannot autosave beside %s (%s); using %s", self.document.path, exc, self.folder)
                self._target = target = fallback_recovery_path(self.document.path, self.folder)
                try:
                    write_recovery(target, data, self.document.path)
                except OSError as again:
                    log.exception("autosave to %s failed", target)
                    self.autosave_failed.emit(f"Autosave failed: cannot write {target} ({again}).")
                    return None
            else:
                log.exception("autosave to %s failed", target)
                self.autosave_failed.emit(f"Autosave failed: cannot write {target} ({exc}).")
                return None
        self._written.add(target)
        self._saved_generation = self._generation
        log.debug("autosaved %s", target)
        self.autosaved.emit(str(target))
        return target

    def remove_recovery(self) -> None:
        """Delete the recovery files this session wrote (the document is saved or deliberately closed)."""
        for path in list(self._written):
            if remove_quietly(path):
                self.recovery_removed.emit(str(path))
        self._written.clear()

    def shutdown(self) -> None:
        """Clean close: stop the timers and delete this session's recovery file."""
        self._quiet.stop()
        self._max_wait.stop()
        self._periodic.stop()
        self._stopped = True
        self.remove_recovery()

    # ------------------------------------------------------------ restoring
    @property
    def restoring(self) -> bool:
        """True while :meth:`restore` replaces the document (its signals are not user edits)."""
        return self._restoring

    def pending(self, include_untitled: bool = False) -> PendingRecovery | None:
        """A recovery left by a crashed session for the document's project (or, at start-up, an unsaved one)."""
        return self._scan(include_untitled)[0]

    def _scan(self, include_untitled: bool) -> tuple[PendingRecovery | None, list[tuple[Path, RecoveryError]]]:
        """:meth:`pending`, and the candidate recovery files that could not be read."""
        scan = scan_recovery(self.document.path, self.folder)
        found, unreadable = scan.pending, list(scan.unreadable)
        if found is not None and found.recovery.path in self._written:
            found = None  # already restored into this session
        if found is None and include_untitled and self.document.path and not self.document.is_dirty:
            # A never-saved project lost in a crash is offered even when start-up reopened a recent file.
            untitled = scan_recovery(None, self.folder)
            found = untitled.pending
            unreadable += untitled.unreadable
            if found is not None and found.recovery.path in self._written:
                found = None
        return found, [(path, exc) for path, exc in unreadable if path not in self._written]

    def schedule_offer(self, parent: QWidget | None = None, include_untitled: bool = False) -> None:
        """Offer recovery once control returns to the event loop (coalesces repeated requests)."""
        self._offer_untitled = self._offer_untitled or include_untitled
        if self._offer_scheduled:
            return
        self._offer_scheduled = True

        def run() -> None:
            self._offer_scheduled = False
            untitled, self._offer_untitled = self._offer_untitled, False
            self.offer_recovery(parent, include_untitled=untitled)

        QTimer.singleShot(0, run)

    def restore(self, pending: PendingRecovery) -> None:
        """Replace the document with the recovered project (unsaved: the user's file stays as it was)."""
        rec = pending.recovery
        project = project_from_document(rec.project)
        self._restoring = True
        try:
            self.document.set_project(project, rec.original_path or None)
        finally:
            self._restoring = False
        # The recovery is now this session's: it keeps being updated, and goes away on save.
        self._target = rec.path
        self._written.add(rec.path)
        self._generation += 1
        self.document.mark_modified()
        self.restored.emit(str(rec.path))
        log.info("restored %s from %s", rec.original_path or "an unsaved project", rec.path)

    def discard(self, pending: PendingRecovery) -> None:
        """Delete a crashed session's recovery file (the user declined it)."""
        if remove_quietly(pending.recovery.path):
            self.recovery_removed.emit(str(pending.recovery.path))
        log.info("discarded recovery %s", pending.recovery.path)

    def offer_recovery(self, parent: QWidget | None = None, include_untitled: bool = False) -> str:
        """Ask whether to restore a pending recovery; returns ``restore``, ``discard``, ``later``, ``none`` or ``failed``."""
        pending, unreadable = self._scan(include_untitled)
        self._report_unreadable(unreadable)
        if pending is None:
            self.last_offer = ("none", None)
            return "none"
        log.info("found recovery %s (%s)", pending.recovery.path, "; ".join(pending.diff.lines()) or "no changes")
        choice = self.prompter(pending, parent)
        if choice not in ANSWERS:
            raise ValueError(f"A recovery prompter must answer one of {', '.join(ANSWERS)}; received {choice!r}.")
        if choice == RESTORE:
            try:
                self.restore(pending)
            except Exception as exc:  # any failure must reach the user, and must not be asked again forever
                log.exception("could not restore %s", pending.recovery.path)
                self.restore_failed.emit(self._failure_message(pending, exc))
                self.last_offer = ("failed", pending)
                return "failed"
        elif choice == DISCARD:
            self.discard(pending)
        self.last_offer = (choice, pending)
        return choice

    def _report_unreadable(self, unreadable: list[tuple[Path, RecoveryError]]) -> None:
        """Say which recovery files could not be read and why; damaged ones are set aside (``*.failed``) so they
        are reported once. A newer VisualNN's file is kept as it is for that version (logged only)."""
        lines: list[str] = []
        for path, exc in unreadable:
            if not exc.damaged:
                log.warning("not offering %s: %s", path, exc)
                continue
            log.error("cannot read the recovery file %s: %s", path, exc)
            try:
                kept = set_aside(path)
            except OSError as move_error:
                log.exception("could not set aside %s", path)
                lines.append(f"{exc} The file stays at {path} and could not be renamed "
                             f"({move_error.strerror or move_error}), so VisualNN will report it again next time: "
                             f"delete it, or move it out of {path.parent}.")
                continue
            lines.append(f"{exc} It was moved to {kept} so VisualNN does not report it again; delete it, or send "
                         f"it with a bug report.")
        if lines:
            other = " Other autosaved changes, if any, are offered as usual."
            self.restore_failed.emit("An autosaved copy could not be read, so it cannot be restored: "
                                     + "\n\n".join(lines) + other)

    def _failure_message(self, pending: PendingRecovery, exc: Exception) -> str:
        """Why the restore failed, where the autosaved copy now is, and what to do; the copy is set aside
        (``*.failed``) so the question does not come back on every launch."""
        reason = str(exc) if isinstance(exc, ProjectFileError) else f"{type(exc).__name__}: {exc}"
        source = pending.recovery.path
        project = pending.recovery.original_path or "the unsaved project"
        try:
            kept = set_aside(source)
        except OSError as move_error:
            log.exception("could not set aside %s", source)
            return (f"The autosaved changes could not be restored: {reason} The autosaved copy stays at {source} "
                    f"and could not be renamed ({move_error.strerror or move_error}), so VisualNN will ask again "
                    f"next time; choose Discard then, or move the file away. {project} is open as it was last saved.")
        return (f"The autosaved changes could not be restored: {reason} The autosaved copy was moved to {kept} "
                f"so VisualNN does not ask about it again; {project} is open as it was last saved. To try again, "
                f"correct the value named above in that file (it is JSON) and rename it back to {source.name}; "
                f"otherwise delete it, or send it with a bug report.")

    # ------------------------------------------------------------ document events
    def _on_document_edited(self, *_args: object) -> None:
        if self._restoring:
            return
        self._generation += 1
        self._quiet.start()  # restarting the single shot: write once edits pause
        if not self._max_wait.isActive():
            self._max_wait.start()  # ...but no later than this after the first unwritten edit

    def _on_document_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            # Saved (or undone back to the saved state): the file on disk is the truth again.
            self._quiet.stop()
            self._max_wait.stop()
            self._saved_generation = self._generation
            self.remove_recovery()

    def _on_document_path_changed(self, _path: str) -> None:
        if self._restoring:
            return
        self.remove_recovery()
        self._target = None

    def _on_document_project_replaced(self) -> None:
        if self._restoring:
            return
        # Another project was opened on purpose: this session's recovery of the old one is obsolete.
        self._quiet.stop()
        self._max_wait.stop()
        self.remove_recovery()
        self._target = None
        self._saved_generation = self._generation


def install_autosave(
    window: QWidget,
    document: ProjectDocument,
    *,
    prompter: RecoveryPrompter = ask_with_dialog,
    folder: Path | None = None,
    quiet_ms: int = QUIET_MS,
    max_wait_ms: int = MAX_WAIT_MS,
    interval_ms: int = INTERVAL_MS,
) -> AutosaveManager:
    """Attach autosave to the main window's document; a project opened later gets its own recovery offer.

    The start-up offer (including a lost never-saved project) is the caller's to make, with
    :meth:`AutosaveManager.offer_recovery`, so it can come before anything else opens.
    """
    manager = AutosaveManager(document, window, prompter=prompter, folder=folder, quiet_ms=quiet_ms,
                              max_wait_ms=max_wait_ms, interval_ms=interval_ms)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(manager.shutdown)
    written = manager._written  # the same set object for the manager's whole life

    def on_window_destroyed(*_args: object) -> None:
        # The window went away normally (tests, embedding): its recovery files are not crash leftovers.
        for path in list(written):
            remove_quietly(path)

    window.destroyed.connect(on_window_destroyed)

    def on_replaced() -> None:
        # A project opened after start-up may have its own crashed session to recover.
        if not manager.restoring:
            manager.schedule_offer(window)

    document.project_replaced.connect(on_replaced)
    return manager


__all__ = [
    "AutosaveManager",
    "RecoveryPrompter",
    "ask_with_dialog",
    "install_autosave",
    "pending_recovery",
    "scan_recovery",
    "project_from_document",
    "recovery_dir",
]
