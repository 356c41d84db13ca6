"""Crash-recovery files: where they live, how they are written and read, and what they changed.

A recovery file wraps an autosaved project document with who wrote it and when. It is written
beside the project (``.<name>.vnn.recovery``) and never over the user's file; unsaved projects use
a folder the caller supplies (the user data dir). Pure Python so it can be tested headless.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from visualnn.core import json_limits

RECOVERY_FORMAT = "visualnn-recovery"
RECOVERY_VERSION = 1
SUFFIX = ".recovery"


class RecoveryError(ValueError):
    """A recovery file that cannot be read (truncated, not ours, damaged, or from a newer app).

    ``damaged`` is False only for a file a newer VisualNN wrote: it is fine, just not for this version.
    """

    def __init__(self, message: str, *, damaged: bool = True) -> None:
        super().__init__(message)
        self.damaged = damaged


def recovery_path_for(project_path: str | os.PathLike[str]) -> Path:
    """The hidden recovery file beside a project: ``/dir/model.vnn`` -> ``/dir/.model.vnn.recovery``."""
    p = Path(project_path)
    return p.with_name(f".{p.name}{SUFFIX}")


def fallback_recovery_path(project_path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path:
    """Where a project's recovery goes when its own folder is read-only (keyed by the absolute path)."""
    import hashlib

    absolute = os.path.abspath(os.fspath(project_path))
    digest = hashlib.sha1(absolute.encode("utf-8")).hexdigest()[:12]
    return Path(folder) / f"{Path(absolute).name}-{digest}.vnn{SUFFIX}"


