"""Data benchmarks against what a skilled user would write by hand; exits 1 when any figure misses its goal.

    python bench/bench_data.py [--rows 1000000] [--images 4000] [--rounds 9] [--skip-csv] [--skip-images]
                               [--data DIR]

1. CSV: a ROWS x 20 numeric CSV (19 features + a numeric target, written by pyarrow: quoted header) to
   standardised float32 train/validation tensors with VisualNN's loader, against
   ``pandas.read_csv(engine="pyarrow").to_numpy()``. Goals: time <= 1.0x the baseline; VisualNN's peak memory
   <= 2x the bytes of its output tensors. Peak memory is the rise of a fresh process's peak RSS (VmHWM, reset
   after the imports) over its RSS after the imports; each side's code is imported first (pandas and the pyarrow
   module it converts with; VisualNN's loader modules, pyarrow.compute and numpy.random, which it uses), so both
   figures count data, not code. The line above the table says which parser read the file (the compiled
   reader of plain numbers, or Arrow where it is not built). For perspective (no goal) a third side does
   VisualNN's work by hand with pandas (float32, the same split, standardised on the training rows), and its
   time is printed beside the others.
2. Image folders, RGB and grayscale: IMAGES PNGs (32x32, 10 classes), images/s of one pass over the folder,
   the folder scan and pipeline set-up included, against ``keras.utils.image_dataset_from_directory`` with the
   same settings (batch 32, 32x32, shuffle, rescale to 0..1). Goal: >= 1.0x.

Every measurement runs in a fresh process, right after one that touches 1 GiB and exits (``SETTLE``: the same
state of free memory before every measurement); the sides take turns, each round in another rotation of their
order, one warm-up round is discarded, and each figure is the median over ROUNDS (default 9) of the per-round
ratio. The data is generated once per run (in a temporary folder, or in --data DIR, kept and reused across runs).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLS = 20
SIDES = ("baseline", "visualnn")


def make_csv(path: str, rows: int) -> None:
    """Random normal numbers, 6 decimals, header f0..f18,target (pyarrow quotes the header)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(COLS - 1)] + ["target"]
    data = {n: np.round(rng.normal(size=rows), 6) for n in names}
    pcsv.write_csv(pa.table(data), path + ".part")
    os.replace(path + ".part", path)


def make_images(root: str, n: int, mode: str, classes: int = 10) -> None:
    """``n`` 32x32 PNGs (Pillow mode ``RGB`` or ``L``) spread over ``classes`` sub-folders."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    shape = (32, 32, 3) if mode == "RGB" else (32, 32)
    base = rng.integers(0, 255, (classes, *shape), dtype=np.uint8)
    part = root + ".part"
    for c in range(classes):
        os.makedirs(os.path.join(part, f"class_{c}"), exist_ok=True)
    for i in range(n):
        c = i % classes
        img = np.clip(base[c].astype(int) + rng.integers(-20, 20, shape), 0, 255).astype(np.uint8)
        Image.fromarray(img, mode).save(os.path.join(part, f"class_{c}", f"{i:05d}.png"))
    os.replace(part, root)


# --------------------------------------------------------------------------- measured children
CHILD_CSV = r"""
import json, sys, time
side, path = sys.argv[1], sys.argv[2]
import numpy as np, pyarrow, pyarrow.csv
if side in ("baseline", "by_hand"):
    import numpy.random  # noqa: F401
    import pandas as pd
    import pyarrow.pandas_compat  # noqa: F401  (read_csv's pyarrow engine converts with it)
else:
    import numpy.random  # noqa: F401  (the split draws with it; pandas, above, imports it too)
    import pyarrow.compute  # noqa: F401  (the loader's code, loaded before the measurement as pandas is above)
    import visualnn.services.datasets.tabular  # noqa: F401
    from visualnn.core.dataset import DatasetSpec
    from visualnn.services.datasets.sources import load_csv_arrays
    from visualnn.services.datasets.fast_numbers import compiled
    reader = "compiled reader" if compiled() is not None else "Arrow: the compiled reader is not built"
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")  # peak RSS := current RSS (Linux >= 4.0)
base = status("VmRSS:")
t = time.perf_counter()
if side == "baseline":
    x = pd.read_csv(path, engine="pyarrow").to_numpy()
    nbytes = x.nbytes
