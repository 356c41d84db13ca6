"""Pretrained backbones: the ``keras.applications`` families as one node each (transfer learning).

One table row per family holds what VisualNN needs to know without TensorFlow: the exact weight counts of
the network without its top (3 input channels; Keras's own numbers, checked against Keras for every family
by ``tests/services/test_backbones_keras.py``), how it shrinks an image, its feature channels, its ImageNet
head, the preprocessing its ``preprocess_input`` applies and the name of its ImageNet weights file.
One factory (:func:`backbone_spec`) turns each row into a :class:`LayerSpec`.

The node builds as ``keras.Sequential([<preprocessing>, keras.applications.<Family>(...)], name=<node>)``:
the family's ``preprocess_input`` as layers in front, so the model (and every export of it) takes raw
0-255 pixels; a 1-channel (grayscale) input gets its channel repeated three times first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from visualnn.core.specs.base import (
    BOOL,
    CHOICE,
    INT,
    STR,
    CallFn,
    Cost,
    CostFn,
    CountFn,
    InferFn,
    KerasCall,
    LayerSpec,
    ParamCount,
    ParamSpec,
    Shape,
    ShapedCallFn,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin._rules import one_input
from visualnn.core.specs.builtin.backbone_cost_model import BackboneCost, evaluate
from visualnn.core.specs.builtin.backbone_costs_table import TABLE

CATEGORY = "pretrained"
IMAGENET = "imagenet"
WEIGHTS_FILE_SUFFIXES = (".weights.h5", ".h5", ".keras")
"""What a weights file may be (what ``Model.load_weights`` reads)."""
MIN_SIZE = 32
"""Keras refuses smaller images for every family here ("Input size must be at least 32x32")."""

# Preprocessing kinds, after keras.applications.imagenet_utils.preprocess_input's modes.
BUILT_IN = "built-in"  # the model rescales inside itself (include_preprocessing=True); preprocess_input is a no-op
TF_MODE = "tf"  # x / 127.5 - 1: pixels to [-1, 1]
TORCH_MODE = "torch"  # x / 255, then (x - mean) / std per channel with ImageNet's statistics
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

CEIL2, FLOOR2, FLOOR4 = "ceil2", "floor2", "floor4"
"""How one down-sampling stage changes a spatial size (stride-2 'same' convs round up; pooling rounds down)."""


@dataclass(frozen=True)
class Family:
    """One ``keras.applications`` family as VisualNN knows it (include_top=False, 3 channels)."""

    name: str  # the Keras function name, also the node type
    module: str  # keras.applications.<module> (its preprocess_input)
    trainable: int  # weights without the top
    non_trainable: int
    channels: int  # feature channels at the end
    stages: tuple[str, ...]  # down-sampling stages, in order
    default_size: int  # ImageNet resolution (include_top with ImageNet weights needs it)
    head_fixed: int  # the ImageNet head's weights: head_fixed + classes * head_per_class
    head_per_class: int
    preprocessing: str
    weights_stem: str  # ImageNet weights file names: <stem><top or no-top suffix>
    top_suffix: str
    no_top_suffix: str
    doc: str
    doc_slug: str

    def imagenet_file(self, include_top: bool, rows: int | None = None) -> str:
        """The file ``keras.utils.get_file`` caches the ImageNet weights as (``~/.keras/models/<file>``)."""
        stem = self.weights_stem
        if "{rows}" in stem:  # MobileNetV2 has one file per resolution (96 ... 224), 224 otherwise
            stem = stem.format(rows=rows if rows in (96, 128, 160, 192, 224) else 224)
        return stem + (self.top_suffix if include_top else self.no_top_suffix)

    def spatial(self, size: int | None) -> int | None:
        """The feature map's size along one axis for an input of ``size`` pixels."""
        if size is None:
            return None
        for stage in self.stages:
            size = math.ceil(size / 2) if stage == CEIL2 else size // (4 if stage == FLOOR4 else 2)
        return size

    @property
    def keras_function(self) -> str:
        """The dotted constructor path."""
        return f"keras.applications.{self.name}"


_CEIL5 = (CEIL2,) * 5
_V3_DOC = "https://keras.io/api/applications/mobilenet/"
_EFF_DOC = "https://keras.io/api/applications/efficientnet_v2/"


def _effv2(variant: str, trainable: int, non_trainable: int, channels: int, size: int) -> Family:
    return Family(
        f"EfficientNetV2{variant.upper()}", "efficientnet_v2", trainable, non_trainable, channels, _CEIL5, size,
        0, channels + 1, BUILT_IN, f"efficientnetv2-{variant}", ".h5", "_notop.h5",
        f"EfficientNetV2-{variant.upper()}: accurate and efficient; ImageNet resolution {size}x{size}.", _EFF_DOC,
    )


