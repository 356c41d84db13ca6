"""The Activations view: pick a sample, click a node on the canvas, see its output tensor.

Rank 4 (samples, height, width, channels) is drawn as a grid of feature maps, rank 3 (samples, time steps,
features) as a heat strip, rank 2 (samples, features) as bars; the statistics (min, max, mean, the fraction
of zeros: dead ReLUs) and the Tensor card sit beside it. The model is the untrained one built from the graph
or a run's trained model.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.tensor_card import TensorCard
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.insight.drawing import paint_bars, paint_feature_maps, paint_heat_strip
from visualnn.ui.insight.session import LatestJobSession, activations_payload
from visualnn.ui.training.elided_label import ElidedLabel

UNTRAINED = "Untrained (built from the graph)"
PICK_NODE = "Click a node on the canvas to see its output for the chosen sample."


class TensorCanvas(QWidget):
    """Draws one activation: feature maps (rank 4 and 5), a heat strip (rank 3) or bars (rank 2)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: dict[str, Any] | None = None
        self.setMinimumSize(240, 160)

    def set_result(self, result: dict[str, Any] | None) -> None:
        """Show ``result`` (an ``activations`` job's), or nothing."""
        self.result = result
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API name)
        """Draw the tensor as its rank calls for."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        rect = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        if self.result is None:
            painter.setPen(theme.muted_text_color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, PICK_NODE)
            return
        values = self.result["values"]
        rank = int(self.result["rank"])
        if rank >= 4:
            paint_feature_maps(painter, rect, values, list(self.result.get("dead_channels", [])))
        elif rank == 3:
            paint_heat_strip(painter, rect, values)
        else:
            paint_bars(painter, rect, values if isinstance(values, list) else [values])


def stats_text(result: dict[str, Any]) -> str:
    """``min -0.12 · max 3.4 · mean 0.52 · zeros 41.0 %`` and the dead channels."""
    text = (f"min {result['min']:.4g} · max {result['max']:.4g} · mean {result['mean']:.4g} · "
            f"zeros {100 * result['zero_fraction']:.1f} %")
    dead = result.get("dead_channels") or []
    if dead and int(result["rank"]) >= 3:
        text += f" · {len(dead)} dead channel(s): zero for this sample ({', '.join(map(str, dead[:8]))})"
    if result.get("nonfinite"):
        text += f" · {result['nonfinite']} NaN/inf value(s)"
    return text


class ActivationsView(QWidget):
    """Choose the model and the sample; a click on a node shows its output tensor and Tensor card."""

    shown = Signal(dict)

    def __init__(self, document: ProjectDocument, session: LatestJobSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.session = session
        self.node: str | None = None
        self.result: dict[str, Any] | None = None
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The untrained model built from the graph, or a run's trained model.")
        self.split_combo = QComboBox()
        self.split_combo.addItems(["val", "train", "test"])
        self.index_spin = QSpinBox()
        self.index_spin.setRange(0, 1_000_000)
        self.index_spin.setToolTip("Which sample of the split (0 is the first).")
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("Compute the selected node's output for this sample.")
        self.export_png_button = QPushButton("Export PNG…")
        self.export_csv_button = QPushButton("Export CSV…")
        top = QHBoxLayout()
        for w in (QLabel("Model"), self.model_combo, QLabel("Split"), self.split_combo, QLabel("Sample"),
                  self.index_spin, self.show_button, self.export_png_button, self.export_csv_button):
            top.addWidget(w)
        top.addStretch(1)
        self.status = ElidedLabel(PICK_NODE)
        self.stats = QLabel("")
        self.stats.setFont(theme.mono_font(9))
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.canvas = TensorCanvas()
        self.card = QPlainTextEdit()
        self.card.setReadOnly(True)
        self.card.setFont(theme.mono_font(9))
        self.card.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.card.setPlaceholderText("The Tensor card: rank, axis names and the TensorFlow code behind the tensor.")
        body = QSplitter()
        body.addWidget(self.canvas)
        body.addWidget(self.card)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([600, 440])  # the card's code lines read whole at the usual window width
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.stats)
        layout.addWidget(body, 1)
        self.show_button.clicked.connect(self.request)
        self.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.export_csv_button.clicked.connect(self._on_export_csv_clicked)
        self.model_combo.activated.connect(lambda _i: self.request())
        self.split_combo.activated.connect(lambda _i: self.request())
        self.index_spin.editingFinished.connect(self.request)
        session.started.connect(self.status.setText)
        session.finished.connect(self.show_result)
        session.failed.connect(self.show_error)
        document.runs_changed.connect(self.refresh_runs)
        document.project_replaced.connect(self._on_document_project_replaced)
        self.refresh_runs()
        self._update_buttons()

    def refresh_runs(self, *_: Any) -> None:
        """Untrained first, then the runs that saved a model, newest first; the choice is kept."""
        chosen = self.model_combo.currentData()
        self.model_combo.clear()
        self.model_combo.addItem(UNTRAINED, None)
        for run in reversed(self.document.project.runs):
            if run.model_path:
                self.model_combo.addItem(f"{run.id} ({run.status})", run.id)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(chosen)) if chosen else 0)

    def choose_run(self, run_id: str | None) -> None:
        """Look at run ``run_id``'s trained model (None: the untrained one)."""
        index = self.model_combo.findData(run_id) if run_id else 0
        if index < 0:
            raise KeyError(f"There is no run {run_id!r} with a saved model to choose.")
        self.model_combo.setCurrentIndex(index)

    def set_node(self, node_id: str | None, compute: bool = True) -> None:
        """The node whose output is shown (a click on the canvas); computes it at once unless ``compute`` is False."""
        self.node = node_id
        self._update_buttons()
        if node_id is not None and compute:
            self.request()

    def request(self) -> str | None:
        """Ask the engine for the chosen node's output; returns the job id."""
        if self.node is None or self.node not in self.document.project.graph:
            self.status.setText(PICK_NODE)
            return None
        run_id = self.model_combo.currentData()
        label = self.document.project.graph.nodes[self.node].label
        what = f"Computing {label}'s output for {self.split_combo.currentText()} sample {self.index_spin.value()}…"
        return self.session.submit(activations_payload(self.node, run_id, self.split_combo.currentText(),
                                                       self.index_spin.value()), what)

    def show_result(self, result: dict[str, Any]) -> None:
        """Draw an ``activations`` result, its statistics and its Tensor card."""
        self.result = result
        self.canvas.set_result(result)
        card = TensorCard.from_dict(result["card"])
        model = f"run {result['run_id']}" if result.get("run_id") else "the untrained model"
        where = f"{result['split']} sample {result['index']}" if result.get("split") else "the given sample"
        label = f" (label {result['label']})" if result.get("label") else ""
        self.status.setText(f"{result['layer']} ({result['layer_type']}) with {model}, {where}{label}: "
                            f"{card.shape_text()} · {card.rank_text()}")
        self.stats.setText(stats_text(result))
        self.card.setPlainText(card.text())
        self._update_buttons()
        self.shown.emit(result)

    def show_error(self, message: str) -> None:
        """Say why there is no activation (and keep nothing stale on screen)."""
        self.result = None
        self.canvas.set_result(None)
        self.stats.setText("")
        self.card.setPlainText("")
        self.status.setText(message)
        self.status.setToolTip(message)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.show_button.setEnabled(self.node is not None)
        for b in (self.export_png_button, self.export_csv_button):
            b.setEnabled(self.result is not None)

    def _on_document_project_replaced(self) -> None:
        self.node = None
        self.refresh_runs()
        self.show_error(PICK_NODE)

    def _on_export_png_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Export activation as PNG", f"{self._stem()}.png", "PNG images (*.png)")
        if path and not self.canvas.grab().save(path, "PNG"):
            self.status.setText(f"Could not write {path}; choose a folder you can write to.")

    def _on_export_csv_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Export activation as CSV", f"{self._stem()}.csv", "CSV files (*.csv)")
        if path and self.result is not None:
            try:
                write_values_csv(path, self.result)
            except OSError as exc:
                self.status.setText(f"Could not write {path}: {exc.strerror or exc}. Choose another folder.")

    def _stem(self) -> str:
        return str((self.result or {}).get("layer") or "activation")


def write_values_csv(path: str, result: dict[str, Any]) -> None:
    """The values drawn, one row each with its position: ``channel,row,column,value`` for maps and so on."""
    values = np.asarray(result["values"], dtype=np.float64)
    names = {3: ["channel", "row", "column"], 2: ["time_step", "feature"], 1: ["feature"]}.get(values.ndim, [])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*names, "value"])
        for index in np.ndindex(values.shape):
            writer.writerow([*index, f"{values[index]:.6g}"])
