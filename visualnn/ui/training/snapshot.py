"""What a job sends the engine about the open project: a ``Project.to_dict()`` snapshot and its base folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from visualnn.ui.document import ProjectDocument

_SESSION_DIR: str | None = None


def job_base_dir(document: ProjectDocument) -> str:
    """Folder that holds ``runs/`` and against which data paths resolve: the project's, else a session folder."""
    global _SESSION_DIR
    if document.path:
        return os.path.dirname(os.path.abspath(document.path))
    if _SESSION_DIR is None:
        _SESSION_DIR = tempfile.mkdtemp(prefix="visualnn-unsaved-")
    return _SESSION_DIR


def remove_session_dir() -> None:
    """Delete the session folder of unsaved projects' runs when the app ends.

    By then every run in it was either copied beside a saved project or discarded with the unsaved
    changes (the close prompt asks first); a crash leaves it for crash recovery.
    """
    global _SESSION_DIR
    if _SESSION_DIR is not None:
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)
        _SESSION_DIR = None


def project_snapshot(document: ProjectDocument) -> tuple[dict[str, Any], str]:
    """(``Project.to_dict()`` with data paths usable from the base dir, base dir) for a job."""
    data = document.project.to_dict()
    base = job_base_dir(document)
    dataset = data.get("dataset")
    if not document.path and isinstance(dataset, dict) and dataset.get("path"):
        dataset["path"] = os.path.abspath(dataset["path"])  # unsaved: paths are relative to the working folder
    return data, base
