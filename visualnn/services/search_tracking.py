"""A search's MLflow copy: the study is a parent run, each trial a run nested under it. No Qt, no TensorFlow.

The parent run carries the study's settings (sampler, pruner, seed, objective, budget and each searched
parameter's SPEC, ``space.<target>``) and, when the search ends, the best value so far (``best_<objective>``). A
resumed search (the same study and storage) nests its new trials under the same parent. A trial's run is logged
as it finishes, before the best-``keep_models`` rule may delete its model file, so every trial that trained has
its model in MLflow; its sampled values are among its parameters under their search names. A store that fails
mid-search costs that trial's MLflow copy (a warning, kept in the record), never the search.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from visualnn.core.project import Project
from visualnn.core.search_job import SearchRequest
from visualnn.core.search_settings import SearchConfig
from visualnn.core.search_space import SearchParam
from visualnn.core.tracking import experiment_name, param_text
from visualnn.core.training_config import RunRecord
from visualnn.services.search_study import SearchError, masked
from visualnn.services.tracking import MlflowTracker, TrackingError, tracking_note
from visualnn.services.training_common import Sink

log = logging.getLogger(__name__)


class SearchTracker:
    """Logs one search process's trials under the study's parent run."""

    def __init__(self, tracker: MlflowTracker, parent: str) -> None:
        self.tracker, self.parent = tracker, parent

    @staticmethod
    def open(req: SearchRequest[Project], cfg: SearchConfig, space: tuple[SearchParam, ...], url: str,
             study: str) -> SearchTracker | None:
        """The tracker the request asks for (``mlflow_uri``), its parent run found or made; None without a URI.
        Raises :class:`SearchError` (a bad input: the URI) when MLflow is missing or the store cannot be used."""
        if not req.mlflow_uri.strip():
            return None
        try:
            tracker = MlflowTracker(req.mlflow_uri, experiment_name(req.mlflow_experiment, req.project_path))
            params = {"search.sampler": cfg.sampler, "search.pruner": cfg.pruner, "search.seed": str(cfg.seed),
                      "search.objective": cfg.objective, "search.directions": ",".join(cfg.directions),
                      "search.trials": param_text(cfg.trials), "search.timeout_s": param_text(cfg.timeout_s),
                      **{f"space.{p.target}": p.spec_text() for p in space}}
            return SearchTracker(tracker, tracker.study_run(study, masked(url), params))
        except TrackingError as exc:
            raise SearchError(str(exc)) from exc

    def trial(self, run: RunRecord, base_dir: str, sink: Sink) -> RunRecord:
        """Log a finished trial's run nested under the study's; the record notes where (or why not)."""
        info = run.extra.get("search") or {}
        tags = {"visualnn.trial": str(info.get("trial", "")), "visualnn.trial_state": str(info.get("state", ""))}
        try:
            mlflow_id = self.tracker.log_run(run, base_dir, self.parent, dict(info.get("params") or {}), tags)
        except TrackingError as exc:
            log.warning("MLflow logging of trial %s failed: %s", info.get("trial"), exc)
            sink("log", {"level": "warning", "text": f"Trial {info.get('trial')} was not logged to MLflow: {exc}",
                         "trial": info.get("trial")})
            note: dict[str, Any] = {"experiment": self.tracker.experiment, "error": str(exc)}
        else:
            note = {**tracking_note(self.tracker, mlflow_id), "parent_run_id": self.parent}
        return replace(run, extra={**run.extra, "mlflow": note})

    def end(self, study: dict[str, Any], objective: str, ended: str, sink: Sink) -> None:
        """Close the parent run: the best value so far as ``best_<objective>``, its status from how it ended."""
        best = study.get("best") or {}
        values = best.get("values") or ([best["value"]] if best.get("value") is not None else [])
        try:
            if values:
                self.tracker.log_metrics(self.parent, [(f"best_{objective}", len(study.get("trials", [])),
                                                        float(values[0]))])
            self.tracker.finish(self.parent, {"stopped": "KILLED", "failures": "FAILED"}.get(ended, "FINISHED"))
        except TrackingError as exc:
            log.warning("MLflow: closing the study's run failed: %s", exc)
            sink("log", {"level": "warning", "text": f"The study's MLflow run was not closed: {exc}"})


__all__ = ["SearchTracker"]
