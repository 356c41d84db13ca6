"""The Training tab: compile/fit settings, Train / Pause / Stop / Continue, progress and live plots."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.commands import SetTraining
from visualnn.core.compile_options import check_compile
from visualnn.core.protocol import TrainRequest, as_float
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.ui.training.hints import format_duration, training_hints
from visualnn.ui.training.plots import MetricPlots
from visualnn.ui.training.settings import TrainingSettingsForm

log = logging.getLogger(__name__)


def job_base_dir(document: Any) -> str:
    """Folder that holds ``runs/`` and against which data paths resolve: the project's, else a session folder."""
    path = getattr(document, "path", None)
    if path:
        return os.path.dirname(os.path.abspath(path))
    global _SESSION_DIR
    if _SESSION_DIR is None:
        _SESSION_DIR = tempfile.mkdtemp(prefix="visualnn-unsaved-")
    return _SESSION_DIR


_SESSION_DIR: str | None = None


def project_snapshot(document: Any) -> tuple[dict[str, Any], str]:
    """(``Project.to_dict()`` with data paths usable from the base dir, base dir) for a job."""
    data = document.project.to_dict()
    base = job_base_dir(document)
    dataset = data.get("dataset")
    if not getattr(document, "path", None) and isinstance(dataset, dict) and dataset.get("path"):
        dataset["path"] = os.path.abspath(dataset["path"])  # unsaved: paths are relative to the working folder
    return data, base


