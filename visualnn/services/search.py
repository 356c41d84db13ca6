"""Hyperparameter search: an Optuna study whose trials train through the app's one training path. No Qt.

Each trial samples the project's search space, applies the values to a copy of the project (the same command
"Apply this trial" runs, :func:`visualnn.core.search_commands.materialize`) and trains it with
:func:`visualnn.services.training.run_training`. Per-epoch validation figures go to the pruner; a pruned trial
stops after its current batch. Every trial becomes a run record with its parameter values
(:mod:`visualnn.core.search_records`); only the best ``keep_models`` keep their model file.

The budget is the study's: ``trials`` counts the finished and running trials of the study (every process's),
so a resumed search, or several processes on one storage, stop together at that count; ``timeout_s`` bounds
this process's wall time. A process killed mid-trial loses that trial only: the next search marks it failed
and goes on.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import optuna

from visualnn.core.command_base import CommandError
from visualnn.core.project import Project
from visualnn.core.protocol import TrainRequest
from visualnn.core.search_commands import materialize
from visualnn.core.search_job import SEARCH_EVENT, SearchRequest
from visualnn.core.search_records import COMPLETE, FAILED, PRUNED, with_trial_info
from visualnn.core.search_settings import SearchConfig, config_problems, default_storage, default_study_name
from visualnn.core.search_space import SearchParam, resolved
from visualnn.core.tracking import trial_log_folder
from visualnn.core.training_config import FAILED as RUN_FAILED
from visualnn.core.training_config import RunRecord, new_run_id
from visualnn.services.search_importance import param_importance
from visualnn.services.search_study import (
    HEARTBEAT_S,
    SearchError,
    beat,
    fail_dead_workers,
    make_pruner,
    make_sampler,
    masked,
    open_storage,
    open_study,
    study_json,
    suggest,
)
from visualnn.services.search_tracking import SearchTracker
from visualnn.services.training_common import Sink, TrainingError, null_sink

Recorder = Callable[[RunRecord], list[str]]
"""Records a finished trial's run (in the window's document, or the project file) and returns the ids of the
trials whose model file it deleted (no longer among the best ``keep_models``)."""
_States = optuna.trial.TrialState
_COUNTED = (_States.COMPLETE, _States.PRUNED, _States.RUNNING)
"""Trials that count against the budget: finished (complete or pruned) and running ones."""
MAX_FAILURES_IN_A_ROW = 3
"""A search stops when this many trials in a row fail (a project without data fails every trial)."""
_FORWARDED = ("status", "batch", "epoch", "log", "paused")


@dataclass
class SearchOutcome:
    """What a search process did: the study's trials (every process's), its own trial runs, why it ended."""

    study: dict[str, Any]
    storage: str
    runs: list[RunRecord] = field(default_factory=list)
    ended: str = "budget"  # budget | timeout | stopped | grid exhausted | failures
    error: str = ""  # why the search gave up (failures)
    importance: dict[str, float] = field(default_factory=dict)  # target -> share (fANOVA), once it ends

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` and the job's result: the study summary with the storage and how it ended."""
        return {**self.study, "storage": masked(self.storage), "ended": self.ended,
                "ran": [r.id for r in self.runs], **({"error": self.error} if self.error else {}),
                **({"importance": dict(self.importance)} if self.importance else {})}


class _EitherEvent(threading.Event):
    """A stop flag set by its own ``set`` (pruning) or by the user's stop event."""

    def __init__(self, outer: threading.Event | None) -> None:
        super().__init__()
        self.outer = outer

    def is_set(self) -> bool:
        return super().is_set() or (self.outer is not None and self.outer.is_set())


def search_settings(req: SearchRequest[Project]) -> tuple[SearchConfig, tuple[SearchParam, ...], str, str]:
    """The settings (budget overrides applied), the space, the storage URL and the study name; raises
    :class:`SearchError` listing every problem (each naming its parameter)."""
    project = req.project
    cfg = project.search
    if req.trials is not None or req.timeout_s is not None:
        cfg = cfg.with_changes(trials=req.trials if req.trials is not None else cfg.trials,
                               timeout_s=req.timeout_s if req.timeout_s is not None else cfg.timeout_s)
    problems = config_problems(cfg, project.graph, project.training.metrics)
    if problems:
        raise SearchError("The search cannot start: " + " ".join(problems))
    space = resolved(cfg.space, project.graph)
    storage = cfg.storage or default_storage(req.project_path)
    return cfg, space, storage, cfg.study or default_study_name(req.project_path)


