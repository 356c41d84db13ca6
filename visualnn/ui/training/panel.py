"""The Training tab (a view): compile/fit settings, Train / Pause / Stop / Continue, progress and live plots.

Everything it does with the engine and the document goes through its
:class:`~visualnn.ui.training.session.TrainingSessionController`; the panel turns clicks into the
controller's intents and shows the state the controller reports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.costs import analyze_costs
from visualnn.core.freezing import is_frozen
from visualnn.core.model_io import output_names
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.elided_label import ElidedLabel
from visualnn.ui.training.memory_check import MemoryPrompt, ask_train_anyway, memory_warning, training_device
from visualnn.ui.training.plots import MetricPlots
from visualnn.ui.training.session import READY_STATUS, ProgressState, TrainingSessionController, plot_names
from visualnn.ui.training.settings import TrainingSettingsForm

FRAME_MS = 33  # batch reports reach the progress bar and status line at most once a frame (~30 a second)

MoreEpochsPrompt = Callable[[QWidget, RunRecord, int], int | None]
"""Asks how many more epochs to train ``run`` (offering a default); None when the user cancels."""


def ask_more_epochs(parent: QWidget, run: RunRecord, default: int) -> int | None:
    """The Continue dialog: a spin box for the number of epochs to add to ``run``."""
    value, ok = QInputDialog.getInt(parent, "Continue training",
                                    f"Train run {run.id} ({run.epochs_done} epochs so far) for how many more epochs?",
                                    default, 1, 100_000, 1)
    return int(value) if ok else None


class TrainingPanel(QWidget):
    """Shows a training session: the settings form, the run buttons, progress, hints and live plots."""

    training_started = Signal(str)  # job id
    training_finished = Signal(dict)  # RunRecord dict
    training_failed = Signal(str)  # message naming the cause
    run_recorded = Signal(str)  # run id
    devices_found = Signal(str)  # status-bar summary

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None,
                 extra_job: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.controller = TrainingSessionController(document, engine, extra_job, parent=self)

        self.form = TrainingSettingsForm()
        # Measured before a project's values fill the form (a short "Validation" line narrows it): the same
        # width whichever project is open when the panel is built (it is built after the window's first paint).
        form_width = self.form.minimumSizeHint().width()
        self.form.set_output_names(output_names(document.project.graph))
        self.form.set_config(document.project.training)
        self.form.config_edited.connect(self._on_form_config_edited)
        self.form.set_validation_split(self._validation_split())
        document.dataset_changed.connect(self._on_document_dataset_changed)
        document.project_replaced.connect(self._on_document_dataset_changed)
        document.graph_changed.connect(self._on_document_graph_changed)
        document.project_replaced.connect(self._on_document_graph_changed)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        # The whole form, no horizontal scrolling; not a pixel more, the plots need the width.
        scroll.setMinimumWidth(form_width + 24)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings_area = scroll
        self.ask_more_epochs: MoreEpochsPrompt = ask_more_epochs  # tests answer in place of the dialog
        self.ask_train_anyway: MemoryPrompt = ask_train_anyway  # tests answer in place of the dialog

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Build the model, compile it with these settings and fit it to the data.")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End after the current batch; the weights so far are kept and the run recorded.")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Train the last run for more epochs (you choose how many), keeping its "
                                        "weights and optimizer state. Train starts afresh with the Epochs setting.")
        self.restart_button = QPushButton("Restart engine")
        self.restart_button.setToolTip("Start a fresh training engine; the project and earlier runs are kept.")
        self.restart_button.clicked.connect(self._on_restart_clicked)
        self.restart_button.hide()
        self.export_png_button = QPushButton("Export PNG…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.train_button.clicked.connect(self._on_train_clicked)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.continue_button.clicked.connect(self._on_continue_clicked)
        self.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.export_csv_button.clicked.connect(self._on_export_csv_clicked)
        buttons = QHBoxLayout()
        for w in (self.train_button, self.pause_button, self.stop_button, self.continue_button):
            buttons.addWidget(w)
        buttons.addWidget(self.restart_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_png_button)
        buttons.addWidget(self.export_csv_button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.progress.setTextVisible(True)
        self.status = ElidedLabel(READY_STATUS)  # a long line is elided, never widening the window
        # Batch reports stream in several times a second: the bar and the status line follow them once a frame.
        self._shown_progress = ProgressState(0, 100, "Ready")
        self._live_progress: ProgressState | None = None
        self._live_status: str | None = None
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._on_frame_timeout)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hints.setStyleSheet("color: #b8860b;")
        self.plots = MetricPlots()
        outputs = output_names(document.project.graph)
        self.plots.set_outputs(outputs)
        self.plots.prepare(plot_names(document.project.training, outputs))

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addLayout(buttons)
        rl.addWidget(self.progress)
        rl.addWidget(self.status)
        rl.addWidget(self.hints)
        self.fix_button = QPushButton()
        self.fix_button.setToolTip("Apply the suggested change (undoable), then press Train again.")
        self.fix_button.clicked.connect(self._on_fix_clicked)
        self.fix_button.hide()
        rl.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignLeft)
        rl.addWidget(self.plots, 1)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([scroll.minimumWidth(), 100 * scroll.minimumWidth()])  # the settings at their minimum
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        c = self.controller
        c.training_started.connect(self.training_started)
        c.training_finished.connect(self.training_finished)
        c.training_failed.connect(self.training_failed)
        c.run_recorded.connect(self.run_recorded)
        c.devices_found.connect(self.devices_found)
        c.devices_listed.connect(self._on_controller_devices_listed)
        c.state_changed.connect(self._on_controller_state_changed)
        c.config_changed.connect(self._on_controller_config_changed)
        c.progress_changed.connect(self._on_controller_progress_changed)
        c.status_changed.connect(self._on_controller_status_changed)
        c.hints_changed.connect(self.hints.setText)
        c.fix_changed.connect(self._on_controller_fix_changed)
        c.engine_dead_changed.connect(self.restart_button.setVisible)
        c.plots_reset.connect(self._on_controller_plots_reset)
        c.batch_reported.connect(self.plots.add_batch)
        c.epoch_reported.connect(self.plots.add_epoch)
        c.phase_started.connect(self.plots.set_phase_boundary)
        c.announce()

    # ------------------------------------------------------------------ the session's intents
    @property
    def running(self) -> bool:
        """True while a training job is in flight."""
        return self.controller.running

    @property
    def job_id(self) -> str | None:
        """The running training job's id, or None."""
        return self.controller.job_id

    def start_training(self, continue_run: str | None = None, epochs: int | None = None) -> str | None:
        """Send a train job for the current project (optionally continuing a run); returns the job id.

        When the estimated peak training memory exceeds the device's, asks first (Cancel sends nothing)."""
        warning = self.memory_warning()
        if warning and not self.ask_train_anyway(self, warning):
            return None
        return self.controller.start(continue_run, epochs)

    def memory_warning(self) -> str | None:
        """The warning the next run would get: its estimated peak against the memory of the device it would use."""
        if self.controller.running:
            return None
        project = self.document.project
        report = analyze_costs(project.graph, project.training, self.document.shapes, self.document.registry)
        memory = self.controller.device_memory_mb
        device = training_device(project.training.device, memory)
        return memory_warning(report, device, memory.get(device))

    def continue_training(self, epochs: int | None = None) -> str | None:
        """Train the latest run with a saved model for ``epochs`` more epochs (asked for when None)."""
        run = self._last_run()
        if run is None:
            return None
        if epochs is None:
            epochs = self.ask_more_epochs(self, run, self.document.project.training.epochs)
            if epochs is None:
                return None
        return self.controller.continue_last(epochs)

    def toggle_pause(self) -> None:
        """Pause or resume the running job (between batches)."""
        self.controller.toggle_pause()

    def stop_training(self) -> None:
        """Ask the running job to stop after its current batch (weights kept, run recorded as stopped)."""
        self.controller.stop()

    def apply_fix(self) -> bool:
        """Apply the offered fix as an undoable command; True when applied."""
        return self.controller.apply_fix()

    def _last_run(self) -> RunRecord | None:
        return self.controller.last_run()

    # ------------------------------------------------------------------ widgets -> controller
    def _on_train_clicked(self) -> None:
        self.start_training()

    def _on_pause_clicked(self) -> None:
        self.controller.toggle_pause()

    def _on_stop_clicked(self) -> None:
        self.controller.stop()

    def _on_continue_clicked(self) -> None:
        self.continue_training()

    def _on_fix_clicked(self) -> None:
        self.controller.apply_fix()

    def _on_restart_clicked(self) -> None:
        self.controller.restart_engine()

    def _on_form_config_edited(self, cfg: TrainingConfig) -> None:
        self.controller.edit_config(cfg)

    # ------------------------------------------------------------------ controller -> widgets
    def _on_controller_state_changed(self) -> None:
        c = self.controller
        self.train_button.setEnabled(not c.running)
        self.pause_button.setEnabled(c.running)
        self.pause_button.setText("Resume" if c.paused else "Pause")
        self.stop_button.setEnabled(c.running)
        self.continue_button.setEnabled(c.can_continue)

    def _on_controller_config_changed(self, cfg: TrainingConfig) -> None:
        self.form.set_config(cfg)

    def _on_controller_devices_listed(self, devices: list[str]) -> None:
        self.form.set_devices(devices)

    def _on_controller_progress_changed(self, state: ProgressState) -> None:
        if state.live:  # shown at the next frame, with whatever arrives before it
            self._live_progress = state
            if not self._frame.isActive():
                self._frame.start()
            return
        self._live_progress = self._live_status = None  # a stale batch report never overwrites this state
        self._frame.stop()
        self._show_progress(state)

    def _on_controller_status_changed(self, text: str) -> None:
        if self._frame.isActive():  # the status line of a batch report: shown with its progress
            self._live_status = text
        else:
            self.status.setText(text)

    def _on_frame_timeout(self) -> None:
        state, text = self._live_progress, self._live_status
        self._live_progress = self._live_status = None
        if state is not None:
            self._show_progress(state)
        if text is not None and text != self.status.text():
            self.status.setText(text)

    def _show_progress(self, state: ProgressState) -> None:
        """Set the bar to ``state`` if what it shows changes; painted with the next frame, never on the spot."""
        shown = self._shown_progress
        if (state.value, state.maximum, state.text) == (shown.value, shown.maximum, shown.text):
            return
        self._shown_progress = state
        # QProgressBar.setValue repaints synchronously when its text changes; with updates off it only
        # records the value, and turning them on again schedules one ordinary paint.
        self.progress.setUpdatesEnabled(False)
        try:
            self.progress.setRange(0, state.maximum)
            self.progress.setValue(state.value)
            self.progress.setFormat(state.text)
        finally:
            self.progress.setUpdatesEnabled(True)

    def _on_controller_fix_changed(self, label: str) -> None:
        self.fix_button.setText(label)
        self.fix_button.setVisible(bool(label))

    def _on_document_dataset_changed(self) -> None:
        self.form.set_validation_split(self._validation_split())

    def _on_document_graph_changed(self) -> None:
        # Outputs added, removed or renamed: the per-output table follows.
        self.form.set_output_names(output_names(self.document.project.graph))
        graph = self.document.project.graph
        self.form.set_frozen_layers([graph.nodes[nid].label for nid in graph.topological_order()
                                     if is_frozen(graph.nodes[nid])])

    def _validation_split(self) -> float | None:
        dataset = self.document.project.dataset
        return dataset.split().val if dataset is not None else None

    def _on_controller_plots_reset(self, names: list[str], carried: dict[str, list[float]]) -> None:
        self.plots.reset(names, output_names(self.document.project.graph))  # the outputs of the run starting
        if carried:
            self.plots.load_history(carried)
            for key, values in carried.items():
                self.plots.epoch_history[key] = list(values)

    # ------------------------------------------------------------------ export
    def _on_export_png_clicked(self) -> None:
        if not self.plots.plots:
            return
        path = chooser_for(self).save_file(self, "Export plot as PNG", "training.png", "PNG images (*.png)")
        if path:
            metric = next(iter(self.plots.plots))
            root, ext = os.path.splitext(path)
            for name in self.plots.plots:
                self.plots.export_png(name, path if name == metric else f"{root}-{name.replace(' ', '_')}{ext}")

    def _on_export_csv_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Export history as CSV", "history.csv", "CSV files (*.csv)")
        if path:
            self.plots.export_csv(path)
