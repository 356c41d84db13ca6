"""One factory for the window's pyqtgraph charts, so they all look alike.

pyqtgraph draws on black by default; the Evaluation tab's regression charts kept that default and stood out,
black, among light panels and the white training curves. Every chart is made here instead.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg


def chart(title: str | None = None, bottom: str = "", left: str = "", grid: bool = True, **kwargs: Any) -> pg.PlotWidget:
    """A plot on the window's own background with a light grid and its axes labelled (``kwargs``: pyqtgraph's,
    ``axisItems`` say)."""
    plot = pg.PlotWidget(title=title, **kwargs)
    plot.setBackground(None)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.25)
    if bottom:
        plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)
    return plot


__all__ = ["chart"]
