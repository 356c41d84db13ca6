"""Distribution wrapper cost on one device: the ``auto`` strategy path vs plain ``model.fit``.

Scaling efficiency means nothing on a 2-core machine; what must hold everywhere is that choosing a
strategy costs nothing when there is one device. Both sides train the same model on the same
``tf.data`` pipeline; the ``auto`` side goes through ``plan_placement`` (strategy, precision policy,
global batch, dataset preparation) and builds/compiles/fits inside ``place.scope(device)``. Runs
alternate (plain, auto, plain, ...) so machine load hits both alike; the figure is the ratio of
medians.

Run: ``.venv/bin/python bench/bench_distribute.py [--runs 7] [--rows 8000] [--epochs 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

GOAL = 1.03


def _case(rows: int) -> tuple[Any, Any, Any]:
    import numpy as np

    from visualnn.core.graph import Edge, Graph, Node

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 32)).astype("float32")
    y = ((x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)).astype("int32")
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [32]}))
    g.add_node(Node("dense_1", "Dense", {"units": 128, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": 128, "activation": "relu"}))
    g.add_node(Node("dense_3", "Dense", {"units": 3, "activation": "softmax"}))
    for a, b in (("input_1", "dense_1"), ("dense_1", "dense_2"), ("dense_2", "dense_3")):
        g.connect(Edge.of(a, b))
    return g, x, y


def _dataset(x: Any, y: Any, batch: int) -> Any:
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).prefetch(tf.data.AUTOTUNE)


def plain_fit(graph: Any, x: Any, y: Any, batch: int, epochs: int) -> float:
    """Seconds for build + compile + fit with no distribution code at all."""
    import keras
    import tensorflow as tf

    from visualnn.services.keras_builder import build_model

    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    with tf.device("/CPU:0"):
        model = build_model(graph)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(_dataset(x, y, batch), epochs=epochs, verbose=0, shuffle=False)
    return time.perf_counter() - t0


def auto_fit(graph: Any, x: Any, y: Any, batch: int, epochs: int) -> float:
    """Seconds for the same work through the runner's distribution path with strategy ``auto``."""
    import keras

    from visualnn.core.tensors import suggest_output
    from visualnn.core.training_config import TrainingConfig
    from visualnn.services.datasets.prepared import PreparedData
    from visualnn.services.distribute import keep_outputs_float32, plan_placement, reset_precision
    from visualnn.services.keras_builder import build_model

    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    place = plan_placement(TrainingConfig(strategy="auto", mixed_precision="none"), "/CPU:0", batch)
    data = place.prepare_data(PreparedData(
        train=_dataset(x, y, place.global_batch), val=None, test=None, input_shape=(32,), task="classification",
        class_names=["0", "1", "2"], n_outputs=3, stats={}, n_train=len(y), n_val=0, n_test=0,
        transform=lambda raw: raw, suggestion=suggest_output("multiclass", 3)))
    with place.scope("/CPU:0"):
        model = build_model(graph)
        keep_outputs_float32(model)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(data.train, epochs=epochs, verbose=0, shuffle=False)
    reset_precision()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Print the auto/plain wall-time ratio (median of alternating runs) with its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)
    graph, x, y = _case(args.rows)
    plain_fit(graph, x, y, args.batch, 1)  # warm-up: TensorFlow start-up and tracing caches
    auto_fit(graph, x, y, args.batch, 1)
    plain, auto = [], []
    for _ in range(args.runs):
        plain.append(plain_fit(graph, x, y, args.batch, args.epochs))
        auto.append(auto_fit(graph, x, y, args.batch, args.epochs))
    ratio = statistics.median(auto) / statistics.median(plain)
    print(f"plain model.fit   median {statistics.median(plain):7.3f} s  (runs: {', '.join(f'{t:.2f}' for t in plain)})")
    print(f"strategy 'auto'   median {statistics.median(auto):7.3f} s  (runs: {', '.join(f'{t:.2f}' for t in auto)})")
    print(f"{'auto / plain, fastest runs (less load noise)':<40} {min(auto) / min(plain):7.3f}")
    ok = ratio <= GOAL
    print(f"{'auto / plain wall-time ratio':<40} {ratio:7.3f}   goal <= {GOAL}   {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
