"""Export/import benchmarks: DenseNet121 into a laid-out graph (goal <= 2 s); export-code of 500 nodes (<= 200 ms).

Run: .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMPORT_GOAL_S = 2.0
CODEGEN_GOAL_S = 0.2


def project_with(n: int) -> object:
    """A 500-node project: an Input, then residual Dense blocks (branches and Add merges)."""
    from visualnn.core.graph import Edge, Graph, Node
    from visualnn.core.project import Project

    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [32]}))
    last = "input_1"
    i = 0
    while len(g) < n:
        i += 1
        a, b, add = f"dense_a{i}", f"dense_b{i}", f"add_{i}"
        g.add_node(Node(a, "Dense", {"units": 32, "activation": "relu"}))
        g.add_node(Node(b, "Dense", {"units": 32}))
        g.add_node(Node(add, "Add", {}))
        g.connect(Edge.of(last, a))
        g.connect(Edge.of(a, b))
        g.connect(Edge.of(last, add, dst_port=0))
        g.connect(Edge.of(b, add, dst_port=1))
        last = add
    return Project(g, name="bench")


def best_of(fn: object, repeat: int) -> float:
    """Fastest wall time of ``repeat`` calls (the machine is shared; the minimum is the signal)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    """Print each figure beside its goal; exit 1 when a goal is missed."""
    from visualnn.core.codegen import generate_model_code, generate_script

    project = project_with(500)
    n = len(project.graph)  # type: ignore[attr-defined]
    t_model = best_of(lambda: generate_model_code(project, "functional"), 5)
    t_script = best_of(lambda: generate_script(project, "functional"), 5)
    print(f"export-code, {n} nodes: model {t_model * 1000:.0f} ms, full script {t_script * 1000:.0f} ms "
          f"(goal <= {CODEGEN_GOAL_S * 1000:.0f} ms)")

    import keras

    from visualnn.services.importing import import_model

    model = keras.applications.DenseNet121(weights=None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "densenet121.json"
        path.write_text(model.to_json())
        t0 = time.perf_counter()
        import_model(path)  # cold: the first Keras layer constructions pay one-off costs
        t_cold = time.perf_counter() - t0
        t_import = best_of(lambda: import_model(path), 3)
        result = import_model(path)
    layers = len(result.graph)
    print(f"import DenseNet121 ({layers} layers) into a laid-out graph: {t_import:.2f} s warm, {t_cold:.2f} s cold "
          f"(goal <= {IMPORT_GOAL_S} s)")
    figures = {"codegen_model_ms": t_model * 1000, "codegen_script_ms": t_script * 1000, "import_densenet_s": t_import,
               "import_densenet_cold_s": t_cold}
    print(json.dumps(figures))
    ok = t_script <= CODEGEN_GOAL_S and t_cold <= IMPORT_GOAL_S
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
