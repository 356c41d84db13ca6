"""Tiny synthetic projects and data shared by the training, evaluation, engine and UI tests."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.training_config import TrainingConfig


def mlp_graph(n_features: int = 4, n_classes: int = 3, hidden: int = 16, activation: str | None = "softmax") -> Graph:
    """Input -> Dense(hidden, relu) -> Dense(n_classes, activation)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [n_features]}))
    g.add_node(Node("dense_1", "Dense", {"units": hidden, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": n_classes, "activation": activation}))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return g


def blobs(n: int = 300, n_features: int = 4, seed: int = 0) -> dict[str, Any]:
    """Three separable classes (by the signs of two features) as JSON lists."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    return {"x": x.tolist(), "y": y.tolist()}


def project_dict(graph: Graph | None = None, **training: Any) -> dict[str, Any]:
    """A ``Project.to_dict()``-shaped snapshot without a dataset (jobs send inline data)."""
    cfg = TrainingConfig(**{"epochs": 2, "batch_size": 16, **training})
    return {"name": "test", "graph": (graph or mlp_graph()).to_dict(), "dataset": None,
            "training": cfg.to_dict(), "runs": []}