def run_search(req: SearchRequest[Project], sink: Sink = null_sink, stop: threading.Event | None = None,
               pause: threading.Event | None = None, record: Recorder | None = None) -> SearchOutcome:
    """Run trials until the study's budget is spent, the time is up or ``stop`` is set; see the module doc."""
    cfg, space, url, name = search_settings(req)
    storage = open_storage(url)
    tracker = SearchTracker.open(req, cfg, space, url, name)  # MLflow (docs/TRACKING.md): refused before any trial
    existing = _existing_trials(storage, name)
    sampler = make_sampler(cfg, space, cfg.seed)  # seeded per trial number: see search_study.TrialSeeded
    study = open_study(storage, name, cfg, space, sampler, make_pruner(cfg, req.project.training.epochs))
    sink(SEARCH_EVENT, {"event": "study", "study": name, "storage": masked(url), "objective": cfg.objective,
                        "directions": list(cfg.directions), "existing": existing})
    outcome = SearchOutcome(study={}, storage=url)
    keeper = record or _InMemory(req.project, req.base_dir, cfg, name)
    started = time.monotonic()
    failures_in_a_row = 0
    while True:
        if stop is not None and stop.is_set():
            outcome.ended = "stopped"
            break
        if cfg.timeout_s is not None and time.monotonic() - started >= cfg.timeout_s:
            outcome.ended = "timeout"
            break
        counted = study.get_trials(deepcopy=False, states=_COUNTED)  # one read per trial for both checks
        if any(t.state == _States.RUNNING for t in counted) and fail_dead_workers(study):
            counted = study.get_trials(deepcopy=False, states=_COUNTED)
        if cfg.trials is not None and len(counted) >= cfg.trials:
            break
        if cfg.sampler == "grid" and isinstance(sampler.inner, optuna.samplers.GridSampler) \
                and sampler.inner.is_exhausted(study):
            outcome.ended = "grid exhausted"
            break
        trial = study.ask()
        # Trial numbers are unique and count from 0, so below the budget no other process can have taken our slot.
        if cfg.trials is not None and trial.number >= cfg.trials and _surplus(study, trial, cfg.trials):
            storage.set_trial_state_values(trial._trial_id, _States.WAITING)
            break
        run = _run_trial(study, trial, req, cfg, space, url, name, sink, stop, pause)
        if tracker is not None:  # logged before keeper() may delete the model file
            run = tracker.trial(run, req.base_dir, sink)
        dropped = keeper(run)
        outcome.runs.append(run)
        info = run.extra["search"]
        failures_in_a_row = failures_in_a_row + 1 if info["state"] == FAILED else 0
        sink(SEARCH_EVENT, {"event": "trial", "trial": trial.number, "state": info["state"], "params": info["params"],
                            "values": info["values"], "run": run.to_dict(), "drop_models": dropped})
        if failures_in_a_row >= MAX_FAILURES_IN_A_ROW and not (stop is not None and stop.is_set()):
            outcome.ended = "failures"
            outcome.error = (f"{failures_in_a_row} trials in a row failed, so the search stopped; the last one "
                             f"(trial {trial.number}): {info.get('reason', '')}")
            break
    outcome.study = study_json(study)
    if tracker is not None:
        tracker.end(outcome.study, cfg.objective, outcome.ended, sink)
    outcome.importance = param_importance(study, space, cfg.seed)
    if outcome.importance:
        sink(SEARCH_EVENT, {"event": "importance", "importance": dict(outcome.importance)})
    return outcome


def _existing_trials(storage: optuna.storages.RDBStorage, name: str) -> int:
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return 0
    return len(storage.get_all_trials(study_id, deepcopy=False))


def _surplus(study: optuna.Study, trial: optuna.Trial, budget: int) -> bool:
    """Whether ``trial`` is past the budget (another process took the last slot between our check and ask)."""
    counted = study.get_trials(deepcopy=False, states=_COUNTED)
    return sum(1 for t in counted if t.number <= trial.number) > budget