elif side == "by_hand":  # VisualNN's work (float32, the same split, standardised on the training rows) with pandas
    table = pd.read_csv(path, engine="pyarrow")
    x = table.drop(columns=[table.columns[-1]]).to_numpy(dtype=np.float32)
    y = table[table.columns[-1]].to_numpy(dtype=np.float32)
    del table
    order = np.random.default_rng(1).permutation(len(x))
    n_val = int(len(x) * 0.2 + 0.5)
    val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
    train, val = x[train_rows], x[val_rows]
    del x
    mean, std = train.mean(axis=0, dtype=np.float64), train.std(axis=0, dtype=np.float64)
    out = [((train - mean) / std).astype(np.float32), ((val - mean) / std).astype(np.float32), y[train_rows],
           y[val_rows]]
    nbytes = sum(a.nbytes for a in out)
else:
    arrays = load_csv_arrays(DatasetSpec("csv", path, {"split": {"val": 0.2, "seed": 1}}))
    nbytes = sum(a.nbytes for a in (*arrays.x.values(), *arrays.y.values()))
elapsed = time.perf_counter() - t
out = {"seconds": elapsed, "peak_bytes": status("VmHWM:") - base, "output_bytes": nbytes}
print(json.dumps({**out, "reader": reader} if side == "visualnn" else out))
"""

CHILD_IMAGES = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
side, root, mode = sys.argv[1], sys.argv[2], sys.argv[3]
import keras, tensorflow as tf
from visualnn.core.dataset import DatasetSpec
from visualnn.services.datasets import prepare
t = time.perf_counter()
if side == "baseline":
    ds = keras.utils.image_dataset_from_directory(root, image_size=(32, 32), batch_size=32, shuffle=True, seed=1,
                                                  color_mode=mode, verbose=False)
    ds = ds.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE)
else:
    spec = DatasetSpec("images", root, {"image": {"image_size": [32, 32], "rescale": "0_1", "color_mode": mode},
                                        "split": {"val": 0.0}})
    ds = prepare(spec, ".", batch_size=32, seed=1).train
n = 0
for x, y in ds:
    n += int(x.shape[0])
print(json.dumps({"images": n, "seconds": time.perf_counter() - t}))
"""


SETTLE = "import numpy as np; np.ones(1 << 27)"  # touches 1 GiB, then exits
"""Run before every measured child, so that each starts from the same state of the machine's free memory.

On this project's virtual machine the cost of a fresh process's first touch of memory depends on what the
process before it freed: pandas/pyarrow read the 1M x 20 file in 0.49-0.57 s right after another such read
(which frees 700 MB) and in 0.68-0.87 s right after VisualNN's loader (200 MB), which itself took 0.73-0.79 s
either way. Alternating the sides put one or the other first in a round, so the median swung from 0.86x to
1.13x between runs of the same code. After this child every measurement starts alike (as on a machine with
memory to spare), whichever side it is."""


