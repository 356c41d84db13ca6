"""The Predict tab: type or pick samples, or open a file (CSV, images, .npy, .npz); see class-probability bars
or regression values. The engine applies the training preprocessing.

A model with several Inputs takes one ``.npz`` with an array per Input name; the panel says which arrays
and shapes. A model with several outputs shows one column group per output (class and confidence, or
the predicted values) and the chosen output's details for the selected sample.
"""

from __future__ import annotations

import os
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from visualnn.core.decision import DEFAULT_THRESHOLD, describe
from visualnn.core.graph import Graph
from visualnn.core.model_io import Port, model_inputs, output_names
from visualnn.core.specs.base import fmt_shape
from visualnn.core.tensors import figure_text
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.charts import chart
from visualnn.ui.training.evaluation_panel import fill_table
from visualnn.ui.training.result_sessions import PredictionController

FILE_FILTER = "Samples (*.csv *.tsv *.npy *.npz *.png *.jpg *.jpeg *.bmp *.gif *.webp);;All files (*)"
NPZ_FILTER = "Arrays named after the Inputs (*.npz);;All files (*)"
CSV_FILTER = "Rows with the training table's columns (*.csv *.tsv);;All files (*)"
MULTI_OUTPUT = "multi-output"
SAMPLE_HINT = "Feature values in column order, e.g. 5.1, 3.5, 1.4, 0.2"


def parse_sample(text: str) -> list[Any]:
    """``"1.5, 2, red"`` -> ``[1.5, 2.0, "red"]`` (numbers where they parse, text otherwise).

    An empty value between separators is a missing value (``""``, filled as training fills it), not a value left
    out: ``"1.5, , red"`` keeps ``red`` in the third column. A separator at the end adds nothing.
    """
    out: list[Any] = []
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    if parts and not parts[-1]:
        parts.pop()
    for part in parts:
        if not part:
            out.append("")
            continue
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return out


def npz_request(ports: list[Port]) -> str:
    """What a model with these Inputs takes: ``an .npz with arrays tabular (None, 8) and sequence (None, 12, 3)``."""
    named = [f"{p.name} {fmt_shape((None, *p.shape)) if p.shape is not None else '(shape unknown)'}" for p in ports]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"an .npz with arrays {listed}"


def decision_text(result: dict[str, Any]) -> str:
    """`` Decision: 'yes' when p('yes') > 0.3, else 'no' (kept for the run).`` for each yes/no output whose run keeps
    a threshold other than the default (the predicted classes follow it); else nothing."""
    names = result.get("output_class_names") or {}
    out = ""
    for output, threshold in (result.get("thresholds") or {}).items():
        if threshold != DEFAULT_THRESHOLD:
            classes = list(names.get(output) or result.get("class_names") or [])
            out += f" Decision{f' of {output}' if names else ''}: {describe(threshold, classes)} (kept for the run)."
    return out


def is_regression(task: Any, row: dict[str, Any]) -> bool:
    """Whether an output's rows are regression values (its task, else the row's shape says so)."""
    return task == "regression" if task else "values" in row


