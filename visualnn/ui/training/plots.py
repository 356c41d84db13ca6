"""Live training curves (pyqtgraph): one plot per metric plus the learning rate.

A model with several outputs reports ``loss`` (the weighted total), ``<output>_loss`` and
``<output>_<metric>`` (and ``val_`` versions): the total loss keeps its plot, the outputs' own losses
share a "loss per output" plot, and each metric has one plot with a curve per output that reports it;
the legend names the output and one colour marks each output in every plot.

Messages append to numpy buffers; a QTimer pushes ONE plot's dirty curves per tick (one ``setData``
per curve) to persistent items, so the plot cost depends neither on the batch rate nor on the number of
plots: at most :data:`TICK_HZ` plot refreshes a second. The window sets each plot's axis ranges itself
and changes them only when a point falls outside: the y axis grows with some headroom, the x axis in
steps of 1, 1.5, 2, 3, 5, 7.5, 10 ... epochs (pyqtgraph's autorange recomputed the bounds and re-laid
out both axes, a second paint, on every update).
Panning or zooming a plot hands its range to the user until the next run.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from functools import partial
from math import ceil, floor, log10
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from visualnn.ui import theme
from visualnn.ui.training.charts import chart
from visualnn.ui.training.hints import LR_KEYS, OUTPUT_LOSS, base_metric, outputs_in, place, record_epoch
from visualnn.ui.training.hints import finite_or_none as _num

TICK_HZ = 10  # the timer refreshes ONE plot per tick: at most 10 plot repaints a second, whatever the batch rate
REDRAW_HZ = TICK_HZ
Y_HEADROOM = 0.1  # share of the data's span added above and below when a y range has to grow
X_MARGIN = 0.05  # share of the x range beside the first and last epoch, so their markers are whole
SMOOTHING = 0.8
SYMBOL_LIMIT = 500  # above this many points a curve drops its markers
ANTIALIAS_LIMIT = 5000  # above this many points a curve is drawn without antialiasing  # EMA factor for per-batch curves
COLOURS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2", "#9D755D", "#EECA3B")


class Series:
    """A growable pair of float arrays (amortised O(1) append, zero-copy views for setData)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0
        self.bounds = _NO_BOUNDS  # (x min, x max, y min, y max) of the points so far

    def append(self, x: float, y: float) -> None:
        """Add one point."""
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty(len(self.x))])
            self.y = np.concatenate([self.y, np.empty(len(self.y))])
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1
        x0, x1, y0, y1 = self.bounds
        self.bounds = (min(x0, x), max(x1, x), min(y0, y), max(y1, y))

    def extend(self, xs: Any, ys: Any) -> None:
        """Add many points at once."""
        xs = np.asarray(xs, dtype=float)
        ys = np.asarray(ys, dtype=float)
        need = self.n + len(xs)
        if need > len(self.x):
            size = max(need, 2 * len(self.x))
            self.x = np.concatenate([self.x[: self.n], np.empty(size - self.n)])
            self.y = np.concatenate([self.y[: self.n], np.empty(size - self.n)])
        self.x[self.n:need] = xs
        self.y[self.n:need] = ys
        self.n = need
        if len(xs):
            x0, x1, y0, y1 = self.bounds
            self.bounds = (min(x0, float(xs.min())), max(x1, float(xs.max())),
                           min(y0, float(ys.min())), max(y1, float(ys.max())))

    def view(self) -> tuple[Any, Any]:
        """The filled part."""
        return self.x[: self.n], self.y[: self.n]

    def clear(self) -> None:
        """Forget all points."""
        self.n = 0
        self.bounds = _NO_BOUNDS


_NO_BOUNDS = (math.inf, -math.inf, math.inf, -math.inf)


__all__ = ["OUTPUT_LOSS", "MetricPlots", "Series", "base_metric", "curve_id", "place"]

PLOT_COLUMNS = 3  # loss, a metric and the learning rate side by side in the short bottom dock
PLOT_MIN_HEIGHT = 170
OUTPUT_LEGEND_COLUMNS = 2  # a plot of several outputs: each output's train and val curves on one line
LEGEND_COLUMNS = 3  # training, validation and batches on one line above the curves
LABEL_PX = 28  # room one tick label needs on a vertical axis: fewer ticks than this allows never stack
ROLE_NAMES = {"batch": "batches", "train": "train", "val": "val"}  # Keras's words, short: one line over a plot


