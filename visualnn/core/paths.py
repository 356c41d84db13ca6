"""Data paths: how a path stored in a project (relative to the project file, POSIX separators) meets the disk.

One home for the rule, used by the project loader and saver, the data service, prediction and the
script exporter: a stored path may be absolute or relative, written on POSIX or Windows, and may
start with ``~``; it is read relative to a base folder (the project's) and written back relative
to another one (a new project location, the exported script's folder).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath


def is_absolute(path: str) -> bool:
    """Whether ``path`` is absolute in POSIX or Windows form (a project may come from either)."""
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def resolve_path(path: str, base_dir: str | os.PathLike[str] | None) -> str:
    """A stored data path made usable here: ``~`` expanded, relative paths joined to ``base_dir``
    (the working folder when ``None``), separators native, normalised."""
    path = os.path.expanduser(path)
    if is_absolute(path):
        return os.path.normpath(path)
    native = path.replace("/", os.sep) if os.sep != "/" else path
    return os.path.normpath(os.path.join(os.fspath(base_dir) if base_dir else os.getcwd(), native))


def relative_path(path: str, start: str | os.PathLike[str]) -> str:
    """``path`` as seen from the folder ``start``, POSIX separators; absolute (POSIX) when no relative
    path exists (another drive on Windows)."""
    absolute = os.path.abspath(os.path.expanduser(path))
    try:
        return Path(os.path.relpath(absolute, os.fspath(start))).as_posix()
    except ValueError:  # another drive on Windows: a relative path is impossible
        return Path(absolute).as_posix()


def rebase_path(path: str, old_dir: str | None, new_dir: str) -> str:
    """A stored path that was relative to ``old_dir``, rewritten relative to ``new_dir`` (pointing where it
    pointed before). With no ``old_dir`` (an unsaved project) relative paths have no base and stay as they are."""
    if old_dir is None and not is_absolute(os.path.expanduser(path)):
        return path
    return relative_path(resolve_path(path, old_dir or new_dir), new_dir)


__all__ = ["is_absolute", "rebase_path", "relative_path", "resolve_path"]
