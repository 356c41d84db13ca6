"""Device check for distribution (run where a GPU is available): the bundled image example with ``auto`` and ``mirrored``.

Copies ``resources/examples/images`` to a temporary folder, trains it with each strategy (and on the
CPU for reference) through the same ``run_training`` the app and the CLI use, and prints per run:
the device placement TensorFlow reports, the replicas, the global batch, wall time and samples/s.
Without a GPU it still runs (CPU only) and says so.

Run: ``.venv/bin/python bench/gpu_distribute_check.py [--epochs 3] [--batch-size 64]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _train(project: dict[str, Any], base_dir: str, strategy: str, device: str, epochs: int, batch: int,
           precision: str = "none") -> dict[str, Any]:
    from visualnn.core.protocol import TrainRequest
    from visualnn.services.training import run_training

    project = json.loads(json.dumps(project))
    project["training"].update({"strategy": strategy, "mixed_precision": precision})
    rates: list[float] = []

    def sink(kind: str, data: dict[str, Any]) -> None:
        if kind == "batch" and data.get("samples_per_s"):
            rates.append(float(data["samples_per_s"]))

    t0 = time.perf_counter()
    request = TrainRequest(project=project, base_dir=base_dir, epochs=epochs, batch_size=batch, device=device)
    result = run_training(request.parsed(), sink)  # parsed as the engine parses a job's project
    weights = result.model.trainable_weights
    placement = sorted({str(getattr(w, "device", "") or getattr(getattr(w, "value", None), "device", "?"))
                        for w in weights})
    return {"strategy": strategy, "device": result.run.device, "precision": precision,
            "replicas": result.run.extra.get("replicas"), "global_batch": result.run.extra.get("global_batch"),
            "wall_s": round(time.perf_counter() - t0, 2), "samples_per_s": round(rates[-1], 1) if rates else None,
            "val_accuracy": (result.run.history.get("val_accuracy") or [None])[-1], "variables_on": placement}


def main(argv: list[str] | None = None) -> int:
    """Train the image example per strategy and print one JSON line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="batch per replica")
    args = parser.parse_args(argv)
    import tensorflow as tf

    from visualnn.core.project.io import load_project

    gpus = tf.config.list_physical_devices("GPU")
    print(json.dumps({"tensorflow": tf.__version__, "gpus": [g.name for g in gpus]}))
    if not gpus:
        print("No GPU here: only the CPU reference run is meaningful.")
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "images")
        shutil.copytree(os.path.join(ROOT, "resources", "examples", "images"), work)
        path = os.path.join(work, "images.vnn")
        project = load_project(path).to_dict()
        runs = [("auto", "cpu", "none")]
        if gpus:
            runs += [("auto", "auto", "none"), ("mirrored", "auto", "none"), ("auto", "auto", "mixed_float16")]
        results = [_train(project, work, s, d, args.epochs, args.batch_size, p) for s, d, p in runs]
    cpu_rate = results[0]["samples_per_s"] or 0.0
    for r in results:
        r["speed_vs_cpu"] = round(r["samples_per_s"] / cpu_rate, 2) if cpu_rate and r["samples_per_s"] else None
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
