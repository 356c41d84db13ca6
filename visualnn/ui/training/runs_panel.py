"""The Runs tab: past runs of the project; select several to overlay their curves and see what differs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QSplitter, QTableWidget, QVBoxLayout, QWidget

from visualnn.core.training_config import RunRecord, run_differences
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.evaluation_panel import fill_table
from visualnn.ui.training.hints import format_duration
from visualnn.ui.training.plots import MetricPlots

RUN_COLUMNS = ["run", "started", "status", "epochs", "duration", "device", "loss", "val_loss", "val_accuracy"]


class RunsPanel(QWidget):
    """Lists ``project.runs``; the selection drives an overlay plot and a differences table."""

    selection_changed = Signal(list)  # selected run ids

    def __init__(self, document: ProjectDocument, engine: EngineLink | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
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
        for r in self.runs:
            last = {k: (v[-1] if v else None) for k, v in r.history.items()}
            rows.append([r.id, r.started.replace("T", " "), r.status, r.epochs_done, format_duration(r.duration_s),
                         r.device] + [last.get(k) if last.get(k) is not None else "" for k in RUN_COLUMNS[6:]])
        fill_table(self.table, RUN_COLUMNS, rows)
        self._on_table_selection_changed()

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
        self.plots.clear()
        for run in chosen:
            self.plots.load_history(run.history, prefix=f"{run.id}:" if len(chosen) > 1 else "")
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