class LogAxis(pg.AxisItem):
    """A log-scale axis whose ticks read: decades when the range spans them, else 1-2-5 steps or plain
    linear steps, each label the value itself (0.005, 1e-05), never a stack of minor labels."""

    def logTickValues(self, minVal: float, maxVal: float, size: float,  # noqa: N802, N803 (pyqtgraph's names)
                      stdTicks: Any) -> list[tuple[float, list[float]]]:  # noqa: N803
        """Tick positions (log10 of the values) for the range ``minVal``..``maxVal`` over ``size`` pixels."""
        return [(1.0, log_ticks(minVal, maxVal, size))]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """Each tick's value in plain numbers: 0.001, 0.005, 1e-05."""
        return [f"{10.0 ** v * scale:.3g}" for v in values]


def log_ticks(low: float, high: float, pixels: float) -> list[float]:
    """Tick positions in log10 space for an axis showing 10**low .. 10**high over ``pixels``: at least two
    where the range allows, one label per :data:`LABEL_PX`, none so close to an end that its label is cut."""
    low, high = sorted((low, high))
    room = max(2, int(pixels // LABEL_PX))
    margin = (high - low) * (LABEL_PX / 2) / max(pixels, 1.0)
    lo_in, hi_in = low + margin, high - margin
    decades = [float(k) for k in range(ceil(lo_in), floor(hi_in) + 1)] if lo_in <= hi_in else []
    if len(decades) >= 2:
        return decades[::ceil(len(decades) / room)]
    for mantissas in ((1, 5), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        values = [k + log10(m) for k in range(floor(low), ceil(high) + 1) for m in mantissas]
        inside = [v for v in values if lo_in <= v <= hi_in]
        if len(inside) > room:
            break
        if len(inside) >= 2:
            return inside
    # Less than a factor of about two: plain steps of 1, 2 or 5 units in value space.
    lo, hi = 10.0 ** lo_in, 10.0 ** hi_in
    if not hi > lo:
        return [(low + high) / 2]
    for unit in (10.0 ** floor(log10((hi - lo) / room)) * f for f in (1, 2, 5, 10, 20, 50)):
        ticks = [k * unit for k in range(ceil(lo / unit), floor(hi / unit) + 1)]
        if len(ticks) <= room:
            return [log10(t) for t in ticks if t > 0]
    return [(low + high) / 2]


class MetricPlots(QWidget):
    """A grid of plots: loss, each metric (train solid, validation dashed, batches thin), learning rate."""

    def __init__(self, parent: QWidget | None = None, redraw_hz: int = REDRAW_HZ) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        for column in range(PLOT_COLUMNS):  # equal columns: a plot's long legend must not push the last one out
            self._grid.setColumnStretch(column, 1)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.series: dict[tuple[str, str], Series] = {}  # (metric, "batch"|"train"|"val") -> points
        self._items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._ema: dict[str, tuple[float, int]] = {}  # metric -> (biased EMA, samples)
        self._prefixes: list[str] = []
        self.outputs: list[str] = []  # a model with several outputs: their names (log keys are parsed with them)
        self._readouts: list[_HoverReadout] = []
        self.epoch_history: dict[str, list[float]] = {}
        # Plots whose range the window keeps (until the user pans or zooms one) and the ranges it set.
        self._managed: set[str] = set()
        self._ranges: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        self.phase_boundary: float | None = None  # two-phase fine-tuning: the epoch phase 2 starts after
        self._markers: dict[str, pg.InfiniteLine] = {}  # metric -> its boundary line
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / redraw_hz))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._turn = 0
        self._timer.start()

    # ---------------------------------------------------------------- data in
    def set_outputs(self, names: Sequence[str]) -> None:
        """The model's output names: with several, the log keys of each output get its curves."""
        self.outputs = list(names) if len(names) > 1 else []

    def prepare(self, metrics: list[str]) -> None:
        """Create the plots and their curves now, so nothing is built while batches stream in."""
        for metric in metrics:
            self._plot_for(metric)
        for metric, role, output in self._planned(metrics):
            self._ensure(metric, role, output=output)

    def _planned(self, metrics: list[str]) -> list[tuple[str, str, str]]:
        """The curves :meth:`prepare` makes for ``metrics``: (metric, role, output)."""
        planned: list[tuple[str, str, str]] = []
        for metric in metrics:
            if metric == "learning rate":
                planned.append((metric, "train", ""))
                continue
            if self.outputs and metric not in ("loss", OUTPUT_LOSS):
                continue  # a metric of some outputs only: its curves come with the first values
            for output in self.outputs if metric == OUTPUT_LOSS else [""]:
                planned.extend((metric, role, output) for role in ("batch", "train", "val"))
        return planned

    def set_phase_boundary(self, epoch: float | None) -> None:
        """Mark where phase 2 of fine-tuning starts (after ``epoch`` epochs) with a dashed vertical line on every
        plot; ``None`` removes the marks."""
        self.phase_boundary = None if epoch is None else float(epoch)
        for metric, line in list(self._markers.items()):
            self.plots[metric].removeItem(line)
        self._markers.clear()
        if self.phase_boundary is not None:
            for metric in self.plots:
                self._mark(metric)

    def _mark(self, metric: str) -> None:
        pen = pg.mkPen(theme.muted_text_color(), width=1.2, style=Qt.PenStyle.DashLine)
        line = pg.InfiniteLine(pos=self.phase_boundary, angle=90, movable=False, pen=pen, label="fine-tuning",
                               labelOpts={"position": 0.92, "color": theme.muted_text_color(), "anchors": [(0, 0), (0, 0)]})
        line.setToolTip("Phase 2 of fine-tuning starts here: the top of the frozen layers is unfrozen and the learning "
                        "rate lowered.")
        self.plots[metric].addItem(line, ignoreBounds=True)
        self._markers[metric] = line

    def _learn_outputs(self, keys: Sequence[str]) -> None:
        """Outputs named by the logs themselves (a finished run's history, messages of a run started elsewhere)."""
        for name in outputs_in(keys):
            if name not in self.outputs:
                self.outputs.append(name)

    def reset(self, metrics: list[str], outputs: Sequence[str] = ()) -> None:
        """Empty plots for ``metrics`` only: curves are removed, plots of other metrics (an earlier project's
        or an earlier run's settings) go away. ``outputs``: the model's output names.

        Training again with the same plots keeps their curves and only empties them: removing and
        re-creating the items and their legend entries froze the window for 50-250 ms at every Train."""
        wanted = list(outputs) if len(outputs) > 1 else []
        if list(self.plots) == list(metrics) and self.outputs == wanted and not self._prefixes:
            self._empty_curves(metrics)
            for metric, plot in self.plots.items():  # the first points set each range afresh, a plot a tick
                plot.disableAutoRange()
                self._managed.add(metric)
                self._ranges.pop(metric, None)
            self.prepare(metrics)  # any curve not kept
            return
        self.clear()
        self.set_outputs(outputs)
        for metric in [m for m in self.plots if m not in metrics]:
            plot = self.plots.pop(metric)
            self._readouts = [r for r in self._readouts if r.plot is not plot]
            self._grid.removeWidget(plot)
            plot.deleteLater()
        for n, (metric, plot) in enumerate(self.plots.items()):  # close the gaps; forget the last run's ranges
            self._grid.addWidget(plot, n // PLOT_COLUMNS, n % PLOT_COLUMNS)
            self._manage_range(metric, plot)
        self.prepare(metrics)

    def _empty_curves(self, metrics: list[str]) -> None:
        """Empty the curves a run of ``metrics`` starts with; remove the others (and any whose style a long
        run changed: markers or antialiasing dropped)."""
        keep = {(metric, curve_id(role, output)) for metric, role, output in self._planned(metrics)}
        for key, item in list(self._items.items()):
            restyled = item.opts.get("antialias") is False or (
                item.opts.get("symbol") is None and not key[1].endswith("batch"))
            if key in keep and not restyled:
                self.series[key].clear()
                self._dirty.add(key)  # emptied on screen by the timer, a plot a tick
                continue
            self.plots[key[0]].removeItem(item)
            del self._items[key]
            self.series.pop(key, None)
        self._dirty &= set(self._items)
        self._ema.clear()
        self.epoch_history = {}
        self.set_phase_boundary(None)

    def clear(self) -> None:
        """Remove every curve (a new run starts); the plots stay, ready for the next run."""
        for (metric, _role), item in self._items.items():
            self.plots[metric].removeItem(item)
        self.series.clear()
        self._items.clear()
        self._dirty.clear()
        self._ema.clear()
        self._prefixes.clear()
        self.epoch_history = {}
        self.outputs = []
        self.set_phase_boundary(None)

    def add_batch(self, epoch: int, batch: int, batches: int | None, logs: dict[str, Any]) -> None:
        """A batch report: ``epoch`` is 1-based; x is the fractional epoch."""
        x = (epoch - 1) + (batch / batches if batches else 0.0)
        self._learn_outputs(list(logs))
        for key, value in logs.items():
            v = _num(value)
            if v is None or key.startswith("val_") or key in LR_KEYS:
                continue
            # Debiased EMA (as TensorBoard): no lag towards the first value at the start of a run.
            ema, n = self._ema.get(key, (0.0, 0))
            ema, n = SMOOTHING * ema + (1 - SMOOTHING) * v, n + 1
            self._ema[key] = (ema, n)
            metric, output, _ = place(key, self.outputs)
            self._point(metric, "batch", x, ema / (1 - SMOOTHING**n), output)

    def add_epoch(self, epoch: int, logs: dict[str, Any], lr: float | None = None) -> None:
        """An epoch report (1-based epoch); ``lr`` feeds the learning-rate plot."""
        record_epoch(self.epoch_history, logs, lr)
        self._learn_outputs(list(logs))
        for key, value in logs.items():
            v = _num(value)
            if v is None or key in LR_KEYS:
                continue
            metric, output, is_val = place(key, self.outputs)
            self._point(metric, "val" if is_val else "train", float(epoch), v, output)
        if lr is not None and (v := _num(lr)) is not None:
            self._point("learning rate", "train", float(epoch), v)

    def load_history(self, history: Mapping[str, Sequence[float | None]], prefix: str = "") -> None:
        """Show a finished run's per-epoch history (runs panel, reopened projects)."""
        self._learn_outputs(list(history))
        for key, values in history.items():
            metric, output, is_val = place(key, self.outputs)
            pts = [(i + 1.0, float(v)) for i, v in enumerate(values) if v is not None and math.isfinite(float(v))]
            if not pts:
                continue
            xs, ys = zip(*pts, strict=True)
            curve = curve_id("val" if is_val else "train", output, prefix)
            self._ensure(metric, "val" if is_val else "train", prefix, output)
            self.series[(metric, curve)].extend(xs, ys)
            self._dirty.add((metric, curve))
        self.redraw()

    def _point(self, metric: str, role: str, x: float, y: float, output: str = "") -> None:
        self._ensure(metric, role, output=output)
        key = (metric, curve_id(role, output))
        self.series[key].append(x, y)
        self._dirty.add(key)

    # ---------------------------------------------------------------- items
    def _plot_for(self, metric: str) -> pg.PlotWidget:
        plot = self.plots.get(metric)
        if plot is None:
            axes = {"left": LogAxis("left")} if metric == "learning rate" else None
            plot = chart(axisItems=axes)
            for axis in ("left", "bottom"):
                # Grid lines at major ticks only: minor-level grid lines cost more to paint than 300k points.
                plot.getAxis(axis).setStyle(maxTickLevel=0)
                plot.getAxis(axis).enableAutoSIPrefix(False)  # "accuracy (x0.001)" reads worse than 0.8
            plot.setLabel("bottom", "epoch")
            plot.setLabel("left", f"<b>{metric}</b>")
            _legend_above(plot.getPlotItem())
            if metric == "learning rate":
                plot.setLogMode(y=True)  # schedules span decades; a constant 0.002 reads as 0 on a linear axis
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            self._manage_range(metric, plot)
            plot.getPlotItem().getViewBox().sigRangeChangedManually.connect(partial(self._on_user_range, metric))
            n = len(self.plots)
            plot.setMinimumHeight(PLOT_MIN_HEIGHT)  # a squashed plot shows no curve at all
            # The width follows the grid's columns, never the legend's size hint (several outputs' legends
            # are wide, and the third plot of a row was cut off at the panel's edge).
            plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
            self._grid.addWidget(plot, n // PLOT_COLUMNS, n % PLOT_COLUMNS)
            self.plots[metric] = plot
            self._readouts.append(_HoverReadout(plot, self, metric))  # kept alive: Qt holds the slot weakly
            if self.phase_boundary is not None:
                self._mark(metric)
        return plot

    def colour(self, metric: str) -> str:
        """The metric's colour (stable by first appearance)."""
        order = list(self.plots)
        return COLOURS[(order.index(metric) if metric in order else len(order)) % len(COLOURS)]

    def output_colour(self, output: str) -> str:
        """An output's colour in every plot (by model order; the total loss keeps the first colour)."""
        index = self.outputs.index(output) if output in self.outputs else len(self.outputs)
        return COLOURS[(index + 1) % len(COLOURS)]

    def curve(self, metric: str, role: str, output: str = "") -> Series:
        """The points of one curve: ``role`` is batch, train or val; ``output`` names a model output."""
        return self.series[(metric, curve_id(role, output))]

    def _ensure(self, metric: str, role: str, prefix: str = "", output: str = "") -> None:
        key = (metric, curve_id(role, output, prefix))
        if key in self._items:
            return
        plot = self._plot_for(metric)
        if prefix:  # overlaid runs: one colour per run, the same in every plot
            if prefix not in self._prefixes:
                self._prefixes.append(prefix)
            colour = pg.mkColor(COLOURS[self._prefixes.index(prefix) % len(COLOURS)])
        elif output:  # one colour per output, the same in every plot
            colour = pg.mkColor(self.output_colour(output))
        else:
            colour = pg.mkColor(self.colour(metric))
        name: str | None = ROLE_NAMES[role]  # the plot's title names the metric
        if output:  # "kind" (train, solid) and "kind val" (dashed); the total loss's legend explains the rest
            name = {"train": output, "val": f"{output} val"}.get(role)
            plot.getPlotItem().legend.setColumnCount(OUTPUT_LEGEND_COLUMNS)
        if prefix and name is not None:
            name = f"{prefix.rstrip(':')} {name}"
        if role == "batch":
            colour.setAlpha(110)
            item = plot.plot(pen=pg.mkPen(colour, width=1), name=name, skipFiniteCheck=True)
        elif role == "train":
            item = plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6, symbolBrush=colour,
                             symbolPen=None, name=name, skipFiniteCheck=True)
        else:
            item = plot.plot(pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine), symbol="t", symbolSize=7,
                             symbolBrush=colour, symbolPen=None, name=name, skipFiniteCheck=True)
        item.opts["autoDownsampleFactor"] = 1.0  # about one point per pixel column: no visible loss, 5x less drawing
        self._items[key] = item
        self.series.setdefault(key, Series())

    # ---------------------------------------------------------------- ranges
    def _manage_range(self, metric: str, plot: pg.PlotWidget) -> None:
        """The window sets this plot's range from now on (a new run, or a new plot)."""
        plot.disableAutoRange()
        plot.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)
        self._managed.add(metric)
        self._ranges.pop(metric, None)

    def _on_user_range(self, metric: str, *_: Any) -> None:
        self._managed.discard(metric)  # the user panned or zoomed: the range is theirs until the next run

    def _fit_range(self, metric: str) -> None:
        """Grow the plot's range to hold every point; leave it alone while they fit (no axis re-layout)."""
        plot = self.plots.get(metric)
        if plot is None or metric not in self._managed:
            return
        vb = plot.getPlotItem().getViewBox()
        if any(vb.state["autoRange"]):  # the user pressed the plot's "A" button: pyqtgraph follows the data
            self._managed.discard(metric)
            return
        bounds = [s.bounds for (m, _), s in self.series.items() if m == metric and s.n]
        if not bounds:
            return
        x_hi = nice_ceiling(max(b[1] for b in bounds))  # 1, 2, 3, 5, 7.5, 10, 15 ... epochs: a few steps a run
        y_lo, y_hi = min(b[2] for b in bounds), max(b[3] for b in bounds)
        if plot.getPlotItem().ctrl.logYCheck.isChecked():  # the learning rate: the view holds log10 values
            if y_lo <= 0:
                return
            y_lo, y_hi = math.log10(y_lo), math.log10(y_hi)
        old = self._ranges.get(metric)
        x_range = (-X_MARGIN * x_hi, x_hi * (1 + X_MARGIN))
        if old is not None and old[1][0] <= y_lo and y_hi <= old[1][1]:
            y_range = old[1]
        else:
            pad = Y_HEADROOM * max(y_hi - y_lo, abs(y_hi) * 0.2, 1e-9)  # a first point gets room to move too
            y_range = (y_lo - pad, y_hi + pad)
        if old == (x_range, y_range):
            return
        self._ranges[metric] = (x_range, y_range)
        vb.setRange(xRange=x_range, yRange=y_range, padding=0.0)

    def _on_timer_timeout(self) -> None:
        # One plot per tick spreads the painting: the UI never blocks for all plots at once.
        metrics = sorted({m for m, _ in self._dirty}, key=list(self.plots).index)
        if not metrics:
            return
        self._turn = (self._turn + 1) % len(metrics)
        self.redraw(metrics[self._turn])

    def redraw(self, metric: str | None = None) -> None:
        """Push dirty series (of one ``metric``, or all) to their curves; cheap when nothing changed."""
        if not self._dirty:
            return
        dirty = {k for k in self._dirty if metric is None or k[0] == metric}
        self._dirty -= dirty
        for name in {m for m, _ in dirty}:
            self._fit_range(name)
        for key in dirty:
            x, y = self.series[key].view()
            item = self._items[key]
            if len(x) > SYMBOL_LIMIT and item.opts.get("symbol") is not None:
                # Thousands of markers cost far more than the line and show nothing more.
                item.setSymbol(None)
            if len(x) > ANTIALIAS_LIMIT and item.opts.get("antialias", True):
                # Antialiased, wide polylines are Qt's slow path; thin aliased ones stay cheap at any length.
                pen = pg.mkPen(item.opts["pen"])
                pen.setWidth(1)
                item.setData(x, y, pen=pen, antialias=False)  # one setData per curve per tick
                continue
            item.setData(x, y)

    # ---------------------------------------------------------------- export
    def export_png(self, metric: str, path: str) -> None:
        """Save one plot as a PNG image."""
        from pyqtgraph.exporters import ImageExporter

        ImageExporter(self.plots[metric].getPlotItem()).export(path)

    def export_csv(self, path: str) -> None:
        """Save the per-epoch history (one column per metric)."""
        keys = list(self.epoch_history)
        n = max((len(v) for v in self.epoch_history.values()), default=0)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", *keys])
            for i in range(n):
                row = [self.epoch_history[k][i] if i < len(self.epoch_history[k]) else "" for k in keys]
                writer.writerow([i + 1, *row])


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7.5 times a power of ten (at least 1) that holds ``value``."""
    if not value > 1.0:
        return 1.0
    decade = 10.0 ** floor(log10(value))
    return next(m * decade for m in (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0) if m * decade >= value - 1e-9)


def curve_id(role: str, output: str = "", prefix: str = "") -> str:
    """A curve's key within its plot: ``train``, ``kind/val``, ``r1:score/train`` (run prefix, output, role)."""
    return f"{prefix}{output}/{role}" if output else prefix + role


