"""Transfer-learning benchmark: per-epoch time of a MobileNetV3Small classifier in the app against its exported script.

Run: ``.venv/bin/python bench/bench_transfer.py [--quick] [--images N] [--rounds R (default 7)]``

A folder of generated 96x96 PNG images (1,000 by default, four classes) is written to a temporary folder; the
project is Input(96, 96, 3) -> MobileNetV3Small(weights=None, pooling avg) -> Dense(softmax), trained for 2 epochs
on raw pixels (Rescale none: the backbone preprocesses inside itself). Each round trains it once through the
engine's train job (the app's path, ``services/training.py``) and once through the script ``visualnn export-code``
writes for the same project, alternating which goes first, after a discarded warm-up pair. The figure is the median
over rounds of app / script seconds for epoch 2 (epoch 1 traces). Prints "figure | goal | baseline | ratio |
verdict" (with the CPU-time ratio beside it: on a shared machine the wall-clock ratio of single epochs swings with
the load) and the load average; exits 1 when the ratio misses its goal (<= 1.05).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench_training as bt  # noqa: E402  (after the path set-up: the shared clock and both training paths)

GOAL = 1.05
EPOCHS = 2
SIZE = 96
CLASSES = 4


def write_images(folder: Path, n: int, seed: int = 0) -> None:
    """``n`` raw RGB PNGs in one sub-folder per class; a class is a colour cast plus noise (learnable, not trivial)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    casts = np.array([[60, 0, 0], [0, 60, 0], [0, 0, 60], [40, 40, 0]], dtype=np.float32)
    for c in range(CLASSES):
        (folder / f"class_{c}").mkdir(parents=True)
    for i in range(n):
        c = i % CLASSES
        pixels = rng.normal(110, 45, (SIZE, SIZE, 3)) + casts[c]
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"class_{c}" / f"{i}.png")


def prepare(scratch: Path, n_images: int) -> bt.EpochCase:
    """The image folder, the backbone project saved beside it, and its exported script imported as a module."""
    import contextlib
    import importlib.util
    import io

    from visualnn.core.dataset import DatasetSpec
    from visualnn.core.graph import Edge, Graph, Node
    from visualnn.core.project import Project
    from visualnn.core.project.io import load_project, save_project
    from visualnn.core.training_config import TrainingConfig
    from visualnn.core.validation import validate
    from visualnn.services.script_export import export_script, write_script

    write_images(scratch / "photos", n_images)
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [SIZE, SIZE, 3]}))
    g.add_node(Node("backbone", "MobileNetV3Small", {"weights": None, "pooling": "avg"}))
    g.add_node(Node("head", "Dense", {"units": CLASSES, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "backbone"))
    g.connect(Edge.of("backbone", "head"))
    data = DatasetSpec("images", "photos", {"image": {"image_size": [SIZE, SIZE], "color_mode": "rgb",
                                                      "rescale": "none"}, "split": {"val": 0.2, "test": 0.0}})
    project = Project(g, name="transfer", dataset=data,
                      training=TrainingConfig(loss="sparse_categorical_crossentropy", epochs=EPOCHS, batch_size=32))
    errors = [i.message for i in validate(project) if i.is_error]
    if errors:
        raise SystemExit(f"the benchmark's project is not valid: {' '.join(errors)}")
    vnn = scratch / "transfer.vnn"
    save_project(project, vnn)
    project = load_project(vnn)
    script = scratch / "train_transfer.py"
    write_script(export_script(project, "functional", str(scratch), str(scratch)), str(script))
    spec = importlib.util.spec_from_file_location("train_transfer", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(module)
    return bt.EpochCase("mobilenetv3small", f"{n_images} images {SIZE}x{SIZE}", scratch, project, module)


def time_rounds(case: bt.EpochCase, rounds: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Epoch-2 (wall, CPU) seconds of each side per round (warm-up discarded); round 1 checks both sides do the
    same work."""
    import importlib

    from visualnn.engine import HANDLER_MODULES

    for module in HANDLER_MODULES:
        importlib.import_module(module)
    bt.run_app(case, EPOCHS)  # warm-up: the first fit and the first engine job of the process
    bt.run_script(case, EPOCHS)
    app: list[tuple[float, float]] = []
    script: list[tuple[float, float]] = []
    start = time.perf_counter()
    for r in range(1, rounds + 1):
        sides: list[tuple[str, Any, list[tuple[float, float]]]] = [("app", bt.run_app, app), ("script", bt.run_script, script)]
        losses: dict[str, list[float]] = {}
        for side, run, out in sides if r % 2 else sides[::-1]:
            marks = run(case, EPOCHS)
            out.append(bt.seconds_per_epoch(marks, EPOCHS, side))
            losses[side] = [m.loss for m in marks]
        if r == 1:
            bt.check_same_work("MobileNetV3Small", losses)
        print(f"  round {r} of {rounds}: app {app[-1][0]:.2f} s, script {script[-1][0]:.2f} s per epoch "
              f"({time.perf_counter() - start:.0f} s, load {os.getloadavg()[0]:.2f})", flush=True)
    return app, script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="generated images (default 1000)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds after the warm-up (default 7: single epochs swing +-15 %% here)")
    parser.add_argument("--quick", action="store_true", help="300 images, 3 rounds: a smoke run, not a figure")
    args = parser.parse_args(argv)
    images, rounds = (300, 3) if args.quick else (args.images, args.rounds)
    bt.quiet_tensorflow()
    scratch = Path(tempfile.mkdtemp(prefix="vnn-bench-transfer-"))
    try:
        case = prepare(scratch, images)
        app, script = time_rounds(case, rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = statistics.median(a[0] / s[0] for a, s in zip(app, script, strict=True))
    cpu_ratio = statistics.median(a[1] / s[1] for a, s in zip(app, script, strict=True))
    ok = ratio <= GOAL
    load = os.getloadavg()
    print(f"{'figure':<58} | {'goal':<8} | {'baseline (script)':<17} | {'app':<10} | {'ratio':<6} | verdict | "
          "cpu ratio")
    print(f"{'per-epoch training, MobileNetV3Small on ' + case.example:<58} | <= {GOAL:.2f}x | "
          f"{statistics.median(s[0] for s in script):13.2f} s/ep | {statistics.median(a[0] for a in app):5.2f} s/ep | "
          f"{ratio:6.3f} | {'PASS' if ok else 'MISS':<7} | {cpu_ratio:.3f}")
    print(f"  median of {rounds} interleaved rounds after a warm-up, epoch 2 of {EPOCHS}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
