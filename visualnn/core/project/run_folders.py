"""Run folders travel with the project file: ``runs/<id>/`` (model.keras, checkpoints, logs) lives beside it.

Training an unsaved project writes its runs into a session folder under the system temp dir; a saved
project's runs sit in ``runs/`` beside its file. When the project is saved somewhere else, each run
folder that lies elsewhere is copied into ``runs/`` beside the new file first, and the run records
then point there (relative paths). The originals stay: a saved project's old file still refers to
them, and a job sent before the save (the evaluation of the run just trained, say) may still be
reading a session folder, which the app removes when it ends (``ui.training.snapshot``). A copy that fails (disk full, permission)
removes what it had copied, leaves the originals as they were, and raises :class:`RunFolderError`
naming the folders and the fix.

A run trains in a hidden partial folder, ``runs/.<run id>.<pid>.<random>.partial``, renamed to ``runs/<run id>``
once its model is saved (:func:`partial_run_folder`, :func:`finish_run_folder`): a failed run removes its
partial folder, and one killed mid-run leaves only a partial folder, never a ``runs/<id>`` that looks like a run.
Loading a project reads the run records, never the folders, so strays are ignored there; the next training in
the same folder removes them (:func:`remove_stale_run_folders`).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field

from visualnn.core.paths import is_absolute, relative_path, resolve_path
from visualnn.core.recovery import pid_alive

RUNS = "runs"
PARTIAL = ".partial"  # the suffix of a folder being written (a run training, a run being copied)
STRAY_AGE_S = 60.0  # an empty run folder younger than this may be a writer's, about to be filled


class RunFolderError(OSError):
    """A run folder that could not be placed beside the project file; the message names it and the fix."""


@dataclass(frozen=True)
class RunFolderMove:
    """One run folder to bring beside the project file: where it is, where it goes, its new stored path."""

    run_id: str
    source: str  # absolute folder now holding the run
    target: str  # absolute ``<project dir>/runs/<folder name>``
    model_path: str  # the record's new ``model_path``, relative to the project file (POSIX)


@dataclass
class RunFolderTransfer:
    """Run folders copied beside a project file being saved: finish or roll back once the file is written."""

    moves: list[RunFolderMove]
    remove_sources: bool  # True to move (a finished run no file refers to yet), False to copy
    created: list[str] = field(default_factory=list)  # target folders this transfer made

    def model_paths(self) -> dict[str, str]:
        """Run id -> the ``model_path`` to store for it."""
        return {m.run_id: m.model_path for m in self.moves}

    def commit(self) -> list[str]:
        """The project file is written: remove the originals of moved runs. Returns folders that could not be
        removed (they only take space; the project no longer refers to them)."""
        left: list[str] = []
        if self.remove_sources:
            for move in self.moves:
                try:
                    shutil.rmtree(move.source)
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(move.source)
        return left

    def rollback(self) -> None:
        """The project file could not be written: remove the copies this transfer made (originals untouched)."""
        for folder in reversed(self.created):
            shutil.rmtree(folder, ignore_errors=True)
        self.created.clear()


def run_folder_of(model_path: str, base_dir: str | None) -> str | None:
    """The absolute ``.../runs/<id>`` folder holding a stored model path, or None when it is not in one
    (a bare relative path of a never-saved project has no base to resolve it against)."""
    if base_dir is None and not is_absolute(os.path.expanduser(model_path)):
        return None
    folder = os.path.dirname(resolve_path(model_path, base_dir))
    return folder if os.path.basename(os.path.dirname(folder)) == RUNS else None


def plan_run_folders(runs: list[tuple[str, str | None]], old_dir: str | None, new_dir: str) -> list[RunFolderMove]:
    """The run folders (of ``(run id, model_path)`` pairs) that are not beside a project file in ``new_dir``.

    Folders that no longer exist are left out: the record keeps pointing where it pointed.
    """
    new_dir = os.path.abspath(new_dir)
    moves: list[RunFolderMove] = []
    for run_id, model_path in runs:
        if not model_path:
            continue
        source = run_folder_of(model_path, old_dir)
        if source is None or not os.path.isdir(source):
            continue
        target = os.path.join(new_dir, RUNS, os.path.basename(source))
        if os.path.normcase(os.path.realpath(source)) == os.path.normcase(os.path.realpath(target)):
            continue
        model_name = os.path.basename(resolve_path(model_path, old_dir))
        stored = f"{RUNS}/{os.path.basename(source)}/{model_name}"
        moves.append(RunFolderMove(run_id, source, target, stored))
    return moves


def copy_run_folders(moves: list[RunFolderMove], remove_sources: bool) -> RunFolderTransfer:
    """Copy each planned run folder beside the new project file; all or nothing.

    A target that already holds the run (the same run id, saved there before) is kept as it is. Each copy
    goes to a temporary name first and is renamed into place, so an interrupted copy never looks like a run.
    """
    transfer = RunFolderTransfer(list(moves), remove_sources)
    for move in moves:
        if os.path.isdir(move.target):
            if os.path.exists(os.path.join(move.target, os.path.basename(move.model_path))):
                continue  # already there: an earlier save to this folder copied it
            transfer.rollback()
            raise RunFolderError(
                f"Cannot bring run {move.run_id} beside the project: {move.target} already exists and holds "
                f"something else. Rename or remove that folder, or save the project in another folder; the run "
                f"is still in {move.source}."
            )
        partial = os.path.join(os.path.dirname(move.target), _partial_name(os.path.basename(move.target)))
        try:
            os.makedirs(os.path.dirname(move.target), exist_ok=True)
            shutil.copytree(move.source, partial)
            os.replace(partial, move.target)
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(partial, ignore_errors=True)
            transfer.rollback()
            raise RunFolderError(
                f"Cannot copy run {move.run_id} from {move.source} to {move.target} ({_reason(exc)}). Free some "
                f"space or choose a folder you can write to, then save again; the runs in "
                f"{os.path.dirname(move.source)} are unchanged."
            ) from exc
        transfer.created.append(move.target)
    return transfer


def place_new_run(run_id: str, model_path: str | None, job_base_dir: str, project_path: str | None) -> str | None:
    """The ``model_path`` to record for a run the engine has just written under ``job_base_dir``.

    An unsaved project records the absolute path (its session folder is moved on the first save). A saved
    project records a path relative to its file; if the project was saved elsewhere while it trained, the
    run folder is moved beside the file first (no file refers to it yet). Raises :class:`RunFolderError`
    when that move fails; the run then stays where it was.
    """
    if not model_path:
        return None
    absolute = resolve_path(model_path, job_base_dir)
    if not project_path:
        return absolute
    project_dir = os.path.dirname(os.path.abspath(project_path))
    moves = plan_run_folders([(run_id, absolute)], None, project_dir)
    if moves:
        copy_run_folders(moves, remove_sources=True).commit()
        return moves[0].model_path
    return relative_path(absolute, project_dir)


def remove_run_folder(base_dir: str, run_id: str) -> str | None:
    """Delete ``<base_dir>/runs/<run_id>`` (a run the user chose to discard); returns it, or None when there
    was none. Raises :class:`RunFolderError` naming the folder when it cannot be deleted."""
    folder = os.path.join(os.path.abspath(base_dir), RUNS, run_id)
    if not run_id or os.path.basename(folder) != run_id or not os.path.isdir(folder):
        return None
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise RunFolderError(f"Cannot delete the discarded run folder {folder} ({_reason(exc)}); delete it by hand.") from exc
    return folder


def remove_unsaved_runs(model_paths: list[str | None], base_dir: str | None) -> list[str]:
    """Delete the ``runs/<id>`` folders of runs the user threw away with the unsaved changes; returns them.

    Raises :class:`RunFolderError` naming the first folder that cannot be deleted (the others stay too)."""
    folders = [f for f in (run_folder_of(p, base_dir) for p in model_paths if p) if f and os.path.isdir(f)]
    for folder in folders:
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise RunFolderError(f"Cannot delete the unsaved run folder {folder} ({_reason(exc)}); delete it by "
                                 f"hand.") from exc
    return folders


def _partial_name(name: str) -> str:
    """``.<name>.<pid>.<random>.partial``: hidden, unique, and saying which process writes it."""
    return f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{PARTIAL}"


def partial_run_folder(base_dir: str, run_id: str) -> str:
    """A new, empty, hidden folder under ``<base_dir>/runs/`` for the run ``run_id`` to train in."""
    folder = os.path.join(os.path.abspath(base_dir), RUNS, _partial_name(run_id))
    os.makedirs(folder)
    return folder


def finish_run_folder(partial: str, base_dir: str, run_id: str) -> str:
    """Rename a run's partial folder (its model saved) to ``<base_dir>/runs/<run_id>``; returns that folder.

    Raises :class:`RunFolderError` naming the folder when it cannot be renamed (one of that name exists)."""
    target = os.path.join(os.path.abspath(base_dir), RUNS, run_id)
    if os.path.lexists(target):
        raise RunFolderError(f"Cannot record run {run_id}: {target} already exists. Rename or remove that folder, "
                             f"then train again.")
    try:
        os.replace(partial, target)
    except OSError as exc:
        raise RunFolderError(f"Cannot rename {partial} to {target} ({_reason(exc)}); make the folder writable, "
                             f"then train again.") from exc
    return target


def remove_stale_run_folders(base_dir: str) -> list[str]:
    """Delete what failed or killed runs left in ``<base_dir>/runs/``; returns the folders removed.

    That is the partial folders (runs training, runs being copied) of processes that have ended, and empty
    run folders (which versions before partial folders left) more than :data:`STRAY_AGE_S` old. A folder that
    cannot be removed stays (it only takes space; no run record refers to it).
    """
    root = os.path.join(os.path.abspath(base_dir), RUNS)
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    removed: list[str] = []
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name.startswith(".") and entry.name.endswith(PARTIAL):
                if _writer_ended(entry.name, entry.path):
                    shutil.rmtree(entry.path)
                    removed.append(entry.path)
            elif not entry.name.startswith(".") and time.time() - entry.stat().st_mtime > STRAY_AGE_S:
                os.rmdir(entry.path)  # only when empty: a folder with anything in it is never touched
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _writer_ended(name: str, path: str) -> bool:
    """Whether the process named in a partial folder's name has ended (where that cannot be known, after a day)."""
    parts = name[: -len(PARTIAL)].rsplit(".", 2)
    pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
    if pid == os.getpid():
        return False
    if sys.platform == "win32" or pid <= 0:
        return time.time() - os.stat(path).st_mtime > 86_400
    return not pid_alive(pid)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        first = exc.args[0][0]  # (source, destination, why) of the first file that failed
        return str(first[-1]) if isinstance(first, tuple) else str(first)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


__all__ = ["PARTIAL", "RUNS", "RunFolderError", "RunFolderMove", "RunFolderTransfer", "copy_run_folders",
           "finish_run_folder", "partial_run_folder", "place_new_run", "plan_run_folders", "remove_run_folder",
           "remove_stale_run_folders", "remove_unsaved_runs", "run_folder_of"]
