"""The Explanations view: Grad-CAM or saliency over an image, permutation importance for a table; PNG and CSV.

The Evaluation tab's "Explain" action sends its most confidently wrong samples here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.explain_protocol import importance_effect
from visualnn.core.tensors import figure_text
from visualnn.services.explain_render import report_csv, report_png
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.insight.drawing import paint_importance, paint_overlay
from visualnn.ui.insight.session import LatestJobSession, explain_payload
from visualnn.ui.training.elided_label import ElidedLabel

METHOD_TITLES = {"gradcam": "Grad-CAM", "saliency": "Saliency (input gradients)",
                 "permutation": "Permutation importance (tables)"}
LAST_CONV = "the last convolution"
CONV_TYPES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose")
READY = "Choose a run and a sample, then Explain. Grad-CAM and saliency explain images; permutation importance, tables."


class ExplanationCanvas(QWidget):
    """Draws an explanation: the image and its heatmap overlay, or the importance bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: dict[str, Any] | None = None
        self.setMinimumSize(240, 160)

    def set_report(self, report: dict[str, Any] | None) -> None:
        """Show ``report`` (an ``explain`` job's), or nothing."""
        self.report = report
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API name)
        """Overlay or bars."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        rect = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        if self.report is None:
            painter.setPen(theme.muted_text_color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, READY)
        elif self.report["method"] == "permutation":
            paint_importance(painter, rect, self.report["importances"], importance_effect(self.report))
        else:
            paint_overlay(painter, rect, self.report["image"], self.report["heatmap"])


class ExplanationsView(QWidget):
    """Run, method, sample and layer choices, the explanation drawn, and its export."""

    shown = Signal(dict)

    def __init__(self, document: ProjectDocument, session: LatestJobSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.session = session
        self.report: dict[str, Any] | None = None
        self.run_combo = QComboBox()
        self.method_combo = QComboBox()
        for key, title in METHOD_TITLES.items():
            self.method_combo.addItem(title, key)
        self.split_combo = QComboBox()
        self.split_combo.addItems(["test", "val", "train"])
        self.index_spin = QSpinBox()
        self.index_spin.setRange(0, 1_000_000)
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The convolutional layer whose feature maps Grad-CAM weighs.")
        self.explain_button = QPushButton("Explain")
        self.export_png_button = QPushButton("Export PNG…")
        self.export_csv_button = QPushButton("Export CSV…")
        top = QHBoxLayout()
        for w in (QLabel("Run"), self.run_combo, QLabel("Method"), self.method_combo, QLabel("Split"),
                  self.split_combo, QLabel("Sample"), self.index_spin, QLabel("Layer"), self.layer_combo,
                  self.explain_button, self.export_png_button, self.export_csv_button):
            top.addWidget(w)
        top.addStretch(1)
        self.status = ElidedLabel(READY)
        self.prediction = QLabel("")
        self.prediction.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.canvas = ExplanationCanvas()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.prediction)
        layout.addWidget(self.canvas, 1)
        self.explain_button.clicked.connect(self.request)
        self.method_combo.currentIndexChanged.connect(self._update_buttons)
        self.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.export_csv_button.clicked.connect(self._on_export_csv_clicked)
        session.started.connect(self.status.setText)
        session.finished.connect(self.show_report)
        session.failed.connect(self.show_error)
        document.runs_changed.connect(self.refresh_runs)
        document.graph_changed.connect(self.refresh_layers)
        document.project_replaced.connect(self._on_document_project_replaced)
        self.refresh_runs()
        self.refresh_layers()
        self._update_buttons()

    @property
    def method(self) -> str:
        """``gradcam``, ``saliency`` or ``permutation``."""
        return str(self.method_combo.currentData())

    def set_method(self, method: str) -> None:
        """Choose the method by key."""
        self.method_combo.setCurrentIndex(self.method_combo.findData(method))

    def refresh_runs(self, *_: Any) -> None:
        """The runs that saved a model, newest first; the choice is kept."""
        chosen = self.run_combo.currentData()
        self.run_combo.clear()
        for run in reversed(self.document.project.runs):
            if run.model_path:
                self.run_combo.addItem(f"{run.id} ({run.status})", run.id)
        self.run_combo.setCurrentIndex(max(0, self.run_combo.findData(chosen)))
        self._update_buttons()

    def refresh_layers(self, *_: Any) -> None:
        """The convolutional nodes of the graph, after "the last convolution"."""
        chosen = self.layer_combo.currentData()
        self.layer_combo.clear()
        self.layer_combo.addItem(LAST_CONV, None)
        for node in self.document.project.graph:
            if node.type in CONV_TYPES:
                self.layer_combo.addItem(node.label, node.id)
        self.layer_combo.setCurrentIndex(max(0, self.layer_combo.findData(chosen)))

    def explain_sample(self, run_id: str, split: str, index: int, method: str = "gradcam") -> str | None:
        """Explain sample ``index`` of ``split`` with run ``run_id`` (the Evaluation tab's action)."""
        self.refresh_runs()
        self.run_combo.setCurrentIndex(max(0, self.run_combo.findData(run_id)))
        self.split_combo.setCurrentText(split)
        self.index_spin.setValue(index)
        self.set_method(method)
        return self.request()

    def request(self) -> str | None:
        """Ask the engine for the chosen explanation; returns the job id."""
        run_id = self.run_combo.currentData()
        if run_id is None:
            self.show_error("There is no trained run yet. Train the model first.")
            return None
        what = (f"Shuffling each column of the validation split with run {run_id}…" if self.method == "permutation"
                else f"{METHOD_TITLES[self.method]} of {self.split_combo.currentText()} sample "
                     f"{self.index_spin.value()} with run {run_id}…")
        return self.session.submit(explain_payload(self.method, run_id, self.split_combo.currentText(),
                                                   self.index_spin.value(), self.layer_combo.currentData()), what)

    def show_report(self, report: dict[str, Any]) -> None:
        """Draw an ``explain`` report and say what it shows."""
        self.report = report
        self.canvas.set_report(report)
        if report["method"] == "permutation":
            first = report["importances"][0] if report["importances"] else None
            self.status.setText(f"Run {report['run_id']} on {report['n_samples']:,} validation samples: "
                                f"{report['metric']} {report['baseline']:.4f} before shuffling.")
            self.prediction.setText(f"Most important: {first['column']} ({importance_effect(report)} "
                                    f"{figure_text(first['drop'], sign=True)} when shuffled)" if first else "")
        else:
            where = report.get("source") or f"{report.get('split')} sample {report.get('index')}"
            layer = f" on {report['layer']}" if report.get("layer") else ""
            self.status.setText(f"{METHOD_TITLES[report['method']]}{layer}, run {report['run_id']}, {where}.")
            true = f" · true {report['true']}" if report.get("true") else ""
            self.prediction.setText(f"Predicted {report['predicted']} ({report['confidence']:.1%}){true} · "
                                    f"explaining class {report['class_name']}: bright = raised its score")
        self._update_buttons()
        self.shown.emit(report)

    def show_error(self, message: str) -> None:
        """Say why there is no explanation."""
        self.report = None
        self.canvas.set_report(None)
        self.prediction.setText("")
        self.status.setText(message)
        self.status.setToolTip(message)
        self._update_buttons()

    def _update_buttons(self, *_: Any) -> None:
        self.explain_button.setEnabled(self.run_combo.count() > 0)
        image = self.method != "permutation"
        for w in (self.split_combo, self.index_spin):
            w.setEnabled(image)
        self.layer_combo.setEnabled(self.method == "gradcam")
        for b in (self.export_png_button, self.export_csv_button):
            b.setEnabled(self.report is not None)

    def _on_document_project_replaced(self) -> None:
        self.refresh_runs()
        self.refresh_layers()
        self.show_error(READY)

    def _stem(self) -> str:
        r = self.report or {}
        return f"{r.get('method', 'explanation')}_{r.get('run_id', '')}".rstrip("_")

    def _on_export_png_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Export explanation as PNG", f"{self._stem()}.png",
                                           "PNG images (*.png)")
        if path and self.report is not None:
            self._write(path, report_png(self.report))

    def _on_export_csv_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Export explanation as CSV", f"{self._stem()}.csv",
                                           "CSV files (*.csv)")
        if path and self.report is not None:
            self._write(path, report_csv(self.report).encode("utf-8"))

    def _write(self, path: str, data: bytes) -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            self.status.setText(f"Could not write {path}: {exc.strerror or exc}. Choose another folder.")
            return
        self.status.setText(f"Wrote {path}.")
