"""A two-input, two-output functional project on a CSV whose columns are grouped into Inputs (issue 14).

Columns: ``x1 x2 x3`` (numbers) and ``color`` (text, 3 categories, one-hot) feed Input ``tabular`` (width 6);
``s1 s2`` feed Input ``extra`` (width 2); ``label`` (text, 3 classes) is the target of output ``kind``,
``value`` (numbers) the target of output ``score``.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings

GROUPS = {"x1": "tabular", "x2": "tabular", "x3": "tabular", "color": "tabular", "s1": "extra", "s2": "extra"}


def csv_graph(tabular: int = 6, extra: int = 2, score: bool = True) -> Graph:
    """tabular [6] -> Dense 16 ┐, extra [2] ┴ Concatenate -> Dense 16 -> kind (Dense 3 softmax), score (Dense 1).

    ``score=False`` leaves the score output out (two Inputs, one output).
    """
    g = Graph("functional")
    nodes = [
        Node("input_1", "Input", {"shape": [tabular]}, name="tabular"),
        Node("dense_1", "Dense", {"units": 16, "activation": "relu"}),
        Node("input_2", "Input", {"shape": [extra]}, name="extra"),
        Node("concatenate_1", "Concatenate", {}),
        Node("dense_2", "Dense", {"units": 16, "activation": "relu"}),
        Node("dense_3", "Dense", {"units": 3, "activation": "softmax"}, name="kind"),
        Node("dense_4", "Dense", {"units": 1, "activation": None}, name="score"),
    ]
    for node in nodes[: None if score else -1]:
        g.add_node(node)
    for a, b in (("input_1", "dense_1"), ("dense_1", "concatenate_1"), ("input_2", "concatenate_1"),
                 ("concatenate_1", "dense_2"), ("dense_2", "dense_3"), ("dense_2", "dense_4")):
        if b in g:
            g.connect(Edge.of(a, b, dst_port=1 if a == "input_2" else 0))
    return g


def write_csv(folder: str, n: int = 300, seed: int = 0, name: str = "rows.csv") -> str:
    """A learnable table of ``n`` rows (a few values missing); returns its path."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * 4 + 10
    color = rng.choice(["red", "green", "blue"], size=n)
    s = rng.normal(size=(n, 2))
    label = np.where(x[:, 0] > 10, "high", np.where(s[:, 0] > 0, "mid", "low"))
    value = 0.5 * x[:, 1] + 2 * s[:, 1] + (color == "red")
    frame = pd.DataFrame({"x1": x[:, 0], "color": color, "x2": x[:, 1], "s1": s[:, 0], "x3": x[:, 2],
                          "s2": s[:, 1], "label": label, "value": value})
    frame.loc[3, "x2"] = np.nan  # a missing number: filled with the training mean
    path = os.path.join(folder, name)
    frame.to_csv(path, index=False)
    return path


def csv_columns(groups: dict[str, str] | None = None, **targets: Any) -> dict[str, Any]:
    """The ``columns`` option: each feature's Input, ``label`` -> kind and ``value`` -> score (or ``targets``)."""
    cols: dict[str, Any] = {name: {"role": "feature", "input": node} for name, node in (groups or GROUPS).items()}
    cols["label"] = {"role": "target", "output": "kind"}
    cols["value"] = {"role": "target", "output": "score"}
    cols.update(targets)
    return cols


def csv_project(data_path: str = "rows.csv", epochs: int = 2, batch_size: int = 32, graph: Graph | None = None,
                columns: dict[str, Any] | None = None) -> Project:
    """The two-input, two-output project on the grouped CSV with a loss and metrics per output."""
    spec = DatasetSpec("csv", data_path, {"split": {"val": 0.2, "test": 0.2, "seed": 3},
                                          "columns": columns if columns is not None else csv_columns()})
    cfg = TrainingConfig(
        loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=epochs, batch_size=batch_size, seed=1,
        deterministic=True, device="cpu",
        outputs=(OutputSettings("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
                 OutputSettings("score", "mean_squared_error", 0.5, ("mae",))),
    )
    return Project(graph or csv_graph(), "csv-groups", spec, cfg)
