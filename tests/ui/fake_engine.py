"""A stand-in for the engine client: the window's EngineLink with no process and no TensorFlow.

It answers like the real engine does (its ``ready`` payload has the real shape: ``devices`` are
ids, ``device`` a summary line), so tests exercise what the window does with real messages.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from visualnn.ui.engine_client import JobHandle

READY_PAYLOAD: dict[str, Any] = {
    "protocol": 1,
    "pid": 4242,
    "handlers": ["ping", "devices", "train", "evaluate", "predict", "export_model", "export_code", "import_model"],
    "tensorflow": "2.21.0",
    "keras": "3.15.1",
    "versions": {"tensorflow": "2.21.0", "keras": "3.15.1"},
    "devices": ["cpu", "gpu:0"],
    "device": "CPU · GPU 0: NVIDIA H200 (139 GB)",
    "device_memory_mb": {"cpu": 8000, "gpu:0": 139000},
    "import_s": 1.5,
}
DEVICES_RESULT: dict[str, Any] = {
    "devices": [
        {"id": "cpu", "kind": "CPU", "name": "Xeon (2 cores)", "memory_mb": 8000, "mixed_precision": False},
        {"id": "gpu:0", "kind": "GPU", "name": "NVIDIA H200", "memory_mb": 139000, "mixed_precision": True},
    ],
    "summary": "CPU · GPU 0: NVIDIA H200 (136 GB)",
}


class FakeEngine(QObject):
    """Records jobs; ``start`` becomes ready at once; ``devices`` jobs are answered on the next loop turn.

    With ``trains=True`` a ``train`` job acts out the engine's side on disk: its run folder
    ``<base_dir>/runs/<run_id>/`` is made when it is submitted, :meth:`finish_training` writes ``model.keras``
    and answers with the run record, and a ``stop`` control ends it that way (status ``stopped``) on the next
    loop turn, as the engine does after its current batch.
    """

    state_changed = Signal(str)
    ready = Signal(dict)
    engine_died = Signal(str)

    def __init__(self, parent: QObject | None = None, *, answer_devices: bool = True, trains: bool = False) -> None:
        super().__init__(parent)
        self._state = "stopped"
        self.info: dict[str, Any] = {}
        self.jobs: list[tuple[str, str, dict[str, Any]]] = []  # (id, type, payload)
        self.controls: list[tuple[str, str]] = []
        self.handles: dict[str, JobHandle] = {}
        self.answer_devices = answer_devices
        self.trains = trains
        self.starts = 0
        self.stops = 0

    @property
    def state(self) -> str:
        """starting | ready | dead | stopped."""
        return self._state

    def _set_state(self, state: str) -> None:
        self._state = state
        self.state_changed.emit(state)

    def start(self) -> None:
        """Become ready at once with the real engine's ready payload."""
        self.starts += 1
        self.info = dict(READY_PAYLOAD)
        self._set_state("ready")
        self.ready.emit(dict(READY_PAYLOAD))

    def stop(self, timeout_ms: int = 5000) -> None:
        """Stop (pending jobs are simply forgotten)."""
        self.stops += 1
        self._set_state("stopped")

    def restart(self) -> None:
        """Stop, then start."""
        self.stop()
        self.start()

    def die(self, reason: str = "The training engine exited with code 1.") -> None:
        """Act out an engine crash: pending jobs fail with the reason, as the real client's do."""
        self._set_state("dead")
        for job_id, handle in list(self.handles.items()):
            if not handle.done:
                self.fail(job_id, reason)
        self.engine_died.emit(reason)

    @property
    def is_ready(self) -> bool:
        """True once started (the fake is ready at once)."""
        return self._state == "ready"

    def submit(self, job_type: str, payload: dict[str, Any]) -> JobHandle:
        """Record the job; answer ``devices`` like the engine would (on its handle, on the next loop turn)."""
        job_id = f"job-{len(self.jobs) + 1}"
        self.jobs.append((job_id, job_type, payload))
        handle = JobHandle(self, job_id, job_type)  # type: ignore[arg-type]  # the fake stands in for the client
        self.handles[job_id] = handle
        if job_type == "devices" and self.answer_devices:
            QTimer.singleShot(0, lambda: self.finish(job_id, dict(DEVICES_RESULT)))
        if job_type == "train" and self.trains:
            os.makedirs(self.run_folder(job_id), exist_ok=True)
        return handle

    def run_folder(self, job_id: str) -> str:
        """Where the train job ``job_id`` writes its run: ``<base_dir>/runs/<run_id>``."""
        payload = next(p for i, _t, p in self.jobs if i == job_id)
        return os.path.join(str(payload["base_dir"]), "runs", str(payload["run_id"]))

    def finish_training(self, job_id: str, status: str = "finished", epochs_done: int = 2) -> dict[str, Any]:
        """End a train job as the engine would: ``model.keras`` written in its run folder, the run record sent."""
        payload = next(p for i, _t, p in self.jobs if i == job_id)
        folder = self.run_folder(job_id)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "model.keras"), "w", encoding="utf-8") as fh:
            fh.write(f"fake model, {epochs_done} epochs\n")
        run = {"id": str(payload["run_id"]), "started": "2026-01-01T00:00:00", "status": status, "duration_s": 1.0,
               "device": "cpu", "config": payload["project"]["training"], "history": {"loss": [0.5] * epochs_done},
               "metrics": {"loss": 0.5}, "epochs_done": epochs_done,
               "model_path": f"runs/{payload['run_id']}/model.keras"}
        self.finish(job_id, {"run": run})
        return run

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        """Answer a job as the engine would: on its handle, the only place a job's outcome is told."""
        self.handles[job_id]._finish(result)

    def fail(self, job_id: str, message: str) -> None:
        """Fail a job as the engine would (on its handle)."""
        self.handles[job_id]._fail(message)

    def control(self, job_id: str, action: str) -> None:
        """Record a stop/pause/resume (with ``trains``, a stopped train job ends on the next loop turn)."""
        self.controls.append((job_id, action))
        handle = self.handles.get(job_id)
        if self.trains and action == "stop" and handle is not None and handle.type == "train" and not handle.done:
            QTimer.singleShot(0, lambda: None if handle.done else self.finish_training(job_id, "stopped", 1))

    def job_types(self) -> list[str]:
        """The types of the submitted jobs, in order."""
        return [job_type for _id, job_type, _payload in self.jobs]
