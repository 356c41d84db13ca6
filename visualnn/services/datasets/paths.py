"""Where a dataset's files are: stored paths made absolute (TF-free, so the UI may use it)."""

from __future__ import annotations

import os


def resolve_path(path: str, base_dir: str) -> str:
    """The data path as stored (relative to the project) made absolute."""
    path = os.path.expanduser(path)
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base_dir or ".", path))
