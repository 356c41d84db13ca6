"""What a job sends the engine about the open project: a ``Project.to_dict()`` snapshot and its base folder."""

from __future__ import annotations

import os
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


def project_snapshot(document: ProjectDocument) -> tuple[dict[str, Any], str]:
    """(``Project.to_dict()`` with data paths usable from the base dir, base dir) for a job."""
    data = document.project.to_dict()
    base = job_base_dir(document)
    dataset = data.get("dataset")
    if not document.path and isinstance(dataset, dict) and dataset.get("path"):
        dataset["path"] = os.path.abspath(dataset["path"])  # unsaved: paths are relative to the working folder
    return data, base
