"""Freezing benchmark (issue 17): phase 1 of fine-tuning with most layers frozen is faster than training them all.

A small CNN (five convolutions with BatchNormalization, a Dense head) on generated 64x64 images, built by the app's
builder and compiled from the settings table. One copy has every layer before the head frozen with the app's own
"Freeze everything before this layer" command; the baseline copy trains every layer. Epochs alternate between the
two (interleaved, after one warm-up epoch each that is discarded); the figure is the median epoch time over the
rounds. Goal: frozen < all trainable.

Run: ``.venv/bin/python bench/bench_finetune.py [--rounds 5] [--images 512]``. Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visualnn.core.command_base import UndoStack  # noqa: E402
from visualnn.core.freezing import FreezeBefore, frozen_ids  # noqa: E402
from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node  # noqa: E402
from visualnn.core.project import Project  # noqa: E402
from visualnn.core.training_config import TrainingConfig  # noqa: E402


def cnn_graph(size: int) -> Graph:
    """Input -> 5 x (Conv2D, BatchNormalization) with pooling -> GlobalAveragePooling2D -> Dense(64) -> Dense(10)."""
    g = Graph(FUNCTIONAL)
    layers: list[tuple[str, str, dict[str, Any]]] = [("input", "Input", {"shape": [size, size, 3]})]
    for i, filters in enumerate((32, 32, 64, 64, 128)):
        layers.append((f"conv_{i}", "Conv2D", {"filters": filters, "kernel_size": [3, 3], "padding": "same",
                                               "activation": "relu"}))
        layers.append((f"bn_{i}", "BatchNormalization", {}))
        if i in (1, 3):
            layers.append((f"pool_{i}", "MaxPooling2D", {"pool_size": [2, 2]}))
    layers += [("gap", "GlobalAveragePooling2D", {}), ("head", "Dense", {"units": 64, "activation": "relu"}),
               ("classes", "Dense", {"units": 10, "activation": "softmax"})]
    for row, (nid, type_, params) in enumerate(layers):
        g.add_node(Node(nid, type_, params, (0.0, 140.0 * row)))
    for (a, _, _), (b, _, _) in zip(layers, layers[1:], strict=False):
        g.connect(Edge.of(a, b))
    return g


class EpochTimer:
    """Keras callback factory: the wall time of each epoch."""

    @staticmethod
    def make() -> Any:
        import keras

        class Timer(keras.callbacks.Callback):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.times: list[float] = []
                self._t0 = 0.0

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                self._t0 = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                self.times.append(time.perf_counter() - self._t0)

        return Timer()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    from visualnn.services.keras_builder import build_model
    from visualnn.services.training_common import compile_model

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(args.images, args.size, args.size, 3)).astype("float32")
    y = rng.integers(0, 10, size=args.images)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).prefetch(2)
    cfg = TrainingConfig(epochs=1, batch_size=32)

    frozen = Project(cnn_graph(args.size), "frozen")
    UndoStack(frozen).push(FreezeBefore("head"))  # the app's command: every convolution and BN frozen
    models: dict[str, Any] = {}
    for label, graph in (("frozen", frozen.graph), ("all trainable", cnn_graph(args.size))):
        model = build_model(graph)
        compile_model(model, cfg)
        model.fit(data, epochs=1, verbose=0)  # warm-up: tracing and first-epoch costs, discarded
        models[label] = model
    trainable = {k: sum(int(np.prod(w.shape)) for w in m.trainable_weights) for k, m in models.items()}
    timers = {label: EpochTimer.make() for label in models}
    for _ in range(args.rounds):  # interleaved: both see the same machine load
        for label, model in models.items():
            model.fit(data, epochs=1, verbose=0, callbacks=[timers[label]])
    frozen_s = statistics.median(timers["frozen"].times)
    base_s = statistics.median(timers["all trainable"].times)
    ratio = frozen_s / base_s
    ok = frozen_s < base_s
    print(f"{len(frozen_ids(frozen.graph))} of {len(frozen.graph) - 1} layers frozen; trainable weights: "
          f"frozen {trainable['frozen']:,} vs all {trainable['all trainable']:,}; {args.images} images "
          f"{args.size}x{args.size}, batch 32, median of {args.rounds} interleaved rounds")
    print("figure | goal | baseline | ratio | verdict")
    print(f"phase-1 epoch, frozen: {frozen_s:.3f} s | < baseline | all layers trainable: {base_s:.3f} s | "
          f"{ratio:.2f} | {'PASS' if ok else 'FAIL'}")
    print("load average (1, 5, 15 min):", ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
