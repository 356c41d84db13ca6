"""Evaluation and prediction sessions: submit the jobs, follow the latest one, report outcomes; no widgets.

The Evaluation and Predict panels are views of these controllers: they turn clicks into
:meth:`EvaluationController.evaluate` / :meth:`PredictionController.predict` and show the reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from visualnn.core.dataset import evaluated_split_label
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest, PredictRequest
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.snapshot import project_snapshot

NO_RUN = "There is no trained run yet. Train the model first."


class _LatestJob:
    """Follows the latest job submitted; an earlier one still in flight is let go and its outcome ignored."""

    def __init__(self, finished: Callable[[dict[str, Any]], None], failed: Callable[[str], None]) -> None:
        self._finished = finished
        self._failed = failed
        self.handle: JobHandle | None = None

    def follow(self, handle: JobHandle) -> None:
        self.drop()
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self._on_failed)
        self.handle = handle

    def drop(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.finished.disconnect(self._on_finished)
            handle.failed.disconnect(self._on_failed)

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.drop()
        self._finished(result)

    def _on_failed(self, message: str) -> None:
        self.drop()
        self._failed(message)


class EvaluationController(QObject):
    """Evaluates runs in the engine, on request and (``auto_evaluate``) each new run training records."""

    evaluation_started = Signal(str, str)  # run id, split: this run's report is on its way
    evaluated = Signal(dict)  # the evaluation report
    evaluation_failed = Signal(str)  # message naming the cause
    status_changed = Signal(str)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None,
                 extra_job: dict[str, Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self._extra_job = dict(extra_job or {})
        self._job = _LatestJob(self._on_job_finished, self._on_job_failed)
        self.auto_evaluate = True  # evaluate each new run as soon as training records it
        self.split = "test"  # test | val | train
        self._known_runs = {r.id for r in document.project.runs}
        document.runs_changed.connect(self._on_document_runs_changed)
        document.project_replaced.connect(self._on_document_project_replaced)

    @property
    def job_id(self) -> str | None:
        """The evaluation job in flight, or None."""
        return self._job.handle.id if self._job.handle is not None else None

    def evaluate(self, run_id: str | None = None) -> str | None:
        """Evaluate ``run_id`` (default: the latest run with a saved model) on :attr:`split`; returns the job id."""
        saved = [r.id for r in self.document.project.runs if r.model_path]
        run_id = run_id or (saved[-1] if saved else None)
        if run_id is None:
            self.status_changed.emit(NO_RUN)
            return None
        if self.engine is None:
            self.status_changed.emit("The training engine is not available; use `visualnn evaluate` from a terminal.")
            return None
        snapshot, base = project_snapshot(self.document)
        req = EvaluateRequest(project=snapshot, base_dir=base, run_id=run_id, split=self.split, **self._extra_job)
        handle = self.engine.submit("evaluate", req.to_dict())
        self._job.follow(handle)
        self.evaluation_started.emit(run_id, self.split)
        self.status_changed.emit(f"Evaluating run {run_id} on the {self._split_words(self.document.project)}…")
        return handle.id

    def _split_words(self, project: Project) -> str:
        """The split about to be scored, in the report's words: never "test" for a project without a test split."""
        if project.dataset is None:
            return f"{self.split} split"  # inline data: the engine's report says which split it scored
        has_test = project.dataset.split().test > 0
        return evaluated_split_label("val" if self.split == "test" and not has_test else self.split, has_test)

    def _on_document_runs_changed(self) -> None:
        new = [r for r in self.document.project.runs if r.model_path and r.id not in self._known_runs]
        self._known_runs = {r.id for r in self.document.project.runs}
        if self.auto_evaluate and new and self._job.handle is None:
            self.evaluate(new[-1].id)

    def _on_document_project_replaced(self) -> None:
        self._known_runs = {r.id for r in self.document.project.runs}  # reopened runs are not "new"
        self._job.drop()  # a report of the previous project's run must not land on this one

    def _on_job_finished(self, report: dict[str, Any]) -> None:
        self.evaluated.emit(report)

    def _on_job_failed(self, message: str) -> None:
        self.status_changed.emit(message)
        self.evaluation_failed.emit(message)


class PredictionController(QObject):
    """Sends predict jobs (typed samples, picked rows or a file) for a run and reports their results."""

    predicted = Signal(dict)  # the prediction result
    prediction_failed = Signal(str)  # message naming the cause
    status_changed = Signal(str)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self._job = _LatestJob(self._on_job_finished, self._on_job_failed)

    @property
    def job_id(self) -> str | None:
        """The prediction job in flight, or None."""
        return self._job.handle.id if self._job.handle is not None else None

    def predict(self, run_id: str | None, rows: list[Any] | None = None, input_path: str | None = None) -> str | None:
        """Predict raw ``rows`` or the samples in ``input_path`` with ``run_id``'s model; returns the job id."""
        if not any(r.model_path for r in self.document.project.runs):
            self.status_changed.emit(NO_RUN)
            return None
        if self.engine is None:
            self.status_changed.emit("The training engine is not available; use `visualnn predict` from a terminal.")
            return None
        snapshot, base = project_snapshot(self.document)
        req = PredictRequest(project=snapshot, base_dir=base, run_id=run_id, rows=rows, input_path=input_path)
        self.status_changed.emit("Predicting…")
        handle = self.engine.submit("predict", req.to_dict())
        self._job.follow(handle)
        return handle.id

    def _on_job_finished(self, result: dict[str, Any]) -> None:
        self.predicted.emit(result)

    def _on_job_failed(self, message: str) -> None:
        self.status_changed.emit(message)
        self.prediction_failed.emit(message)
