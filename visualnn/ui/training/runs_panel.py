"""The Runs tab: past runs of the project; select several to overlay their curves and see what differs.

Its "Search" view (:class:`~visualnn.ui.training.search_view.SearchPanel`) runs a hyperparameter search and
shows its trials, which are runs too.

A run's TensorBoard logs open from here ("Open in TensorBoard", also on the table's context menu): the
launcher runs TensorBoard as its own process and the browser shows it.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.decision import DEFAULT_THRESHOLD, is_binary, kept_thresholds
from visualnn.core.project.run_folders import run_folder_of
from visualnn.core.training_config import DIVERGED, FAILED, STOPPED, RunRecord, run_differences
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.evaluation_panel import fill_table
from visualnn.ui.training.hints import format_duration
from visualnn.ui.training.plots import MetricPlots
from visualnn.ui.training.search_view import SearchPanel
from visualnn.ui.training.tensorboard import TensorBoardLauncher

RUN_COLUMNS = ["run", "started", "status", "epochs", "duration", "device"]
"""The columns of every run; the figures follow (:func:`figure_columns`)."""


def figure_columns(runs: list[RunRecord]) -> list[str]:
    """``loss`` and ``val_loss``, then each validation and test figure some run reported, in the order they report
    them: a regression project shows its ``val_mae`` and ``test_mae`` (the table had a fixed, empty ``val_accuracy``
    column there and no MAE)."""
    found: dict[str, None] = {}
    for run in runs:
        for key in (*run.history, *run.metrics):
            if key.startswith("val_") and key != "val_loss":
                found[key] = None
    tests: dict[str, None] = {"test_loss": None} if any("test_loss" in r.metrics for r in runs) else {}
    for run in runs:
        tests.update((k, None) for k in run.metrics if k.startswith("test_"))
    return ["loss", "val_loss", *found, *tests]


def _figure(run: RunRecord, key: str) -> Any:
    """A run's last epoch's ``key`` (its recorded final figure for test figures and when the history lacks it)."""
    values = run.history.get(key)
    value = values[-1] if values and not key.startswith("test_") else run.metrics.get(key)
    return "" if value is None else value
STATUS_COLORS = {DIVERGED: theme.ERROR, FAILED: theme.ERROR, STOPPED: theme.WARNING}
"""Statuses drawn in colour in the table (finished runs keep the table's text colour)."""


class RunsPanel(QWidget):
    """Lists ``project.runs``; the selection drives an overlay plot and a differences table."""

    selection_changed = Signal(list)  # selected run ids

    def __init__(self, document: ProjectDocument, engine: EngineLink | None = None,
                 parent: QWidget | None = None, tensorboard: TensorBoardLauncher | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.tensorboard = tensorboard or TensorBoardLauncher(self)
        self.tensorboard.opened.connect(self._on_tensorboard_opened)
        self.tensorboard.failed.connect(self._on_tensorboard_failed)
        self.tensorboard.status_changed.connect(self._on_tensorboard_status_changed)
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.tensorboard_btn = QPushButton("Open in TensorBoard")
        self.tensorboard_btn.setToolTip("Show the selected run's TensorBoard logs in the browser (the run needs "
                                        "'TensorBoard logs in the run folder' switched on under Callbacks).")
        self.tensorboard_btn.clicked.connect(self.open_tensorboard)
        self.tensorboard_label = QLabel()
        self.tensorboard_label.setWordWrap(True)
        self.tensorboard_label.setOpenExternalLinks(True)
        self.tensorboard_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.tensorboard_btn)
        tools.addWidget(self.tensorboard_label, 1)
        self.plots = MetricPlots()
        self.diff_label = QLabel("Select two or more runs to compare them.")
        self.diff_table = QTableWidget()
        lower = QSplitter()
        lower.addWidget(self.plots)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.diff_label)
        rl.addWidget(self.diff_table)
        lower.addWidget(right)
        lower.setStretchFactor(0, 3)  # the curves get most of the width
        lower.setStretchFactor(1, 1)
        lower.setSizes([900, 300])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([160, 540])
        runs_page = QWidget()
        page = QVBoxLayout(runs_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(tools)
        page.addWidget(splitter)
        self.search = SearchPanel(document, engine)  # the hyperparameter search: settings, live trials, plots
        self.views = QTabWidget()
        self.views.setObjectName("runs_views")
        self.views.setDocumentMode(True)
        self.views.addTab(runs_page, "Runs")
        self.views.addTab(self.search, "Search")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.views)
        document.runs_changed.connect(self.refresh)
        document.project_replaced.connect(self.refresh)
        self.refresh()

    @property
    def runs(self) -> list[RunRecord]:
        """The project's runs, oldest first."""
        return list(self.document.project.runs)

    def refresh(self, *_: Any) -> None:
        """Rebuild the table from the project."""
        rows = []
        figures = figure_columns(self.runs)
        # Where a yes/no model decides, once any run keeps a threshold of its own (the others: the default).
        decides = any(kept_thresholds(r.extra) for r in self.runs)
        for r in self.runs:
            kept = kept_thresholds(r.extra)
            where = ", ".join(f"{t:g}" if len(kept) == 1 else f"{name} {t:g}" for name, t in kept.items())
            if not where and is_binary(str(r.extra.get("task") or ""), len(r.extra.get("class_names") or [])):
                where = f"{DEFAULT_THRESHOLD:g}"
            rows.append([r.id, r.started.replace("T", " "), r.status, r.epochs_done, format_duration(r.duration_s),
                         r.device] + ([where] if decides else []) + [_figure(r, k) for k in figures])
        fill_table(self.table, RUN_COLUMNS + (["threshold"] if decides else []) + figures, rows)
        for i, r in enumerate(self.runs):  # a diverged or failed run stands out, and says why on hover
            item = self.table.item(i, RUN_COLUMNS.index("status"))
            if item is None:
                continue
            if r.status in STATUS_COLORS:
                item.setForeground(QColor(STATUS_COLORS[r.status]))
            notes = [n for n in (r.error, *(r.extra.get("hints") or []), *(r.extra.get("warnings") or [])) if n]
            item.setToolTip("\n\n".join(str(n) for n in notes))
        self._on_table_selection_changed()

    def logs_dir(self, run: RunRecord) -> str | None:
        """The run's TensorBoard ``logs`` folder (``runs/<id>/logs``; a search trial's own folder,
        ``runs/search-<study>/trial-<N>``), or None when the run has no folder."""
        base = os.path.dirname(os.path.abspath(self.document.path)) if self.document.path else None
        trial_logs = (run.extra.get("search") or {}).get("tensorboard")
        if isinstance(trial_logs, str) and base is not None:
            return os.path.join(base, *trial_logs.split("/"))
        if not run.model_path:
            return None
        folder = run_folder_of(run.model_path, base)
        return os.path.join(folder, "logs") if folder is not None else None

    def open_tensorboard(self) -> None:
        """Open the selected run's logs in TensorBoard (started as its own process) and the browser."""
        chosen = self.selected_runs()
        if len(chosen) != 1:
            self._on_tensorboard_failed("Select one run to open its logs in TensorBoard.")
            return
        run = chosen[0]
        logs = self.logs_dir(run)
        if logs is None:
            self._on_tensorboard_failed(f"Run {run.id} saved no model, so it has no run folder with logs. Train "
                                        "again with 'TensorBoard logs in the run folder' switched on.")
            return
        self.tensorboard.open(run.id, logs)

    def shutdown(self) -> None:
        """Stop the TensorBoard processes this panel started (the window is closing)."""
        self.tensorboard.stop_all()

    def _on_table_context_menu(self, pos: QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row < 0:
            return
        if row not in {i.row() for i in self.table.selectionModel().selectedRows()}:
            self.table.selectRow(row)
        menu = QMenu(self)
        menu.setObjectName("runs_context_menu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right click, gone once closed
        action = menu.addAction("Open in TensorBoard")
        action.setEnabled(len(self.selected_runs()) == 1)
        action.triggered.connect(self.open_tensorboard)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_tensorboard_opened(self, run_id: str, url: str) -> None:
        self.tensorboard_label.setStyleSheet("")
        self.tensorboard_label.setText(f'TensorBoard shows run {run_id} at <a href="{url}">{url}</a>')

    def _on_tensorboard_failed(self, message: str) -> None:
        self.tensorboard_label.setStyleSheet(f"color: {theme.ERROR};")
        self.tensorboard_label.setText(message)

    def _on_tensorboard_status_changed(self, text: str) -> None:
        self.tensorboard_label.setStyleSheet("")
        self.tensorboard_label.setText(text)

    def select(self, run_ids: list[str]) -> None:
        """Select runs by id (programmatic comparison)."""
        self.table.clearSelection()
        ids = [r.id for r in self.runs]
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for rid in run_ids:
            if rid in ids:
                self.table.selectRow(ids.index(rid))
        self.table.setSelectionMode(mode)

    def selected_runs(self) -> list[RunRecord]:
        """Selected runs in table order."""
        model = self.table.selectionModel()
        rows = sorted({i.row() for i in model.selectedRows()}) if model else []
        runs = self.runs
        return [runs[i] for i in rows if i < len(runs)]

    def _on_table_selection_changed(self) -> None:
        chosen = self.selected_runs()
        self.tensorboard_btn.setEnabled(len(chosen) == 1)
        self.plots.clear()
        for run in chosen:
            self.plots.load_history(run.history, prefix=f"{run.id}:" if len(chosen) > 1 else "")
        phases = chosen[0].extra.get("fine_tune") if len(chosen) == 1 else None
        if isinstance(phases, dict) and isinstance(phases.get("boundary"), int):  # a two-phase run: mark phase 2
            self.plots.set_phase_boundary(phases["boundary"])
        diff = run_differences(chosen)
        if len(chosen) >= 2:
            self.diff_label.setText(f"{len(diff)} setting(s) differ between the selected runs."
                                    if diff else "The selected runs have the same layers and settings.")
        else:
            self.diff_label.setText("Select two or more runs to compare them.")
        fill_table(self.diff_table, ["setting", *[r.id for r in chosen]],
                   [[k, *[_short(v) for v in vals]] for k, vals in diff.items()])
        self.selection_changed.emit([r.id for r in chosen])


def _short(value: Any) -> Any:
    text = value if isinstance(value, int | float) else str(value)
    return text[:60] + "…" if isinstance(text, str) and len(text) > 60 else text