def _legend_above(item: pg.PlotItem) -> None:
    """Put the plot's legend in the title row above the curves, where it never covers one.

    The left axis names the metric, so the legend row needs no title and fits a third of the dock's width.
    """
    legend = pg.LegendItem(colCount=LEGEND_COLUMNS, horSpacing=6, frame=False, labelTextSize="8pt")
    item.layout.removeItem(item.titleLabel)
    item.titleLabel.hide()
    item.layout.addItem(legend, 0, 0, 1, 3)  # over the axes too: the whole width for the legend's line
    item.layout.setRowMinimumHeight(0, 0)
    item.layout.setRowMaximumHeight(0, 80)
    item.legend = legend  # plot(name=...) adds each curve to it


class _HoverReadout:
    """Shows the nearest epoch's values of a plot under the mouse."""

    def __init__(self, plot: pg.PlotWidget, owner: MetricPlots, metric: str) -> None:
        self.plot = plot
        self.owner = owner
        self.metric = metric
        self.label = pg.TextItem(anchor=(0, 1), color="#888")
        self.label.setZValue(10)
        plot.addItem(self.label, ignoreBounds=True)
        plot.scene().sigMouseMoved.connect(self.on_moved)

    def on_moved(self, pos: Any) -> None:
        """Update the readout for the mouse position (scene coordinates)."""
        vb = self.plot.getPlotItem().vb
        if not self.plot.sceneBoundingRect().contains(pos):
            self.label.setText("")
            return
        point = vb.mapSceneToView(pos)
        parts = []
        for (metric, curve), series in self.owner.series.items():
            if metric != self.metric or curve.endswith("batch") or series.n == 0:
                continue
            x, y = series.view()
            i = int(np.argmin(np.abs(x - point.x())))
            parts.append(f"{curve.replace('/', ' ')} {y[i]:.4g} (epoch {x[i]:g})")
        self.label.setText("   ".join(parts))
        self.label.setPos(point.x(), point.y())

