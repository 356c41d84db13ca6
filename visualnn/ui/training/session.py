"""The training session: submits train/continue jobs, steers them and turns their progress into state.

:class:`TrainingSessionController` owns no widget. It checks the settings before anything is sent,
holds the running job's :class:`~visualnn.ui.engine_client.JobHandle`, turns the engine's messages
into signals that the Training panel's plots, progress bar and labels follow, records each finished
run in the document, and applies the one-click fixes it offers as undoable commands.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from visualnn.core.commands import CommandError, SetTraining
from visualnn.core.compile_options import check_class_weight_parts, check_compile
from visualnn.core.fixes import fix_command, fix_label
from visualnn.core.model_io import output_names
from visualnn.core.project.run_folders import RunFolderError, place_new_run, remove_run_folder
from visualnn.core.protocol import TrainRequest, as_float
from visualnn.core.training_config import DIVERGED, RunRecord, TrainingConfig, new_run_id
from visualnn.core.training_options import output_settings
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.hints import OUTPUT_LOSS, carried_history, format_duration, record_epoch, training_hints
from visualnn.ui.training.snapshot import project_snapshot

log = logging.getLogger(__name__)

NO_ENGINE = ("The training engine is not available in this build, so the model cannot be trained here. "
             "Use `visualnn train` from a terminal.")
READY_STATUS = "Press Train to start."


@dataclass(frozen=True)
class ProgressState:
    """What the progress bar shows: ``value`` of ``maximum`` (both 0: busy, length unknown) and its text.

    ``live``: one of a stream (a batch report, several a second), which a view may coalesce to one update
    per frame; every other state (starting, paused, finished, failed) is shown at once."""

    value: int
    maximum: int
    text: str
    live: bool = False


def plot_names(config: TrainingConfig, outputs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The plots a run of ``config`` fills: the loss, each metric, the learning rate.

    With several ``outputs`` (the model's output names): the total loss, each output's loss, then every
    metric any output reports (one plot each, a curve per output).
    """
    if len(outputs) <= 1:
        return ["loss", *config.metrics, "learning rate"]
    metrics = dict.fromkeys(m for row in output_settings(config, outputs) for m in row.metrics)
    return ["loss", OUTPUT_LOSS, *metrics, "learning rate"]


