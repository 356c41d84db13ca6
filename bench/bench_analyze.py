"""Cost analysis after one edit on a 500-node graph (issue 19): <= 20 ms, the budget shape inference has.

What the window does after an edit: the document infers the shapes (it always has), then the Summary tab (and
the node footers, when shown) analyse the cost from them (``core.costs.analyze_costs``). The figure is that
analysis; the baseline is the shape inference of the same edit, timed in the same rounds just before it
(median of the rounds, warm-up discarded). The line also prints the two together. Exits 1 when the figure
misses the goal.

Run: ``.venv/bin/python bench/bench_analyze.py [--rounds 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import residual_graph  # noqa: E402
from visualnn.core.commands import SetParam, UndoStack  # noqa: E402
from visualnn.core.costs import analyze_costs  # noqa: E402
from visualnn.core.project import Project  # noqa: E402
from visualnn.core.shapes import infer_shapes  # noqa: E402
from visualnn.core.specs import default_registry  # noqa: E402

GOAL_MS = 20.0
NODES = 500


def main() -> int:
    """Interleave (edit + shapes + costs) with (edit + shapes) and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    registry = default_registry()
    project = Project(residual_graph(NODES))
    graph, training = project.graph, project.training
    stack = UndoStack(project)
    dense = [nid for nid, node in graph.nodes.items() if node.type == "Dense"]
    costs: list[float] = []
    shapes_only: list[float] = []
    for round_no in range(args.rounds + 1):  # round 0 warms up and is discarded
        stack.push(SetParam(dense[round_no % len(dense)], "units", 16 + round_no % 2 * 16))
        t0 = time.perf_counter()
        shapes = infer_shapes(graph, registry)
        t1 = time.perf_counter()
        report = analyze_costs(graph, training, shapes, registry)
        t2 = time.perf_counter()
        if round_no:
            shapes_only.append(t1 - t0)
            costs.append(t2 - t1)
        assert report.flops > 0 and not report.unknown
    figure = statistics.median(costs) * 1000
    baseline = statistics.median(shapes_only) * 1000
    ratio = figure / baseline if baseline else float("inf")
    ok = figure <= GOAL_MS
    print("figure | goal | baseline | ratio | verdict")
    print(f"cost analysis after one edit, {NODES} nodes: {figure:.1f} ms | <= {GOAL_MS:.0f} ms | "
          f"shape inference of the same edit {baseline:.1f} ms | {ratio:.2f}x | {'PASS' if ok else 'FAIL'}")
    print(f"shapes + cost analysis together: {statistics.median(a + b for a, b in zip(shapes_only, costs, strict=True)) * 1000:.1f} ms; "
          f"load average {os.getloadavg()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
