"""Engine memory over a working session: train/stop cycles on a bundled example must not make the engine grow.

    python bench/bench_engine_memory.py [--cycles 50] [--example tabular|images]

The real engine process (``python -m visualnn.engine``, as the app starts it) trains the example's own project
(a copy of the example folder: the runs land there) for one epoch, ``--cycles`` times; every other run is
stopped after its first batch, as a user's Stop does. The baseline is the engine's resident memory (VmRSS)
right after the first run finished: TensorFlow, the model code and the data pipeline are all loaded by then.
Goal: the engine holds less than 50 MB more after the last cycle. Prints figure | goal | baseline | ratio |
verdict and exits 1 on a miss. (``tests/reliability/test_soak.py`` runs the same measurement on tiny inline
data in CI; this one reads the example's files from disk as the app does.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOAL_MB = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--example", choices=("tabular", "images", "timeseries"), default="tabular")
    parser.add_argument("--trace", action="store_true", help="print the engine's memory after every cycle")
    args = parser.parse_args()
    if args.cycles < 2:
        parser.error("--cycles must be at least 2 (the first run is the baseline)")

    from tests.reliability.engine_driver import Engine, vm_rss_mb
    from visualnn.core.project.io import load_project
    from visualnn.core.protocol import TrainRequest

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / args.example
        shutil.copytree(ROOT / "resources" / "examples" / args.example, folder)
        project = load_project(folder / f"{args.example}.vnn")
        request = TrainRequest(project=project.to_dict(), base_dir=str(folder), epochs=1)
        engine = Engine(threads=None)
        try:
            t0 = time.perf_counter()
            first_run = engine.train("cycle-1", request, stop=False)
            first = vm_rss_mb(engine.pid)
            statuses = {first_run["status"]}
            for i in range(2, args.cycles + 1):
                statuses.add(engine.train(f"cycle-{i}", request, stop=i % 2 == 0)["status"])
                if args.trace:
                    print(f"cycle {i}: {vm_rss_mb(engine.pid):.1f} MB", flush=True)
            last = vm_rss_mb(engine.pid)
            elapsed = time.perf_counter() - t0
        finally:
            engine.close()
    if statuses != {"finished", "stopped"}:
        raise SystemExit(f"the cycles ended {sorted(statuses)}; expected finished and stopped runs")
    growth = last - first
    met = growth < GOAL_MB
    print(f"\n{args.cycles} train/stop cycles of the {args.example} example in {elapsed:.0f} s; load average "
          + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores")
    print("figure | goal | baseline | ratio | verdict")
    print(f"engine memory after {args.cycles} train/stop cycles: {last:.0f} MB (+{growth:.1f} MB, "
          f"{growth / (args.cycles - 1):.2f} MB a run) | < +{GOAL_MB:.0f} MB | after the first run {first:.0f} MB | "
          f"{last / first:.3f}x | {'ok' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