FAMILIES: tuple[Family, ...] = (
    Family("MobileNetV3Small", "mobilenet_v3", 927_008, 12_112, 576, _CEIL5, 224, 576 * 1024 + 1024, 1025,
           BUILT_IN, "weights_mobilenet_v3_small_224_1.0_float", ".h5", "_no_top_v2.h5",
           "MobileNetV3-Small: the smallest and fastest, made for phones and microcontrollers.", _V3_DOC),
    Family("MobileNetV3Large", "mobilenet_v3", 2_971_952, 24_400, 960, _CEIL5, 224, 960 * 1280 + 1280, 1281,
           BUILT_IN, "weights_mobilenet_v3_large_224_1.0_float", ".h5", "_no_top_v2.h5",
           "MobileNetV3-Large: a fast mobile network, more accurate than the small one.", _V3_DOC),
    Family("MobileNetV2", "mobilenet_v2", 2_223_872, 34_112, 1280, _CEIL5, 224, 0, 1281, TF_MODE,
           "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}", ".h5", "_no_top.h5",
           "MobileNetV2: the classic small network for mobile and embedded devices.",
           "https://keras.io/api/applications/mobilenet/"),
    _effv2("b0", 5_858_704, 60_608, 1280, 224),
    _effv2("b1", 6_860_052, 71_072, 1280, 240),
    _effv2("b2", 8_687_086, 82_288, 1408, 260),
    _effv2("b3", 12_821_406, 109_216, 1536, 300),
    Family("ResNet50V2", "resnet_v2", 23_519_360, 45_440, 2048, _CEIL5, 224, 0, 2049, TF_MODE,
           "resnet50v2_weights_tf_dim_ordering_tf_kernels", ".h5", "_notop.h5",
           "ResNet50V2: a deep residual network; large and accurate.", "https://keras.io/api/applications/resnet/"),
    Family("ConvNeXtTiny", "convnext", 27_820_128, 0, 768, (FLOOR4, FLOOR2, FLOOR2, FLOOR2), 224, 0, 769,
           BUILT_IN, "convnext_tiny", ".h5", "_notop.h5",
           "ConvNeXt-Tiny: a modern convolutional network with transformer-era design; large and accurate.",
           "https://keras.io/api/applications/convnext/"),
    Family("DenseNet121", "densenet", 6_953_856, 83_648, 1024, (CEIL2, CEIL2, FLOOR2, FLOOR2, FLOOR2), 224, 0,
           1025, TORCH_MODE, "densenet121_weights_tf_dim_ordering_tf_kernels", ".h5", "_notop.h5",
           "DenseNet121: every layer sees all earlier features; compact for its accuracy.",
           "https://keras.io/api/applications/densenet/"),
)
FAMILY_BY_NAME = {f.name: f for f in FAMILIES}


def family_of(type_id: str) -> Family | None:
    """The family a node type belongs to, or None for other layers."""
    return FAMILY_BY_NAME.get(type_id)


def weights_problem(value: Any, layer: str = "The backbone") -> str | None:
    """Why a ``weights`` value is not ``"imagenet"``, None or the path of a weights file, or None when it is."""
    if value is None or value == IMAGENET:
        return None
    if not isinstance(value, str) or not value.strip():
        return f'{layer} weights must be "imagenet", None (random weights) or the path of a weights file; received {value!r}.'
    if not value.lower().endswith(WEIGHTS_FILE_SUFFIXES):
        return (f"{layer} weights file {value!r} is not a Keras weights file (it must end in "
                f"{', '.join(WEIGHTS_FILE_SUFFIXES)}). Choose one with 'weights from file...'.")
    return None


def image_input(name: str, inputs: list[Shape], imagenet_size: int) -> Shape:
    """The one input of a pretrained network called ``name``: an RGB or grayscale image batch of at least
    :data:`MIN_SIZE` pixels a side, else a ``ShapeError`` saying what to add in front of it."""
    x = one_input(name, inputs)
    if len(x) != 4:
        raise ShapeError(
            f"{name} needs images (samples, height, width, channels); received {fmt_shape(x)}. "
            "Check the Input shape or add a Reshape to (height, width, channels)."
        )
    if x[3] not in (1, 3):
        raise ShapeError(
            f"{name} takes RGB images (3 channels) or grayscale ones (1 channel, repeated to 3); received "
            f"{x[3]} channels in {fmt_shape(x)}. Add a Conv2D with 3 filters in front of it."
        )
    if any(d is not None and d < MIN_SIZE for d in x[1:3]):
        raise ShapeError(
            f"{name} needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels; received {x[1]}x{x[2]}. Add a Resizing "
            f"layer to {imagenet_size}x{imagenet_size} (its ImageNet size) or at least {MIN_SIZE}x{MIN_SIZE} in front "
            "of it."
        )
    return x


