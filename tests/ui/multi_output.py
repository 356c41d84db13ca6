"""A two-input, two-output model for the Training and Evaluation views (the shape of the two-input template)."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node

OUTPUTS = ["kind", "score"]


def two_output_graph() -> Graph:
    """Inputs ``tabular`` (8,) and ``sequence`` (12, 3); outputs ``kind`` (Dense 3 softmax) and ``score`` (Dense 1)."""
    g = Graph(FUNCTIONAL)

    def add(nid: str, type_id: str, sources: list[str], name: str | None = None, **params: Any) -> None:
        g.add_node(Node(nid, type_id, params, (0.0, 100.0 * len(g.nodes)), name))
        for port, src in enumerate(sources):
            g.connect(Edge.of(src, nid, dst_port=port))

    add("input_1", "Input", [], "tabular", shape=[8])
    add("dense_1", "Dense", ["input_1"], units=16, activation="relu")
    add("input_2", "Input", [], "sequence", shape=[12, 3])
    add("lstm_1", "LSTM", ["input_2"], units=16)
    add("concatenate_1", "Concatenate", ["dense_1", "lstm_1"])
    add("dense_2", "Dense", ["concatenate_1"], units=16, activation="relu")
    add("dense_3", "Dense", ["dense_2"], "kind", units=3, activation="softmax")
    add("dense_4", "Dense", ["dense_2"], "score", units=1)
    return g


def two_output_epoch(epoch: int) -> dict[str, float]:
    """Keras's epoch logs of that model compiled with accuracy for ``kind`` and mae for ``score``."""
    f = 1.0 / epoch
    logs = {"loss": 1.5 * f, "kind_loss": 1.0 * f, "score_loss": 0.5 * f, "kind_accuracy": 1 - 0.5 * f,
            "score_mae": 0.6 * f}
    return {**logs, **{f"val_{k}": v * 1.1 for k, v in logs.items()}}
