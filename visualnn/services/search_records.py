"""Search trials on disk: deleting the model files of trials that are not among the best, and recording
trial runs in a project file that several search processes share. No Qt, no TF.

Several ``visualnn search`` processes may run on one project (one SQLite or PostgreSQL study); each records
its trials in the project file by re-reading it, adding the run and saving it, under a lock file beside it
(``<project>.lock``), so no process overwrites another's trials.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence

from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.core.project.run_folders import RunFolderError, remove_run_folder
from visualnn.core.recovery import pid_alive
from visualnn.core.search_records import models_to_drop, without_model
from visualnn.core.training_config import RunRecord

log = logging.getLogger(__name__)
LOCK_WAIT_S = 120.0


class ProjectLockError(RuntimeError):
    """The project file stayed locked by another process for too long."""


def drop_model(run: RunRecord, base_dir: str) -> RunRecord:
    """Delete ``run``'s model folder (``runs/<id>``) and return the record without its model."""
    try:
        remove_run_folder(base_dir, run.id)
    except RunFolderError as exc:  # only disk space is lost; the record says the model is gone either way
        log.warning("%s", exc)
    return without_model(run)


def drop_models(runs: Sequence[RunRecord], study: str, direction: str, keep: int,
                base_dir: str) -> tuple[list[RunRecord], list[str]]:
    """``runs`` with the model files of the study's trials outside the best ``keep`` deleted; and their ids."""
    drop = set(models_to_drop(runs, study, direction, keep))
    return [drop_model(r, base_dir) if r.id in drop else r for r in runs], sorted(drop)


class ProjectLock:
    """An exclusive lock on a project file among processes (a ``.lock`` file created atomically).

    A lock left by a process that has ended is taken over; otherwise waiting beyond ``LOCK_WAIT_S`` raises
    :class:`ProjectLockError` naming the lock file.
    """

    def __init__(self, project_path: str) -> None:
        self.path = os.path.abspath(project_path) + ".lock"

    def __enter__(self) -> ProjectLock:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if self._holder_ended():
                    try:
                        os.remove(self.path)
                    except FileNotFoundError:
                        pass
                    continue
                if time.monotonic() > deadline:
                    raise ProjectLockError(f"{self.path} has locked the project for over {LOCK_WAIT_S:.0f} s; if "
                                           f"no other search or save is running, delete that file.") from None
                time.sleep(0.02)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self

    def __exit__(self, *exc: object) -> None:
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def _holder_ended(self) -> bool:
        try:
            with open(self.path, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            return False
        if not text.isdigit():  # being written right now, or garbage: judge by its age
            try:
                return time.time() - os.stat(self.path).st_mtime > 10
            except OSError:
                return False
        return int(text) != os.getpid() and not pid_alive(int(text))


class FileRecorder:
    """Records each finished trial in the project file (shared safely with other search processes)."""

    def __init__(self, project_path: str, study: str, direction: str, keep: int) -> None:
        self.project_path = project_path
        self.base_dir = os.path.dirname(os.path.abspath(project_path))
        self.study, self.direction, self.keep = study, direction, keep
        self._last: tuple[tuple[int, int, int] | None, Project] | None = None

    def __call__(self, run: RunRecord) -> list[str]:
        with ProjectLock(self.project_path):
            project = self._current()
            runs, dropped = drop_models([*project.runs, run], self.study, self.direction, self.keep, self.base_dir)
            project.runs = runs
            save_project(project, self.project_path)
            self._last = (_signature(self.project_path), project)
        return dropped

    def _current(self) -> Project:
        """The project as the file holds it: the copy this recorder saved last when nobody has written the file
        since (the common case: no re-reading and re-checking the whole file per trial), else the file."""
        if self._last is not None and self._last[0] == _signature(self.project_path):
            return self._last[1]
        return load_project(self.project_path)


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


__all__ = ["FileRecorder", "ProjectLock", "ProjectLockError", "drop_model", "drop_models"]
