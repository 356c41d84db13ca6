"""The search session: sends the project's hyperparameter search to the engine and follows it.

:class:`SearchController` owns no widget. It checks the search before anything is sent (the core's
``config_problems``: the space against the model, the settings, the metric against the compiled metrics), submits
a ``search`` job (payload: :class:`~visualnn.core.search_job.SearchRequest`) and follows its messages on the job's
handle: ``search`` messages with ``"event"`` — ``study`` (the study's name, storage, objective, directions),
``trial_started`` (``trial``, ``params``), ``trial`` (a finished trial: its state, params, values and its run
record, plus ``drop_models``: trials whose model file the engine deleted, no longer among the best K) and
``importance`` (``{"importance": {target: share}}``, Optuna's fANOVA, once the search ends) — and the ``epoch`` messages of the trial
being trained (each with ``"trial"``). Each finished trial's run record is added to the project's runs.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from visualnn.core.project.run_folders import RunFolderError, place_new_run
from visualnn.core.search_job import SEARCH_EVENT, SEARCH_JOB, SearchRequest
from visualnn.core.search_records import without_model
from visualnn.core.search_settings import config_problems, default_storage, default_study_name
from visualnn.core.training_config import RunRecord
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.snapshot import project_snapshot

log = logging.getLogger(__name__)

NO_ENGINE = ("The training engine is not available in this build, so the search cannot run here. "
             "Use `visualnn search FILE.vnn` from a terminal.")


class SearchController(QObject):
    """Starts and stops the search job; turns its messages into trial records and signals for the Search view."""

    trials_changed = Signal()  # a trial started or finished (the rows come from the project's runs + running)
    importance_changed = Signal(dict)  # target -> importance (0..1)
    status_changed = Signal(str)
    failed = Signal(str)  # a message naming the parameter, setting or URL, and the fix
    running_changed = Signal(bool)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.study: str = ""  # the study the view follows (the running one, else the project's)
        self.storage: str = ""
        self.objective: str = ""
        self.directions: list[str] = []
        self.running_trials: dict[int, dict[str, Any]] = {}
        self.study_trials: dict[int, dict[str, Any]] = {}  # the study's trials as its last result listed them
        self.importance: dict[str, float] = {}
        self.budget: int | None = None  # the running search's trial budget (the study's count), None: no count
        self._handle: JobHandle | None = None
        self._base = ""
        self.tracking: Callable[[], dict[str, Any]] | None = None  # the preferences' MLflow fields (the window's)
        # Why another job of the window holds the engine (training), or "": Search waits for it (ui.training.engine_share).
        self.engine_busy: Callable[[], str] = lambda: ""
        document.project_replaced.connect(self._on_document_project_replaced)
        self._on_document_project_replaced()

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        """True while a search job is in flight."""
        return self._handle is not None

    @property
    def direction(self) -> str:
        """The first objective's direction (the study's once it reported, else the project's setting)."""
        return self.directions[0] if self.directions else self.document.project.search.resolved_direction

    @property
    def progress_text(self) -> str:
        """How far the running search has got, in the user's words: "trial 5 of 20" (the running trial's number
        counted from 1; "of" the study's budget when it has one), "starting" before its first trial."""
        if not self.running_trials:
            return "starting" if self.running else "not running"
        shown = f"trial {max(self.running_trials) + 1}"
        return f"{shown} of {self.budget}" if self.budget is not None else shown

    def problems(self) -> list[str]:
        """What stops the project's search from starting (empty: it can start)."""
        project = self.document.project
        return config_problems(project.search, project.graph, project.training.metrics)

    # ------------------------------------------------------------------ intents
    def start(self) -> str | None:
        """Send the project's search to the engine; returns the job id, or None with ``failed`` saying why."""
        if self.running:
            return None
        busy = self.engine_busy()
        if busy:
            self.failed.emit(busy)
            return None
        problems = self.problems()
        if problems:
            self.failed.emit("The search cannot start: " + " ".join(problems))
            return None
        if self.engine is None:
            self.failed.emit(NO_ENGINE)
            return None
        snapshot, base = project_snapshot(self.document)
        self._base = base
        cfg = self.document.project.search
        self.study = cfg.study or default_study_name(self.document.path)
        self.storage = cfg.storage or default_storage(self.document.path)
        self.objective, self.directions = cfg.objective, list(cfg.directions)
        self.running_trials, self.study_trials = {}, {}
        self.budget = cfg.trials
        tracking = self.tracking() if self.tracking else {}  # the preferences' MLflow fields
        payload = SearchRequest(project=snapshot, base_dir=base, project_path=self.document.path,
                                **tracking).to_dict()
        handle = self.engine.submit(SEARCH_JOB, payload)
        handle.progress.connect(self._on_job_progress)
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self._on_job_failed)
        self._handle = handle
        self.status_changed.emit(f"Searching study {self.study}…" if self.engine.is_ready
                                 else "Waiting for the engine…")
        self.running_changed.emit(True)
        self.trials_changed.emit()
        return handle.id

    def stop(self) -> None:
        """End the search after the current trial's batch (that trial is recorded as it ends)."""
        if self._handle is not None:
            self._handle.stop()
            self.status_changed.emit("Stopping after the current batch…")

    # ------------------------------------------------------------------ engine messages
    def _on_job_progress(self, kind: str, data: dict[str, Any]) -> None:
        if kind == SEARCH_EVENT:
            event = data.get("event")
            if event == "study":
                self._on_study(data)
            elif event == "trial_started":
                number = data.get("trial")
                if isinstance(number, int):
                    self.running_trials[number] = {"params": dict(data.get("params") or {})}
                    self.status_changed.emit(f"Trial {number} training…")
                    self.trials_changed.emit()
            elif event == "trial":
                self._on_trial(data)
            elif event == "importance":
                self._set_importance(data.get("importance"))
        elif kind == "epoch" and isinstance(data.get("trial"), int):
            logs = data.get("logs") if isinstance(data.get("logs"), dict) else data
            value = logs.get(self.objective) if isinstance(logs, dict) else None
            shown = f" · {self.objective} {value:.4g}" if isinstance(value, int | float) else ""
            self.status_changed.emit(f"Trial {data['trial']} · epoch {data.get('epoch', '?')}{shown}")

    def _on_study(self, data: dict[str, Any]) -> None:
        self.study = str(data.get("study") or self.study)
        self.storage = str(data.get("storage") or self.storage)
        self.objective = str(data.get("objective") or self.objective)
        directions = data.get("directions")
        if isinstance(directions, list) and directions:
            self.directions = [str(d) for d in directions]
        existing = data.get("existing")
        more = f" ({existing} earlier trials in it)" if isinstance(existing, int) and existing else ""
        self.status_changed.emit(f"Study {self.study} in {self.storage}{more}: searching…")
        self.trials_changed.emit()

    def _on_trial(self, data: dict[str, Any]) -> None:
        number = data.get("trial")
        if isinstance(number, int):
            self.running_trials.pop(number, None)
        record = data.get("run")
        if isinstance(record, dict):
            try:
                run = RunRecord.from_dict(dict(record))
            except (KeyError, TypeError, ValueError) as exc:
                log.exception("the engine's trial %s has no usable run record: %r", number, record)
                self.failed.emit(f"Trial {number} finished but the engine sent no usable run record ({exc!r}); "
                                 "the log has the details.")
                run = None
            if run is not None:
                self._record(run)
        dropped = data.get("drop_models")
        if isinstance(dropped, list) and dropped:
            self._drop_models([str(d) for d in dropped])
        values = data.get("values") or []
        value = values[0] if isinstance(values, list) and values else None
        shown = f"{self.objective} {value:.4g}" if isinstance(value, int | float) and math.isfinite(value) else ""
        self.status_changed.emit(f"Trial {number} {data.get('state', 'finished')}{' · ' + shown if shown else ''}")
        self._set_importance(data.get("importance"))
        self.trials_changed.emit()

    def _record(self, run: RunRecord) -> None:
        """Add a trial's run record to the project, its model file beside the project (as training does)."""
        try:
            model_path = place_new_run(run.id, run.model_path, self._base, self.document.path) \
                if run.model_path else None
        except RunFolderError as exc:
            log.exception("could not place trial run %s beside %s", run.id, self.document.path)
            model_path = os.path.join(self._base, run.model_path or "")
            self.failed.emit(str(exc))
        if model_path != run.model_path:
            run = RunRecord.from_dict({**run.to_dict(), "model_path": model_path})
        project = self.document.project
        if any(r.id == run.id for r in project.runs):
            project.remove_run(run.id)
        project.add_run(run)
        self.document.mark_modified()

    def _drop_models(self, run_ids: list[str]) -> None:
        """The engine deleted these trials' model files (no longer among the best K): their records say so."""
        project = self.document.project
        for run in list(project.runs):
            if run.id in run_ids and run.model_path:
                project.replace_run(without_model(run))
        self.document.mark_modified()

    def _set_importance(self, importance: Any) -> None:
        if isinstance(importance, dict) and importance:
            self.importance = {str(k): float(v) for k, v in importance.items()
                               if isinstance(v, int | float) and math.isfinite(v)}
            self.importance_changed.emit(dict(self.importance))

    def _on_job_finished(self, result: dict[str, Any]) -> None:
        """The result is the study summary: ``{"study", "directions", "trials": [{"number", "state", "params",
        "value", "run_id"}...], "best", "storage", "ended": budget|timeout|stopped|grid exhausted, "ran"}``."""
        self._handle = None
        self.running_trials = {}
        self._set_importance(result.get("importance"))
        trials = result.get("trials")
        if isinstance(trials, list):  # every process's trials: those of other machines are not runs here
            self.study_trials = {t["number"]: t for t in trials if isinstance(t, dict) and isinstance(t.get("number"), int)}
        count = f"{len(trials)} trials in study {self.study}" if isinstance(trials, list) else f"study {self.study}"
        best = result.get("best")
        best_text = ""
        if isinstance(best, dict) and isinstance(best.get("number"), int):
            values = best.get("values") or [best.get("value")]
            v = values[0] if isinstance(values, list) and values else None
            best_text = f"; best: trial {best['number']}" + (f" ({self.objective} {v:.4g})"
                                                             if isinstance(v, int | float) else "")
        ended = result.get("ended")
        how = {"budget": "finished", None: "finished"}.get(ended, f"ended ({ended})") if isinstance(ended, str | None) \
            else "finished"
        self.status_changed.emit(f"Search {how} · {count}{best_text}.")
        self.running_changed.emit(False)
        self.trials_changed.emit()

    def _on_job_failed(self, message: str) -> None:
        self._handle = None
        self.running_trials = {}
        self.status_changed.emit("The search failed.")
        self.failed.emit(message)
        self.running_changed.emit(False)
        self.trials_changed.emit()

    def _on_document_project_replaced(self) -> None:
        if self._handle is not None:  # its trials belong to the project that was closed: stop, record nothing more
            handle, self._handle = self._handle, None
            for signal, slot in ((handle.progress, self._on_job_progress), (handle.finished, self._on_job_finished),
                                 (handle.failed, self._on_job_failed)):
                signal.disconnect(slot)
            handle.stop()
            self.status_changed.emit("The search was stopped: its project was closed. Its study keeps every "
                                     "finished trial; open the project and press Search to resume it.")
            self.running_changed.emit(False)
        cfg = self.document.project.search
        self.study = cfg.study or default_study_name(self.document.path)
        self.storage = cfg.storage or default_storage(self.document.path)
        self.objective, self.directions = cfg.objective, list(cfg.directions)
        self.running_trials, self.importance, self.study_trials = {}, {}, {}
        self.trials_changed.emit()
        self.importance_changed.emit({})


__all__ = ["NO_ENGINE", "SEARCH_EVENT", "SEARCH_JOB", "SearchController"]
