"""The Search view of the Runs tab: the study settings, the Search/Stop buttons, the live table of trials, the
best-so-far curve, parallel coordinates, parameter importance, the config diff between selected trials, and
"Apply this trial" / "Export code for this trial".

Trials are runs (``extra["search"]``), so the table is rebuilt from the project's runs plus the trials the engine
reports as started and not yet finished; a saved project shows its study's trials when it is opened again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.command_base import CommandError
from visualnn.core.search_commands import apply_values, materialize
from visualnn.core.training_config import RunRecord, run_differences
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.code_worker import ScriptJob
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.evaluation_panel import fill_table
from visualnn.ui.training.search_form import SearchSettingsForm
from visualnn.ui.training.search_plots import SearchPlots
from visualnn.ui.training.search_rows import COMPLETE, FAILED, PRUNED, RUNNING, TrialRow, trial_rows, value_text
from visualnn.ui.training.search_session import SearchController
from visualnn.ui.training.snapshot import job_base_dir

log = logging.getLogger(__name__)

STATE_COLORS = {RUNNING: theme.ACCENT, PRUNED: theme.WARNING, FAILED: theme.ERROR}
"""Trial states drawn in colour (complete trials keep the table's text colour)."""
SELECT_TWO = "Select two trials to see what differs between them."


class SearchPanel(QWidget):
    """Settings on the left; the search's trials, plots and actions on the right."""

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = SearchController(document, engine, self)
        self.form = SearchSettingsForm(document)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(320)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the form fits its width
        self.search_btn = QPushButton("Search")
        self.search_btn.setObjectName("search_start")
        self.search_btn.setToolTip("Run the hyperparameter search in the engine: each trial trains the model with "
                                   "one choice of the searched values and is recorded as a run.")
        self.search_btn.clicked.connect(self.controller.start)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setObjectName("search_stop")
        self.stop_btn.setToolTip("End the search after the current batch; the study keeps every finished trial, "
                                 "so Search resumes it later.")
        self.stop_btn.clicked.connect(self.controller.stop)
        self.status = QLabel("Mark parameters to search, then press Search.")
        self.status.setObjectName("search_status")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("search_error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"color: {theme.ERROR};")
        self.error.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.search_btn)
        bar.addWidget(self.stop_btn)
        bar.addWidget(self.status, 1)
        self.table = QTableWidget()
        self.table.setObjectName("search_trials")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.plots = SearchPlots()
        self.apply_btn = QPushButton("Apply this trial")
        self.apply_btn.setObjectName("search_apply")
        self.apply_btn.setToolTip("Write the selected trial's values into the canvas and the training settings "
                                  "(one step: Undo takes it back).")
        self.apply_btn.clicked.connect(self.apply_selected)
        self.export_btn = QPushButton("Export code for this trial…")
        self.export_btn.setObjectName("search_export")
        self.export_btn.setToolTip("Write the training script of the model and settings this trial trained.")
        self.export_btn.clicked.connect(lambda: self.export_selected())
        self.diff_label = QLabel(SELECT_TWO)
        self.diff_label.setWordWrap(True)
        self.diff_table = QTableWidget()
        self.diff_table.setObjectName("search_diff")
        actions = QHBoxLayout()
        actions.addWidget(self.apply_btn)
        actions.addWidget(self.export_btn)
        actions.addStretch(1)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addLayout(actions)
        sl.addWidget(self.diff_label)
        sl.addWidget(self.diff_table)
        lower = QSplitter()
        lower.addWidget(self.plots)
        lower.addWidget(side)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(self.table)
        right_split.addWidget(lower)
        right_split.setStretchFactor(0, 2)
        right_split.setStretchFactor(1, 3)
        right_split.setSizes([240, 460])
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(bar)
        rl.addWidget(self.error)
        rl.addWidget(right_split, 1)
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.rows: list[TrialRow] = []
        self._scripts: dict[int, str] = {}
        self._script_ids = 0
        self.controller.trials_changed.connect(self.refresh)
        self.controller.importance_changed.connect(self.plots.show_importance)
        self.controller.status_changed.connect(self._on_controller_status_changed)
        self.controller.failed.connect(self.show_error)
        self.controller.running_changed.connect(self._on_controller_running_changed)
        document.runs_changed.connect(self.refresh)
        document.search_changed.connect(self.refresh)
        self._on_controller_running_changed(False)
        self.refresh()

    # ------------------------------------------------------------------ the table and plots
    def targets(self) -> list[str]:
        """The parameter columns: the searched targets, then any other a trial recorded."""
        out = [p.target for p in self.document.project.search.space]
        for row in self.rows:
            out.extend(t for t in row.params if t not in out)
        return out

    def refresh(self, *_: Any) -> None:
        """Rebuild the trials table and plots from the project's runs and the running trials."""
        keep = {r.number for r in self.selected_rows()}
        c = self.controller
        self.rows = trial_rows(self.document.project.runs, c.study or None, c.running_trials, c.study_trials)
        targets = self.targets()
        objective = c.objective or self.document.project.search.objective
        headers = ["trial", "state", objective, *targets, "run"]
        table_rows = [[r.number, r.state, r.value if r.value is not None else "",
                       *[value_text(r.params[t]) if t in r.params else "" for t in targets], r.run_id or ""]
                      for r in self.rows]
        with _Quiet(self.table):
            fill_table(self.table, headers, table_rows)
            for i, row in enumerate(self.rows):
                item = self.table.item(i, 1)
                if item is not None and row.state in STATE_COLORS:
                    item.setForeground(QColor(STATE_COLORS[row.state]))
            mode = self.table.selectionMode()
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
            for i, row in enumerate(self.rows):
                if row.number in keep:
                    self.table.selectRow(i)
            self.table.setSelectionMode(mode)
        self.plots.show_trials(self.rows, targets, objective, c.direction)
        self.plots.show_pareto(self.rows, c.directions or list(self.document.project.search.directions), objective)
        self._on_table_selection_changed()

    def select_trials(self, numbers: list[int]) -> None:
        """Select trials by number (as a click and Ctrl+clicks would)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for i, row in enumerate(self.rows):
            if row.number in numbers:
                self.table.selectRow(i)
        self.table.setSelectionMode(mode)

    def selected_rows(self) -> list[TrialRow]:
        """The selected trials, in table order."""
        model = self.table.selectionModel()
        indexes = sorted({i.row() for i in model.selectedRows()}) if model else []
        return [self.rows[i] for i in indexes if i < len(self.rows)]

    def _run_of(self, row: TrialRow) -> RunRecord | None:
        return next((r for r in self.document.project.runs if r.id == row.run_id), None)

    def _on_table_selection_changed(self) -> None:
        chosen = self.selected_rows()
        one = len(chosen) == 1 and bool(chosen[0].params)
        self.apply_btn.setEnabled(one)
        self.export_btn.setEnabled(one)
        runs = [run for run in (self._run_of(r) for r in chosen) if run is not None]
        if len(runs) >= 2:
            diff = run_differences(runs)
            self.diff_label.setText(f"{len(diff)} setting(s) differ between the selected trials." if diff
                                    else "The selected trials have the same layers and settings.")
        else:
            diff = {}
            self.diff_label.setText(SELECT_TWO)
        names = [f"trial {r.number}" for r in chosen if r.run_id in {run.id for run in runs}]
        fill_table(self.diff_table, ["setting", *names], [[k, *[_short(v) for v in vals]] for k, vals in diff.items()])

    # ------------------------------------------------------------------ actions
    def apply_selected(self) -> bool:
        """Write the selected trial's values into the canvas and settings as one undo step."""
        chosen = self.selected_rows()
        if len(chosen) != 1 or not chosen[0].params:
            self.show_error("Select one trial to apply its values.")
            return False
        row = chosen[0]
        failures: list[str] = []
        self.document.command_failed.connect(failures.append)
        try:
            ok = self.document.push(apply_values(row.params, f"trial {row.number}", self.document.registry))
        finally:
            self.document.command_failed.disconnect(failures.append)
        if not ok:
            self.show_error(f"Trial {row.number} cannot be applied: " + (failures[0] if failures else "refused."))
            return False
        self.error.hide()
        self.status.setText(f"Applied trial {row.number}: " + ", ".join(f"{k}={value_text(v)}"
                                                                      for k, v in row.params.items()))
        return True

    def export_selected(self, path: str | None = None) -> str | None:
        """Write the training script of the project as the selected trial trained it (the Export path's job)."""
        chosen = self.selected_rows()
        if len(chosen) != 1 or not chosen[0].params:
            self.show_error("Select one trial to export its code.")
            return None
        row = chosen[0]
        try:
            project = materialize(self.document.project, row.params, self.document.registry)
        except CommandError as exc:
            self.show_error(f"Trial {row.number} cannot be exported: {exc}")
            return None
        base = job_base_dir(self.document)
        target = path or chooser_for(self).save_file(self, f"Export code for trial {row.number}",
                                                     os.path.join(base, f"trial_{row.number}.py"),
                                                     "Python script (*.py)")
        if not target:
            return None
        self._script_ids += 1
        style = "sequential" if project.graph.mode == "sequential" else "functional"
        job = ScriptJob(self._script_ids, project.to_dict(), base, target, style)
        job.signals.finished.connect(self._on_script_job_finished)
        job.signals.failed.connect(self._on_script_job_failed)
        self._scripts[job.job_id] = target
        QThreadPool.globalInstance().start(job)
        self.status.setText(f"Writing the code of trial {row.number} to {target}…")
        return target

    def _on_script_job_finished(self, job_id: int, _written: object) -> None:
        path = self._scripts.pop(job_id, None)
        if path is not None:
            self.status.setText(f"Wrote {path}.")

    def _on_script_job_failed(self, job_id: int, message: str) -> None:
        path = self._scripts.pop(job_id, None)
        self.show_error(f"Could not export the trial's code ({path}): {message}")

    # ------------------------------------------------------------------ state
    def show_error(self, message: str) -> None:
        """Show a failure in the view (it names the parameter, setting or URL)."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_controller_status_changed(self, text: str) -> None:
        self.status.setText(text)

    def _on_controller_running_changed(self, running: bool) -> None:
        self.search_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running)
        if running:
            self.error.hide()


class _Quiet:
    """Blocks a table's signals while it is rebuilt (the selection is restored afterwards, then reported once)."""

    def __init__(self, table: QTableWidget) -> None:
        self.table = table

    def __enter__(self) -> None:
        self.table.blockSignals(True)

    def __exit__(self, *_: object) -> None:
        self.table.blockSignals(False)


def _short(value: Any) -> Any:
    text = value if isinstance(value, int | float) else str(value)
    return text[:60] + "…" if isinstance(text, str) and len(text) > 60 else text


__all__ = ["COMPLETE", "SearchPanel"]
