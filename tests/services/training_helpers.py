"""Tiny synthetic projects and data shared by the training, evaluation, engine and UI tests."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
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


def tiny_project(graph: Graph | None = None, **training: Any) -> Project:
    """A project without a dataset (jobs send inline data), as the services take it."""
    return Project(graph or mlp_graph(), "test", None, TrainingConfig(**{"epochs": 2, "batch_size": 16, **training}))


def project_dict(graph: Graph | None = None, **training: Any) -> dict[str, Any]:
    """:func:`tiny_project` as a job payload carries it (``Project.to_dict()``)."""
    return dict(tiny_project(graph, **training).to_dict())
