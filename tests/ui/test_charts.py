"""Every chart in the window is drawn on the window's own background: the Evaluation tab's regression charts kept
pyqtgraph's black default and stood out, black, among the light panels and the white training curves."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

from visualnn.ui.app import Shell


def test_no_chart_in_the_window_is_drawn_on_black(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.training_panel.plots.prepare(["loss", "accuracy", "learning rate"])
    charts = window.findChildren(pg.PlotWidget)
    evaluation = window.evaluation_panel
    assert {evaluation.scatter, evaluation.residuals} <= set(charts) and len(charts) >= 6
    assert [c for c in charts if c.backgroundBrush().style() != Qt.BrushStyle.NoBrush] == []
    evaluation.scatter.resize(300, 200)
    corner = evaluation.scatter.grab().toImage().pixelColor(150, 100)  # the plot area, as it is painted
    assert corner.lightness() > 200, corner.name()
