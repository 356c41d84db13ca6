"""The activations and explanations sessions: submit the engine's jobs, follow the latest one; no widgets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from visualnn.core.explain_protocol import ActivationsRequest, ExplainRequest
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.snapshot import project_snapshot

NO_ENGINE = "The engine is not available; use `visualnn explain` from a terminal."


class LatestJobSession(QObject):
    """Sends one kind of job and reports only the latest one's outcome (an earlier one still running is ignored)."""

    started = Signal(str)  # what is being computed, in words
    finished = Signal(dict)
    failed = Signal(str)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, job_type: str,
                 extra_job: dict[str, Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.job_type = job_type
        self.extra_job = dict(extra_job or {})  # tests: inline data
        self.handle: JobHandle | None = None
        document.project_replaced.connect(self.drop)

    @property
    def busy(self) -> bool:
        """A job of this session is in flight."""
        return self.handle is not None

    def submit(self, payload: dict[str, Any], what: str) -> str | None:
        """Send a job whose payload gets the project snapshot and base folder; returns its id."""
        if self.engine is None:
            self.failed.emit(NO_ENGINE)
            return None
        snapshot, base = project_snapshot(self.document)
        self.drop()
        handle = self.engine.submit(self.job_type, {"project": snapshot, "base_dir": base, **self.extra_job, **payload})
        handle.finished.connect(self._on_handle_finished)
        handle.failed.connect(self._on_handle_failed)
        self.handle = handle
        self.started.emit(what)
        return handle.id

    def drop(self) -> None:
        """Forget the job in flight (another project was opened, or a newer job replaces it)."""
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.finished.disconnect(self._on_handle_finished)
            handle.failed.disconnect(self._on_handle_failed)

    def _on_handle_finished(self, result: dict[str, Any]) -> None:
        self.drop()
        self.finished.emit(result)

    def _on_handle_failed(self, message: str) -> None:
        self.drop()
        self.failed.emit(message)


def activations_payload(node: str, run_id: str | None, split: str, index: int) -> dict[str, Any]:
    """An ``activations`` job's fields other than the project (checked by the request's own to_dict)."""
    req: ActivationsRequest[dict[str, Any]] = ActivationsRequest(project={}, base_dir="", node=node, run_id=run_id, split=split, index=index)
    return {k: v for k, v in req.to_dict().items() if k not in ("project", "base_dir", "inline_data", "sample")}


def explain_payload(method: str, run_id: str | None, split: str, index: int, node: str | None) -> dict[str, Any]:
    """An ``explain`` job's fields other than the project."""
    req: ExplainRequest[dict[str, Any]] = ExplainRequest(project={}, base_dir="", run_id=run_id, method=method, split=split, index=index, node=node)
    return {k: v for k, v in req.to_dict().items() if k not in ("project", "base_dir", "inline_data", "input_path")}
