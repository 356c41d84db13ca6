"""The engine's ``search`` job: a hyperparameter search on Optuna (:mod:`visualnn.services.search`).

Progress reaches the window through the job's sink: the trial being trained sends the usual ``status``,
``batch``, ``epoch`` and ``log`` messages (each with ``"trial"``), and ``search`` messages announce the study,
each trial's start and each finished trial with its run record (:mod:`visualnn.core.search_job`). The window
adds those records to its document; the engine never writes the project file. Stop ends the trial being trained
(recorded as failed) and the search; the result is the study with every trial.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.search_job import SEARCH_JOB, SearchRequest
from visualnn.engine import JobContext, register_handler


def search(ctx: JobContext) -> dict[str, Any]:
    """Run the search job; the result is the study summary (every trial, the best, how it ended)."""
    req = SearchRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.search import run_search

    return run_search(req, ctx.sink, ctx.stop, ctx.pause).to_json()


register_handler(SEARCH_JOB, search)