def _image(family: Family, params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = image_input(family.name, inputs, family.default_size)
    weights = params.get("weights")
    problem = weights_problem(weights, family.name)
    if problem:
        raise ShapeError(problem)
    if params.get("include_top"):
        classes = int(params.get("classes") or 0)
        if weights == IMAGENET and classes != 1000:
            raise ShapeError(
                f"{family.name} with include_top and ImageNet weights predicts ImageNet's 1000 classes, "
                f"not {classes}. Set include_top off and add a Dense({classes}) after it, "
                "or use weights None (random weights)."
            )
        size = family.default_size
        if weights == IMAGENET and family.module != "mobilenet_v3" and (x[1], x[2]) != (size, size):
            if not (family.name == "MobileNetV2" and x[1] == x[2] and x[1] in (96, 128, 160, 192, 224)):
                raise ShapeError(
                    f"{family.name} with include_top and ImageNet weights needs {size}x{size} images; received "
                    f"{x[1]}x{x[2]}. Add a Resizing layer to {size}x{size}, or set include_top off."
                )
        if x[1] is None or x[2] is None:
            raise ShapeError(
                f"{family.name} with include_top needs a fixed image size; received {fmt_shape(x)}. "
                "Set the Input's height and width, or set include_top off."
            )
    return x


def _infer(family: Family) -> InferFn:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = _image(family, params, inputs)
        if params.get("include_top"):
            return (x[0], int(params["classes"]))
        if params.get("pooling") in ("avg", "max"):
            return (x[0], family.channels)
        return (x[0], family.spatial(x[1]), family.spatial(x[2]), family.channels)

    return infer


def _count(family: Family) -> CountFn:
    def count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> ParamCount:
        head = family.head_fixed + int(params["classes"]) * family.head_per_class if params.get("include_top") else 0
        return ParamCount(family.trainable + head, family.non_trainable)

    return count


def backbone_cost(family: Family, params: dict[str, Any], x: Shape) -> BackboneCost:
    """The node's cost per sample for input ``x`` (samples, height, width, channels), from the generated table
    (backbone_costs_table.py: the network, its preprocessing layers and its pooling), plus what the table leaves
    to the node's settings: a grayscale input's 3-channel copy and the ImageNet head (``include_top``). ``kept``
    leaves the node's output out (:func:`reads_own_output` and the layers after it decide about that one).

    Raises ``ShapeError`` when the image size is unknown or the table lacks the family.
    """
    if len(x) != 4 or x[1] is None or x[2] is None:
        raise ShapeError(f"{family.name}: the cost needs the image's height and width; received {fmt_shape(x)}.")
    entry = _entry(family, params)
    if entry is None:
        raise ShapeError(f"{family.name} has no row in the backbone cost table; regenerate it with "
                         "scripts/gen_backbone_costs.py.")
    inner = evaluate(entry, x[1], x[2])
    macs, extras, kept, peak = inner.macs, inner.extras, inner.kept, inner.peak
    if x[3] == 1:  # the channel repeated 3 times: no arithmetic, one more image alive (and kept: an upper bound)
        peak += 3 * x[1] * x[2]
        kept += 3 * x[1] * x[2]
    if params.get("include_top"):  # the head on the pooled vector: each of its weights used once per sample
        classes = int(params.get("classes") or 1000)
        macs += family.head_fixed + classes * family.head_per_class
        kept += family.channels
        peak += classes
    return BackboneCost(macs, extras, kept, peak, inner.height, inner.width)


def _entry(family: Family, params: dict[str, Any]) -> dict[str, Any] | None:
    """The family's table row for the node's pooling (the ImageNet head pools by average)."""
    rows = TABLE.get(family.name)
    if rows is None:
        return None
    pooling = "avg" if params.get("include_top") else params.get("pooling", "avg")
    return rows.get(pooling if pooling in ("avg", "max") else None)


def reads_own_output(type_id: str, params: dict[str, Any]) -> bool:
    """Whether the backbone's last layer reads its own output in backprop (an activation at the end of the
    network, or the ImageNet head's softmax), so training keeps the node's output whatever follows it."""
    family = family_of(type_id)
    if family is None:
        return False
    if params.get("include_top"):
        return True
    entry = _entry(family, params)
    return entry is not None and bool(entry["output_kept"])


def _cost(family: Family) -> CostFn:
    def count_cost(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        cost = backbone_cost(family, params, one_input(family.name, inputs))
        return Cost(cost.macs, cost.extras)

    return count_cost


def preprocessing_calls(family: Family, channels: int | None) -> list[KerasCall]:
    """The layers in front of the network: grayscale to RGB, then the family's ``preprocess_input``."""
    return mode_calls(family.preprocessing, channels)


def mode_calls(mode: str, channels: int | None) -> list[KerasCall]:
    """Grayscale to RGB (for 1 channel), then one ``preprocess_input`` mode (:data:`TF_MODE`, :data:`TORCH_MODE`
    or :data:`BUILT_IN`) as layers."""
    calls: list[KerasCall] = []
    if channels == 1:
        # Repeats the one channel three times without weights: with channels_first, UpSampling2D's
        # "columns" are the channel axis of our channels-last images.
        calls.append(KerasCall("keras.layers.UpSampling2D", {"size": (1, 3), "data_format": "channels_first"}))
    if mode == TF_MODE:
        calls.append(KerasCall("keras.layers.Rescaling", {"scale": 1 / 127.5, "offset": -1.0}))
    elif mode == TORCH_MODE:
        calls.append(imagenet_standardization())
    return calls


def imagenet_standardization() -> KerasCall:
    """``preprocess_input``'s "torch" mode, ``(x / 255 - mean) / std`` per channel with ImageNet's statistics, as
    one Rescaling: ``x * scale + offset`` with ``scale = 1 / (255 * std)`` and ``offset = -mean / std``.

    One Rescaling rather than Rescaling + ``Normalization(mean, variance)``: a Normalization with fixed statistics
    makes its constants while the exported subclass-style model is first called on symbolic inputs, and ``fit``
    then fails ("defined in FuncGraph scratch_graph, which is out of scope")."""
    return KerasCall("keras.layers.Rescaling", {
        "scale": [1 / (255 * s) for s in IMAGENET_STD],
        "offset": [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)]})


def _shaped_call(family: Family) -> ShapedCallFn:
    def shaped_call(spec: LayerSpec, params: dict[str, Any], inputs: list[Shape]) -> KerasCall:
        x = inputs[0] if inputs and len(inputs[0]) == 4 else (None, None, None, 3)
        kwargs: dict[str, Any] = {
            "input_shape": (x[1], x[2], 3),
            "include_top": bool(params["include_top"]),
            "weights": params["weights"],
        }
        if params["include_top"]:
            kwargs["classes"] = int(params["classes"])
        else:
            kwargs["pooling"] = params["pooling"]
        app = KerasCall(family.keras_function, kwargs)
        return KerasCall("keras.Sequential", {"layers": [*preprocessing_calls(family, x[3]), app]})

    return shaped_call


def _unshaped_call(family: Family) -> CallFn:
    def keras_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
        return _shaped_call(family)(spec, params, [])

    return keras_call


def _params() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("weights", STR, IMAGENET,
                  '"imagenet" (pretrained on ImageNet; downloaded once into Keras\'s cache), None for random weights, '
                  "or the path of a weights file (.weights.h5) saved from the same network.", optional=True),
        ParamSpec("include_top", BOOL, False,
                  "Keep the network's own 1000-class ImageNet classifier. Usually off: add your own Dense head."),
        ParamSpec("pooling", CHOICE, "avg",
                  "How the feature map becomes one vector: avg (global average), max, or None to keep the map.",
                  choices=(None, "avg", "max"), optional=True),
        ParamSpec("classes", INT, 1000, "Classes of the network's own classifier (only with include_top).", min=1,
                  advanced=True),
    )


