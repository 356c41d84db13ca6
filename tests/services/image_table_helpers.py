"""An image folder (two class folders of tiny PNGs) plus a CSV of per-image values keyed by file name (issue 14).

Images are 8x8 RGB: class ``bright`` is light, ``dark`` is dark. The CSV ``meta.csv`` has ``file`` (the key:
``<class>/<name>.png``), ``size`` (a number feeding Input ``meta``) and ``score`` (a regression target).
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings


def write_images(folder: str, n: int = 40, seed: int = 0, key_style: str = "path") -> list[str]:
    """``n`` PNGs in ``images/bright`` and ``images/dark`` plus ``meta.csv``; returns the keys in file order."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        cls = "bright" if i % 2 == 0 else "dark"
        os.makedirs(os.path.join(folder, "images", cls), exist_ok=True)
        level = 200 if cls == "bright" else 40
        pixels = np.clip(rng.normal(level, 20, size=(8, 8, 3)), 0, 255).astype(np.uint8)
        name = f"img{i:03d}.png"
        Image.fromarray(pixels).save(os.path.join(folder, "images", cls, name))
        size = float(rng.normal(5, 2))
        key = f"{cls}/{name}" if key_style == "path" else name
        rows.append({"file": key, "size": size, "score": 2.0 * size + (1.0 if cls == "bright" else 0.0)})
    pd.DataFrame(rows).to_csv(os.path.join(folder, "meta.csv"), index=False)
    return [r["file"] for r in rows]


def image_graph(image_shape: tuple[int, int, int] = (8, 8, 3), score: bool = True, meta: bool = True) -> Graph:
    """image [8,8,3] -> Flatten -> Dense 8 ┐ meta [1] ┴ Concatenate -> class (Dense 1 sigmoid), score (Dense 1)."""
    g = Graph("functional")
    g.add_node(Node("input_1", "Input", {"shape": list(image_shape)}, name="image"))
    g.add_node(Node("flatten_1", "Flatten", {}))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}))
    g.connect(Edge.of("input_1", "flatten_1"))
    g.connect(Edge.of("flatten_1", "dense_1"))
    top = "dense_1"
    if meta:
        g.add_node(Node("input_2", "Input", {"shape": [1]}, name="meta"))
        g.add_node(Node("concatenate_1", "Concatenate", {}))
        g.connect(Edge.of("dense_1", "concatenate_1"))
        g.connect(Edge.of("input_2", "concatenate_1", dst_port=1))
        top = "concatenate_1"
    g.add_node(Node("dense_2", "Dense", {"units": 1, "activation": "sigmoid"}, name="class"))
    g.connect(Edge.of(top, "dense_2"))
    if score:
        g.add_node(Node("dense_3", "Dense", {"units": 1, "activation": None}, name="score"))
        g.connect(Edge.of(top, "dense_3"))
    return g


def image_spec(**image: Any) -> DatasetSpec:
    """The image folder with ``meta.csv``: ``size`` feeds Input ``meta``, ``score`` is output score's target."""
    opts: dict[str, Any] = {"image_size": [8, 8], "color_mode": "rgb", "rescale": "0_1", "table": "meta.csv"}
    opts.update(image)
    return DatasetSpec("images", "images", {
        "image": opts, "split": {"val": 0.2, "test": 0.0, "seed": 3}, "pipeline": {"batch_size": 8},
        "columns": {"size": {"role": "feature", "input": "meta"}, "score": {"role": "target", "output": "score"}}})


def image_project(graph: Graph | None = None, spec: DatasetSpec | None = None) -> Project:
    """Two Inputs (image, meta), two outputs (class: binary, score: regression), 1 epoch."""
    cfg = TrainingConfig(
        loss="binary_crossentropy", metrics=("accuracy",), epochs=1, batch_size=8, seed=1, deterministic=True,
        device="cpu",
        outputs=(OutputSettings("class", "binary_crossentropy", 1.0, ("accuracy",)),
                 OutputSettings("score", "mean_squared_error", 0.5, ("mae",))),
    )
    return Project(graph or image_graph(), "image-table", spec or image_spec(), cfg)


def flat_score_setup(folder: str, n: int = 40) -> tuple[list[str], Graph, DatasetSpec]:
    """A flat folder (no class folders, keyed by file name) of ``n`` images, and image [8,8,3] -> Flatten ->
    score (Dense 1): one Input, one regression output. Returns the keys, the graph and the table's spec."""
    import shutil

    keys = write_images(folder, n=n, key_style="name")
    flat = os.path.join(folder, "images")
    for cls in ("bright", "dark"):
        for item in os.listdir(os.path.join(flat, cls)):
            shutil.move(os.path.join(flat, cls, item), os.path.join(flat, item))
        os.rmdir(os.path.join(flat, cls))
    g = Graph("functional")
    g.add_node(Node("input_1", "Input", {"shape": [8, 8, 3]}, name="image"))
    g.add_node(Node("flatten_1", "Flatten", {}))
    g.add_node(Node("dense_1", "Dense", {"units": 1, "activation": None}, name="score"))
    g.connect(Edge.of("input_1", "flatten_1"))
    g.connect(Edge.of("flatten_1", "dense_1"))
    return keys, g, image_spec(key=None).with_column("size", role="ignore", input=None)