class TrainingSessionController(QObject):
    """Runs training jobs in the engine for one document and reports them as state; no widgets."""

    # Outcomes (the Training panel re-emits them under the same names).
    training_started = Signal(str)  # job id
    training_finished = Signal(dict)  # RunRecord dict
    training_failed = Signal(str)  # message naming the cause
    training_discarded = Signal(str)  # run id: stopped at the user's request, its folder deleted, nothing recorded
    run_recorded = Signal(str)  # run id
    devices_found = Signal(str)  # status-bar summary of the engine's devices
    devices_listed = Signal(list)  # device ids, for the settings form's device choice

    # State for the views.
    state_changed = Signal()  # running / paused / can_continue may have changed
    config_changed = Signal(object)  # TrainingConfig: the document's settings changed
    progress_changed = Signal(object)  # ProgressState
    status_changed = Signal(str)
    hints_changed = Signal(str)
    fix_changed = Signal(str)  # label of the offered fix ("" hides it)
    engine_dead_changed = Signal(bool)  # True: offer to restart the engine
    plots_reset = Signal(list, dict)  # plot names, per-epoch history carried over from a continued run
    batch_reported = Signal(int, int, int, dict)  # epoch (1-based), batch, batches (0: unknown), logs
    epoch_reported = Signal(int, dict, object)  # epoch (1-based), logs, learning rate or None
    phase_started = Signal(int)  # two-phase fine-tuning: phase 2 starts after this many epochs

    def __init__(self, document: ProjectDocument, engine: EngineLink | None,
                 extra_job: dict[str, Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self._extra_job = dict(extra_job or {})  # e.g. inline_data for tests and demos
        self.tracking: Callable[[], dict[str, Any]] | None = None  # the preferences' MLflow fields (the window's)
        # Why another job of the window holds the engine (a search), or "": Train waits for it (ui.training.engine_share).
        self.engine_busy: Callable[[], str] = lambda: ""
        self._handle: JobHandle | None = None
        self._run_id = ""  # the running job's run id (its folder is <base>/runs/<run id>)
        self._run_base = ""  # the folder the running job writes its run into
        self._discarding = False  # the running job was stopped to be thrown away, not recorded
        self._devices_handle: JobHandle | None = None
        self.device_memory_mb: dict[str, int | None] = {}  # device id -> memory the engine reported (RAM, GPU)
        self._paused = False
        self._t0 = 0.0
        self._nan = False
        self._epochs_total = 0
        self._start_done: int | None = None
        self._notes: list[str] = []  # warnings the engine sent for this run (compile checks)
        self._history: dict[str, list[float]] = {}  # per-epoch values of this run (and the one it continues)
        self._fix: dict[str, Any] | None = None
        self._progress = ProgressState(0, 100, "Ready")
        document.training_changed.connect(self._on_document_training_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        document.runs_changed.connect(self.state_changed)
        if engine is not None:
            engine.ready.connect(self._on_engine_ready)
            engine.state_changed.connect(self._on_engine_state_changed)

    def announce(self) -> None:
        """Emit the current state once the views are connected; ask for devices if the engine is already up,
        offer a restart if it has already died (the panels are built after the window's first paint)."""
        self.config_changed.emit(self.document.project.training)
        self.state_changed.emit()
        if self.engine is not None and self.engine.is_ready:
            self._on_engine_ready(dict(self.engine.info or {}))
        elif self.engine is not None and self.engine.state == "dead":
            self._on_engine_state_changed("dead")

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        """True while a training job is in flight."""
        return self._handle is not None

    @property
    def paused(self) -> bool:
        """True while the running job is paused between batches."""
        return self._paused

    @property
    def job_id(self) -> str | None:
        """The running training job's id, or None."""
        return self._handle.id if self._handle is not None else None

    @property
    def can_continue(self) -> bool:
        """True when no job runs and a run with a saved model can be trained further."""
        return not self.running and self.last_run() is not None

    @property
    def progress(self) -> ProgressState:
        """What the progress bar shows now."""
        return self._progress

    @property
    def history(self) -> dict[str, list[float]]:
        """Per-epoch values of the current run so far (a continued run starts with its parent's)."""
        return self._history

    def last_run(self) -> RunRecord | None:
        """The latest run that saved a model (what Continue trains further)."""
        runs = [r for r in self.document.project.runs if r.model_path]
        return runs[-1] if runs else None

    # ------------------------------------------------------------------ intents
    def start(self, continue_run: str | None = None, epochs: int | None = None) -> str | None:
        """Send a train job for the current project (optionally continuing a run); returns the job id."""
        if self.running:
            return None
        busy = self.engine_busy()
        if busy:
            self._show_failure(busy)
            return None
        project = self.document.project
        problems = project.training.problems()
        if problems:
            self._show_failure(" ".join(problems))
            return None
        cfg = project.training
        graph_issues = [i for i in [*check_compile(project.graph, cfg.loss, cfg.metrics, None, cfg.class_weight),
                                    *check_class_weight_parts(project.graph, cfg.class_weight)]
                        if i.severity == "error"]
        if graph_issues:
            self._show_failure(graph_issues[0].message)
            self._offer_fix(graph_issues[0].fix)
            return None
        self._offer_fix(None)
        if self.engine is None:
            self._show_failure(NO_ENGINE)
            return None
        snapshot, base = project_snapshot(self.document)
        # The window names the run, so it knows the run's folder before the engine has reported anything.
        self._run_id, self._run_base, self._discarding = new_run_id(), base, False
        req = TrainRequest(project=snapshot, base_dir=base, run_id=self._run_id, continue_run=continue_run,
                           epochs=epochs, **self._extra_job, **(self.tracking() if self.tracking else {}))
        prev = next((r for r in project.runs if r.id == continue_run), None) if continue_run else None
        carried = carried_history(prev.history) if prev is not None else {}
        self.plots_reset.emit(plot_names(project.training, output_names(project.graph)), carried)
        self._history = {k: list(v) for k, v in carried.items()}
        self._nan = False
        self._paused = False
        self._t0 = time.perf_counter()
        self._epochs_total = epochs or project.training.epochs
        self._start_done = None
        self._notes = []
        self.hints_changed.emit("")
        self._set_progress(0, 0, "Starting…")
        self.status_changed.emit("Starting…" if self.engine.is_ready else "Waiting for the engine…")
        handle = self.engine.submit("train", req.to_dict())
        handle.progress.connect(self._on_job_progress)
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self._on_job_failed)
        self._handle = handle
        self.state_changed.emit()
        self.training_started.emit(handle.id)
        return handle.id

    def continue_last(self, epochs: int) -> str | None:
        """Train the latest run with a saved model for ``epochs`` more epochs; returns the job id."""
        run = self.last_run()
        if run is None:
            return None
        return self.start(continue_run=run.id, epochs=epochs)

    def toggle_pause(self) -> None:
        """Pause or resume the running job (between batches)."""
        if self._handle is None:
            return
        if self._paused:
            self._handle.resume()
        else:
            self._handle.pause()

    def stop(self) -> None:
        """Ask the running job to stop after its current batch (weights kept, run recorded as stopped)."""
        if self._handle is not None:
            self._handle.stop()
            self.status_changed.emit("Stopping after this batch…")

    def discard(self) -> None:
        """Stop the running job and throw its run away: nothing is recorded and its folder is deleted."""
        if self._handle is not None:
            self._discarding = True
            self._handle.stop()
            self.status_changed.emit("Stopping and discarding this run…")

    def edit_config(self, cfg: TrainingConfig) -> None:
        """The settings form changed: record the new settings as an undoable command."""
        self.document.push(SetTraining(cfg))

    def apply_fix(self) -> bool:
        """Apply the offered fix as an undoable command; True when applied."""
        fix = self._fix
        self._offer_fix(None)
        if not fix:
            return False
        try:
            command = fix_command(fix, self.document.project, self.document.registry)
        except CommandError as exc:
            self._show_failure(str(exc))
            return False
        return self.document.push(command)

    def restart_engine(self) -> None:
        """Replace a dead engine with a fresh one (the project and earlier runs are kept)."""
        if self.engine is None:
            return
        self.engine_dead_changed.emit(False)
        self.status_changed.emit("Restarting the training engine…")
        self.engine.restart()

    # ------------------------------------------------------------------ document and engine
    def _on_document_training_changed(self) -> None:
        self.config_changed.emit(self.document.project.training)
        self.state_changed.emit()

    def _on_document_project_replaced(self) -> None:
        # Another project (File > Open, New): nothing of the previous one's session stays on screen.
        self._history = {}
        self._offer_fix(None)
        self.plots_reset.emit(plot_names(self.document.project.training,
                                                output_names(self.document.project.graph)), {})
        self._set_progress(0, 100, "Ready")
        self.status_changed.emit(READY_STATUS)
        self.hints_changed.emit("")
        self._on_document_training_changed()

    def _on_engine_ready(self, info: dict[str, Any]) -> None:
        memory = info.get("device_memory_mb")
        if isinstance(memory, dict):
            self.device_memory_mb = {str(k): v if isinstance(v, int) else None for k, v in memory.items()}
        if info.get("devices"):  # the engine lists its devices in "ready"; no extra job needed
            self.devices_listed.emit([str(d) for d in info["devices"]])
            self.devices_found.emit(str(info.get("device", "")))
        elif self.engine is not None and self._devices_handle is None:
            handle = self.engine.submit("devices", {})
            handle.finished.connect(self._on_devices_finished)
            handle.failed.connect(self._on_devices_failed)
            self._devices_handle = handle

    def _on_devices_finished(self, result: dict[str, Any]) -> None:
        self._devices_handle = None
        self.device_memory_mb = {str(d["id"]): d.get("memory_mb") for d in result.get("devices", [])}
        self.devices_listed.emit([str(d["id"]) for d in result.get("devices", [])])
        self.devices_found.emit(str(result.get("summary", "")))

    def _on_devices_failed(self, message: str) -> None:
        self._devices_handle = None
        log.warning("the engine could not list its devices: %s", message)
        self.devices_found.emit(f"devices unknown ({message})")

    def _on_engine_state_changed(self, state: str) -> None:
        dead = state == "dead"
        self.engine_dead_changed.emit(dead)
        if dead:
            self._set_progress(self._progress.value, self._progress.maximum, "Engine stopped")

    # ------------------------------------------------------------------ the running job
    def _on_job_progress(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "batch":
            self._on_batch(data)
        elif kind == "epoch":
            self._on_epoch(data)
        elif kind == "status":
            self.status_changed.emit(str(data.get("text", "")))
            if isinstance(data.get("done"), int) and isinstance(data.get("total"), int):  # a download going on
                total_kb = int(data["total"]) // 1024  # kilobytes: a progress bar counts in int32; 0: size unknown
                done_kb = min(int(data["done"]) // 1024, total_kb) if total_kb else 0
                self._set_progress(done_kb, total_kb, str(data.get("text", "")))  # maximum 0: a busy bar
            if isinstance(data.get("phase_boundary"), int):
                self.phase_started.emit(int(data["phase_boundary"]))
        elif kind == "paused":
            self._paused = bool(data.get("paused"))
            if self._paused:
                self._set_progress(self._progress.value, self._progress.maximum, "Paused")
            self.state_changed.emit()
        elif kind == "log":
            self._notes.append(str(data.get("text", "")))
            self.hints_changed.emit("\n".join(self._notes))
            if isinstance(data.get("fix"), dict):
                self._offer_fix(data["fix"])

    def _on_batch(self, data: dict[str, Any]) -> None:
        epoch, batch, batches = int(data["epoch"]), int(data["batch"]), int(data.get("batches") or 0)
        epochs = int(data.get("epochs") or self._epochs_total or 1)
        logs = dict(data.get("logs") or {})
        self.batch_reported.emit(epoch, batch, batches, logs)
        if batches:
            total = epochs * batches
            done = (epoch - 1) * batches + batch
            elapsed = float(data.get("elapsed_s", time.perf_counter() - self._t0))
            if self._start_done is None:  # continued runs start part-way: rate counts this run's batches only
                self._start_done = (epoch - 1) * batches
            rate = (done - self._start_done) / elapsed if elapsed > 0 else 0
            eta = (total - done) / rate if rate > 0 else 0
            self._set_progress(done, total, f"Epoch {epoch}/{epochs} · batch {batch}/{batches}", live=True)
            self.status_changed.emit(f"{float(data.get('samples_per_s', 0)):,.0f} samples/s · elapsed "
                                     f"{format_duration(elapsed)} · ETA {format_duration(eta)}")
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(as_float(loss)):  # NaN or inf: the run diverges
            self._nan = True

    def _on_epoch(self, data: dict[str, Any]) -> None:
        logs = dict(data.get("logs") or {})
        record_epoch(self._history, logs, data.get("lr"))
        self.epoch_reported.emit(int(data["epoch"]), logs, data.get("lr"))
        hints = training_hints(self._history, self._nan, self.document.project.training.learning_rate)
        self.hints_changed.emit("\n".join([*self._notes, *hints]))

    def _on_job_finished(self, result: dict[str, Any]) -> None:
        self._handle = None
        self._paused = False
        if self._discarding:
            self._drop_run()
            return
        try:
            run = RunRecord.from_dict(dict(result["run"]))
        except (KeyError, TypeError) as exc:  # an engine/client mismatch: say so instead of dropping the run
            log.exception("the engine's train result has no usable run record: %r", result)
            self._on_job_failed(f"The engine finished training but sent no usable run record ({exc!r}); "
                                "the log has the details. Train again, and report this if it repeats.")
            return
        misplaced = ""
        try:  # absolute while the project is unsaved; beside the project file (moved there if need be) once saved
            model_path = place_new_run(run.id, run.model_path, self._run_base, self.document.path)
        except RunFolderError as exc:  # recorded where it is, and said: the project still knows the model
            log.exception("could not place run %s beside %s", run.id, self.document.path)
            model_path = os.path.join(self._run_base, run.model_path or "")
            misplaced = str(exc)
        if model_path != run.model_path:
            run = RunRecord.from_dict({**run.to_dict(), "model_path": model_path})
        # Run records are saved with the project but are not undoable edits (their model files are on disk).
        self.document.project.add_run(run)
        self.document.mark_modified()
        self._set_progress(1, 1, f"{run.status.capitalize()} · {run.epochs_done} epochs")
        shown = {k: v for k, v in run.metrics.items() if isinstance(v, float)}
        summary = "  ".join(f"{k} {v:.4g}" for k, v in list(shown.items())[:6])
        self.status_changed.emit(f"Run {run.id} {run.status} in {format_duration(run.duration_s)}. {summary}")
        if run.status == DIVERGED and run.error:  # the record says where it diverged and which weights it kept
            hints = [run.error]
        else:
            hints = training_hints(run.history, self._nan, run.training_config.learning_rate)
            if run.error:
                hints.insert(0, run.error)
        hints.extend(str(w) for w in run.extra.get("warnings") or [])  # said at the start, kept in view
        weights = run.extra.get("class_weights")
        if isinstance(weights, dict) and weights:
            hints.append("Balanced class weights: " + ", ".join(f"{k} {as_float(v):.3g}" for k, v in weights.items())
                         + " (each class counts as much in the training loss as the others; the validation and test "
                         "figures weigh every sample alike).")
        if misplaced:
            hints.insert(0, misplaced)
        self.hints_changed.emit("\n".join(dict.fromkeys(hints)))
        self.state_changed.emit()
        self.training_finished.emit(run.to_dict())
        self.run_recorded.emit(run.id)

    def _on_job_failed(self, message: str) -> None:
        self._handle = None
        self._paused = False
        if self._discarding:
            self._drop_run()
            return
        self._show_failure(message)
        self.state_changed.emit()
        self.training_failed.emit(message)

    def _drop_run(self) -> None:
        """The discarded job has ended: delete whatever it wrote; a folder that cannot go is said, not hidden."""
        self._discarding = False
        run_id = self._run_id
        try:
            removed = remove_run_folder(self._run_base, run_id)
        except RunFolderError as exc:
            log.exception("could not delete the discarded run %s", run_id)
            self._show_failure(str(exc))
        else:
            log.info("discarded run %s (%s)", run_id, removed or "nothing written yet")
            self._set_progress(0, 1, "Discarded")
            self.status_changed.emit(f"Run {run_id} discarded.")
        self.state_changed.emit()
        self.training_discarded.emit(run_id)

    # ------------------------------------------------------------------ helpers
    def _set_progress(self, value: int, maximum: int, text: str, live: bool = False) -> None:
        self._progress = ProgressState(value, maximum, text, live)
        self.progress_changed.emit(self._progress)

    def _show_failure(self, message: str) -> None:
        self._set_progress(0, 1, "Not trained")
        self.status_changed.emit("Training could not run.")
        self.hints_changed.emit(message)

    def _offer_fix(self, fix: dict[str, Any] | None) -> None:
        """Offer a one-click repair for a compile-check problem (see ``CompileIssue.fix``)."""
        self._fix = fix or None
        self.fix_changed.emit(fix_label(self._fix))
