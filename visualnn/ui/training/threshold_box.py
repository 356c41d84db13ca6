"""The Evaluation tab's decision threshold of a yes/no output: try one, take the best F1, keep it for the run.

The report of a binary output carries its counts at every threshold of :func:`visualnn.core.decision.grid`, so a
threshold is tried here without asking the engine: the tab redraws its confusion matrix and figures from the
counts (:func:`~visualnn.core.decision.confusion_at`). The chart shows the positive class's precision and recall
against the threshold, with the one tried as a line.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from visualnn.core.decision import DEFAULT_THRESHOLD, STEPS, best_f1, describe, grid
from visualnn.ui.training.charts import chart

PRECISION, RECALL = "#4C78A8", "#F58518"
TEST_SPLIT_NOTE = ("Chosen by the test split's figures, a threshold makes them flatter the model: choose it on the "
                   "validation split (Split: val), then read the test split.")


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


class ThresholdBox(QWidget):
    """Spin box, *Best F1*, *Keep for this run*, the rule in words and precision/recall against the threshold."""

    threshold_changed = Signal(float)
    keep_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curve: dict[str, Any] = {}
        self.class_names: list[str] = []
        self.kept = DEFAULT_THRESHOLD
        self.split = "test"
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(2)
        self.spin.setRange(1 / STEPS, 1 - 1 / STEPS)
        self.spin.setSingleStep(1 / STEPS)
        self.spin.setValue(DEFAULT_THRESHOLD)
        self.spin.setToolTip("The second class is predicted where its probability is above this threshold. A lower "
                             "one finds more of that class and raises more false alarms.")
        self.spin.valueChanged.connect(self._on_spin_value_changed)
        self.best_button = QPushButton("Best F1")
        self.best_button.setToolTip("The threshold with the best F1 of the second class on this split.")
        self.best_button.clicked.connect(self._on_best_clicked)
        self.keep_button = QPushButton("Keep for this run")
        self.keep_button.setToolTip("Predictions (the Predict tab, visualnn predict) and exports of this run then "
                                    "decide at this threshold.")
        self.keep_button.clicked.connect(lambda: self.keep_requested.emit(self.threshold()))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The lines are named in their colours above the plot (a title or a legend would take room from the lines in a
        # plot this small).
        self.caption = QLabel()
        self.plot = chart(None, "threshold")
        self.plot.setMinimumSize(240, 110)
        self.plot.setMaximumHeight(130)
        self.plot.setXRange(0.0, 1.0, padding=0.02)
        self.plot.setYRange(0.0, 1.0, padding=0.05)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.precision_line = self.plot.plot([], [], pen=pg.mkPen(PRECISION, width=2), connect="finite", antialias=True)
        self.recall_line = self.plot.plot([], [], pen=pg.mkPen(RECALL, width=2), connect="finite", antialias=True)
        self.marker = pg.InfiniteLine(pos=DEFAULT_THRESHOLD, angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.marker)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel("Decision threshold"), self.spin, self.best_button, self.keep_button):
            row.addWidget(w)
        row.addStretch(1)
        # A band across the top of the classification results: the controls and the rule on the left, the curves on
        # the right (the matrix and the tables below keep their height).
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.addLayout(row)
        words.addWidget(self.summary)
        words.addWidget(self.caption)
        words.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addLayout(words, 3)
        layout.addWidget(self.plot, 2)

    def threshold(self) -> float:
        """The threshold tried (a step of the grid)."""
        return round(self.spin.value(), 2)

    def show_curve(self, classification: dict[str, Any], kept: float, split: str) -> None:
        """Show a binary output's report: its counts, the threshold it was scored at, the one its run keeps."""
        self.curve = dict(classification["curve"])
        self.class_names = [str(n) for n in classification.get("class_names") or []]
        self.kept = float(kept)
        self.split = split
        ts = grid()
        tp, fp, fn = self.curve["tp"], self.curve["fp"], self.curve["fn"]
        name = self.class_names[1] if len(self.class_names) > 1 else "1"
        self.precision_line.setData(ts, [_ratio(tp[i], tp[i] + fp[i]) for i in range(len(ts))])
        self.recall_line.setData(ts, [_ratio(tp[i], tp[i] + fn[i]) for i in range(len(ts))])
        self.caption.setText(f"<span style='color:{PRECISION}'>precision</span> and <span style='color:{RECALL}'>"
                             f"recall</span> of {escape(repr(name))} by threshold (dashed: the one tried)")
        with QSignalBlocker(self.spin):
            self.spin.setValue(float(classification.get("threshold", DEFAULT_THRESHOLD)))
        self._refresh()

    def set_threshold(self, value: float) -> None:
        """Try ``value`` as a person typing it would (the figures follow)."""
        self.spin.setValue(value)

    def _on_spin_value_changed(self, _value: float) -> None:
        self._refresh()
        self.threshold_changed.emit(self.threshold())

    def _on_best_clicked(self) -> None:
        if self.curve:
            self.spin.setValue(best_f1(self.curve))

    def _refresh(self) -> None:
        t = self.threshold()
        self.marker.setPos(t)
        parts = [describe(t, self.class_names)]
        auc = self.curve.get("roc_auc")
        if auc is not None:
            parts.append(f"ROC AUC {auc:.3f}")
        parts.append(f"this run keeps {self.kept:g}" if self.kept != DEFAULT_THRESHOLD
                     else f"this run decides at the default {DEFAULT_THRESHOLD:g}")
        text = " · ".join(parts) + "."
        if self.split == "test":
            text += f"\n⚠ {TEST_SPLIT_NOTE}"
        self.summary.setText(text)
        self.keep_button.setEnabled(bool(self.curve) and t != self.kept)


__all__ = ["TEST_SPLIT_NOTE", "ThresholdBox"]
