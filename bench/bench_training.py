"""Training benchmarks: runner overhead vs plain model.fit, plot redraw cost.

(The UI's event-loop lag while training is measured in bench/bench_ui.py, on the real main window with its
automatic evaluation.)

Run: ``.venv/bin/python bench/bench_training.py [--quick] [--only overhead|plot]``
Each figure is printed with its goal beside it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _report(name: str, value: float, goal: str, ok: bool, unit: str = "") -> None:
    print(f"{name:<52} {value:10.3f}{unit:<3} goal {goal:<10} {'PASS' if ok else 'MISS'}", flush=True)


# ----------------------------------------------------------------------- overhead
def _mlp_case(rows: int) -> tuple[Any, Any, Any]:
    import numpy as np

    from visualnn.core.graph import Edge, Graph, Node

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 20)).astype("float32")
    y = ((x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)).astype("int32")
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [20]}))
    g.add_node(Node("dense_1", "Dense", {"units": 64, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": 64, "activation": "relu"}))
    g.add_node(Node("dense_3", "Dense", {"units": 3, "activation": "softmax"}))
    for a, b in (("input_1", "dense_1"), ("dense_1", "dense_2"), ("dense_2", "dense_3")):
        g.connect(Edge.of(a, b))
    return g, x, y


def _cnn_case(rows: int) -> tuple[Any, Any, Any]:
    import numpy as np

    from visualnn.core.graph import Edge, Graph, Node

    rng = np.random.default_rng(0)
    x = rng.random(size=(rows, 28, 28, 1)).astype("float32")
    y = (x[:, :14, :, 0].mean(axis=(1, 2)) > 0.5).astype("int32") + (x[:, :, :14, 0].mean(axis=(1, 2)) > 0.5)
    g = Graph()
    nodes = [("input_1", "Input", {"shape": [28, 28, 1]}),
             ("conv2d_1", "Conv2D", {"filters": 16, "kernel_size": [3, 3], "activation": "relu"}),
             ("max_pooling2d_1", "MaxPooling2D", {}),
             ("conv2d_2", "Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
             ("max_pooling2d_2", "MaxPooling2D", {}),
             ("flatten_1", "Flatten", {}),
             ("dense_1", "Dense", {"units": 3, "activation": "softmax"})]
    for nid, typ, params in nodes:
        g.add_node(Node(nid, typ, params))
    for (a, *_), (b, *_) in zip(nodes, nodes[1:], strict=False):
        g.connect(Edge.of(a, b))
    return g, x, y.astype("int32")


def bench_overhead(name: str, case: Any, rows: int, batch: int, epochs: int, repeats: int) -> float:
    """Median wall time of the runner's fit (callbacks + protocol encoding) over plain ``model.fit``."""
    import keras

    from visualnn.core.protocol import Message, encode
    from visualnn.core.training_config import TrainingConfig
    from visualnn.services.keras_builder import build_model
    from visualnn.services.training import fit_model
    from visualnn.services.training_common import compile_model
    from visualnn.services.training_data import from_arrays

    graph, x, y = case(rows)
    cfg = TrainingConfig(epochs=epochs, batch_size=batch, metrics=("accuracy",), terminate_on_nan=True)
    data = from_arrays(x, y, batch, seed=0, val_fraction=0.0, shuffle=False)
    sink_stream = io.StringIO()

    def sink(kind: str, payload: dict[str, Any]) -> None:
        sink_stream.write(encode(Message("j", kind, payload)))  # what the engine does with every message

    def fresh() -> Any:
        keras.utils.set_random_seed(0)
        model = build_model(graph)
        compile_model(model, cfg)
        model.fit(data.train.take(2), epochs=1, verbose=0, shuffle=False)  # trace the train function outside the timing
        return model

    plain, runner = [], []
    for _ in range(repeats):  # interleaved so drift in machine load hits both sides alike
        model = fresh()
        t = time.perf_counter()
        model.fit(data.train, epochs=epochs, verbose=0, shuffle=False)
        plain.append(time.perf_counter() - t)
        model = fresh()
        t = time.perf_counter()
        fit_model(model, data, cfg, sink)
        runner.append(time.perf_counter() - t)
    ratio = statistics.median(runner) / statistics.median(plain)
    best = min(runner) / min(plain)  # on a shared machine the fastest runs show the intrinsic cost best
    print(f"  {name}: plain {statistics.median(plain):.3f} s, runner {statistics.median(runner):.3f} s "
          f"(runs: plain {[round(v, 3) for v in plain]}, runner {[round(v, 3) for v in runner]}; "
          f"best-of ratio {best:.3f}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    _report(f"training overhead ratio (median), {name}", ratio, "<= 1.03", ratio <= 1.03)
    return ratio


# ----------------------------------------------------------------------- plot redraw
def bench_plot(points: int, repeats: int) -> float:
    """Time to push and render three 100k-point curves (setData + paint)."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from visualnn.ui.training.plots import MetricPlots

    app = QApplication.instance() or QApplication([])
    plots = MetricPlots(redraw_hz=1)
    plots.resize(1200, 700)
    plots.show()
    xs = np.linspace(0, 100, points)
    plots.series.clear()
    for role in ("batch", "train", "val"):
        plots._ensure("loss", role)
        plots.series[("loss", role)].extend(xs, np.exp(-xs / 30) + np.random.default_rng(1).normal(0, 0.01, points))
    times, cpu = [], []
    for i in range(repeats):
        for role in ("batch", "train", "val"):
            s = plots.series[("loss", role)]
            s.y[: s.n] += 1e-4 * (i + 1)
            plots._dirty.add(("loss", role))
        t, c = time.perf_counter(), time.process_time()
        plots.redraw()
        app.processEvents()  # runs the one scheduled paint of the plot
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    median = statistics.median(times[1:])
    print(f"  plot: CPU time per redraw {statistics.median(cpu[1:]):.1f} ms (wall includes waiting for a CPU; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    _report(f"plot redraw, 3 curves x {points:,} points (ms)", median, "<= 16", median <= 16, " ms")
    return median


def main() -> int:
    """Run the chosen benchmarks."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller data and fewer repeats (CI smoke run)")
    ap.add_argument("--only", choices=("overhead", "plot"))
    args = ap.parse_args()
    q = args.quick
    if args.only in (None, "plot"):
        bench_plot(100_000, 5 if q else 15)
    if args.only in (None, "overhead"):
        bench_overhead("MLP, 100k-row table", _mlp_case, 20_000 if q else 100_000, 256, 2, 3 if q else 5)
        bench_overhead("small CNN, 28x28 images", _cnn_case, 2_000 if q else 10_000, 64, 1, 3 if q else 5)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: PySide6/pyqtgraph objects can crash while being collected


if __name__ == "__main__":
    sys.exit(main())
