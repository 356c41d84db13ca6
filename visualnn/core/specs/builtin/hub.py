"""KerasHub backbones: the ResNet family of ``keras_hub`` as one node (``KerasHubResNet``).

The node's ``preset`` is a built-in KerasHub preset name (``resnet_50_imagenet``: downloaded from Kaggle on
first use) or the path of a local preset directory (``config.json`` + ``model.weights.h5``, what
``backbone.save_to_preset(dir)`` writes). Everything shape inference and the parameter count need is here
without TensorFlow: the built-in presets' architectures (the documented ``ResNetBackbone`` arguments), and
:func:`resnet_facts`, the exact weight count and down-sampling of any ResNet configuration (checked against
``keras_hub`` by ``tests/services/test_hub_resnet.py``). For a directory, a services function reads its
``config.json`` through :func:`resnet_facts` and the node keeps the result in its ``channels``,
``hub_trainable``, ``hub_non_trainable`` and ``downsampling`` settings, so the core never reads the file.

The node builds as ``keras.Sequential([Rescaling(scale, offset), keras_hub.models.Backbone.from_preset(preset),
<pooling>], name=<node>)``: KerasHub ResNet's ImageConverter (pixels * 1 / (255 * std) - mean / std per channel,
ImageNet's mean and standard deviation) as a layer in front, so the model takes raw 0-255 pixels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from visualnn.core.specs.base import (
    CHOICE,
    INT,
    STR,
    CallFn,
    KerasCall,
    LayerSpec,
    ParamCount,
    ParamSpec,
    Shape,
    ShapeError,
)
from visualnn.core.specs.builtin.pretrained import (
    CATEGORY,
    TORCH_MODE,
    image_input,
    mode_calls,
)

HUB_RESNET = "KerasHubResNet"
FROM_PRESET = "keras_hub.models.Backbone.from_preset"
HUB_CLASS = "ResNetBackbone"
"""The ``registered_name`` a ResNet preset's config.json names (``keras_hub>ResNetBackbone``)."""
BASIC, BOTTLENECK = "basic_block", "bottleneck_block"
DOC_URL = "https://keras.io/keras_hub/api/models/resnet/resnet_backbone/"


@dataclass(frozen=True)
class ResNetFacts:
    """What VisualNN needs of one ResNet architecture (3 input channels, no head)."""

    trainable: int
    non_trainable: int
    channels: int  # feature channels at the end
    downsampling: int  # the feature map is ceil(size / downsampling) along each axis

    def spatial(self, size: int | None) -> int | None:
        """The feature map's size along one axis for an input of ``size`` pixels (every stride-s stage of
        KerasHub's ResNet pads, so it rounds up: ceil(ceil(n / a) / b) = ceil(n / (a * b)))."""
        return None if size is None else math.ceil(size / self.downsampling)