def _run_trial(study: optuna.Study, trial: optuna.Trial, req: SearchRequest[Project], cfg: SearchConfig,
               space: tuple[SearchParam, ...], url: str, name: str, sink: Sink, stop: threading.Event | None,
               pause: threading.Event | None) -> RunRecord:
    """Sample, apply, train and tell one trial; its run record (with ``extra["search"]``) is returned."""
    number = trial.number
    run_id = new_run_id()
    beat(study, trial, run_id)
    values = {p.target: suggest(trial, p) for p in space}
    sink(SEARCH_EVENT, {"event": "trial_started", "trial": number, "params": values})
    info: dict[str, Any] = {"study": name, "storage": masked(url), "trial": number, "params": values,
                            "objective": cfg.objective, "directions": list(cfg.directions), "values": []}
    started = _dt.datetime.now().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    try:
        trial_project = materialize(req.project, values)
    except CommandError as exc:
        return _failed(study, trial, req.project, info, started, t0, str(exc))
    halt = _EitherEvent(stop)
    pruning = not cfg.second_objective and cfg.pruner != "none"
    tcfg = trial_project.training
    last_epoch = tcfg.epochs + (tcfg.fine_tune_epochs if tcfg.fine_tune else 0)  # a trial that got there is complete
    heartbeat = {"t": time.monotonic()}
    pruned_value: list[float] = []

    def trial_sink(kind: str, data: dict[str, Any]) -> None:
        if kind in ("batch", "epoch") and time.monotonic() - heartbeat["t"] > HEARTBEAT_S:
            heartbeat["t"] = time.monotonic()
            beat(study, trial, run_id)
        if kind == "epoch" and not halt.is_set():
            value = (data.get("logs") or {}).get(cfg.objective)
            if pruning and isinstance(value, float) and math.isfinite(value):
                trial.report(value, int(data["epoch"]))
                if int(data["epoch"]) < last_epoch and trial.should_prune():  # pruning after the last epoch saves nothing
                    info["pruned_at"] = int(data["epoch"])
                    pruned_value.append(value)  # the trial's value, as Optuna records it: the last one reported
                    halt.set()
        if kind in _FORWARDED:
            sink(kind, {**data, "trial": number})

    try:
        from visualnn.services.training import run_training

        logs = None  # TensorBoard (when switched on): runs/search-<study>/trial-<N>, kept when the model is not
        if trial_project.training.tensorboard:
            info["tensorboard"] = trial_log_folder(name, number)
            logs = os.path.join(req.base_dir, *info["tensorboard"].split("/"))
        result = run_training(TrainRequest(project=trial_project, base_dir=req.base_dir, run_id=run_id,
                                           tensorboard_dir=logs), trial_sink, halt, pause)
    except TrainingError as exc:
        return _failed(study, trial, trial_project, info, started, t0, str(exc), run_id)
    run = result.run
    run = replace(run, metrics={k: v for k, v in run.metrics.items() if not k.startswith("test_")})  # never chosen on test
    history = run.history.get(cfg.objective) or []
    final = history[-1] if history else None
    if not history:
        raw = sorted(k for k in run.history if k.startswith("val_"))
        study.tell(trial, state=_States.FAIL)
        raise SearchError(f"The search optimises {cfg.objective}, which training did not report "
                          f"({', '.join(raw) or 'no validation figures: the data has no validation split'}). "
                          f"Give the data a validation split in the Data panel, or choose one of "
                          f"{', '.join(raw) or 'the compiled metrics'} as the search metric.", bad_input=False)
    if "pruned_at" in info:
        info.update(state=PRUNED, values=pruned_value[-1:])  # set with pruned_at
        study.tell(trial, state=_States.PRUNED)
        return _without_model(with_trial_info(run, info), req.base_dir)
    if stop is not None and stop.is_set() or final is None or not math.isfinite(final):
        why = "stopped by the user" if stop is not None and stop.is_set() else f"{cfg.objective} is not finite"
        info.update(state=FAILED, reason=why)
        study.tell(trial, state=_States.FAIL)
        return _without_model(with_trial_info(run, info), req.base_dir)
    objectives = [float(final)]
    if cfg.second_objective == "params":
        objectives.append(float(result.model.count_params()))
    info.update(state=COMPLETE, values=objectives)
    study.tell(trial, objectives if len(objectives) > 1 else objectives[0])
    return with_trial_info(run, info)


def _failed(study: optuna.Study, trial: optuna.Trial, project: Project, info: dict[str, Any], started: str,
            t0: float, error: str, run_id: str | None = None) -> RunRecord:
    """A trial that could not train: told failed, recorded with the reason (naming the parameter values)."""
    from visualnn.core.project import graph_with_spec_versions

    study.tell(trial, state=_States.FAIL)
    info.update(state=FAILED, reason=error)
    run = RunRecord(id=run_id or new_run_id(), started=started, status=RUN_FAILED,
                    duration_s=round(time.perf_counter() - t0, 3), config=project.training.to_dict(),
                    graph=graph_with_spec_versions(project.graph), error=error)
    return with_trial_info(run, info)


def _without_model(run: RunRecord, base_dir: str) -> RunRecord:
    from visualnn.services.search_records import drop_model

    return drop_model(run, base_dir)


class _InMemory:
    """The default recorder (the engine's): keeps the runs of this search to decide which models stay."""

    def __init__(self, project: Project, base_dir: str, cfg: SearchConfig, study: str) -> None:
        self.runs = list(project.runs)
        self.base_dir, self.cfg, self.study = base_dir, cfg, study

    def __call__(self, run: RunRecord) -> list[str]:
        from visualnn.services.search_records import drop_models

        self.runs.append(run)
        self.runs, dropped = drop_models(self.runs, self.study, self.cfg.resolved_direction, self.cfg.keep_models,
                                         self.base_dir)
        return dropped


__all__ = ["Recorder", "SearchError", "SearchOutcome", "run_search", "search_settings"]
