"""Per-epoch training on a GPU: the app's training path against the exported script, with GPU utilisation.

Run: ``.venv/bin/python bench/bench_training_gpu.py [--templates NAME ...] [--epochs N] [--rounds R]``

The same cases as ``bench_training.py --only epochs`` (every template on its bundled example, both
sides interleaved, median of epochs 2..N), run where TensorFlow sees a GPU. While each side trains,
``nvidia-smi`` is sampled every 100 ms for the GPU's utilisation; the table adds the median
utilisation of each side and the peak memory TensorFlow allocated on the GPU. Without a GPU (no
``nvidia-smi``, no GPU listed by it, or none visible to TensorFlow) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench_training
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SAMPLE_S = 0.1


def gpu_names() -> list[str]:
    """The GPUs ``nvidia-smi -L`` lists (none without the tool or a driver)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.startswith("GPU ")] if out.returncode == 0 else []


@contextmanager
def utilisation() -> Iterator[list[float]]:
    """While open, ``nvidia-smi`` samples GPU 0's utilisation (percent) into the yielded list."""
    samples: list[float] = []
    proc = subprocess.Popen(
        ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-i", "0",
         f"-lms={int(SAMPLE_S * 1000)}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                samples.append(float(line.strip()))
            except ValueError:
                continue

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield samples
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=2)


def sampled(run: Callable[[Any, int], Any], log: list[float]) -> Callable[[Any, int], Any]:
    """``run`` with GPU utilisation sampled while it trains, appended to ``log``."""

    def wrapped(case: Any, epochs: int) -> Any:
        with utilisation() as samples:
            marks = run(case, epochs)
        log.extend(samples)
        return marks

    return wrapped


def main() -> int:
    """Time both sides on the GPU; 1 when a template misses the per-epoch goal, 0 when there is no GPU."""
    import bench_training as bt

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--templates", nargs="+", choices=list(bt.PAIRS), default=list(bt.PAIRS), metavar="NAME")
    ap.add_argument("--epochs", type=int, default=bt.EPOCHS)
    ap.add_argument("--rounds", type=int, default=bt.ROUNDS)
    args = ap.parse_args()
    names = gpu_names()
    if not names:
        print("per-epoch training on a GPU: no GPU present; skipped (nvidia-smi lists none)")
        return 0
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        print(f"per-epoch training on a GPU: no GPU present to TensorFlow; skipped (nvidia-smi lists {names[0]})")
        return 0
    print(f"  {names[0]}; TensorFlow {tf.__version__}", flush=True)
    util: dict[str, list[float]] = {"app": [], "script": []}
    bt.run_app, bt.run_script = sampled(bt.run_app, util["app"]), sampled(bt.run_script, util["script"])
    tf.config.experimental.reset_memory_stats("GPU:0")
    figures = bt.time_epochs(args.templates, max(2, args.epochs), max(5, args.rounds), together=False)
    peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    bt.print_epoch_table(figures, max(2, args.epochs), max(5, args.rounds))
    for side, samples in util.items():
        busy = [s for s in samples if s > 0]
        print(f"  GPU utilisation while the {side} trained: median {statistics.median(samples or [0]):.0f} %, "
              f"median while busy {statistics.median(busy or [0]):.0f} % ({len(samples)} samples every "
              f"{SAMPLE_S * 1000:.0f} ms)")
    print(f"  peak GPU memory allocated by TensorFlow: {peak / 2**20:.0f} MiB")
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip TensorFlow's slow interpreter teardown