def backbone_spec(family: Family) -> LayerSpec:
    """The node of one family: the factory every backbone spec comes from."""
    return LayerSpec(
        type=family.name,
        category=CATEGORY,
        doc=family.doc + " Takes raw 0-255 pixels: its own input preprocessing is built in.",
        params=_params(),
        infer=_infer(family),
        count_params=_count(family),
        count_cost=_cost(family),
        keras_class=family.keras_function,
        keras_call=_unshaped_call(family),
        shaped_call=_shaped_call(family),
        key_params=("weights", "pooling"),
        doc_url=family.doc_slug,
    )


SPECS = [backbone_spec(f) for f in FAMILIES]


GRAYSCALE = "backbone-grayscale"
"""Validation code of the note that a 1-channel input is repeated to 3 channels."""


def grayscale_note(type_id: str, label: str, inputs: tuple[Shape | None, ...]) -> str | None:
    """The note for a backbone fed 1-channel images (they are converted, not refused), or None."""
    family = family_of(type_id)
    if family is None or not inputs or inputs[0] is None or len(inputs[0]) != 4 or inputs[0][3] != 1:
        return None
    return (f"{label}: the images have 1 channel (grayscale); {family.name} was made for RGB, so the channel is "
            "repeated 3 times in front of it (no weights added). Nothing to do unless the images are really colour.")
