"""The Predict tab: type or pick samples, or open a file (CSV, images, .npy); see class-probability bars
or regression values. The engine applies the training preprocessing."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.evaluation_panel import fill_table
from visualnn.ui.training.result_sessions import PredictionController

FILE_FILTER = "Samples (*.csv *.tsv *.npy *.npz *.png *.jpg *.jpeg *.bmp *.gif *.webp);;All files (*)"


def parse_sample(text: str) -> list[Any]:
    """``"1.5, 2, red"`` -> ``[1.5, 2.0, "red"]`` (numbers where they parse, text otherwise)."""
    out: list[Any] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return out


class PredictPanel(QWidget):
    """Takes samples to predict and shows the results; its :class:`PredictionController` runs the jobs."""

    predicted = Signal(dict)
    prediction_failed = Signal(str)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.result: dict[str, Any] | None = None
        self.controller = PredictionController(document, engine, parent=self)

        self.run_combo = QComboBox()
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sample_edit = QLineEdit()
        self.sample_edit.setPlaceholderText("Feature values in column order, e.g. 5.1, 3.5, 1.4, 0.2")
        self.sample_edit.returnPressed.connect(self._on_sample_edit_return)
        self.predict_button = QPushButton("Predict")
        self.predict_button.clicked.connect(self._on_sample_edit_return)
        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("Predict every sample in a CSV, a .npy array, an image or several images.")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.status = QLabel("Predictions use the same preprocessing as training.")
        self.status.setWordWrap(True)  # warnings about the input can be long; they wrap, never widening the window
        top = QHBoxLayout()
        for w in (QLabel("Run"), self.run_combo, self.sample_edit, self.predict_button, self.open_button):
            top.addWidget(w)

        self.table = QTableWidget()
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.bars_plot = pg.PlotWidget(title="class probabilities")
        self.bars_plot.setBackground(None)
        self.bars_plot.setYRange(0, 1)
        self.bars_plot.setLabel("left", "probability")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4C78A8")
        self.bars_plot.addItem(self.bars)
        body = QSplitter()
        body.addWidget(self.table)
        body.addWidget(self.bars_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(body, 1)

        self.controller.status_changed.connect(self.status.setText)
        self.controller.predicted.connect(self._on_controller_predicted)
        self.controller.prediction_failed.connect(self.prediction_failed)
        document.runs_changed.connect(self.refresh_runs)
        document.project_replaced.connect(self.refresh_runs)
        self.refresh_runs()

    @property
    def job_id(self) -> str | None:
        """The prediction job in flight, or None."""
        return self.controller.job_id

    def refresh_runs(self, *_: Any) -> None:
        """List runs with a saved model, newest first."""
        self.run_combo.clear()
        for run in reversed(self.document.project.runs):
            if run.model_path:
                self.run_combo.addItem(run.id, run.id)

    def predict(self, rows: list[Any] | None = None, input_path: str | None = None) -> str | None:
        """Predict raw ``rows`` (e.g. rows picked in the data table) or a file; returns the job id."""
        return self.controller.predict(self.run_combo.currentData(), rows, input_path)

    def _on_sample_edit_return(self) -> None:
        sample = parse_sample(self.sample_edit.text())
        if sample:
            self.predict(rows=[sample])

    def _on_open_clicked(self) -> None:
        paths = chooser_for(self).open_files(self, "Open samples to predict", "", FILE_FILTER)
        if len(paths) == 1:
            self.predict(input_path=paths[0])
        elif paths:  # several images: their paths are the raw samples the image preprocessing reads
            self.predict(rows=list(paths))

    def _on_controller_predicted(self, result: dict[str, Any]) -> None:
        self.show_result(result)
        self.predicted.emit(result)

    def show_result(self, result: dict[str, Any]) -> None:
        """Fill the table; select the first sample to show its probability bars."""
        self.result = result
        preds = result.get("predictions", [])
        warnings = [str(w) for w in result.get("warnings") or []]
        text = f"{len(preds):,} prediction(s) with run {result.get('run_id')}."
        self.status.setText(" ".join([text, *(f"Warning: {w}" for w in warnings)]))
        self.status.setToolTip("\n".join(warnings))
        first = "file" if any("file" in p for p in preds) else "#"  # images are named by their file
        if result.get("task") == "regression":
            fill_table(self.table, [first, "predicted value"],
                       [[p.get("file", i), ", ".join(f"{v:.4g}" for v in p["values"])] for i, p in enumerate(preds)])
            self.bars_plot.hide()
            return
        self.bars_plot.show()
        fill_table(self.table, [first, "predicted class", "confidence"],
                   [[p.get("file", i), p["label"], p["confidence"]] for i, p in enumerate(preds)])
        if preds:
            self.table.selectRow(0)
            self.show_bars(0)

    def show_bars(self, index: int) -> None:
        """Probability bars of one sample, labelled with the class names."""
        if not self.result or index >= len(self.result.get("predictions", [])):
            return
        probs = self.result["predictions"][index].get("probabilities", {})
        names = list(probs)
        self.bars.setOpts(x=list(range(len(names))), height=[probs[n] for n in names], width=0.7)
        self.bars_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])

    def _on_table_selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows:
            self.show_bars(rows[0].row())