def untitled_recovery_path(folder: str | os.PathLike[str], pid: int | None = None) -> Path:
    """A recovery file for a never-saved project, unique to this process and moment."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path(folder) / f"untitled-{pid or os.getpid()}-{stamp}.vnn{SUFFIX}"


def temp_prefix(target: str | os.PathLike[str]) -> str:
    """Prefix for the temp file of an atomic save of ``target``: names this process so others can clean up."""
    return f".{Path(target).name}.{os.getpid()}."


def remove_dead_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Delete temp files of earlier saves of ``target`` whose process has ended (killed mid-save).

    Temp files are named ``.<name>.<pid>.<random>.tmp`` (:func:`temp_prefix`); those of live
    processes are in use and stay. Windows cannot tell reliably, and refuses to delete open files,
    so nothing is removed there.
    """
    if sys.platform == "win32":
        return []
    t = Path(target)
    prefix = f".{t.name}."
    removed: list[Path] = []
    try:
        names = os.listdir(t.parent)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix):-len(".tmp")].split(".", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or pid_alive(pid):
            continue
        try:
            os.unlink(t.parent / name)
            removed.append(t.parent / name)
        except OSError:
            pass
    return removed


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` so a crash leaves either the old file or the new one, never a mix.

    A symlink is followed: the file it points at is replaced (in its own folder, so the rename stays on one
    file system) and the link stays a link, as a plain ``open(path, "w")`` would leave it. The file keeps
    its mode; a new one gets the mode the user's umask gives.
    """
    target = _link_target(Path(path))
    # Temp names carry the pid so a later write can remove those of killed processes.
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        if os.name == "posix":  # mkstemp makes 0600; a saved file gets the mode a plain open() would give it
            os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)  # the rename itself survives a power cut
    remove_dead_temps(target)


def _link_target(path: Path) -> Path:
    """``path``, or the file a symlink (or a chain of them) at ``path`` finally names, even if it does not exist yet."""
    if not path.is_symlink():
        return path
    resolved = Path(os.path.realpath(path))
    if resolved.is_symlink():  # realpath stops at a loop and returns a link of it
        raise OSError(errno.ELOOP, "The symbolic links loop; point the link at a file", str(path))
    return resolved


def _mode_for(target: Path) -> int:
    """The existing file's mode, else what the user's umask gives a new file (0644 under umask 022)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_dir(directory: str | os.PathLike[str]) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RecoveryFile:
    """One recovery file's contents: the autosaved project document and where it came from."""

    path: Path
    project: dict[str, Any]
    saved_at: datetime
    pid: int
    original_path: str | None
    original_mtime: float | None = None

    @property
    def writer_alive(self) -> bool:
        """True when the process that wrote it still runs (another window is editing the project)."""
        return self.pid != os.getpid() and pid_alive(self.pid)


def write_recovery(
    path: str | os.PathLike[str], project: dict[str, Any], original_path: str | None, pid: int | None = None
) -> None:
    """Atomically write a recovery file holding the ``project`` document (``Project.to_dict()``)."""
    mtime: float | None = None
    if original_path:
        try:
            mtime = os.stat(original_path).st_mtime
        except OSError:
            mtime = None
    data = {
        "format": RECOVERY_FORMAT,
        "format_version": RECOVERY_VERSION,
        "saved_at": datetime.now(UTC).isoformat(),
        "pid": pid or os.getpid(),
        "original_path": original_path,
        "original_mtime": mtime,
        "project": project,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=1))


def read_recovery(path: str | os.PathLike[str]) -> RecoveryFile:
    """Parse a recovery file, or raise :class:`RecoveryError` naming the file, the field and the problem.

    The whole file passes the JSON door (:mod:`visualnn.core.json_limits`: bounded nesting, finite numbers)
    and each wrapper field its type, so a damaged file is refused here, with a reason, rather than
    breaking the start-up offer of the other recovery files.
    """
    p = Path(path)
    try:
        data = json_limits.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecoveryError(f"Cannot read the recovery file {p}: {exc}.") from exc
    except ValueError as exc:  # json_limits.JsonLimitError, or an integer with too many digits
        raise RecoveryError(f"Cannot read the recovery file {p}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != RECOVERY_FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise RecoveryError(f"{p} is not a VisualNN recovery file (format {found!r}).")
    version = _field(p, data, "format_version", int, "a whole number", 0)
    if version > RECOVERY_VERSION:
        raise RecoveryError(f"{p} was written by a newer VisualNN; update the app to restore it.", damaged=False)
    project = data.get("project")
    if not isinstance(project, dict):
        raise RecoveryError(f"{p} holds no project document.")
    saved_text = _field(p, data, "saved_at", str, "a date and time as text", None)
    try:
        saved_at = _aware(datetime.fromisoformat(saved_text)) if saved_text is not None else None
    except ValueError:
        saved_at = None  # written by hand or damaged: the file's own time stands in
    if saved_at is None:
        saved_at = datetime.fromtimestamp(p.stat().st_mtime, UTC)
    mtime = _field(p, data, "original_mtime", (int, float), "a number or null", None)
    return RecoveryFile(
        path=p,
        project=project,
        saved_at=saved_at,
        pid=_field(p, data, "pid", int, "a whole number (a process id)", 0),
        original_path=_field(p, data, "original_path", str, "a file path as text or null", None),
        original_mtime=float(mtime) if mtime is not None else None,
    )


_T = TypeVar("_T")


def _field(p: Path, data: dict[str, Any], key: str, types: type[_T] | tuple[type, ...], what: str, default: _T) -> _T:
    """The wrapper field ``key`` when absent (``default``) or of one of ``types`` (never a bool); else a RecoveryError."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, types) and not isinstance(value, bool):
        return cast(_T, value)
    raise RecoveryError(f"{p} is damaged: {key} must be {what}; received {json.dumps(value)[:60]}. Delete the file, "
                        f"or correct {key} (it is JSON) to restore it.")


def _aware(moment: datetime) -> datetime:
    """A timestamp with a time zone (UTC when it has none), so recovery files can be compared."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX; elsewhere assume it ended)."""
    if pid <= 0 or sys.platform == "win32":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------- summary diff
@dataclass
class ProjectDiff:
    """What a recovered document changes compared with the saved file, for the restore dialog."""

    nodes_added: list[str] = field(default_factory=list)
    nodes_removed: list[str] = field(default_factory=list)
    nodes_changed: list[str] = field(default_factory=list)  # "dense_1: units, activation"
    nodes_moved: int = 0
    edges_added: int = 0
    edges_removed: int = 0
    mode_changed: tuple[str, str] | None = None
    name_changed: tuple[str, str] | None = None
    dataset_changed: bool = False
    training_changed: list[str] = field(default_factory=list)
    runs_added: int = 0
    runs_removed: int = 0

    @property
    def is_empty(self) -> bool:
        """True when the recovery holds nothing the saved file lacks."""
        return not self.lines()

    def lines(self) -> list[str]:
        """Human-readable summary, one change per line."""
        out: list[str] = []

        def names(items: list[str]) -> str:
            shown = ", ".join(items[:8])
            return shown + (f" and {len(items) - 8} more" if len(items) > 8 else "")

        if self.name_changed:
            out.append(f"Project renamed from {self.name_changed[0]!r} to {self.name_changed[1]!r}")
        if self.mode_changed:
            out.append(f"Model mode changed from {self.mode_changed[0]} to {self.mode_changed[1]}")
        if self.nodes_added:
            out.append(f"{_count(len(self.nodes_added), 'layer')} added: {names(self.nodes_added)}")
        if self.nodes_removed:
            out.append(f"{_count(len(self.nodes_removed), 'layer')} removed: {names(self.nodes_removed)}")
        if self.nodes_changed:
            out.append(f"{_count(len(self.nodes_changed), 'layer')} changed: {'; '.join(self.nodes_changed[:8])}")
        if self.edges_added or self.edges_removed:
            out.append(f"Connections: {self.edges_added} added, {self.edges_removed} removed")
        if self.nodes_moved:
            out.append(f"{_count(self.nodes_moved, 'layer')} moved on the canvas")
        if self.dataset_changed:
            out.append("Dataset settings changed")
        if self.training_changed:
            out.append(f"Training settings changed: {', '.join(self.training_changed)}")
        if self.runs_added or self.runs_removed:
            out.append(f"Training runs: {self.runs_added} added, {self.runs_removed} removed")
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (the diff reads documents nobody has validated yet)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """``value`` when it is a JSON list, else an empty one."""
    return value if isinstance(value, list) else []


def _nodes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n.get("id")): n for n in _list(_obj(doc.get("graph")).get("nodes")) if isinstance(n, dict)}


def _edges(doc: dict[str, Any]) -> set[str]:
    return {json.dumps(e, sort_keys=True) for e in _list(_obj(doc.get("graph")).get("edges"))}


def diff_projects(saved: dict[str, Any] | None, recovered: dict[str, Any]) -> ProjectDiff:
    """Compare two project documents (``Project.to_dict()`` form); ``saved`` None means no file."""
    base = saved or {}
    diff = ProjectDiff()
    old_nodes, new_nodes = _nodes(base), _nodes(recovered)
    label = {**{k: str(v.get("name") or k) for k, v in old_nodes.items()}}
    label.update({k: str(v.get("name") or k) for k, v in new_nodes.items()})
    for nid, node in new_nodes.items():
        if nid not in old_nodes:
            diff.nodes_added.append(f"{label[nid]} ({node.get('type')})")
            continue
        old = old_nodes[nid]
        what: list[str] = []
        if old.get("type") != node.get("type"):
            what.append(f"type {old.get('type')} -> {node.get('type')}")
        if old.get("name") != node.get("name"):
            what.append("name")
        old_p, new_p = _obj(old.get("params")), _obj(node.get("params"))
        what += sorted(k for k in set(old_p) | set(new_p) if old_p.get(k, _ABSENT) != new_p.get(k, _ABSENT))
        if what:
            diff.nodes_changed.append(f"{label[nid]}: {', '.join(what)}")
        if old.get("pos") != node.get("pos"):
            diff.nodes_moved += 1
    diff.nodes_removed = [f"{label[n]} ({old_nodes[n].get('type')})" for n in old_nodes if n not in new_nodes]
    old_edges, new_edges = _edges(base), _edges(recovered)
    diff.edges_added, diff.edges_removed = len(new_edges - old_edges), len(old_edges - new_edges)
    old_mode, new_mode = _obj(base.get("graph")).get("mode"), _obj(recovered.get("graph")).get("mode")
    if saved is not None and old_mode != new_mode:
        diff.mode_changed = (str(old_mode), str(new_mode))
    if saved is not None and base.get("name") != recovered.get("name"):
        diff.name_changed = (str(base.get("name")), str(recovered.get("name")))
    diff.dataset_changed = base.get("dataset") != recovered.get("dataset") and (
        saved is not None or recovered.get("dataset") is not None
    )
    old_t, new_t = _obj(base.get("training")), _obj(recovered.get("training"))
    if saved is not None:
        diff.training_changed = sorted(k for k in set(old_t) | set(new_t) if old_t.get(k) != new_t.get(k))
    old_runs = {str(r.get("id")) for r in _list(base.get("runs")) if isinstance(r, dict)}
    new_runs = {str(r.get("id")) for r in _list(recovered.get("runs")) if isinstance(r, dict)}
    diff.runs_added, diff.runs_removed = len(new_runs - old_runs), len(old_runs - new_runs)
    return diff


_ABSENT = object()


@dataclass(frozen=True)
class PendingRecovery:
    """A recovery file left by a process that ended without saving, with its diff against the file."""

    recovery: RecoveryFile
    diff: ProjectDiff
    file_mtime: datetime | None  # when the saved project was last written (None: no file)

    @property
    def file_is_newer(self) -> bool:
        """True when the project file was saved after the recovery was written (restore would go back)."""
        return self.file_mtime is not None and self.file_mtime > self.recovery.saved_at


@dataclass(frozen=True)
class RecoveryScan:
    """What start-up found: the recovery to offer (if any) and each candidate file that could not be read."""

    pending: PendingRecovery | None
    unreadable: list[tuple[Path, RecoveryError]] = field(default_factory=list)


def scan_recoveries(project_path: str | None, candidates: list[Path]) -> RecoveryScan:
    """The newest readable recovery among ``candidates`` whose writer has ended, diffed against the file,
    and the candidates that could not be read (each with its reason): one damaged file never hides another."""
    found: list[RecoveryFile] = []
    unreadable: list[tuple[Path, RecoveryError]] = []
    for cand in candidates:
        if not cand.is_file():
            continue
        try:
            rec = read_recovery(cand)
        except RecoveryError as exc:
            unreadable.append((cand, exc))
            continue
        if rec.pid == os.getpid() or rec.writer_alive:
            continue  # this process, or another window still editing the project: not a crash
        found.append(rec)
    if not found:
        return RecoveryScan(None, unreadable)
    rec = max(found, key=lambda r: r.saved_at)
    saved: Any = None
    mtime: datetime | None = None
    if project_path:
        try:
            saved = json_limits.loads(Path(project_path).read_text(encoding="utf-8"))
            mtime = datetime.fromtimestamp(os.stat(project_path).st_mtime, UTC)
        except (OSError, ValueError):
            saved = None  # the diff then lists everything as added; opening the file says what is wrong with it
    pending = PendingRecovery(rec, diff_projects(saved if isinstance(saved, dict) else None, rec.project), mtime)
    return RecoveryScan(pending, unreadable)


def find_pending(project_path: str | None, candidates: list[Path]) -> PendingRecovery | None:
    """The newest readable recovery among ``candidates`` whose writer has ended (:func:`scan_recoveries`)."""
    return scan_recoveries(project_path, candidates).pending


FAILED_SUFFIX = ".failed"


def set_aside(path: str | os.PathLike[str]) -> Path:
    """Rename a recovery file that could not be restored to ``<name>.failed`` (``.failed-2``... when taken).

    The copy stays for the user (or a bug report) but no longer matches what start-up looks for, so the
    recovery question does not come back on every launch. Raises ``OSError`` when the rename fails.
    """
    source = Path(path)
    target = source.with_name(source.name + FAILED_SUFFIX)
    n = 1
    while target.exists():
        n += 1
        target = source.with_name(f"{source.name}{FAILED_SUFFIX}-{n}")
    os.replace(source, target)
    return target


def remove_quietly(path: str | os.PathLike[str] | None) -> bool:
    """Delete a recovery file if it exists; True when something was removed."""
    if not path:
        return False
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return False


__all__ = [
    "FAILED_SUFFIX",
    "PendingRecovery",
    "ProjectDiff",
    "RecoveryError",
    "RecoveryFile",
    "RecoveryScan",
    "atomic_write_text",
    "diff_projects",
    "fallback_recovery_path",
    "find_pending",
    "read_recovery",
    "recovery_path_for",
    "remove_dead_temps",
    "remove_quietly",
    "scan_recoveries",
    "set_aside",
    "temp_prefix",
    "untitled_recovery_path",
    "write_recovery",
]
