"""Shape inference over the catalog's heavier layers vs Keras building the same model.

A ~500-node functional graph of residual blocks that exercises convolution, normalization,
pooling, merge, recurrent and attention rules. Prints the median inference time (goal: <= 20 ms,
and <= 5 % of Keras's construction time measured in the same run) and checks that every node's
inferred shape and count equal Keras's.

Run: ``.venv/bin/python bench/bench_shapes_vs_keras.py`` (``--no-keras`` for inference only).
Exits 1 when a goal is missed or a node disagrees with Keras.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node  # noqa: E402
from visualnn.core.shapes import infer_shapes  # noqa: E402

GOAL_MS = 20.0
GOAL_FRACTION = 0.05


def mixed_graph(blocks: int) -> Graph:
    """Input -> ``blocks`` residual conv blocks (8 nodes each) -> sequence head with attention."""
    g = Graph(FUNCTIONAL)
    counter = 0

    def add(type_id: str, sources: list[str], **params: object) -> str:
        nonlocal counter
        counter += 1
        nid = f"{type_id.lower()}_{counter}"
        g.add_node(Node(nid, type_id, dict(params)))
        for port, src in enumerate(sources):
            g.connect(Edge.of(src, nid, dst_port=port))
        return nid

    x = add("Input", [], shape=[16, 16, 8])
    x = add("Rescaling", [x])
    for _ in range(blocks):
        y = add("Conv2D", [x], filters=8, padding="same")
        y = add("BatchNormalization", [y])
        y = add("ReLU", [y])
        y = add("SeparableConv2D", [y], filters=8, padding="same")
        y = add("GroupNormalization", [y], groups=4)
        y = add("SpatialDropout2D", [y], rate=0.1)
        x = add("Add", [x, y])
        x = add("Activation", [x], activation="relu")
    x = add("Reshape", [x], target_shape=[16, -1])
    x = add("LSTM", [x], units=16, return_sequences=True)
    a = add("MultiHeadAttention", [x, x], num_heads=2, key_dim=8)
    x = add("Concatenate", [x, a])
    x = add("GlobalAveragePooling1D", [x])
    add("Dense", [x], units=10, activation="softmax")
    return g


def main() -> int:
    """Run the benchmark; 0 when every goal is met."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras baseline and parity check")
    parser.add_argument("--blocks", type=int, default=62, help="residual blocks (8 nodes each)")
    args = parser.parse_args()

    graph = mixed_graph(args.blocks)
    report = infer_shapes(graph)
    assert not report.errors, report.errors
    runs = []
    for _ in range(30):
        t0 = time.perf_counter()
        infer_shapes(graph)
        runs.append(time.perf_counter() - t0)
    infer_ms = statistics.median(runs) * 1000
    ok = infer_ms <= GOAL_MS
    print(f"shape inference, {len(graph)} nodes: {infer_ms:.1f} ms (goal <= {GOAL_MS:.0f} ms) {'OK' if ok else 'MISSED'}")
    print(f"  total params {report.total_params:,} (non-trainable {report.non_trainable_params:,})")
    if args.no_keras:
        return 0 if ok else 1

    import keras

    from visualnn.services.keras_builder import build_model

    build_model(graph)  # warm-up: TensorFlow's first graph pays one-off costs
    keras.backend.clear_session()
    t0 = time.perf_counter()
    model = build_model(graph)
    keras_ms = (time.perf_counter() - t0) * 1000
    fraction = infer_ms / keras_ms
    fraction_ok = fraction <= GOAL_FRACTION
    print(
        f"Keras builds the same model: {keras_ms:.0f} ms; inference is {fraction:.2%} of it "
        f"(goal <= {GOAL_FRACTION:.0%}) {'OK' if fraction_ok else 'MISSED'}"
    )
    from tests.services.parity_helpers import keras_facts

    wrong = []
    for nid, node in graph.nodes.items():
        if node.type == "Input":
            continue
        shape, count = keras_facts(model.get_layer(node.label))
        info = report.nodes[nid]
        if (info.output, info.params) != (shape, count):
            wrong.append(f"{nid}: {info.output} {info.params} != Keras {shape} {count}")
    print(f"nodes agreeing with Keras: {len(graph) - 1 - len(wrong)}/{len(graph) - 1}")
    for line in wrong[:10]:
        print("  ", line)
    return 0 if ok and fraction_ok and not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
