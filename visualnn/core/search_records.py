"""Trials are runs: how a search trial is kept in a project's run records, and which trials keep their model.

A trial's :class:`~visualnn.core.training_config.RunRecord` carries ``extra["search"]``::

    {"study": "wine", "storage": "sqlite:///...", "trial": 7, "state": "complete",
     "params": {"dense_1.units": 64, ...}, "values": [0.91], "objective": "val_accuracy",
     "directions": ["maximize"]}

``state`` is one of :data:`TRIAL_STATES`. Only the best ``keep_models`` complete trials of a study keep their
model file (:func:`models_to_drop`); the others keep settings, history, metrics and parameter values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from visualnn.core.training_config import RunRecord

SEARCH_KEY = "search"
RUNNING, COMPLETE, PRUNED, FAILED, WAITING = "running", "complete", "pruned", "failed", "waiting"
TRIAL_STATES = (RUNNING, COMPLETE, PRUNED, FAILED, WAITING)


def trial_info(run: RunRecord) -> dict[str, Any] | None:
    """The search facts of a trial's run record, or None for an ordinary run."""
    info = run.extra.get(SEARCH_KEY)
    return info if isinstance(info, dict) else None


def is_trial(run: RunRecord, study: str | None = None) -> bool:
    """Whether ``run`` is a search trial (of ``study`` when given)."""
    info = trial_info(run)
    return info is not None and (study is None or info.get("study") == study)


def with_trial_info(run: RunRecord, info: dict[str, Any]) -> RunRecord:
    """``run`` with its search facts set (a copy)."""
    return replace(run, extra={**run.extra, SEARCH_KEY: dict(info)})


def trial_value(run: RunRecord) -> float | None:
    """The first objective's value of a complete trial (None when it has none, or is not finite)."""
    info = trial_info(run) or {}
    values = info.get("values") or []
    if info.get("state") != COMPLETE or not values:
        return None
    value = values[0]
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def best_trials(runs: Sequence[RunRecord], study: str, direction: str, count: int) -> list[RunRecord]:
    """The ``count`` complete trials of ``study`` with the best first objective (best first)."""
    scored = [(v, r) for r in runs if is_trial(r, study) and (v := trial_value(r)) is not None]
    scored.sort(key=lambda pair: pair[0], reverse=direction == "maximize")
    return [r for _, r in scored[:count]]


def models_to_drop(runs: Sequence[RunRecord], study: str, direction: str, keep: int) -> list[str]:
    """Ids of the study's trials whose model file should go: every trial with a model but the best ``keep``."""
    kept = {r.id for r in best_trials(runs, study, direction, keep)}
    return [r.id for r in runs if is_trial(r, study) and r.model_path and r.id not in kept]


def without_model(run: RunRecord) -> RunRecord:
    """``run`` once its model file has been deleted (the record says so)."""
    return replace(run, model_path=None, extra={**run.extra, "model_dropped": True})


__all__ = [
    "COMPLETE",
    "FAILED",
    "PRUNED",
    "RUNNING",
    "SEARCH_KEY",
    "TRIAL_STATES",
    "WAITING",
    "best_trials",
    "is_trial",
    "models_to_drop",
    "trial_info",
    "trial_value",
    "with_trial_info",
    "without_model",
]
