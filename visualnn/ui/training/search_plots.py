"""The Search view's plots (pyqtgraph): best so far, parallel coordinates of parameters vs the metric, and
parameter importance as the engine computed it (Optuna's fANOVA)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTabWidget, QWidget

from visualnn.ui import theme
from visualnn.ui.training.charts import chart
from visualnn.ui.training.search_rows import TrialRow, best_so_far, parallel_lines, pareto_front

VALUE_COLOR = "#8E9AAF"
BEST_COLOR = theme.ACCENT


def _plot(title: str, bottom: str, left: str) -> pg.PlotWidget:
    plot = chart(title, bottom, left)
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)  # accuracies and shares stay as they are, never "x0.001"
    return plot


def _ramp(t: float, good_high: bool) -> QColor:
    """Bad trials grey-blue, good ones warm: t is the metric's place on its axis (0..1)."""
    good = t if good_high else 1.0 - t
    low, high = QColor("#5B8DEF"), QColor("#F2994A")
    return QColor(int(low.red() + (high.red() - low.red()) * good), int(low.green() + (high.green() - low.green()) * good),
                  int(low.blue() + (high.blue() - low.blue()) * good), 200)


def _steps(xs: Sequence[int], best: Sequence[float]) -> tuple[list[float], list[float]]:
    """The best-so-far curve as steps: it only moves at a trial that improved on every earlier one."""
    out_x: list[float] = []
    out_y: list[float] = []
    for i, (x, y) in enumerate(zip(xs, best, strict=True)):
        if i:
            out_x.append(float(x))
            out_y.append(out_y[-1])
        out_x.append(float(x))
        out_y.append(y)
    return out_x, out_y


class SearchPlots(QTabWidget):
    """Four tabs: "Best so far", "Parallel coordinates", "Importance", "Pareto front" (with a second objective)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.best = _plot("", "trial", "metric")
        self.best.addLegend(offset=(-10, 10))
        self.value_points = self.best.plot([], [], pen=None, symbol="o", symbolSize=6, symbolBrush=VALUE_COLOR,
                                           name="trial")
        self.best_curve = self.best.plot([], [], pen=pg.mkPen(BEST_COLOR, width=2), stepMode=None,
                                         name="best so far")
        self.parallel = _plot("", "", "")
        self.parallel.hideAxis("left")  # each vertical axis carries its own value labels
        self.parallel.setMouseEnabled(x=False, y=False)
        self.parallel_lines: list[pg.PlotDataItem] = []
        self.parallel_labels: list[pg.TextItem] = []
        self.importance = _plot("", "importance (share of the metric's variance)", "")
        self.importance.setMouseEnabled(x=False, y=False)
        self.importance_bars: pg.BarGraphItem | None = None
        self.importance_values: dict[str, float] = {}
        self.importance_note = pg.TextItem("Importance shows when a search ends with 4 or more complete trials.",
                                           color=theme.muted_text_color(), anchor=(0, 0))
        self.importance.addItem(self.importance_note)
        self.pareto = _plot("", "parameters", "metric")
        self.pareto.addLegend(offset=(-10, 10))
        self.pareto_points = self.pareto.plot([], [], pen=None, symbol="o", symbolSize=6, symbolBrush=VALUE_COLOR,
                                              name="trial")
        self.pareto_front = self.pareto.plot([], [], pen=pg.mkPen(BEST_COLOR, width=2), symbol="o", symbolSize=8,
                                             symbolBrush=BEST_COLOR, name="Pareto front")
        self.pareto_note = pg.TextItem("Set a second objective (parameter count) in the study settings to search "
                                       "for the best trade-off between the metric and the model's size.",
                                       color=theme.muted_text_color(), anchor=(0, 0))
        self.pareto.addItem(self.pareto_note)
        self.addTab(self.best, "Best so far")
        self.addTab(self.parallel, "Parallel coordinates")
        self.addTab(self.importance, "Importance")
        self.addTab(self.pareto, "Pareto front")

    def show_pareto(self, rows: Sequence[TrialRow], directions: Sequence[str], metric: str) -> None:
        """Every complete trial's (size, metric), and the front no trial beats on both."""
        scored, front = pareto_front(rows, directions)
        self.pareto_points.setData([float(r.values[1] or 0) for r in scored], [float(r.values[0] or 0) for r in scored])
        self.pareto_front.setData([float(r.values[1] or 0) for r in front], [float(r.values[0] or 0) for r in front])
        self.pareto.setLabel("left", metric)
        self.pareto_note.setVisible(not scored)

    def show_trials(self, rows: Sequence[TrialRow], targets: Sequence[str], metric: str, direction: str) -> None:
        """Redraw the best-so-far curve and the parallel coordinates from the trial rows."""
        xs, values, best = best_so_far(rows, direction)
        self.value_points.setData(xs, values)
        self.best_curve.setData(*_steps(xs, best))
        self.best.setLabel("left", metric)
        self.parallel.setTitle(f"each line a complete trial, coloured by {metric}: orange is better" if rows else "")
        for item in [*self.parallel_lines, *self.parallel_labels]:
            self.parallel.removeItem(item)
        self.parallel_lines, self.parallel_labels = [], []
        axes, lines = parallel_lines(rows, targets, metric)
        self.parallel.getAxis("bottom").setTicks([[(i, a.name) for i, a in enumerate(axes)]])
        for i, axis in enumerate(axes):  # the axes themselves, with their value labels
            line = self.parallel.plot([i, i], [0, 1], pen=pg.mkPen(theme.muted_text_color(), width=1))
            self.parallel_lines.append(line)
            for y, label in axis.ticks:
                text = pg.TextItem(label, color=theme.muted_text_color(), anchor=(0, 0.5))
                text.setPos(i + 0.03, y)
                self.parallel.addItem(text)
                self.parallel_labels.append(text)
        ranked = sorted(lines, key=lambda pair: pair[1][-1] if direction == "maximize" else -pair[1][-1])
        for _row, ys in ranked:  # the best trials drawn last, on top
            pen = pg.mkPen(_ramp(ys[-1], direction == "maximize"), width=1.6)
            self.parallel_lines.append(self.parallel.plot(list(range(len(ys))), ys, pen=pen))
        if axes:
            self.parallel.setXRange(-0.35, len(axes) - 0.45, padding=0)
            self.parallel.setYRange(-0.05, 1.05, padding=0)

    def show_importance(self, importance: Mapping[str, float]) -> None:
        """Horizontal bars, most important on top (what the engine sent; nothing when it sent nothing)."""
        self.importance_values = dict(importance)
        if self.importance_bars is not None:
            self.importance.removeItem(self.importance_bars)
            self.importance_bars = None
        self.importance_note.setVisible(not importance)
        if not importance:
            self.importance.getAxis("left").setTicks([[]])
            return
        ordered = sorted(importance.items(), key=lambda kv: kv[1])
        ys = list(range(len(ordered)))
        self.importance_bars = pg.BarGraphItem(x0=0, y=ys, height=0.6, width=[v for _, v in ordered],
                                               brush=QColor(BEST_COLOR), pen=pg.mkPen(None))
        self.importance.addItem(self.importance_bars)
        self.importance.getAxis("left").setTicks([[(y, name) for y, (name, _) in zip(ys, ordered, strict=True)]])
        self.importance.setXRange(0, max(1e-9, max(v for _, v in ordered)) * 1.1, padding=0)
        self.importance.setYRange(-0.6, len(ordered) - 0.4, padding=0)


__all__ = ["SearchPlots"]