class TrainingPanel(QWidget):
    """Runs training jobs in the engine and shows them live; records finished runs in the project."""

    training_started = Signal(str)  # job id
    training_finished = Signal(dict)  # RunRecord dict
    training_failed = Signal(str)  # message naming the cause
    run_recorded = Signal(str)  # run id
    devices_found = Signal(str)  # status-bar summary

    def __init__(self, document: Any, engine: Any, parent: QWidget | None = None, extra_job: dict[str, Any] | None = None):
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self._extra_job = dict(extra_job or {})  # e.g. inline_data for tests and demos
        self.job_id: str | None = None
        self._paused = False
        self._t0 = 0.0
        self._nan = False
        self._epochs_total = 0
        self._start_done: int | None = None
        self._notes: list[str] = []  # warnings the engine sent for this run (compile checks)

        self.form = TrainingSettingsForm()
        self.form.set_config(document.project.training)
        self.form.config_edited.connect(self._on_form_config_edited)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(self.form.sizeHint().width() + 24)  # the whole form, no horizontal scrolling
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Build the model, compile it with these settings and fit it to the data.")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End after the current batch; the weights so far are kept and the run recorded.")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Train the last run for more epochs, keeping its weights and optimizer state.")
        self.more_epochs = QSpinBox(minimum=1, maximum=100_000, value=5, suffix=" epochs")
        self.restart_button = QPushButton("Restart engine")
        self.restart_button.setToolTip("Start a fresh training engine; the project and earlier runs are kept.")
        self.restart_button.clicked.connect(self._on_restart_clicked)
        self.restart_button.hide()
        self.export_png_button = QPushButton("Export PNG…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.continue_button.clicked.connect(self.continue_training)
        self.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.export_csv_button.clicked.connect(self._on_export_csv_clicked)
        buttons = QHBoxLayout()
        for w in (self.train_button, self.pause_button, self.stop_button, self.continue_button, self.more_epochs):
            buttons.addWidget(w)
        buttons.addWidget(self.restart_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_png_button)
        buttons.addWidget(self.export_csv_button)

        self.progress = QProgressBar()
        self.progress.setFormat("Ready")
        self.progress.setTextVisible(True)
        self.status = QLabel("Press Train to start.")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hints.setStyleSheet("color: #b8860b;")
        self.plots = MetricPlots()
        self.plots.prepare(["loss", *document.project.training.metrics, "learning rate"])

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addLayout(buttons)
        rl.addWidget(self.progress)
        rl.addWidget(self.status)
        rl.addWidget(self.hints)
        self.fix_button = QPushButton()
        self.fix_button.setToolTip("Apply the suggested change (undoable), then press Train again.")
        self.fix_button.clicked.connect(self.apply_fix)
        self.fix_button.hide()
        self._fix: dict[str, Any] | None = None
        rl.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignLeft)
        rl.addWidget(self.plots, 1)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        if engine is not None:
            engine.message_received.connect(self._on_engine_message)
            engine.job_finished.connect(self._on_engine_job_finished)
            engine.job_failed.connect(self._on_engine_job_failed)
            engine.ready.connect(self._on_engine_ready)
            if hasattr(engine, "state_changed"):
                engine.state_changed.connect(self._on_engine_state_changed)
        for name in ("training_changed", "project_replaced"):
            if hasattr(document, name):
                getattr(document, name).connect(self._on_document_training_changed)
        if hasattr(document, "runs_changed"):
            document.runs_changed.connect(self._sync_buttons)
        self._devices_job: str | None = None
        if getattr(engine, "is_ready", False):
            self._on_engine_ready(dict(getattr(engine, "info", {}) or {}))
        self._sync_buttons()

    # ------------------------------------------------------------------ actions
    @property
    def running(self) -> bool:
        """True while a training job is in flight."""
        return self.job_id is not None

    def start_training(self, continue_run: str | None = None, epochs: int | None = None) -> str | None:
        """Send a train job for the current project (optionally continuing a run); returns the job id."""
        if self.running:
            return None
        project = self.document.project
        problems = project.training.problems()
        if problems:
            self._show_failure(" ".join(problems))
            return None
        graph_issues = [i for i in check_compile(project.graph, project.training.loss, project.training.metrics, None)
                        if i.severity == "error"]
        if graph_issues:
            self._show_failure(graph_issues[0].message)
            self._offer_fix(graph_issues[0].fix)
            return None
        self._offer_fix(None)
        if self.engine is None:
            self._show_failure("The training engine is not available in this build, so the model cannot be "
                               "trained here. Use `visualnn train` from a terminal.")
            return None
        snapshot, base = project_snapshot(self.document)
        req = TrainRequest(project=snapshot, base_dir=base, continue_run=continue_run, epochs=epochs,
                           **self._extra_job)
        self.plots.clear()
        self.plots.prepare(["loss", *project.training.metrics, "learning rate"])
        if continue_run:
            prev = next((r for r in project.runs if r.id == continue_run), None)
            if prev is not None:
                self.plots.load_history(prev.history)
                for k, v in prev.history.items():
                    self.plots.epoch_history[k] = [x if x is not None else float("nan") for x in v]
        self._nan = False
        self._paused = False
        self._t0 = time.perf_counter()
        self._epochs_total = epochs or project.training.epochs
        self._start_done = None
        self._notes = []
        self.hints.setText("")
        self.progress.setRange(0, 0)  # busy until the first batch says how many there are
        self.progress.setFormat("Starting…")
        self.status.setText("Waiting for the engine…" if not getattr(self.engine, "is_ready", True) else "Starting…")
        self.job_id = self.engine.submit("train", req.to_dict())
        self._sync_buttons()
        self.training_started.emit(self.job_id)
        return self.job_id

    def continue_training(self) -> str | None:
        """Train the latest run with a saved model for ``more_epochs`` more epochs."""
        run = self._last_run()
        if run is None:
            return None
        return self.start_training(continue_run=run.id, epochs=self.more_epochs.value())

    def toggle_pause(self) -> None:
        """Pause or resume the running job (between batches)."""
        if not self.running or self.job_id is None:
            return
        self.engine.control(self.job_id, "resume" if self._paused else "pause")

    def stop_training(self) -> None:
        """Ask the running job to stop after its current batch (weights kept, run recorded as stopped)."""
        if self.job_id is not None:
            self.engine.control(self.job_id, "stop")
            self.status.setText("Stopping after this batch…")

    def _last_run(self) -> RunRecord | None:
        runs = [r for r in self.document.project.runs if r.model_path]
        return runs[-1] if runs else None

    def _sync_buttons(self) -> None:
        running = self.running
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if self._paused else "Pause")
        self.stop_button.setEnabled(running)
        self.continue_button.setEnabled(not running and self._last_run() is not None)

    # ------------------------------------------------------------------ document / form
    def _on_form_config_edited(self, cfg: TrainingConfig) -> None:
        self.document.push(SetTraining(cfg))

    def _on_document_training_changed(self, *_: Any) -> None:
        self.form.set_config(self.document.project.training)
        self._sync_buttons()

    # ------------------------------------------------------------------ engine messages
    def _on_engine_ready(self, info: dict[str, Any]) -> None:
        if info.get("devices"):  # the engine lists its devices in "ready"; no extra job needed
            self.form.set_devices([str(d) for d in info["devices"]])
            self.devices_found.emit(str(info.get("device", "")))
        else:
            self._devices_job = self.engine.submit("devices", {})

    def _offer_fix(self, fix: dict[str, Any] | None) -> None:
        """Show a one-click repair for a compile-check problem (see ``CompileIssue.fix``)."""
        self._fix = fix
        if not fix:
            self.fix_button.hide()
            return
        if "training" in fix:
            what = ", ".join(f"{k} = {v}" for k, v in fix["training"].items())
        else:
            what = f"{fix.get('node')}.{fix.get('param')} = {fix.get('value')}"
        self.fix_button.setText(f"Fix: set {what}")
        self.fix_button.show()

    def apply_fix(self) -> bool:
        """Apply the offered fix as an undoable command; True when applied."""
        fix, self._fix = self._fix, None
        self.fix_button.hide()
        if not fix:
            return False
        if "training" in fix:
            return bool(self.document.push(SetTraining(self.document.project.training.with_changes(**fix["training"]))))
        from visualnn.core.commands import SetParam

        return bool(self.document.push(SetParam(str(fix["node"]), str(fix["param"]), fix.get("value"))))

    def _on_engine_state_changed(self, state: str) -> None:
        self.restart_button.setVisible(state == "dead")
        if state == "dead":
            self.progress.setFormat("Engine stopped")

    def _on_restart_clicked(self) -> None:
        self.restart_button.hide()
        self.status.setText("Restarting the training engine…")
        self.engine.restart()

    def _on_engine_message(self, job_id: str, kind: str, data: dict[str, Any]) -> None:
        if job_id != self.job_id:
            return
        if kind == "batch":
            self._on_batch(data)
        elif kind == "epoch":
            self._on_epoch(data)
        elif kind == "status":
            self.status.setText(str(data.get("text", "")))
        elif kind == "paused":
            self._paused = bool(data.get("paused"))
            self.progress.setFormat("Paused" if self._paused else self.progress.format())
            self._sync_buttons()
        elif kind == "log":
            self._notes.append(str(data.get("text", "")))
            self.hints.setText("\n".join(self._notes))
            if isinstance(data.get("fix"), dict):
                self._offer_fix(data["fix"])

    def _on_batch(self, data: dict[str, Any]) -> None:
        epoch, batch, batches = int(data["epoch"]), int(data["batch"]), data.get("batches") or 0
        epochs = int(data.get("epochs") or self._epochs_total or 1)
        logs = data.get("logs", {})
        self.plots.add_batch(epoch, batch, batches, logs)
        if batches:
            total = epochs * batches
            done = (epoch - 1) * batches + batch
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            elapsed = float(data.get("elapsed_s", time.perf_counter() - self._t0))
            if self._start_done is None:  # continued runs start part-way: rate counts this run's batches only
                self._start_done = (epoch - 1) * batches
            rate = (done - self._start_done) / elapsed if elapsed > 0 else 0
            eta = (total - done) / rate if rate > 0 else 0
            self.progress.setFormat(f"Epoch {epoch}/{epochs} · batch {batch}/{batches}")
            self.status.setText(f"{float(data.get('samples_per_s', 0)):,.0f} samples/s · elapsed "
                                f"{format_duration(elapsed)} · ETA {format_duration(eta)}")
        loss = logs.get("loss")
        if loss is not None and as_float(loss) != as_float(loss):
            self._nan = True

    def _on_epoch(self, data: dict[str, Any]) -> None:
        self.plots.add_epoch(int(data["epoch"]), data.get("logs", {}), data.get("lr"))
        hints = training_hints(self.plots.epoch_history, self._nan)
        self.hints.setText("\n".join([*self._notes, *hints]))

    def _on_engine_job_finished(self, job_id: str, result: dict[str, Any]) -> None:
        if job_id == self._devices_job:
            devices = result.get("devices", [])
            self.form.set_devices([d["id"] for d in devices])
            self.devices_found.emit(str(result.get("summary", "")))
            return
        if job_id != self.job_id:
            return
        self.job_id = None
        self._paused = False
        run = RunRecord.from_dict(result["run"])
        if not os.path.isabs(run.model_path or "/") and not getattr(self.document, "path", None):
            run = RunRecord.from_dict({**run.to_dict(), "model_path": os.path.join(job_base_dir(self.document),
                                                                                   run.model_path or "")})
        self.document.project.add_run(run)
        if hasattr(self.document, "mark_modified"):
            self.document.mark_modified()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat(f"{run.status.capitalize()} · {run.epochs_done} epochs")
        shown = {k: v for k, v in run.metrics.items() if isinstance(v, float)}
        summary = "  ".join(f"{k} {v:.4f}" for k, v in list(shown.items())[:6])
        self.status.setText(f"Run {run.id} {run.status} in {format_duration(run.duration_s)}. {summary}")
        hints = training_hints(run.history, self._nan or run.status == "failed")
        if run.error:
            hints.insert(0, run.error)
        self.hints.setText("\n".join(dict.fromkeys(hints)))
        self._sync_buttons()
        self.training_finished.emit(run.to_dict())
        self.run_recorded.emit(run.id)

    def _on_engine_job_failed(self, job_id: str, message: str) -> None:
        if job_id == self._devices_job or job_id != self.job_id:
            return
        self.job_id = None
        self._paused = False
        self._show_failure(message)
        self._sync_buttons()
        self.training_failed.emit(message)

    def _show_failure(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Not trained")
        self.status.setText("Training could not run.")
        self.hints.setText(message)

    # ------------------------------------------------------------------ export
    def _on_export_png_clicked(self) -> None:
        if not self.plots.plots:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export plot as PNG", "training.png", "PNG images (*.png)")
        if path:
            metric = next(iter(self.plots.plots))
            root, ext = os.path.splitext(path)
            for name in self.plots.plots:
                self.plots.export_png(name, path if name == metric else f"{root}-{name.replace(' ', '_')}{ext}")

    def _on_export_csv_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export history as CSV", "history.csv", "CSV files (*.csv)")
        if path:
            self.plots.export_csv(path)