class PredictPanel(QWidget):
    """Takes samples to predict and shows the results; its :class:`PredictionController` runs the jobs."""

    predicted = Signal(dict)
    prediction_failed = Signal(str)

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.result: dict[str, Any] | None = None
        self.inputs: list[Port] = []  # the chosen run's model Inputs
        self._input_file: str | None = None  # the file of the prediction in flight
        self._shown_outputs: list[str] = []  # the outputs of a multi-output result, in model order
        self._row = 0  # the sample whose details are shown
        self._columns: list[str] = []  # the output each table column belongs to ("" for the sample's name)
        self.controller = PredictionController(document, engine, parent=self)

        self.run_combo = QComboBox()
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.run_combo.currentIndexChanged.connect(self.refresh_inputs)
        self.sample_edit = QLineEdit()
        self.sample_edit.setPlaceholderText(SAMPLE_HINT)
        self.sample_edit.returnPressed.connect(self._on_sample_edit_return)
        self.predict_button = QPushButton("Predict")
        self.predict_button.clicked.connect(self._on_sample_edit_return)
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.folder_button = QPushButton("Open folder…")
        self.folder_button.setToolTip("Predict every image in a folder and its sub-folders (a folder of class "
                                      "folders too); each prediction is named with its path in the folder")
        self.folder_button.clicked.connect(self._on_folder_clicked)
        self.folder_button.hide()  # image models only
        self.save_button = QPushButton("Save predictions…")
        self.save_button.setToolTip("Write the predictions to a CSV: each sample as given (a CSV's own columns, an "
                                    "image's file), then the predicted class and every class's probability, or the "
                                    "predicted values")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.inputs_note = QLabel()  # which arrays a model with several Inputs needs
        self.inputs_note.setWordWrap(True)
        self.status = QLabel("Predictions use the same preprocessing as training.")
        self.status.setWordWrap(True)  # warnings about the input can be long; they wrap, never widening the window
        top = QHBoxLayout()
        for w in (QLabel("Run"), self.run_combo, self.sample_edit, self.predict_button, self.open_button,
                  self.folder_button, self.save_button):
            top.addWidget(w)

        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.currentCellChanged.connect(self._on_current_cell_changed)
        self.output_label = QLabel("Details of output")
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("Whose prediction the chart shows; clicking a column of an output shows it too.")
        self.output_combo.currentIndexChanged.connect(self._on_output_combo_changed)
        self.bars_plot = chart("class probabilities", left="probability", grid=False)
        self.bars_plot.setYRange(0, 1)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4C78A8")
        self.bars_plot.addItem(self.bars)
        # A yes/no output's decision threshold, drawn across the bars: the second class is predicted above it.
        self.threshold_line = pg.InfiniteLine(pos=DEFAULT_THRESHOLD, angle=0, movable=False,
                                              pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine),
                                              label="threshold {value:g}", labelOpts={"position": 0.95, "color": "#666"})
        self.bars_plot.addItem(self.threshold_line)
        self.threshold_line.hide()
        self.bars_plot.hide()  # until a classification result: an empty "class probabilities" chart over a regression
        self.details = QWidget()
        choice = QHBoxLayout()
        choice.setContentsMargins(0, 0, 0, 0)
        choice.addWidget(self.output_label)
        choice.addWidget(self.output_combo, 1)
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addLayout(choice)
        details.addWidget(self.bars_plot, 1)
        self._show_output_choice(False)
        self.body = body = QSplitter()
        body.addWidget(self.table)
        body.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.inputs_note)
        layout.addWidget(self.status)
        layout.addWidget(body, 1)

        self.controller.status_changed.connect(self._set_status)
        self.controller.predicted.connect(self._on_controller_predicted)
        self.controller.prediction_failed.connect(self._on_controller_failed)
        document.runs_changed.connect(self.refresh_runs)
        document.project_replaced.connect(self.refresh_runs)
        document.graph_changed.connect(self.refresh_inputs)
        document.dataset_changed.connect(self.refresh_inputs)  # an .npz or a CSV of rows: the data says which
        self.refresh_runs()

    @property
    def job_id(self) -> str | None:
        """The prediction job in flight, or None."""
        return self.controller.job_id

    def refresh_runs(self, *_: Any) -> None:
        """List runs with a saved model, newest first."""
        with QSignalBlocker(self.run_combo):
            self.run_combo.clear()
            for run in reversed(self.document.project.runs):
                if run.model_path:
                    self.run_combo.addItem(run.id, run.id)
        self.refresh_inputs()

    def model_graph(self) -> Graph:
        """The chosen run's model as it was trained (its graph snapshot), else the project's model."""
        run_id = self.run_combo.currentData()
        run = next((r for r in self.document.project.runs if r.id == run_id), None)
        if run is not None and run.graph.get("nodes"):
            return Graph.from_dict(run.graph)
        return self.document.project.graph

    def parts_request(self) -> tuple[str, str, str]:
        """(what a model with several Inputs takes, its short name, the file filter), from the project's data:
        the arrays of an .npz, or a CSV of rows (column groups; an image table's rows naming each image)."""
        spec = self.document.project.dataset
        kind = spec.kind if spec is not None else "numpy"
        if kind == "csv":
            return "a CSV with the training table's columns, one row per sample", "a CSV", CSV_FILTER
        if kind == "images":
            return ("a CSV whose key column names each image (relative to the CSV's folder) next to the table's "
                    "feature columns", "a CSV naming the images", CSV_FILTER)
        return npz_request(self.inputs), "an .npz", NPZ_FILTER

    def refresh_inputs(self, *_: Any) -> None:
        """Say what a model with several Inputs takes: one .npz with an array per Input, or a CSV of rows for a
        table's column groups (typed rows cannot feed it)."""
        self.inputs = model_inputs(self.model_graph(), self.document.registry)
        several = len(self.inputs) > 1
        request, short = self.parts_request()[:2] if several else ("", "")
        self.inputs_note.setText(f"This model has {len(self.inputs)} Inputs: open {request}." if several else "")
        self.inputs_note.setVisible(several)
        untypable = None if several else self._untypable()
        self.sample_edit.setEnabled(not several and untypable is None)
        self.predict_button.setEnabled(not several and untypable is None)
        self.sample_edit.setPlaceholderText(
            f"Typed samples feed one Input; this model takes {short} (Open file…)" if several else
            untypable or self._sample_hint())
        self.open_button.setToolTip(f"Predict every sample in {request}." if several else
                                    "Predict every sample in a CSV, a .npy array, an image or several images.")
        facts = self.document.data_facts
        self.folder_button.setVisible(not several and facts is not None and facts.input_kind == "images")

    def _untypable(self) -> str | None:
        """What to open instead when one typed line cannot be a sample (images, windows of a series, video)."""
        facts = self.document.data_facts
        if facts is None or facts.input_kind == "table":
            return None
        if facts.input_kind == "images":
            return "This model takes images: open an image or several (Open file…), or a folder of them (Open folder…)"
        if facts.input_kind == "sequence":
            steps = f"{facts.input_shape[0]} " if facts.input_shape and facts.input_shape[0] else ""
            rows = f"a CSV of at least {steps}rows" if facts.source_kind == "timeseries" else "a .npy of sequences"
            return f"This model takes windows of {steps}time steps: open {rows} (Open file…)"
        return f"This model takes {facts.input_kind} samples: open a .npy of them (Open file…)"

    def _sample_hint(self) -> str:
        """What to type: the table's feature columns in order when the data is a table, else the generic hint."""
        facts = self.document.data_facts
        names = [c.name for c in facts.columns] if facts is not None and facts.input_kind == "table" else []
        if not names:
            return SAMPLE_HINT
        shown = ", ".join(names[:8]) + (f", … ({len(names)} columns)" if len(names) > 8 else "")
        return f"Values of {shown}, in this order (leave one empty for a missing value)"

    def predict(self, rows: list[Any] | None = None, input_path: str | None = None) -> str | None:
        """Predict raw ``rows`` (e.g. rows picked in the data table) or a file; returns the job id."""
        self._input_file = input_path if rows is None else None
        return self.controller.predict(self.run_combo.currentData(), rows, input_path)

    def _on_sample_edit_return(self) -> None:
        sample = parse_sample(self.sample_edit.text())
        if sample:
            self.predict(rows=[sample])

    def _on_open_clicked(self) -> None:
        if len(self.inputs) > 1:  # one .npz holds every Input's array, or one CSV every group's columns
            path = chooser_for(self).open_file(self, "Open the samples to predict", "", self.parts_request()[2])
            if path:
                self.predict(input_path=path)
            return
        paths = chooser_for(self).open_files(self, "Open samples to predict", "", FILE_FILTER)
        if len(paths) == 1:
            self.predict(input_path=paths[0])
        elif paths:  # several images: their paths are the raw samples the image preprocessing reads
            self.predict(rows=list(paths))

    def _on_folder_clicked(self) -> None:
        path = chooser_for(self).folder(self, "Open a folder of images to predict", "")
        if path:
            self.predict(input_path=path)

    def _on_save_clicked(self) -> None:
        """Save the shown predictions as a CSV (``services.prediction_table``, as ``visualnn predict --output``)."""
        from visualnn.services.datasets.errors import DataError
        from visualnn.services.prediction_table import table_csv, write_predictions

        if self.result is None:
            return
        source = self._input_file
        stem = os.path.splitext(os.path.basename(os.path.normpath(source)))[0] if source else "samples"
        start = os.path.join(os.path.dirname(os.path.normpath(source)) if source else "", f"{stem}_predictions.csv")
        path = chooser_for(self).save_file(self, "Save the predictions", start, "CSV files (*.csv)")
        if not path:
            return
        try:
            n = write_predictions(path, self.result, source, table_csv(self.document.project.dataset),
                                  self._shown_outputs or None)
        except (OSError, DataError) as exc:
            self._set_status(str(exc), error=True)
            return
        self._set_status(f"Saved {n:,} prediction(s) to {path}.")

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.ERROR};" if error else "")

    def _on_controller_predicted(self, result: dict[str, Any]) -> None:
        self.show_result(result)
        self.predicted.emit(result)

    def _on_controller_failed(self, message: str) -> None:
        """Say why, naming the file; the previous results leave the table so they are not taken for this file's."""
        where = os.path.basename(self._input_file) if self._input_file else ""
        self._set_status(f"{where}: {message}" if where else message, error=True)
        self.status.setToolTip(message)
        self.result = None
        self.save_button.setEnabled(False)
        self._shown_outputs = []
        fill_table(self.table, [], [])
        self._show_output_choice(False)
        self.bars_plot.hide()
        self.prediction_failed.emit(message)

    def show_result(self, result: dict[str, Any]) -> None:
        """Fill the table; select the first sample to show its probability bars."""
        self.result = result
        self.save_button.setEnabled(True)
        preds = result.get("predictions", [])
        warnings = [str(w) for w in result.get("warnings") or []]
        text = f"{len(preds):,} prediction(s) with run {result.get('run_id')}."
        self._shown_outputs = self._result_outputs(result)
        if self._shown_outputs:
            tasks = result.get("tasks") or {}
            text += " Outputs: " + ", ".join(f"{n} ({tasks[n]})" if tasks.get(n) else n
                                             for n in self._shown_outputs) + "."
        text += decision_text(result)
        self._set_status(" ".join([text, *(f"Warning: {w}" for w in warnings)]))
        self.status.setToolTip("\n".join(warnings))
        first = "file" if any("file" in p for p in preds) else "#"  # images are named by their file
        named = result.get("row_names") or {}  # a CSV's id column the model ignores names each row
        if named and first == "#":
            first = str(named["column"])
            preds = [{"file": name, **p} for name, p in zip(named["values"], preds, strict=False)]
        if self._shown_outputs:
            self._show_outputs(result, first)
            return
        self._show_output_choice(False)
        if result.get("task") == "regression":
            fill_table(self.table, [first, "predicted value"],
                       [[p.get("file", i), ", ".join(figure_text(v) for v in p["values"])] for i, p in enumerate(preds)])
            self.bars_plot.hide()
            return
        self.bars_plot.show()
        self.bars_plot.setTitle("class probabilities")
        self.bars_plot.setLabel("left", "probability")
        self.bars_plot.setYRange(0, 1)
        self.bars_plot.enableAutoRange(axis="x")
        fill_table(self.table, [first, "predicted class", "confidence"],
                   [[p.get("file", i), p["label"], p["confidence"]] for i, p in enumerate(preds)])
        self._fit_table_width(shrink=True)
        if preds:
            self.table.selectRow(0)
            self.show_bars(0)

    def _result_outputs(self, result: dict[str, Any]) -> list[str]:
        """A multi-output result's output names in the model's order (a result that crossed a Qt signal has its
        keys sorted); [] for a single-output result."""
        outputs = result.get("outputs")
        if result.get("task") != MULTI_OUTPUT or not isinstance(outputs, dict) or len(outputs) < 2:
            return []
        model_order = [n for n in output_names(self.model_graph()) if n in outputs]
        return [*model_order, *(str(n) for n in outputs if n not in model_order)]

    def output_rows(self, name: str) -> list[dict[str, Any]]:
        """The shown result's per-sample rows of output ``name``."""
        outputs = (self.result or {}).get("outputs") or {}
        if name not in outputs:
            raise KeyError(f"The shown prediction has no output {name!r}; its outputs are "
                           f"{', '.join(self._shown_outputs) or 'none (one output)'}.")
        return list(outputs[name])

    def _output_is_regression(self, name: str) -> bool:
        rows = self.output_rows(name)
        return is_regression(((self.result or {}).get("tasks") or {}).get(name), rows[0] if rows else {})

    def _show_outputs(self, result: dict[str, Any], first: str) -> None:
        """One row per sample, one column group per output: class and confidence, or the predicted values."""
        preds = result.get("predictions", [])
        headers = [first]
        named = list((result.get("row_names") or {}).get("values") or [])  # a CSV's id column, when it has one
        table: list[list[Any]] = [[named[i] if i < len(named) else p.get("file", i) if isinstance(p, dict) else i]
                                  for i, p in enumerate(preds)]
        self._columns = [""]
        for name in self._shown_outputs:
            rows = self.output_rows(name)
            if self._output_is_regression(name):
                width = max((len(r["values"]) for r in rows), default=1)
                headers.append(f"{name}: predicted value" + ("s" if width > 1 else ""))
                self._columns.append(name)
                for cells, r in zip(table, rows, strict=False):
                    cells.append(", ".join(figure_text(v) for v in r["values"]))
            else:
                headers += [f"{name}: predicted class", f"{name}: confidence"]
                self._columns += [name, name]
                for cells, r in zip(table, rows, strict=False):
                    cells += [r["label"], r["confidence"]]
        fill_table(self.table, headers, table)
        previous = self.shown_output()
        with QSignalBlocker(self.output_combo):
            self.output_combo.clear()
            for name in self._shown_outputs:
                kind = "values" if self._output_is_regression(name) else "class probabilities"
                self.output_combo.addItem(f"{name} ({kind})", name)
            index = self.output_combo.findData(previous)
            if index < 0:  # the first classification head: its probabilities say the most
                index = next((i for i, n in enumerate(self._shown_outputs) if not self._output_is_regression(n)), 0)
            self.output_combo.setCurrentIndex(index)
        self._show_output_choice(True)
        self.bars_plot.show()
        self._fit_table_width()
        self._row = 0
        if table:
            with QSignalBlocker(self.table):
                self.table.setCurrentCell(0, 0)
            self.table.selectRow(0)
        self.show_bars(0)

    def _fit_table_width(self, shrink: bool = False) -> None:
        """Widen the table to show every output's columns (up to two thirds of the panel); the chart takes the rest.
        ``shrink``: also narrow a table wider than its columns need (the chart had a sliver beside three columns)."""
        total = sum(self.body.sizes())
        if total <= 0:
            return
        table = self.table
        wanted = (table.verticalHeader().width() + table.horizontalHeader().length() + 2 * table.frameWidth()
                  + table.verticalScrollBar().sizeHint().width())
        width = min(wanted, 2 * total // 3)
        if width > self.body.sizes()[0] or shrink:
            self.body.setSizes([width, total - width])

    def shown_output(self) -> str | None:
        """The output whose details the chart shows (a model with several outputs), or None."""
        data = self.output_combo.currentData() if not self.output_combo.isHidden() else None
        return None if data is None else str(data)

    def show_output(self, name: str) -> None:
        """Show output ``name``'s details for the selected sample."""
        index = self.output_combo.findData(name)
        if index < 0:
            raise KeyError(f"The shown prediction has no output {name!r}; its outputs are "
                           f"{', '.join(self._shown_outputs) or 'none (one output)'}.")
        self.output_combo.setCurrentIndex(index)

    def _show_output_choice(self, shown: bool) -> None:
        self.output_label.setVisible(shown)
        self.output_combo.setVisible(shown)

    def show_bars(self, index: int) -> None:
        """Sample ``index``'s details: class-probability bars labelled with the class names, or (a regression head
        of a multi-output model) its predicted values."""
        self._row = index
        name = self.shown_output()
        if name is not None:
            self._show_output_bars(name, index)
            return
        if not self.result or index >= len(self.result.get("predictions", [])):
            return
        probs = self.result["predictions"][index].get("probabilities", {})
        names = list(probs)
        self._show_threshold(next(iter((self.result.get("thresholds") or {}).values()), None))
        self.bars.setOpts(x=list(range(len(names))), height=[probs[n] for n in names], width=0.7)
        self.bars_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])

    def _show_output_bars(self, name: str, index: int) -> None:
        rows = self.output_rows(name)
        if index >= len(rows):
            return
        row = rows[index]
        if self._output_is_regression(name):
            self._show_threshold(None)
            values = [float(v) for v in row["values"]]
            labels = [name] if len(values) == 1 else [str(i) for i in range(len(values))]
            self.bars_plot.setTitle(f"{name}: predicted value{'s' if len(values) > 1 else ''} of sample {index}")
            self.bars_plot.setLabel("left", "value")
            low, high = min([0.0, *values]), max([0.0, *values])
            pad = 0.1 * (high - low) or 1.0
            self.bars_plot.setYRange(low - (pad if low < 0 else 0), high + pad)
            self.bars_plot.setXRange(-1.5, len(values) + 0.5)  # one value: a bar, not a wall
        else:
            probs = dict(row.get("probabilities", {}))
            labels, values = list(probs), [float(v) for v in probs.values()]
            self._show_threshold(((self.result or {}).get("thresholds") or {}).get(name))
            self.bars_plot.setTitle(f"{name}: class probabilities of sample {index}")
            self.bars_plot.setLabel("left", "probability")
            self.bars_plot.setYRange(0, 1)
            self.bars_plot.enableAutoRange(axis="x")
        self.bars.setOpts(x=list(range(len(values))), height=values, width=0.7)
        self.bars_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(labels)]])

    def _show_threshold(self, threshold: float | None) -> None:
        """The dashed line at a yes/no output's threshold (hidden for other outputs)."""
        self.threshold_line.setVisible(threshold is not None)
        if threshold is not None:
            self.threshold_line.setPos(float(threshold))

    def _on_output_combo_changed(self, *_: Any) -> None:
        if self._shown_outputs:
            self.show_bars(self._row)

    def _on_current_cell_changed(self, row: int, column: int, *_: Any) -> None:
        """A click on a sample shows its details; on a multi-output result, a click in an output's columns shows
        that output's."""
        if row < 0:
            return
        owner = self._columns[column] if self._shown_outputs and 0 <= column < len(self._columns) else ""
        if owner and owner != self.shown_output():
            self._row = row
            self.show_output(owner)  # shows the bars through the combo
            return
        self.show_bars(row)
