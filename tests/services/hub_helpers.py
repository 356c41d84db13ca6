"""Tiny KerasHub ResNet presets made here (``save_to_preset`` of a randomly initialised backbone): nothing is
ever downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from visualnn.core.graph import Edge, Graph, Node

TINY = {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64, 16],
        "stackwise_num_blocks": [1, 1], "stackwise_num_strides": [1, 2], "block_type": "basic_block"}
"""A small ResNet (about 120k weights): 64 filters first (KerasHub requires it), one basic block per stack."""


def tiny_preset(folder: Path, seed: int = 0, **overrides: Any) -> Path:
    """A preset directory (config.json, model.weights.h5, metadata.json) of a seeded random tiny ResNet."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.ResNetBackbone(**{**TINY, **overrides})
    folder.mkdir(parents=True, exist_ok=True)
    backbone.save_to_preset(str(folder))
    return folder


def hub_graph(preset: str, size: list[int], classes: int = 0, **params: Any) -> Graph:
    """Input -> KerasHubResNet (label ``backbone``) [-> Dense(classes, softmax)]."""
    from visualnn.services.hub_presets import preset_params

    settings = dict(preset_params(preset, "backbone") if not preset.startswith("resnet_") else {"preset": preset})
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": size}))
    g.add_node(Node("bb", "KerasHubResNet", {**settings, **params}, name="backbone"))
    g.connect(Edge.of("input_1", "bb"))
    if classes:
        g.add_node(Node("head", "Dense", {"units": classes, "activation": "softmax"}))
        g.connect(Edge.of("bb", "head"))
    return g
