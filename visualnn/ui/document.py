"""The open project as the UI sees it: Project + QUndoStack + path + dirty flag + derived state."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from visualnn.core.commands import Command, CommandError
from visualnn.core.compile_options import DataFacts
from visualnn.core.graph import Graph, GraphError
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.core.shapes import ShapeReport, infer_shapes
from visualnn.core.specs import Registry, default_registry
from visualnn.core.training_config import RunRecord
from visualnn.core.validation import Issue, data_unreadable, validate
from visualnn.ui.undo import CommandAdapter, MergeIds

log = logging.getLogger(__name__)


def compute_issues(
    project: Project,
    shapes: ShapeReport,
    registry: Registry | None = None,
    facts: DataFacts | None = None,
    data_error: str | None = None,
) -> list[Issue]:
    """Diagnostics for the project (against the data's ``facts`` when known); a validator bug degrades to the
    shape errors, never a crash. ``data_error``: why the attached data could not be read."""
    try:
        issues = list(validate(project, registry, shapes, facts))
        return [*issues, data_unreadable(data_error)] if data_error else issues
    except Exception:  # a validator bug must not take the editor down
        log.exception("validation failed")
    return [Issue("error", "shape", msg, nid) for nid, msg in shapes.errors.items()]


def _read_project(path: str) -> Project:
    project = load_project(path)
    project.path = path
    return project


def _write_project(project: Project, path: str) -> None:
    save_project(project, path)


class ProjectDocument(QObject):
    """Holds the open :class:`Project`; every edit goes through :meth:`push` so it can be undone."""

    project_replaced = Signal()
    graph_changed = Signal()  # after structural/param edits, once derived state is fresh
    positions_changed = Signal()  # nodes moved (no re-inference needed)
    dataset_changed = Signal()
    training_changed = Signal()
    runs_changed = Signal()
    search_changed = Signal()  # the hyperparameter search (space or study settings) changed
    name_changed = Signal(str)
    dirty_changed = Signal(bool)
    path_changed = Signal(str)
    command_failed = Signal(str)

    def __init__(self, project: Project | None = None, registry: Registry | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.registry = registry or default_registry()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_stack_clean_changed)
        self._merge_ids = MergeIds()
        self._batch = 0
        self._stale = True
        self._moved = False
        self._extra_dirty = False  # changes recorded outside the undo stack (run records)
        self._saved_runs: set[str] = set()  # ids of the runs in the file (or in the project as it was opened)
        self._shapes: ShapeReport = ShapeReport()
        self._issues: list[Issue] = []
        # What the attached data is like (session state, read off the GUI thread by the Data panel).
        self._facts: DataFacts | None = None
        self._data_error: str | None = None
        self._data_pending = False
        self._project: Project = Project()
        self._connect(self._project)
        if project is not None:
            self.set_project(project)

    # ------------------------------------------------------------ project
    @property
    def project(self) -> Project:
        """The open project (replaced wholesale by :meth:`set_project` / :meth:`load`)."""
        return self._project

    @property
    def graph(self) -> Graph:
        """Shortcut for ``project.graph``."""
        return self._project.graph

    @property
    def path(self) -> str | None:
        """Where the project lives on disk, or None when never saved."""
        return self._project.path

    def set_project(self, project: Project, path: str | None = None) -> None:
        """Replace the open project; the undo history starts afresh and the document is clean."""
        self._disconnect(self._project)
        self._project = project
        if path is not None:
            project.path = path
        self._connect(project)
        self._saved_runs = {r.id for r in project.runs}
        self.undo_stack.clear()
        self.undo_stack.setClean()
        was_dirty = self._extra_dirty
        self._extra_dirty = False
        self._facts, self._data_error, self._data_pending = None, None, False  # the new project's data is unread
        self._stale = True
        self._refresh()
        self.project_replaced.emit()
        self.graph_changed.emit()
        self.path_changed.emit(project.path or "")
        if was_dirty:
            self.dirty_changed.emit(False)

    def _connect(self, project: Project) -> None:
        g = project.graph
        g.changed.connect(self._on_graph_changed)
        g.node_moved.connect(self._on_graph_node_moved)
        project.dataset_changed.connect(self._on_project_dataset_changed)
        project.training_changed.connect(self._on_project_training_changed)
        project.runs_changed.connect(self._on_project_runs_changed)
        project.name_changed.connect(self._on_project_name_changed)
        project.search_changed.connect(self._on_project_search_changed)

    def _disconnect(self, project: Project) -> None:
        g = project.graph
        for sig, slot in (
            (g.changed, self._on_graph_changed),
            (g.node_moved, self._on_graph_node_moved),
            (project.dataset_changed, self._on_project_dataset_changed),
            (project.training_changed, self._on_project_training_changed),
            (project.runs_changed, self._on_project_runs_changed),
            (project.name_changed, self._on_project_name_changed),
            (project.search_changed, self._on_project_search_changed),
        ):
            try:
                sig.disconnect(slot)
            except Exception:  # psygnal raises when the slot is not connected
                pass

    # ------------------------------------------------------------ derived
    @property
    def shapes(self) -> ShapeReport:
        """Inferred shapes and parameter counts (always fresh)."""
        if self._stale:
            self._refresh()
        return self._shapes

    @property
    def issues(self) -> list[Issue]:
        """Diagnostics (validation ``Issue`` objects), fresh for the current project."""
        if self._stale:
            self._refresh()
        return self._issues

    def _refresh(self) -> None:
        self._shapes = infer_shapes(self._project.graph, self.registry)
        self._issues = compute_issues(self._project, self._shapes, self.registry, self._facts, self._data_error)
        self._stale = False

    # ------------------------------------------------------------ the data's facts
    @property
    def data_facts(self) -> DataFacts | None:
        """What the attached data is like, once it has been read (None: no data, not read yet, or unreadable)."""
        return self._facts

    @property
    def data_pending(self) -> bool:
        """True while the attached data is being read, so the diagnostics do not cover it yet."""
        return self._data_pending

    def set_data_facts(self, facts: DataFacts | None, error: str | None = None, pending: bool = False) -> None:
        """The attached data was read (``facts``), could not be read (``error``) or is being read (``pending``).

        The diagnostics are recomputed against it and announced with ``graph_changed``, like any other edit.
        """
        if (facts, error, pending) == (self._facts, self._data_error, self._data_pending):
            return
        self._facts, self._data_error, self._data_pending = facts, error, pending
        self._stale = True
        if self._batch == 0:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group graph mutations so derived state is recomputed and announced once at the end."""
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
            if self._batch == 0:
                self._flush()

    def _flush(self) -> None:
        if self._stale:
            self._refresh()
            self.graph_changed.emit()
        if self._moved:
            self._moved = False
            self.positions_changed.emit()

    def _on_graph_changed(self) -> None:
        self._stale = True
        if self._batch == 0:
            self._flush()

    def _on_graph_node_moved(self, node_id: str, pos: object) -> None:
        self._moved = True
        if self._batch == 0:
            self._flush()

    def _on_project_dataset_changed(self, _spec: object) -> None:
        self._stale = True  # data-aware validation depends on the dataset
        self.dataset_changed.emit()
        if self._batch == 0:
            self._flush()

    def _on_project_training_changed(self, _cfg: object) -> None:
        self._stale = True
        self.training_changed.emit()
        if self._batch == 0:
            self._flush()

    def _on_project_runs_changed(self) -> None:
        self.runs_changed.emit()

    def _on_project_name_changed(self, name: str) -> None:
        self.name_changed.emit(name)

    def _on_project_search_changed(self, _search: object) -> None:
        self.search_changed.emit()

    # ------------------------------------------------------------ editing
    def push(self, command: Command) -> bool:
        """Apply ``command`` and record it for undo; on CommandError emit ``command_failed``."""
        try:
            with self.batch():
                command.redo(self._project)
        except (CommandError, GraphError) as exc:
            self.command_failed.emit(str(exc))
            return False
        adapter = CommandAdapter(command, lambda: self._project, self._merge_ids, self._run_guarded)
        self.undo_stack.push(adapter)
        return True

    def _run_guarded(self, action: Callable[[], None]) -> None:
        """Run an undo/redo step inside a batch; errors become ``command_failed`` messages."""
        try:
            with self.batch():
                action()
        except Exception as exc:  # Qt calls this from C++: an escaping exception would be lost
            log.exception("undo/redo failed")
            self.command_failed.emit(f"Undo/redo failed: {exc}")

    def mark_modified(self) -> None:
        """Record a change that is saved but not undoable (a finished training run)."""
        if not self._extra_dirty:
            was = self.is_dirty
            self._extra_dirty = True
            if not was:
                self.dirty_changed.emit(True)

    @property
    def is_dirty(self) -> bool:
        """True when the project has changes that are not saved."""
        return self._extra_dirty or not self.undo_stack.isClean()

    def _on_stack_clean_changed(self, clean: bool) -> None:
        if not self._extra_dirty:
            self.dirty_changed.emit(not clean)

    # ------------------------------------------------------------ files
    def load(self, path: str, prepare: Callable[[Project], object] | None = None) -> None:
        """Open a project file (errors propagate with the file named: the caller shows them).

        ``prepare`` may adjust the project before any view sees it (e.g. tidy overlapping positions).
        """
        project = _read_project(path)
        if prepare is not None:
            prepare(project)
        self.set_project(project, path)

    def save(self, path: str | None = None) -> str:
        """Write the project to ``path`` (default: where it came from); returns the path."""
        target = path or self._project.path
        if not target:
            raise ValueError("This project has never been saved; choose a file name with Save As.")
        target = os.path.abspath(target)
        old_path = os.path.abspath(self._project.path) if self._project.path else None
        _write_project(self._project, target)
        changed_path = target != old_path
        self._project.path = target
        self._saved_runs = {r.id for r in self._project.runs}
        was_extra = self._extra_dirty
        self._extra_dirty = False
        if self.undo_stack.isClean() and was_extra:
            self.dirty_changed.emit(False)
        self.undo_stack.setClean()
        if changed_path:
            self.path_changed.emit(target)
        return target

    def unsaved_runs(self) -> list[RunRecord]:
        """Runs recorded since the project was opened or last saved (the file does not know them yet)."""
        return [r for r in self._project.runs if r.id not in self._saved_runs]

    @property
    def display_name(self) -> str:
        """Project name for the title bar."""
        return self._project.name or (os.path.basename(self._project.path or "") or "Untitled")
