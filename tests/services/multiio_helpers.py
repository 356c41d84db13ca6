"""A two-input, two-output functional project and its named-part .npz, shared by the multi-IO tests.

The graph is the two-input template's shape (Inputs ``tabular`` [8] and ``sequence`` [12, 3] ->
outputs ``kind`` (Dense 3 softmax) and ``score`` (Dense 1 linear)), built here so the tests do not
depend on the template's other details.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings


def two_io_graph(kind_units: int = 3, score_first: bool = False, tabular_shape: int = 8) -> Graph:
    """tabular [8] -> Dense 16 ┐
    sequence [12, 3] -> Flatten ┴ Concatenate -> Dense 16 -> kind (Dense 3 softmax), score (Dense 1).

    ``score_first`` puts the score output first in the model's output order.
    """
    g = Graph()
    nodes = [
        Node("input_1", "Input", {"shape": [tabular_shape]}, name="tabular"),
        Node("dense_1", "Dense", {"units": 16, "activation": "relu"}),
        Node("input_2", "Input", {"shape": [12, 3]}, name="sequence"),
        Node("flatten_1", "Flatten", {}),
        Node("concatenate_1", "Concatenate", {}),
        Node("dense_2", "Dense", {"units": 16, "activation": "relu"}),
        Node("dense_3", "Dense", {"units": kind_units, "activation": "softmax"}, name="kind"),
        Node("dense_4", "Dense", {"units": 1, "activation": None}, name="score"),
    ]
    if score_first:
        nodes[-2:] = nodes[-1:-3:-1]
    for node in nodes:
        g.add_node(node)
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("input_2", "flatten_1"))
    g.connect(Edge.of("dense_1", "concatenate_1", dst_port=0))
    g.connect(Edge.of("flatten_1", "concatenate_1", dst_port=1))
    g.connect(Edge.of("concatenate_1", "dense_2"))
    g.connect(Edge.of("dense_2", "dense_3"))
    g.connect(Edge.of("dense_2", "dense_4"))
    return g


def arrays(n: int = 240, seed: int = 0) -> dict[str, Any]:
    """``tabular`` (n, 8), ``sequence`` (n, 12, 3), ``kind`` ints 0..2 and ``score`` floats, learnable."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tabular = (rng.normal(size=(n, 8)) * 3.0 + 5.0).astype("float32")  # unscaled: the app standardizes it
    sequence = rng.normal(size=(n, 12, 3)).astype("float32")
    kind = ((tabular[:, 0] > 5.0).astype(int) + (sequence[:, :, 0].mean(axis=1) > 0).astype(int)).astype("int64")
    score = (0.5 * tabular[:, 1] + sequence[:, :, 1].sum(axis=1)).astype("float32")
    return {"tabular": tabular, "sequence": sequence, "kind": kind, "score": score}


def write_npz(folder: str, name: str = "parts.npz", **parts: Any) -> str:
    """Save ``parts`` (default: :func:`arrays`) as ``folder/name``; returns the path."""
    import numpy as np

    path = os.path.join(folder, name)
    np.savez(path, **(parts or arrays()))
    return path


def two_io_project(data_path: str = "parts.npz", epochs: int = 2, batch_size: int = 32, graph: Graph | None = None,
                   **options: Any) -> Project:
    """The two-input, two-output project on ``data_path`` with a loss and metrics per output."""
    spec = DatasetSpec("numpy", data_path, {"split": {"val": 0.2, "test": 0.2, "seed": 3}, **options})
    cfg = TrainingConfig(
        loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=epochs, batch_size=batch_size, seed=1,
        outputs=(OutputSettings("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
                 OutputSettings("score", "mean_squared_error", 0.5, ("mae",))),
    )
    return Project(graph or two_io_graph(), "two-io", spec, cfg)
