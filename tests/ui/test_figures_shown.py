"""Numbers shown in the window: a predicted price keeps its digits, and a permutation-importance figure is not cut
off at the panel's edge (a fixed 80 px after the longest bar cut '+151,721.8' to '+151,721.77')."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from visualnn.ui.app import Shell
from visualnn.ui.insight.drawing import paint_importance


def test_a_predicted_price_keeps_its_digits(shell: Shell) -> None:
    panel = shell.window.predict_panel
    panel.show_result({"task": "regression", "run_id": "run-1", "predictions": [{"values": [533_312.44]},
                                                                              {"values": [0.125]}]})
    assert [panel.table.item(r, 1).text() for r in range(2)] == ["533,312.4", "0.125"]


def test_the_largest_importance_figure_fits_beside_its_bar(shell: Shell) -> None:
    image = QImage(500, 120, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    rows = [{"column": "area", "drop": 151_721.7766, "std": 1.0}, {"column": "age", "drop": 8120.65, "std": 1.0}]
    paint_importance(painter, QRectF(0, 0, 496, 120), rows, "increase in mae")
    painter.end()
    inked = [x for x in range(500) if any(image.pixelColor(x, y).name() != "#ffffff" for y in range(20, 50))]
    assert 440 < max(inked) < 494, max(inked)  # the first row's bar and figure reach across, and end inside it
