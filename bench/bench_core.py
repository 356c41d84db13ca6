"""Core benchmarks (issue 2): each figure is printed next to its goal, with a baseline from the same run.

1. Shape inference + validation after one parameter edit on a 500-node graph:
   <= 20 ms, and <= 5 % of the time Keras needs to construct the same model.
2. Loading and validating a 1,000-node project file: <= 200 ms.
3. ``visualnn summary`` on a template as a subprocess: < 1 s (shown beside ``python -c "import tensorflow"``).

Run: ``.venv/bin/python bench/bench_core.py`` (add ``--no-keras`` to skip the TensorFlow baselines).
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visualnn.core.commands import SetParam, UndoStack  # noqa: E402
from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node  # noqa: E402
from visualnn.core.project import Project  # noqa: E402
from visualnn.core.project.io import load_project, save_project  # noqa: E402
from visualnn.core.shapes import infer_shapes  # noqa: E402
from visualnn.core.specs import default_registry  # noqa: E402
from visualnn.core.templates import TEMPLATES  # noqa: E402
from visualnn.core.validation import validate  # noqa: E402


def residual_graph(n_nodes: int) -> Graph:
    """A valid functional model of exactly ``n_nodes`` layers: Input, residual Dense blocks, a head."""
    g = Graph(FUNCTIONAL)

    def add(type_id: str, sources: list[str], **params: object) -> str:
        nid = g.new_id(type_id)
        g.add_node(Node(nid, type_id, dict(params), (0.0, 100.0 * len(g))))
        for port, src in enumerate(sources):
            g.connect(Edge.of(src, nid, dst_port=port))
        return nid

    skip = add("Input", [], shape=[32])
    while len(g) + 4 <= n_nodes - 1:  # leave one node for the output layer
        a = add("Dense", [skip], units=32, activation="relu")
        b = add("Dense", [a], units=32)
        s = add("Add", [skip, b])
        skip = add("Activation", [s], activation="relu")
    while len(g) < n_nodes - 1:
        skip = add("Dropout", [skip], rate=0.1)
    add("Dense", [skip], units=10, activation="softmax")
    assert len(g) == n_nodes
    return g


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in seconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def report(label: str, value_s: float, goal_s: float, extra: str = "") -> bool:
    """Print one figure beside its goal; True when met."""
    ok = value_s <= goal_s
    print(f"{'PASS' if ok else 'FAIL'}  {label}: {value_s * 1000:8.1f} ms   (goal <= {goal_s * 1000:.0f} ms){extra}")
    return ok


def bench_edit(with_keras: bool) -> bool:
    """Figure 1: re-inference + validation after one SetParam on 500 nodes."""
    default_registry()
    project = Project(residual_graph(500))
    stack = UndoStack(project)
    dropouts = [n.id for n in project.graph if n.type == "Dropout"] or [n.id for n in project.graph if n.type == "Dense"]
    target = dropouts[len(dropouts) // 2]
    rates = iter([0.1 + (i % 50) / 100 for i in range(10_000)])
    first = project.graph.nodes[target].type

    def edit_and_check() -> None:
        value = next(rates)
        stack.push(SetParam(target, "rate" if first == "Dropout" else "units", value if first == "Dropout" else 32))
        issues = validate(project, shapes=infer_shapes(project.graph))
        assert not issues, issues[:3]

    edit_and_check()  # warm-up
    t = timed(edit_and_check, 30)
    ok = report("edit + inference + validation, 500 nodes", t, 0.020)
    if with_keras:
        import os as _os

        _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        from visualnn.services.keras_builder import build_model

        build_model(residual_graph(20))  # import and first-call costs are not model construction
        t0 = time.perf_counter()
        model = build_model(project.graph)
        keras_s = time.perf_counter() - t0
        n_keras = model.count_params()
        n_ours = infer_shapes(project.graph).total_params
        ratio = t / keras_s
        ok_ratio = ratio <= 0.05
        print(f"{'PASS' if ok_ratio else 'FAIL'}  ... as a share of Keras constructing the same model "
              f"({keras_s * 1000:.0f} ms): {ratio * 100:.2f} %   (goal <= 5 %); params ours {n_ours:,} / Keras {n_keras:,}")
        ok = ok and ok_ratio and n_keras == n_ours
    return ok


def bench_load() -> bool:
    """Figure 2: load + validate a 1,000-node project file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.vnn"
        save_project(Project(residual_graph(1000), name="big"), path)
        size_kb = path.stat().st_size / 1024

        def load_and_check() -> None:
            project = load_project(path)
            assert validate(project) == []

        load_and_check()
        t = timed(load_and_check, 10)
    return report("load + validate a 1,000-node project file", t, 0.200, f"   [{size_kb:.0f} KB]")


def bench_cli(with_tf: bool) -> bool:
    """Figure 3: ``visualnn summary`` as a subprocess, beside ``import tensorflow``."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cnn.vnn"
        save_project(TEMPLATES["cnn_small"].build(), path)
        cmd = [sys.executable, "-m", "visualnn", "summary", str(path)]

        def run_summary() -> None:
            subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)

        run_summary()
        t = timed(run_summary, 5)
    extra = ""
    if with_tf:
        tf_s = timed(lambda: subprocess.run([sys.executable, "-c", "import tensorflow"], check=True,
                                            capture_output=True, env=env), 1)
        extra = f"   [python -c 'import tensorflow': {tf_s * 1000:.0f} ms; summary is {t / tf_s * 100:.1f} % of it]"
    return report("`visualnn summary` on a template (subprocess)", t, 1.0, extra)


def main() -> int:
    """Run every benchmark; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-keras", action="store_true", help="skip the TensorFlow baselines")
    args = parser.parse_args()
    results = [bench_load(), bench_cli(not args.no_keras), bench_edit(not args.no_keras)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
