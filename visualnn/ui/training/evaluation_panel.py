"""The Evaluation tab: metrics table, confusion-matrix heatmap, per-class report, confidently wrong
samples; for regression a predicted-vs-true scatter and a residual histogram.

A model with several outputs is reported per output (``task: "multi-output"``, ``outputs: {name: report}``):
the Output box chooses the head whose metrics, confusion matrix or error plots are shown."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.decision import DEFAULT_THRESHOLD, accuracy_of, confusion_at, per_class_report, threshold_for
from visualnn.core.model_io import output_names
from visualnn.core.run_commands import SetRunThreshold
from visualnn.core.tensors import GROUPED_FROM, figure_text
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.training.charts import chart
from visualnn.ui.training.confusion import ConfusionMatrixView
from visualnn.ui.training.elided_label import ElidedLabel
from visualnn.ui.training.result_sessions import EvaluationController
from visualnn.ui.training.threshold_box import ThresholdBox


def fill_table(table: QTableWidget, headers: list[str], rows: list[list[Any]]) -> None:
    """Replace a table's contents (floats with 4 decimals, from 1,000 up with thousands separators and one decimal
    at most as :func:`~visualnn.core.tensors.figure_text` writes them; ints with thousands separators)."""
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    read_only = QTableWidgetItem().flags() & ~Qt.ItemFlag.ItemIsEditable
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, float):
                # A price model's loss read "127501968.0000"; small figures keep their aligned 4 decimals.
                text = figure_text(value) if abs(value) >= GROUPED_FROM else f"{value:.4f}"
            elif isinstance(value, int) and not isinstance(value, bool):
                text = f"{value:,}"
            else:
                text = str(value)
            item = QTableWidgetItem(text)
            item.setFlags(read_only)
            if isinstance(value, int | float):
                item.setTextAlignment(right)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


READY_TEXT = "Train a model, then evaluate it on data it has not seen."
MULTI_OUTPUT = "multi-output"


class EvaluationPanel(QWidget):
    """Shows evaluation reports; its :class:`EvaluationController` asks the engine for them."""

    evaluated = Signal(dict)
    evaluation_failed = Signal(str)
    explain_requested = Signal(str, str, int)  # run id, split, sample index: Grad-CAM of a wrong sample

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None,
                 extra_job: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.report: dict[str, Any] | None = None
        self._wrong_images = False  # the wrong samples are images (Grad-CAM can explain them)

        self.run_combo = QComboBox()
        self.run_combo.setToolTip("The run whose results are shown; choose another to evaluate it.")
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_combo.setMinimumContentsLength(24)  # a run id and its status; longer names never widen the window
        self.run_combo.activated.connect(self._on_run_combo_activated)
        self.split_combo = QComboBox()
        self.split_combo.addItems(["test", "val", "train"])
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self._on_evaluate_clicked)
        self.status = ElidedLabel(READY_TEXT)  # a long line is elided, never widening the window
        self.output_label = QLabel("Output")
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("The model's output whose results are shown (each head is scored on its own "
                                     "targets; the status line gives the total loss).")
        self.output_combo.currentIndexChanged.connect(self._on_output_combo_changed)
        top = QHBoxLayout()
        for w in (QLabel("Run"), self.run_combo, QLabel("Split"), self.split_combo, self.evaluate_button,
                  self.output_label, self.output_combo):
            top.addWidget(w)
        self._show_output_choice(False)
        top.addWidget(self.status, 1)

        self.metrics_table = QTableWidget()
        self.confusion = ConfusionMatrixView()
        self.per_class = QTableWidget()
        self.wrong = QTableWidget()
        self.wrong.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.wrong.itemSelectionChanged.connect(self._update_explain_button)
        self.wrong.cellDoubleClicked.connect(lambda *_: self._on_explain_clicked())
        self.explain_button = QPushButton("Explain with Grad-CAM")
        self.explain_button.setToolTip("Show which pixels made the model choose its (wrong) class for the selected "
                                       "image, in the Look inside panel.")
        self.explain_button.clicked.connect(self._on_explain_clicked)
        wrong_box = QWidget()
        wrong_layout = QVBoxLayout(wrong_box)
        wrong_layout.setContentsMargins(0, 0, 0, 0)
        self.wrong_caption = QLabel("The most confidently wrong samples")  # what the table lists, or that none is
        self.wrong_caption.setWordWrap(True)
        wrong_layout.addWidget(self.wrong_caption)
        wrong_layout.addWidget(self.wrong, 1)
        wrong_layout.addWidget(self.explain_button)
        self.threshold_box = ThresholdBox()  # a yes/no output's decision threshold (hidden for other outputs)
        self.threshold_box.threshold_changed.connect(self._on_threshold_changed)
        self.threshold_box.keep_requested.connect(self._on_keep_threshold)
        self.threshold_box.hide()
        self._head: dict[str, Any] | None = None  # the output report on screen
        results = QSplitter()
        results.addWidget(self.confusion)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.per_class)
        right.addWidget(wrong_box)
        results.addWidget(right)
        cls_page = QWidget()  # a yes/no output's threshold band above the matrix and the tables
        cls_layout = QVBoxLayout(cls_page)
        cls_layout.setContentsMargins(0, 0, 0, 0)
        cls_layout.addWidget(self.threshold_box)
        cls_layout.addWidget(results, 1)

        self.scatter = chart("predicted vs true", "true value", "predicted value")
        self.scatter_points = pg.ScatterPlotItem(size=5, brush=pg.mkBrush(76, 120, 168, 140), pen=None)
        self.diagonal = pg.PlotDataItem(pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.scatter.addItem(self.scatter_points)
        self.scatter.addItem(self.diagonal)
        self.residuals = chart("residuals (predicted − true)", "residual", "samples", grid=False)
        self.residual_bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush="#F58518")
        self.residuals.addItem(self.residual_bars)
        reg_page = QSplitter()
        reg_page.addWidget(self.scatter)
        reg_page.addWidget(self.residuals)

        self.pages = QStackedWidget()
        self.pages.addWidget(cls_page)
        self.pages.addWidget(reg_page)
        body = QSplitter()
        body.addWidget(self.metrics_table)
        body.addWidget(self.pages)
        body.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(body, 1)

        # The Run box names the run whose results are on screen, else the one being evaluated, else the newest.
        self._shown_run: str | None = None
        self._chosen_output: str | None = None  # the head the user looks at, across evaluations
        self._pending_run: str | None = None
        self._pending_thumbnails: list[Any] = []  # wrong samples' images, drawn once the tab is shown
        document.runs_changed.connect(self.refresh_runs)
        document.project_replaced.connect(self._on_document_project_replaced)
        self.refresh_runs()
        # Made after the view's own document connections, so the run list is fresh before a new run is evaluated.
        self.controller = EvaluationController(document, engine, extra_job, parent=self)
        self.controller.split = self.split_combo.currentText()
        self.split_combo.currentTextChanged.connect(self._on_split_combo_changed)
        self.controller.status_changed.connect(self.status.setText)
        self.controller.evaluation_started.connect(self._on_controller_evaluation_started)
        self.controller.evaluated.connect(self._on_controller_evaluated)
        self.controller.evaluation_failed.connect(self.evaluation_failed)
        document.dataset_changed.connect(self._refresh_split_choices)
        document.project_replaced.connect(self._refresh_split_choices)
        self._refresh_split_choices()

    @property
    def auto_evaluate(self) -> bool:
        """Evaluate each new run as soon as training records it."""
        return self.controller.auto_evaluate

    @auto_evaluate.setter
    def auto_evaluate(self, on: bool) -> None:
        self.controller.auto_evaluate = on

    @property
    def job_id(self) -> str | None:
        """The evaluation job in flight, or None."""
        return self.controller.job_id

    def refresh_runs(self, *_: Any) -> None:
        """List the runs that saved a model, newest first; keep naming the run whose results are shown."""
        with QSignalBlocker(self.run_combo):
            self.run_combo.clear()
            for run in reversed(self.document.project.runs):
                if run.model_path:
                    self.run_combo.addItem(f"{run.id} ({run.status})", run.id)
        if self._shown_run is not None and self.run_combo.findData(self._shown_run) < 0:
            self.clear_report()  # its run is gone
        self._select_run(self._shown_run or self._pending_run)
        self.evaluate_button.setEnabled(self.run_combo.count() > 0)

    def _select_run(self, run_id: str | None) -> None:
        index = self.run_combo.findData(run_id) if run_id is not None else -1
        with QSignalBlocker(self.run_combo):
            self.run_combo.setCurrentIndex(max(index, 0) if self.run_combo.count() else -1)

    def clear_report(self) -> None:
        """Show no results (another run was chosen, or another project opened)."""
        self.report = None
        self._shown_run = None
        with QSignalBlocker(self.output_combo):
            self.output_combo.clear()
        self._show_output_choice(False)
        self._clear_views()

    def _clear_views(self) -> None:
        self._head = None
        self.threshold_box.hide()
        for table in (self.metrics_table, self.per_class, self.wrong):
            fill_table(table, [], [])
        self._pending_thumbnails = []
        self._wrong_images = False
        self._update_explain_button()
        self.confusion.set_matrix([], [])
        self.scatter_points.setData([], [])
        self.diagonal.setData([], [])
        self.residual_bars.setOpts(x=[], height=[])

    def evaluate(self, run_id: str | None = None) -> str | None:
        """Evaluate ``run_id`` (default: the latest run) on the chosen split; returns the job id."""
        return self.controller.evaluate(run_id)

    def _on_evaluate_clicked(self) -> None:
        self.controller.evaluate(self.run_combo.currentData())

    def _on_run_combo_activated(self, _index: int) -> None:
        run_id = self.run_combo.currentData()
        if run_id is not None and run_id != self._shown_run:
            self.controller.evaluate(run_id)  # its results replace the shown ones; none are shown meanwhile

    def _on_split_combo_changed(self, split: str) -> None:
        self.controller.split = split
        if self._shown_run is not None:  # the shown results are of the other split: refresh them
            self.controller.evaluate(self._shown_run)

    def _on_controller_evaluation_started(self, run_id: str, _split: str) -> None:
        self.clear_report()
        self._pending_run = run_id
        self._select_run(run_id)

    def _on_controller_evaluated(self, report: dict[str, Any]) -> None:
        self.show_report(report)
        self.evaluated.emit(report)

    def _refresh_split_choices(self) -> None:
        """Offer "test" only when the project's data has a test split; without one the box shows "val",
        the split evaluation really scores (the report says "this project has no test split")."""
        dataset = self.document.project.dataset
        has_test = dataset is None or dataset.split().test > 0  # inline data (no dataset) may bring its own
        item = self.split_combo.model().item(0)  # type: ignore[attr-defined]
        item.setEnabled(has_test)
        item.setToolTip("" if has_test else "This project has no test split: set one in the Data panel's "
                                              "Split & pipeline tab.")
        if not has_test and self.split_combo.currentText() == "test":
            with QSignalBlocker(self.split_combo):
                self.split_combo.setCurrentText("val")
            self.controller.split = "val"

    def _on_document_project_replaced(self) -> None:
        self._chosen_output = None
        self.clear_report()
        self._pending_run = None
        self.refresh_runs()
        self.status.setText(READY_TEXT if self.run_combo.count() == 0 else
                            "Choose a run and press Evaluate to see how it does on data it has not seen.")

    def show_report(self, report: dict[str, Any]) -> None:
        """Fill the tables and plots from an evaluation report; the Run box names its run."""
        self.report = report
        self._shown_run = str(report.get("run_id")) if report.get("run_id") is not None else None
        self._pending_run = None
        self._select_run(self._shown_run)
        label = report.get("split_label") or f"{report.get('split')} split"  # the split really scored
        text = f"Run {report.get('run_id')} on the {label}: {report.get('n_samples', 0):,} samples."
        warnings = [str(w) for w in report.get("warnings") or []]
        if warnings:  # the data changed since training: the figures are of another split (first; hover for all)
            text = f"⚠ {' '.join(warnings)} {text}"
        outputs = report.get("outputs") if report.get("task") == MULTI_OUTPUT else None
        if not isinstance(outputs, dict) or not outputs:
            self._show_output_choice(False)
            self.status.setText(text)
            self._show_head(report)
            return
        total = report.get("metrics", {}).get("loss")
        if total is not None:
            text += f" Total loss {float(total):.4g}."
        self.status.setText(text)
        previous = self._chosen_output
        with QSignalBlocker(self.output_combo):
            self.output_combo.clear()
            # In the model's output order (a report that crossed a Qt signal has its keys sorted).
            model_order = [n for n in output_names(self.document.project.graph) if n in outputs]
            for name in [*model_order, *(n for n in outputs if n not in model_order)]:
                head = outputs[name]
                task = head.get("task") if isinstance(head, dict) else None
                self.output_combo.addItem(f"{name} ({task})" if task else str(name), name)
            index = self.output_combo.findData(previous)
            self.output_combo.setCurrentIndex(max(index, 0))
        self._show_output_choice(True)
        self._on_output_combo_changed()

    def shown_output(self) -> str | None:
        """The output whose results are on screen (a model with several outputs), or None."""
        data = self.output_combo.currentData() if self.output_combo.isVisibleTo(self) else None
        return None if data is None else str(data)

    def show_output(self, name: str) -> None:
        """Show the results of output ``name`` of the shown multi-output report."""
        index = self.output_combo.findData(name)
        if index < 0:
            raise KeyError(f"The shown report has no output {name!r}; its outputs are "
                           f"{', '.join(str(self.output_combo.itemData(i)) for i in range(self.output_combo.count()))}.")
        self.output_combo.setCurrentIndex(index)

    def _show_output_choice(self, shown: bool) -> None:
        self.output_label.setVisible(shown)
        self.output_combo.setVisible(shown)

    def _on_output_combo_changed(self, *_: Any) -> None:
        name = self.output_combo.currentData()
        if name is not None:
            self._chosen_output = str(name)  # kept on screen when the run is evaluated again
        outputs = (self.report or {}).get("outputs")
        if name is None or not isinstance(outputs, dict) or not isinstance(outputs.get(name), dict):
            return
        self._clear_views()
        self._show_head(outputs[name])

    def _show_head(self, report: dict[str, Any]) -> None:
        """One output's results (the whole report of a single-output model): metrics, matrix or error plots."""
        self._head = report
        self.threshold_box.hide()  # shown again below for a yes/no output
        self._fill_metrics(report)
        cls = report.get("classification")
        if cls:
            self.pages.setCurrentIndex(0)
            self._show_classes(cls["confusion"], cls["class_names"], cls["per_class"])
            self._show_wrong(cls.get("wrong", []))
            if cls.get("curve"):  # a yes/no output: its threshold can be tried and kept
                run = next((r for r in self.document.project.runs if r.id == self._shown_run), None)
                kept = threshold_for(run.extra if run is not None else {}, str(cls.get("output") or ""))
                self.threshold_box.show_curve(cls, kept, str((self.report or {}).get("split") or "test"))
                self.threshold_box.show()
                self._fill_metrics(report, float(cls.get("threshold", DEFAULT_THRESHOLD)), float(cls.get("accuracy", 0.0)))
        reg = report.get("regression")
        if reg:
            self.pages.setCurrentIndex(1)
            self.scatter_points.setData(reg["true"], reg["pred"])
            lo = min(reg["true"] + reg["pred"], default=0.0)
            hi = max(reg["true"] + reg["pred"], default=1.0)
            self.diagonal.setData([lo, hi], [lo, hi])
            edges = np.asarray(reg["hist_edges"])
            if len(edges) > 1:
                self.residual_bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=reg["hist_counts"],
                                           width=float(edges[1] - edges[0]))

    def _fill_metrics(self, report: dict[str, Any], threshold: float | None = None, accuracy: float = 0.0) -> None:
        """Keras's metrics; a threshold tried other than the default adds the accuracy at it (Keras decides at 0.5)."""
        rows: list[list[Any]] = [[k, float(v)] for k, v in report.get("metrics", {}).items()]
        if threshold is not None and threshold != DEFAULT_THRESHOLD:
            rows = [[f"{k} (at {DEFAULT_THRESHOLD:g})" if k != "loss" and "auc" not in k else k, v] for k, v in rows]
            rows.append([f"accuracy at {threshold:g}", accuracy])
        fill_table(self.metrics_table, ["metric", "value"], rows)

    def _show_classes(self, confusion: list[list[int]], names: list[str], per_class: list[dict[str, Any]]) -> None:
        self.confusion.set_matrix(confusion, names)
        fill_table(self.per_class, ["class", "precision", "recall", "F1", "support"],
                   [[r["class"], r["precision"], r["recall"], r["f1"], r["support"]] for r in per_class])

    def _on_threshold_changed(self, threshold: float) -> None:
        """Redraw the matrix and figures at ``threshold`` from the report's counts (no new evaluation)."""
        cls = (self._head or {}).get("classification") or {}
        if not cls.get("curve"):
            return
        cm = confusion_at(cls["curve"], threshold)
        self._show_classes(cm, cls["class_names"], per_class_report(cm, cls["class_names"]))
        self._fill_metrics(self._head or {}, threshold, accuracy_of(cm))
        scored = float(cls.get("threshold", DEFAULT_THRESHOLD))
        if threshold == scored:
            self._show_wrong(cls.get("wrong", []))
        else:  # the list holds the samples wrong where the run was scored; the counts say how many are wrong here
            errors = cm[0][1] + cm[1][0]
            self.wrong_caption.setText(f"{errors:,} sample(s) are wrong at {threshold:g}. Listed: the most confidently "
                                       f"wrong at {scored:g}, where the run was scored (Keep for this run lists them "
                                       f"at {threshold:g}).")

    def _on_keep_threshold(self, threshold: float) -> None:
        """Keep ``threshold`` for the shown run's output (one undoable step), then score the run at it again."""
        cls = (self._head or {}).get("classification") or {}
        if self._shown_run is None or not cls.get("output"):
            return
        run_id = self._shown_run
        if self.document.push(SetRunThreshold(run_id, str(cls["output"]), threshold)):
            self.controller.evaluate(run_id)  # the wrong samples too, at the kept threshold

    def _show_wrong(self, wrong: list[dict[str, Any]]) -> None:
        images = any(isinstance(w.get("sample"), list) and w["sample"] and isinstance(w["sample"][0], list)
                     for w in wrong)
        headers = ["#", "true", "predicted", "confidence", "image" if images else "values"]
        rows = [[w["index"], w["true"], w["pred"], w["confidence"], "" if images else sample_text(w.get("sample"))]
                for w in wrong]
        fill_table(self.wrong, headers, rows)
        # An empty table said nothing: it now says that no sample was wrong.
        self.wrong_caption.setText(f"The {len(wrong)} most confidently wrong sample(s) of the split" if wrong else
                                   "No sample of this split was classified wrong.")
        self.wrong.verticalHeader().setDefaultSectionSize(40 if images else 24)  # room for thumbnails
        # Thumbnails are made when the tab is on screen: an automatic evaluation behind another tab costs nothing.
        self._pending_thumbnails = [w["sample"] for w in wrong] if images else []
        self._wrong_images = images
        self._update_explain_button()
        if self._on_screen():
            self._place_thumbnails()

    def _update_explain_button(self) -> None:
        images = bool(self._wrong_images)
        self.explain_button.setVisible(images)
        self.explain_button.setEnabled(images and bool(self.wrong.selectionModel().selectedRows()))

    def _on_explain_clicked(self) -> None:
        """Grad-CAM of the selected most-confidently-wrong image, with the shown run, on the scored split."""
        rows = self.wrong.selectionModel().selectedRows()
        item = self.wrong.item(rows[0].row(), 0) if rows else None
        if item is None or self.report is None or not self._wrong_images:
            return
        index = int(item.text().replace(",", ""))
        self.explain_requested.emit(str(self.report.get("run_id")), str(self.report.get("split") or "test"), index)

    def _on_screen(self) -> bool:
        # A dock behind another tab stays "visible" to Qt, moved out of the window: nothing of it is exposed.
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def _place_thumbnails(self) -> None:
        samples, self._pending_thumbnails = self._pending_thumbnails, []
        for r, sample in enumerate(samples):
            item = self.wrong.item(r, 4)
            if item is not None:
                item.setData(Qt.ItemDataRole.DecorationRole, thumbnail_pixmap(sample))
        if samples:
            self.wrong.resizeColumnToContents(4)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API name)
        """The tab comes into view (a paint only reaches an exposed widget): make what waited for it."""
        super().paintEvent(event)
        if self._pending_thumbnails:
            QTimer.singleShot(0, self._place_thumbnails)  # after this paint, never inside it


def sample_text(sample: Any) -> str:
    """A sample's first values (a model with several inputs: each input's, by name)."""
    if isinstance(sample, dict):
        return "; ".join(f"{name}: {sample_text(part)}" for name, part in sample.items())
    values = np.asarray(sample if sample is not None else [], dtype=float).ravel()
    return ", ".join(f"{v:.3g}" for v in values[:8])


def thumbnail_pixmap(sample: list[Any]) -> QPixmap:
    """A 0-255 grey or RGB nested list as a pixmap scaled to 36 px high."""
    a = np.asarray(sample, dtype=np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = np.ascontiguousarray(a)
    if a.ndim == 2:
        img = QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_Grayscale8)
    else:
        a = np.ascontiguousarray(a[:, :, :3])
        img = QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(img.copy()).scaledToHeight(36)
