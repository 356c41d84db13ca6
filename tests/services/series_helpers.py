"""A time series with two target columns and a model with one Input (the window) and one output per column.

The CSV has columns ``time``, ``temp``, ``hum`` (numbers) and ``site`` (text); the model's Input takes
windows of 8 steps of the 3 numeric columns and its outputs ``temp`` and ``hum`` (Dense 1 each) predict
those columns ``horizon`` steps after the window (issue 14: a time series with several target columns).
"""

from __future__ import annotations

import math
import os
from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings

LENGTH = 8


def write_series(folder: str, rows: int = 240, name: str = "series.csv") -> str:
    """``folder/name``: a few hundred rows of two learnable signals and a text column; returns the path."""
    lines = ["time,temp,hum,site"]
    for i in range(rows):
        temp = 20 + 5 * math.sin(i / 6) + (i % 5) * 0.1
        hum = 60 + 10 * math.cos(i / 9) - (i % 3) * 0.2
        lines.append(f"{i},{temp:.4f},{hum:.4f},{'north' if i % 2 else 'south'}")
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def series_graph(outputs: tuple[str, ...] = ("temp", "hum"), features: int = 3, units: int = 1) -> Graph:
    """window (8, features) -> Flatten -> Dense 16 -> one Dense(``units``) per name in ``outputs``."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [LENGTH, features]}, name="window"))
    g.add_node(Node("flatten_1", "Flatten", {}))
    g.add_node(Node("dense_1", "Dense", {"units": 16, "activation": "relu"}))
    g.connect(Edge.of("input_1", "flatten_1"))
    g.connect(Edge.of("flatten_1", "dense_1"))
    for i, name in enumerate(outputs):
        g.add_node(Node(f"out_{i}", "Dense", {"units": units, "activation": None}, name=name))
        g.connect(Edge.of("dense_1", f"out_{i}"))
    return g


def series_project(data_path: str = "series.csv", epochs: int = 2, graph: Graph | None = None,
                   **window: Any) -> Project:
    """The two-output project on ``data_path``; ``window`` adds WindowOptions (targets, outputs...)."""
    spec = DatasetSpec("timeseries", data_path, {"window": {"length": LENGTH, "horizon": 2, **window},
                                                 "split": {"val": 0.2, "test": 0.1}})
    cfg = TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=epochs, batch_size=16, seed=1,
                         outputs=(OutputSettings("temp", "mean_squared_error", 1.0, ("mae",)),
                                  OutputSettings("hum", "mean_squared_error", 0.5, ("mae",))))
    return Project(graph or series_graph(), "series", spec, cfg)
