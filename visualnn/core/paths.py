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


def outside_folder_notice(path: str, project_file: str | None, what: str = "The data") -> str | None:
    """The notice for data that lie outside the project's folder (None when inside it, or for an unsaved project).

    ``path`` is the data path as stored (relative to the project file) or absolute; ``project_file`` is the
    project's ``.vnn`` path. Pure path logic (no disk access): a symlink inside the folder counts as inside.
    Not an error: the project works, but copying its folder leaves the data behind.
    """
    if not project_file or not path:
        return None
    folder = os.path.dirname(os.path.abspath(project_file))
    data = resolve_path(path, folder)
    try:
        inside = os.path.commonpath([os.path.normcase(data), os.path.normcase(folder)]) == os.path.normcase(folder)
    except ValueError:  # another drive on Windows
        inside = False
    if inside:
        return None
    verb = "lie" if what == "The data" else "lies"
    return (f"{what} ({data}) {verb} outside the project folder ({folder}); copying or sending the project folder "
            "leaves it behind. Move it into the project folder to keep the project self-contained.")


__all__ = ["is_absolute", "outside_folder_notice", "rebase_path", "relative_path", "resolve_path"]
