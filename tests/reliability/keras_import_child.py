"""Run one real ``.keras`` import in a child process under an address-space limit and report it as JSON.

``python -m tests.reliability.keras_import_child [MODEL...] [--weights MODEL...] [--limit-gb N]`` imports
each model in turn, those after ``--weights`` with their weights (one TensorFlow start for all), and prints one JSON line for each: ``ok``, the ``error`` message (a
refusal), the imported ``nodes`` (label, type, output shape, trainable weights), the ``notes``, and
``maxrss_mb`` (the child's peak resident memory so far). A crash or a traceback leaves lines missing, so the
test sees it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from tests.reliability.peak_memory import peak_rss_kb


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*")
    parser.add_argument("--weights", nargs="*", default=[])
    parser.add_argument("--limit-gb", type=float, default=0.0)
    args = parser.parse_args()
    if args.limit_gb:
        limit = int(args.limit_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    from visualnn.services.export_project import import_project
    from visualnn.services.importing import ModelImportError

    for model, weights in [(m, False) for m in args.models] + [(m, True) for m in args.weights]:
        out: dict[str, object] = {"ok": False}
        try:
            project, notes = import_project(model, Path(model).with_suffix(".vnn"), with_weights=weights)
        except ModelImportError as exc:
            out["error"] = str(exc)
        else:
            out["ok"] = True
            out["notes"] = notes
            out["nodes"] = [
                [n.label, n.type, n.params.get("output_shape"), n.params.get("trainable_params")] for n in project.graph
            ]
        out["maxrss_mb"] = peak_rss_kb() / 1024
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