def resnet_facts(config: Mapping[str, Any]) -> ResNetFacts:
    """The facts of a ``ResNetBackbone`` config (its ``get_config()``, as in a preset's ``config.json``), counted
    layer by layer as ``keras_hub`` builds it: convolutions without bias, BatchNormalization with 2 trainable
    and 2 non-trainable weights per channel. Raises ValueError for a config this does not describe (ResNet-vd)."""
    block = config["block_type"]
    if block not in (BASIC, BOTTLENECK):
        raise ValueError(f"block_type {block!r} (only ResNet and ResNetV2 presets are supported, not ResNet-vd)")
    pre = bool(config.get("use_pre_activation", False))
    stem_f = [int(f) for f in config["input_conv_filters"]]
    stem_k = [int(k) for k in config["input_conv_kernel_sizes"]]
    filters = [int(f) for f in config["stackwise_num_filters"]]
    blocks = [int(b) for b in config["stackwise_num_blocks"]]
    strides = [int(s) for s in config["stackwise_num_strides"]]
    channels = int((config.get("image_shape") or [None, None, 3])[-1] or 3)
    weights = 0  # kernels and BN gamma/beta
    bn = 0  # BN channels (each: 2 trainable, 2 moving statistics)
    weights += stem_k[0] * stem_k[0] * channels * stem_f[0]
    for i in range(1, len(stem_f)):
        bn += stem_f[i - 1]
        weights += stem_k[i] * stem_k[i] * stem_f[i - 1] * stem_f[i]
    if not pre:
        bn += stem_f[-1]
    c = stem_f[-1]
    for s, (f, n) in enumerate(zip(filters, blocks, strict=True)):
        out = 4 * f if block == BOTTLENECK else f
        for b in range(n):
            shortcut = b == 0 and (block != BASIC or s > 0)
            if pre:
                bn += c
            if shortcut:
                weights += c * out
                bn += 0 if pre else out
            if block == BASIC:
                weights += 9 * c * f + 9 * f * f
                bn += f + (0 if pre else f)
            else:
                weights += c * f + 9 * f * f + f * out
                bn += 2 * f + (0 if pre else out)
            c = out
    if pre:
        bn += c
    return ResNetFacts(weights + 2 * bn, 2 * bn, c, 4 * math.prod(strides))


def _resnet(blocks: list[int], block: str, pre: bool = False) -> dict[str, Any]:
    return {"input_conv_filters": [64], "input_conv_kernel_sizes": [7], "stackwise_num_filters": [64, 128, 256, 512],
            "stackwise_num_blocks": blocks, "stackwise_num_strides": [1, 2, 2, 2], "block_type": block,
            "use_pre_activation": pre}


PRESETS: dict[str, dict[str, Any]] = {
    "resnet_18_imagenet": _resnet([2, 2, 2, 2], BASIC),
    "resnet_50_imagenet": _resnet([3, 4, 6, 3], BOTTLENECK),
    "resnet_101_imagenet": _resnet([3, 4, 23, 3], BOTTLENECK),
    "resnet_152_imagenet": _resnet([3, 8, 36, 3], BOTTLENECK),
    "resnet_v2_50_imagenet": _resnet([3, 4, 6, 3], BOTTLENECK, pre=True),
    "resnet_v2_101_imagenet": _resnet([3, 4, 23, 3], BOTTLENECK, pre=True),
}
"""The built-in KerasHub ResNet presets: the ``ResNetBackbone`` arguments of each (keras_hub's documented
architectures; ``tests/services/test_hub_resnet.py`` builds each and compares the weight count)."""
PRESET_FACTS = {name: resnet_facts(cfg) for name, cfg in PRESETS.items()}
DEFAULT_PRESET = "resnet_50_imagenet"
FACT_PARAMS = ("channels", "hub_trainable", "hub_non_trainable", "downsampling")
"""The settings that hold a preset directory's facts (read from its config.json when it is chosen)."""


def code_imports(node_types: Any) -> list[str]:
    """The extra import lines generated code needs for these node types (``import keras_hub`` for this node)."""
    return ["import keras_hub"] if HUB_RESNET in set(node_types) else []


def code_requirements(node_types: Any) -> dict[str, str]:
    """The extra packages (name: tested minor version) an exported script needs for these node types."""
    return {"keras-hub": "0.32"} if HUB_RESNET in set(node_types) else {}


def is_builtin(preset: Any) -> bool:
    """Whether ``preset`` names a built-in preset (rather than a directory)."""
    return isinstance(preset, str) and preset in PRESETS


def node_facts(label: str, params: Mapping[str, Any]) -> ResNetFacts:
    """The facts of a node: from the table for a built-in name, from its stored settings for a directory."""
    preset = params.get("preset")
    if not isinstance(preset, str) or not preset.strip():
        raise ShapeError(f"{label} needs a preset: one of {', '.join(PRESETS)} or the path of a preset directory.")
    if is_builtin(preset):
        return PRESET_FACTS[preset]
    values = [int(params.get(name) or 0) for name in FACT_PARAMS]
    if values[0] <= 0 or values[1] <= 0 or values[3] <= 0:
        raise ShapeError(
            f"{label}: {preset!r} is not a built-in KerasHub ResNet preset ({', '.join(PRESETS)}), and the "
            "architecture of a preset directory is not known yet. Choose the directory with 'preset folder...' "
            "in the inspector, so its config.json is read."
        )
    return ResNetFacts(values[1], values[2], values[0], values[3])


