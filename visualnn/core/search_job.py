"""The ``search`` engine job's payload and the progress messages a search sends (the wire format, pure data).

A search job carries the project (its ``search`` section holds the space and the study settings), the folder
its data and ``runs/`` are relative to, and the project file's path (the default SQLite storage and study
name derive from it). Besides the training messages of the trial being trained (``status``, ``batch``,
``epoch``, ``log``, each with ``"trial": N``), a search sends ``search`` messages with ``"event"``:

- ``study``: ``{"study", "storage", "directions", "objective", "existing": n trials already in the study}``;
- ``trial_started``: ``{"trial", "params"}``;
- ``trial``: ``{"trial", "state", "params", "values", "run": RunRecord.to_dict(), "drop_models": [run ids]}``
  (a finished trial's record, and the trials whose model file was deleted because they are no longer among
  the best ``keep_models``; the window updates those records).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any, Generic

from visualnn.core.project import Project
from visualnn.core.protocol import ProjectT, _from_dict, _rest, parse_job_project

SEARCH_JOB = "search"
SEARCH_EVENT = "search"


@dataclass(frozen=True)
class SearchRequest(Generic[ProjectT]):
    """Payload of a ``search`` job; ``trials``/``timeout_s`` override the project's budget when given."""

    project: ProjectT
    base_dir: str
    project_path: str | None = None
    trials: int | None = None
    timeout_s: float | None = None
    mlflow_uri: str = ""  # log the study (a parent run) and each trial (a nested run) to MLflow ("": no)
    mlflow_experiment: str = ""  # the MLflow experiment ("": the project file's name)

    def to_dict(self: SearchRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SearchRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return _from_dict(SearchRequest, data)

    def parsed(self: SearchRequest[dict[str, Any]]) -> SearchRequest[Project]:
        """This request with its project built by the loader."""
        return SearchRequest(parse_job_project(self.project, SEARCH_JOB), **_rest(self))


__all__ = ["SEARCH_EVENT", "SEARCH_JOB", "SearchRequest"]
