"""Data benchmarks: CSV -> train/validation tensors, and image-folder pipeline throughput.

    python bench/bench_data.py [--rows 1000000] [--images 10000] [--skip-images] [--skip-csv]

1. A ROWS x 20 numeric CSV (19 features + a numeric target) to standardised float32 train/validation
   tensors with VisualNN's loader, against ``pandas.read_csv(engine="pyarrow").to_numpy()`` alone.
   Goals: time <= 1.3x the baseline; peak memory <= 3x the tensor bytes. Each variant runs in a
   fresh process; peak memory is the rise of the process's peak RSS (VmHWM, reset after the imports)
   over its RSS after the imports.
2. A folder of IMAGES small PNGs (32x32, 10 classes): images/s over one epoch of VisualNN's
   streaming pipeline against ``keras.utils.image_dataset_from_directory`` with the same settings
   (batch 32, image size 32x32, RGB, shuffle). Goal: >= 0.9x.

Data is generated in a temporary folder at run time and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLS = 20


def make_csv(path: str, rows: int) -> None:
    """Random normal numbers, 6 decimals, header f0..f18,target."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(COLS - 1)] + ["target"]
    data = {n: np.round(rng.normal(size=rows), 6) for n in names}
    pcsv.write_csv(pa.table(data), path)


def make_images(root: str, n: int, classes: int = 10) -> None:
    """``n`` 32x32 RGB PNGs spread over ``classes`` sub-folders."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class_{c}"), exist_ok=True)
    base = rng.integers(0, 255, (classes, 32, 32, 3), dtype=np.uint8)
    for i in range(n):
        c = i % classes
        img = np.clip(base[c].astype(int) + rng.integers(-20, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(root, f"class_{c}", f"{i:05d}.png"))


# --------------------------------------------------------------------------- measured children
CHILD_CSV = r"""
import json, sys, time
variant, path = sys.argv[1], sys.argv[2]
import numpy as np, pandas as pd, pyarrow, pyarrow.csv
from visualnn.core.dataset import DatasetSpec
from visualnn.services.datasets.sources import load_csv_arrays
def hwm():
    # Peak resident memory (VmHWM, kB) of this process since the last reset.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
try:
    open("/proc/self/clear_refs", "w").write("5")  # reset the peak to the current size (Linux >= 4.0)
except OSError:
    pass
base = rss()
t = time.perf_counter()
if variant == "baseline":
    x = pd.read_csv(path, engine="pyarrow").to_numpy()
    nbytes = x.nbytes
else:
    arrays = load_csv_arrays(DatasetSpec("csv", path, {"split": {"val": 0.2, "seed": 1}}))
    nbytes = sum(a.nbytes for a in (*arrays.x.values(), *arrays.y.values()))
elapsed = time.perf_counter() - t
peak = (hwm() - base) * 1024
print(json.dumps({"seconds": elapsed, "peak_bytes": peak, "tensor_bytes": nbytes}))
"""

CHILD_IMAGES = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
variant, root = sys.argv[1], sys.argv[2]
import keras, tensorflow as tf
from visualnn.core.dataset import DatasetSpec
t0 = time.perf_counter()
if variant == "baseline":
    ds = keras.utils.image_dataset_from_directory(root, image_size=(32, 32), batch_size=32, shuffle=True, seed=1,
                                                  color_mode="rgb", verbose=False)
    ds = ds.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE)
else:
    from visualnn.services.datasets import prepare
    spec = DatasetSpec("images", root, {"image": {"image_size": [32, 32], "rescale": "0_1"}, "split": {"val": 0.0}})
    ds = prepare(spec, ".", batch_size=32, seed=1).train
setup = time.perf_counter() - t0
t, cpu = time.perf_counter(), time.process_time()
n = 0
for x, y in ds:
    n += int(x.shape[0])
epoch, cpu = time.perf_counter() - t, time.process_time() - cpu
print(json.dumps({"images": n, "setup_s": setup, "epoch_s": epoch, "cpu_s": cpu}))
"""


def run_child(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter and parse its JSON line."""
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_csv(rows: int, repeats: int) -> bool:
    """Print the CSV figures; True when both goals are met."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "numbers.csv")
        make_csv(path, rows)
        size = os.path.getsize(path) / 1e6
        best: dict[str, dict[str, float]] = {}
        for _ in range(repeats):
            for variant in ("baseline", "visualnn"):
                r = run_child(CHILD_CSV, variant, path)
                if variant not in best or r["seconds"] < best[variant]["seconds"]:
                    best[variant] = r
    base, ours = best["baseline"], best["visualnn"]
    ratio = ours["seconds"] / base["seconds"]
    mem = ours["peak_bytes"] / ours["tensor_bytes"]
    print(f"CSV {rows:,} x {COLS} ({size:.0f} MB), best of {repeats}:")
    print(f"  pandas.read_csv(engine='pyarrow').to_numpy(): {base['seconds']:.2f} s, peak +{base['peak_bytes'] / 1e6:.0f} MB")
    print(f"  VisualNN -> standardised float32 train/val tensors: {ours['seconds']:.2f} s, peak +{ours['peak_bytes'] / 1e6:.0f} MB,"
          f" tensors {ours['tensor_bytes'] / 1e6:.0f} MB")
    print(f"  time ratio {ratio:.2f}x (goal <= 1.3x) {'OK' if ratio <= 1.3 else 'MISSED'}")
    print(f"  peak memory {mem:.2f}x tensor bytes (goal <= 3x) {'OK' if mem <= 3 else 'MISSED'}")
    return ratio <= 1.3 and mem <= 3


def bench_images(n: int, repeats: int) -> bool:
    """Print the image pipeline figures; True when the goal is met."""
    with tempfile.TemporaryDirectory() as tmp:
        make_images(tmp, n)
        best: dict[str, dict[str, float]] = {}
        for _ in range(repeats):
            for variant in ("baseline", "visualnn"):
                r = run_child(CHILD_IMAGES, variant, tmp)
                if variant not in best or r["epoch_s"] < best[variant]["epoch_s"]:
                    best[variant] = r
    base, ours = best["baseline"], best["visualnn"]
    base_ips, our_ips = base["images"] / base["epoch_s"], ours["images"] / ours["epoch_s"]
    ratio = our_ips / base_ips
    # Images per CPU-second: the fairer figure when other processes share the cores.
    cpu_ratio = (ours["images"] / ours["cpu_s"]) / (base["images"] / base["cpu_s"])
    print(f"Image folder, {n:,} PNGs 32x32, batch 32, one epoch, best of {repeats}:")
    print(f"  keras.utils.image_dataset_from_directory: {base_ips:,.0f} images/s (setup {base['setup_s']:.2f} s)")
    print(f"  VisualNN streaming pipeline: {our_ips:,.0f} images/s (setup {ours['setup_s']:.2f} s, incl. byte checks)")
    print(f"  throughput ratio {ratio:.2f}x (goal >= 0.9x) {'OK' if ratio >= 0.9 else 'MISSED'}; "
          f"per CPU-second {cpu_ratio:.2f}x")
    return ratio >= 0.9


def main() -> int:
    """Run the selected benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-images", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_csv:
        ok &= bench_csv(args.rows, args.repeats)
    if not args.skip_images:
        ok &= bench_images(args.images, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