def facts_params(facts: ResNetFacts) -> dict[str, int]:
    """The node settings that store a directory's facts."""
    return dict(zip(FACT_PARAMS, (facts.channels, facts.trainable, facts.non_trainable, facts.downsampling),
                    strict=True))


def _infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = image_input(HUB_RESNET, inputs, 224)
    facts = node_facts(HUB_RESNET, params)
    if params.get("pooling") in ("avg", "max"):
        return (x[0], facts.channels)
    return (x[0], facts.spatial(x[1]), facts.spatial(x[2]), facts.channels)


def _count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> ParamCount:
    facts = node_facts(HUB_RESNET, params)
    return ParamCount(facts.trainable, facts.non_trainable)


def _shaped_call(spec: LayerSpec, params: dict[str, Any], inputs: list[Shape]) -> KerasCall:
    x = inputs[0] if inputs and len(inputs[0]) == 4 else (None, None, None, 3)
    # Grayscale repeated to RGB, then KerasHub ResNet's ImageConverter: ImageNet's per-channel standardization, the
    # same arithmetic as keras.applications' "torch" mode (one Rescaling, as the converter itself does).
    layers: list[Any] = [*mode_calls(TORCH_MODE, x[3]), KerasCall(FROM_PRESET, {"preset": params["preset"]})]
    pooling = params.get("pooling")
    if pooling == "avg":
        layers.append(KerasCall("keras.layers.GlobalAveragePooling2D", {}))
    elif pooling == "max":
        layers.append(KerasCall("keras.layers.GlobalMaxPooling2D", {}))
    return KerasCall("keras.Sequential", {"layers": layers})


def _unshaped_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    return _shaped_call(spec, params, [])


_keras_call: CallFn = _unshaped_call


def _params() -> tuple[ParamSpec, ...]:
    fact = "Read from the preset directory's config.json when it is chosen (unused for a built-in preset)."
    return (
        ParamSpec("preset", STR, DEFAULT_PRESET,
                  f"A built-in KerasHub preset ({', '.join(PRESETS)}; downloaded once from Kaggle) or the path of a "
                  "local preset directory (config.json + model.weights.h5, written by save_to_preset)."),
        ParamSpec("pooling", CHOICE, "avg",
                  "How the feature map becomes one vector: avg (global average), max, or None to keep the map.",
                  choices=(None, "avg", "max"), optional=True),
        ParamSpec("channels", INT, 0, "Feature channels of a preset directory. " + fact, min=0, advanced=True),
        ParamSpec("hub_trainable", INT, 0, "Trainable weights of a preset directory. " + fact, min=0,
                  advanced=True),
        ParamSpec("hub_non_trainable", INT, 0, "Non-trainable weights of a preset directory. " + fact, min=0,
                  advanced=True),
        ParamSpec("downsampling", INT, 0, "How much a preset directory's network shrinks an image. " + fact,
                  min=0, advanced=True),
    )


SPEC = LayerSpec(
    type=HUB_RESNET,
    category=CATEGORY,
    doc="KerasHub ResNet: a deep residual network from a KerasHub preset (ResNet 18-152, ResNetV2). "
        "Takes raw 0-255 pixels: its own input preprocessing is built in.",
    params=_params(),
    infer=_infer,
    count_params=_count,
    keras_class=FROM_PRESET,
    keras_call=_keras_call,
    shaped_call=_shaped_call,
    key_params=("preset", "pooling"),
    doc_url=DOC_URL,
)

SPECS = [SPEC]