def run_child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (after :data:`SETTLE`) and parse its last JSON line."""
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", SETTLE], check=True, env=env)
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"benchmark child failed ({' '.join(args)}):\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def interleaved(code: str, rounds: int, *args: str, sides: tuple[str, ...] = SIDES) -> list[dict[str, dict[str, Any]]]:
    """``rounds`` + 1 rounds of the ``sides``, each round in another rotation of their order; the first is discarded."""
    results = []
    for r in range(rounds + 1):
        order = sides[r % len(sides):] + sides[: r % len(sides)]
        results.append({side: run_child(code, side, *args) for side in order})
    return results[1:]


Row = tuple[str, str, str, float, bool]  # figure, goal, baseline, ratio, met


def bench_csv(path: str, rows: int, rounds: int) -> list[Row]:
    """Time ratio and peak-memory ratio of the CSV loader."""
    results = interleaved(CHILD_CSV, rounds, path, sides=(*SIDES, "by_hand"))
    time_ratio = statistics.median(r["visualnn"]["seconds"] / r["baseline"]["seconds"] for r in results)
    by_hand = statistics.median(r["visualnn"]["seconds"] / r["by_hand"]["seconds"] for r in results)
    hand_s = statistics.median(r["by_hand"]["seconds"] for r in results)
    hand_peak = statistics.median(r["by_hand"]["peak_bytes"] for r in results) / 1e6
    mem_ratio = statistics.median(r["visualnn"]["peak_bytes"] / r["visualnn"]["output_bytes"] for r in results)
    base_s = statistics.median(r["baseline"]["seconds"] for r in results)
    ours_s = statistics.median(r["visualnn"]["seconds"] for r in results)
    base_peak = statistics.median(r["baseline"]["peak_bytes"] for r in results) / 1e6
    ours_peak = statistics.median(r["visualnn"]["peak_bytes"] for r in results) / 1e6
    out_mb = results[0]["visualnn"]["output_bytes"] / 1e6
    print(f"CSV {rows:,} x {COLS} ({os.path.getsize(path) / 1e6:.0f} MB): pandas/pyarrow {base_s:.2f} s "
          f"(peak +{base_peak:.0f} MB), VisualNN {ours_s:.2f} s (peak +{ours_peak:.0f} MB, outputs {out_mb:.0f} MB; "
          f"parsed by the {results[0]['visualnn']['reader']})")
    print(f"  for perspective, not a goal: the same work written by hand with pandas (float32, the same split, "
          f"standardised) {hand_s:.2f} s (peak +{hand_peak:.0f} MB); VisualNN / by hand {by_hand:.3f}x")
    return [
        (f"CSV {rows // 1000}k x {COLS} -> float32, time", "<= 1.0x",
         f"pandas.read_csv(pyarrow).to_numpy() {base_s:.2f} s", time_ratio, time_ratio <= 1.0),
        (f"CSV {rows // 1000}k x {COLS} -> float32, peak memory", "<= 2.0x", "output bytes "
         f"{out_mb:.0f} MB", mem_ratio, mem_ratio <= 2.0),
    ]


def bench_images(root: str, mode: str, n: int, rounds: int) -> Row:
    """Throughput ratio (images/s, scan and set-up included) of one pass over an image folder."""
    results = interleaved(CHILD_IMAGES, rounds, root, mode)
    for r in results:
        if r["visualnn"]["images"] != r["baseline"]["images"]:
            raise SystemExit(f"image benchmark: the two sides read {r['visualnn']['images']} and "
                             f"{r['baseline']['images']} images")
    ratio = statistics.median(r["baseline"]["seconds"] / r["visualnn"]["seconds"] for r in results)
    base_ips = statistics.median(r["baseline"]["images"] / r["baseline"]["seconds"] for r in results)
    return (f"image folder one pass, {mode}, scan included ({n:,} PNGs 32x32)", ">= 1.0x",
            f"image_dataset_from_directory {base_ips:,.0f} img/s", ratio, ratio >= 1.0)


def print_table(rows: list[Row], rounds: int) -> None:
    print(f"\nmedian of {rounds} interleaved rounds (warm-up discarded); load average "
          + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores")
    print("figure | goal | baseline | ratio | verdict")
    for figure, goal, baseline, ratio, met in rows:
        print(f"{figure} | {goal} | {baseline} | {ratio:.3f}x | {'ok' if met else 'MISSED'}")


def main() -> int:
    """Run the selected benchmarks; 1 when any figure misses its goal."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--data", help="folder for the generated data, kept and reused (default: a temporary one)")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-images", action="store_true")
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds must be at least 5 (each figure is a median)")
    # VisualNN's modules byte-compiled, as an installed package's are (Keras's and TensorFlow's already are): without
    # this, PYTHONDONTWRITEBYTECODE=1 would have every child compile the modules VisualNN imports lazily, timed.
    compileall.compile_dir(os.path.join(ROOT, "visualnn"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or tmp
        os.makedirs(data, exist_ok=True)
        rows: list[Row] = []
        if not args.skip_csv:
            path = os.path.join(data, f"numbers_{args.rows}.csv")
            if not os.path.exists(path):
                make_csv(path, args.rows)
            rows += bench_csv(path, args.rows, args.rounds)
        if not args.skip_images:
            for mode, pil in (("rgb", "RGB"), ("grayscale", "L")):
                root = os.path.join(data, f"images_{mode}_{args.images}")
                if not os.path.exists(root):
                    make_images(root, args.images, pil)
                rows.append(bench_images(root, mode, args.images, args.rounds))
    print_table(rows, args.rounds)
    return 0 if all(met for *_, met in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
