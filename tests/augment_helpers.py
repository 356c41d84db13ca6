"""A tiny image folder and image models with augmentation layers, shared by the augmentation preview's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project


def write_folder(root: Path, per_class: int = 3, height: int = 12, width: int = 16, mode: str = "RGB") -> Path:
    """Two classes of random ``width`` x ``height`` PNGs with no left-right symmetry (a flip always shows)."""
    rng = np.random.default_rng(0)
    channels = 3 if mode == "RGB" else 1
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            a = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
            Image.fromarray(a[..., 0] if channels == 1 else a, mode).save(root / cls / f"{cls}_{i}.png")
    return root


def chain_graph(layers: list[tuple[str, str, dict[str, Any]]], shape: tuple[int, int, int] = (12, 16, 3),
                head: bool = True) -> Graph:
    """Input(shape) -> each (id, type, params) of ``layers`` in order -> Flatten -> Dense(2) (``head``)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": list(shape)}))
    ids = ["input_1"]
    for nid, layer_type, params in layers:
        g.add_node(Node(nid, layer_type, params))
        ids.append(nid)
    if head:
        g.add_node(Node("flatten", "Flatten", {}))
        g.add_node(Node("out", "Dense", {"units": 2, "activation": "softmax"}))
        ids += ["flatten", "out"]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(Edge.of(a, b))
    return g


def image_project(graph: Graph, folder: Path, height: int = 12, width: int = 16, rescale: str = "0_1",
                  color_mode: str = "rgb") -> Project:
    """A project with ``graph`` and the image folder attached (path relative to the folder's parent)."""
    options = {"image": {"image_size": [height, width], "rescale": rescale, "color_mode": color_mode}}
    return Project(graph, "augment", DatasetSpec("images", folder.name, options))
