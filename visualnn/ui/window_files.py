"""File handling for the main window: new, templates, open, save, recent files, window settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from visualnn.core.layout import NODE_HEIGHT, NODE_WIDTH, auto_layout
from visualnn.core.project import Project
from visualnn.core.project.run_folders import RunFolderError, remove_unsaved_runs
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.errors import show_exception

log = logging.getLogger(__name__)
FILE_FILTER = "VisualNN projects (*.vnn);;All files (*)"
MAX_RECENT = 10


def tidy_positions(project: Project) -> bool:
    """Lay out a freshly opened graph whose cards would overlap at this canvas's card size.

    Files written by other tools (or templates spaced for smaller cards) stay readable; the
    document is not marked modified because nothing the user made has changed.
    """
    nodes = list(project.graph)
    crowded = any(
        abs(a.pos[0] - b.pos[0]) < NODE_WIDTH + 10 and abs(a.pos[1] - b.pos[1]) < NODE_HEIGHT + 30
        for i, a in enumerate(nodes)
        for b in nodes[i + 1 : i + 40]  # neighbours in document order are where overlaps happen
    )
    if crowded:
        for nid, pos in auto_layout(project.graph).items():
            project.graph.nodes[nid].pos = pos
    return crowded


def example_project_path() -> str | None:
    """The bundled example project, when this build ships one."""
    path = os.path.join(theme.resources_dir(), "examples", "tabular", "tabular.vnn")
    return path if os.path.exists(path) else None



if TYPE_CHECKING:  # the mixin is only ever mixed into the main window: type-check it as one
    _WindowBase = QMainWindow
else:
    _WindowBase = object


class ProjectFilesMixin(_WindowBase):
    """Mixed into MainWindow: every way a project is created, opened or saved, plus remembered state."""

    document: Any
    settings: Any
    recent_menu: QMenu
    template_menu: QMenu
    docks: dict[str, Any]
    # Settles a running training job before the project is closed or replaced (MainWindow: its close guard).
    settle_training: Callable[[str, Callable[[], object]], bool]

    # ------------------------------------------------------------ files
    def confirm_replace(self, action: str, then: Callable[[], object]) -> bool:
        """Before the project is closed or replaced: settle a running training job (``then`` is called again
        once it has ended, when the user chose to wait for it), then ask about unsaved changes."""
        return self.settle_training(action, then) and self.confirm_discard()

    def confirm_discard(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True when it is fine to continue.

        Discarding also deletes the folders of runs trained since the last save, so no model file is left
        on disk that no project records."""
        if not self.document.is_dirty:
            return True
        runs = self.document.unsaved_runs()
        extra = (f"\n\nDiscarding also deletes the {len(runs)} training run{'s' if len(runs) != 1 else ''} "
                 "not saved yet, with their models.") if runs else ""
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to “{self.document.display_name}” before closing it?{extra}",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer != QMessageBox.StandardButton.Discard:
            return False
        base = os.path.dirname(os.path.abspath(self.document.path)) if self.document.path else None
        try:
            removed = remove_unsaved_runs([r.model_path for r in runs], base)
        except RunFolderError as exc:
            show_exception(self, "Cannot delete the unsaved runs", str(exc), exc)
            return False
        if removed:
            log.info("discarded unsaved runs: %s", ", ".join(removed))
        return True

    def new_project(self, project: Project | None = None) -> None:
        """Replace the open project with an empty one (or ``project``), after asking about unsaved changes."""
        if not self.confirm_replace("start a new project", lambda: self.new_project(project)):
            return
        self.document.set_project(project or Project())

    def new_from_template(self, name: str) -> None:
        """Start from a template, laid out for the card size of this canvas."""
        from visualnn.core.templates import TEMPLATES

        project = TEMPLATES[name].build()
        tidy_positions(project)
        self.new_project(project)

    def _fill_template_menu(self) -> None:
        from visualnn.core.templates import TEMPLATES

        for name, tpl in TEMPLATES.items():
            act = self.template_menu.addAction(tpl.title)
            act.setToolTip(tpl.description)
            act.setStatusTip(tpl.description)
            act.triggered.connect(lambda _c=False, n=name: self.new_from_template(n))

    def open_dialog(self) -> None:
        """Pick a project file and open it."""
        start = os.path.dirname(self.document.path) if self.document.path else os.path.expanduser("~")
        path = chooser_for(self).open_file(self, "Open project", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str, ask: bool = True) -> bool:
        """Open a project file; errors are shown with the file name and the reason."""
        if ask and not self.confirm_replace("open another project", lambda: self.open_path(path)):
            return False
        try:
            self.document.load(path, prepare=tidy_positions)
        except Exception as exc:
            text = str(exc)  # a ProjectFileError or OSError names the file already: say it once
            names_it = path in text or os.path.basename(path) in text
            show_exception(self, "Cannot open project", text if names_it else f"Could not open {path}: {text}", exc)
            self._forget_recent(path)
            return False
        self._add_recent(os.path.abspath(path))
        self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def save(self) -> bool:
        """Save to the current file (Save As when there is none); True on success."""
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        """Choose a file name and save."""
        start = self.document.path or os.path.join(os.path.expanduser("~"), f"{self.document.display_name}.vnn")
        path = chooser_for(self).save_file(self, "Save project", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".vnn"):
            path += ".vnn"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            saved = self.document.save(path)
        except Exception as exc:
            show_exception(self, "Cannot save project", f"Could not save {path}: {exc}", exc)
            return False
        self._add_recent(saved)
        self.statusBar().showMessage(f"Saved {saved}", 4000)
        return True

    # ------------------------------------------------------------ recent files and settings
    def recent_files(self) -> list[str]:
        """Recently opened projects, newest first."""
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        files = [path, *[p for p in self.recent_files() if p != path]][:MAX_RECENT]
        self.settings.setValue("recent_files", files)
        self._fill_recent_menu()

    def _forget_recent(self, path: str) -> None:
        self.settings.setValue("recent_files", [p for p in self.recent_files() if p != os.path.abspath(path)])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for path in files:
            act = menu.addAction(os.path.basename(path))
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        menu.setEnabled(bool(files))

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._default_state = self.saveState()
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def reset_layout(self) -> None:
        """Put every panel back where it started."""
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    def save_settings(self) -> None:
        """Remember geometry and panel layout."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

