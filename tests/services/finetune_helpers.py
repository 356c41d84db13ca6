"""A catalog with a nested-model node (a small keras.applications backbone) and graphs for the freezing tests."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node
from visualnn.core.specs import KerasCall, LayerSpec, ParamSpec, Registry, Shape, default_registry
from visualnn.core.specs.base import INT


def _backbone_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    return KerasCall("keras.applications.MobileNetV3Small", {
        "input_shape": (32, 32, 3), "include_top": False, "weights": None, "pooling": "avg", "minimalistic": True,
        "alpha": 0.75, "include_preprocessing": False})


BACKBONE = LayerSpec(
    type="TinyBackbone", category="core", doc="MobileNetV3Small (minimalistic, alpha 0.75) at 32x32, for tests.",
    params=(ParamSpec("unused", INT, 0),), infer=lambda params, inputs: (None, 432),
    count_params=lambda params, inputs, out: 273_800, keras_call=_backbone_call,
)
"""Its Keras object is a nested keras.Model of 103 layers (34 BatchNormalization): the shape a backbone node has."""


def backbone_registry() -> Registry:
    """The built-in catalog plus :data:`BACKBONE`."""
    registry = Registry()
    for spec in default_registry():
        registry.register(spec)
    registry.register(BACKBONE)
    return registry


def backbone_graph(frozen: bool = True) -> Graph:
    """Input(32x32x3) -> TinyBackbone (frozen) -> Dense(2, softmax)."""
    g = Graph(FUNCTIONAL)
    g.add_node(Node("input_1", "Input", {"shape": [32, 32, 3]}))
    g.add_node(Node("backbone", "TinyBackbone", {"trainable": False} if frozen else {}))
    g.add_node(Node("head", "Dense", {"units": 2, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "backbone"))
    g.connect(Edge.of("backbone", "head"))
    return g


def conv_graph(mode: str = FUNCTIONAL, frozen: tuple[str, ...] = ("conv_a", "bn", "conv_b")) -> Graph:
    """Input(8x8x3) -> Conv2D conv_a -> BatchNormalization bn -> Conv2D conv_b -> Flatten -> Dense head(3)."""
    g = Graph(mode)
    nodes: list[tuple[str, str, dict[str, Any]]] = [
        ("input_1", "Input", {"shape": [8, 8, 3]}),
        ("conv_a", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}),
        ("bn", "BatchNormalization", {}),
        ("conv_b", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}),
        ("flatten", "Flatten", {}),
        ("head", "Dense", {"units": 3, "activation": "softmax"}),
    ]
    for row, (nid, type_, params) in enumerate(nodes):
        g.add_node(Node(nid, type_, {**params, **({"trainable": False} if nid in frozen else {})}, (0.0, 140.0 * row)))
    for (a, _, _), (b, _, _) in zip(nodes, nodes[1:], strict=False):
        g.connect(Edge.of(a, b))
    return g


def images(n: int = 96, seed: int = 0) -> dict[str, Any]:
    """``n`` 8x8x3 images in three classes (the brightest channel), as JSON lists."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 3, size=n)
    x[np.arange(n), :, :, y] += 0.5
    return {"x": x.tolist(), "y": y.tolist()}


SHAPE_OF_BACKBONE: Shape = (None, 432)
