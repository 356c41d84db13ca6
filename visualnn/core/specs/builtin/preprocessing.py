"""Preprocessing inside the model: Rescaling, Normalization, Resizing and image augmentation."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    AXES,
    BOOL,
    CHOICE,
    FLOAT,
    FLOATS,
    INT,
    LayerSpec,
    ParamCount,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import image_input, norm_axis, one_input, same_shape

DOCS = "https://keras.io/api/layers/preprocessing_layers/"
IMAGE = "(samples, height, width, channels)"
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _image_same(layer: str) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        return image_input(layer, inputs, 4, IMAGE, "Image augmentation works on image batches; check the Input shape.")

    return infer


RESCALING = LayerSpec(
    type="Rescaling",
    category="preprocessing",
    doc="Multiplies inputs by scale and adds offset, e.g. 1/255 maps pixels to [0, 1].",
    params=(
        ParamSpec("scale", FLOAT, 1 / 255, "Factor applied to every value."),
        ParamSpec("offset", FLOAT, 0.0, "Value added after scaling."),
    ),
    infer=same_shape("Rescaling"),
    count_cost=_costs.scale_shift,
    key_params=("scale", "offset"),
    doc_url=DOCS + "image_preprocessing/rescaling/",
)


def _norm_axes(params: dict[str, Any], x: Shape) -> list[int]:
    value = params["axis"]
    axes = [norm_axis("Normalization", int(a), len(x)) for a in (value if isinstance(value, list) else [value])]
    for a in axes:
        if x[a] is None:
            raise ShapeError(f"Normalization needs a defined size on axis {a}; received {fmt_shape(x)}.")
    return axes


def _normalization_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Normalization", inputs)
    if len(x) < 2:
        raise ShapeError(f"Normalization needs an input of rank >= 2; received {fmt_shape(x)}.")
    _norm_axes(params, x)
    return x


def _normalization_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> ParamCount:
    x = inputs[0]
    size = 1
    for a in _norm_axes(params, x):
        size *= x[a] or 0
    # Keras keeps mean, variance and a sample count as non-trainable weights.
    return ParamCount(0, 2 * size + 1)


NORMALIZATION = LayerSpec(
    type="Normalization",
    category="preprocessing",
    doc="Standardizes features to mean 0 and variance 1 with statistics adapted on the training data.",
    params=(
        ParamSpec("axis", AXES, -1, "Axis (or axes) with separate statistics (-1 = last, one per feature)."),
        ParamSpec("invert", BOOL, False, "Undo a normalization instead (de-standardize outputs).", advanced=True),
    ),
    infer=_normalization_infer,
    count_cost=_costs.scale_shift,
    count_params=_normalization_count,
    key_params=("axis",),
    doc_url=DOCS + "numerical/normalization/",
)


def _resizing_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = image_input("Resizing", inputs, 4, IMAGE, "Add a Reshape to (height, width, channels) or check the Input shape.")
    return (x[0], int(params["height"]), int(params["width"]), x[-1])


INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")

RESIZING = LayerSpec(
    type="Resizing",
    category="preprocessing",
    doc="Resizes images to a fixed height and width.",
    params=(
        ParamSpec("height", INT, 64, "Output height in pixels.", min=1),
        ParamSpec("width", INT, 64, "Output width in pixels.", min=1),
        ParamSpec("interpolation", CHOICE, "bilinear", "How new pixels are computed.", choices=INTERPOLATIONS),
        ParamSpec("crop_to_aspect_ratio", BOOL, False, "Crop instead of stretching to keep the aspect ratio.", advanced=True),
        ParamSpec("pad_to_aspect_ratio", BOOL, False, "Pad instead of stretching to keep the aspect ratio.", advanced=True),
    ),
    infer=_resizing_infer,
    count_cost=_costs.resize,
    key_params=("height", "width"),
    doc_url=DOCS + "image_preprocessing/resizing/",
)


def _crop_spec(name: str, doc: str, slug: str, random: bool) -> LayerSpec:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = image_input(name, inputs, 4, IMAGE, "Add a Reshape to (height, width, channels) or check the Input shape.")
        return (x[0], int(params["height"]), int(params["width"]), x[-1])

    params: tuple[ParamSpec, ...] = (
        ParamSpec("height", INT, 32, "Output height in pixels.", min=1),
        ParamSpec("width", INT, 32, "Output width in pixels.", min=1),
    )
    return LayerSpec(
        type=name,
        category="preprocessing",
        doc=doc,
        params=params + ((_seed(),) if random else ()),
        infer=infer,
        count_cost=_costs.free,
        key_params=("height", "width"),
        doc_url=DOCS + slug,
        training_only=random,
    )


def _seed() -> ParamSpec:
    return ParamSpec("seed", INT, None, "Random seed for reproducible augmentation.", optional=True, advanced=True)


def _fill() -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec("fill_mode", CHOICE, "reflect", "How points outside the image are filled.", choices=FILL_MODES, advanced=True),
        ParamSpec("interpolation", CHOICE, "bilinear", "How pixels are resampled.", choices=("bilinear", "nearest"), advanced=True),
    )


def _aug(name: str, doc: str, slug: str, params: tuple[ParamSpec, ...], key: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(
        type=name,
        category="preprocessing",
        doc=doc + " Active during training only.",
        params=params,
        infer=_image_same(name),
        count_cost=_costs.free,  # random augmentation is inactive at inference
        key_params=key,
        doc_url=DOCS + "image_augmentation/" + slug,
        training_only=True,
    )


SPECS = [
    RESCALING,
    NORMALIZATION,
    RESIZING,
    _aug(
        "RandomFlip",
        "Randomly flips images horizontally and/or vertically.",
        "random_flip/",
        (
            ParamSpec("mode", CHOICE, "horizontal_and_vertical", "Which flips are allowed.", choices=("horizontal", "vertical", "horizontal_and_vertical")),
            _seed(),
        ),
        ("mode",),
    ),
    _aug(
        "RandomRotation",
        "Randomly rotates images.",
        "random_rotation/",
        (
            ParamSpec("factor", FLOATS, 0.1, "Maximum rotation as a fraction of a full turn (0.1 = ±36°), or [low, high].", min=-1.0, max=1.0),
            *_fill(),
            _seed(),
        ),
        ("factor",),
    ),
    _aug(
        "RandomZoom",
        "Randomly zooms images in or out.",
        "random_zoom/",
        (
            ParamSpec("height_factor", FLOATS, 0.1, "Zoom range for the height as a fraction (0.2 = ±20%), or [low, high].", min=-1.0, max=1.0),
            ParamSpec("width_factor", FLOATS, None, "Zoom range for the width; empty keeps the aspect ratio.", min=-1.0, max=1.0, optional=True),
            *_fill(),
            _seed(),
        ),
        ("height_factor",),
    ),
    _aug(
        "RandomTranslation",
        "Randomly shifts images up/down and left/right.",
        "random_translation/",
        (
            ParamSpec("height_factor", FLOATS, 0.1, "Vertical shift as a fraction of the height, or [low, high].", min=-1.0, max=1.0),
            ParamSpec("width_factor", FLOATS, 0.1, "Horizontal shift as a fraction of the width, or [low, high].", min=-1.0, max=1.0),
            *_fill(),
            _seed(),
        ),
        ("height_factor", "width_factor"),
    ),
    _crop_spec("CenterCrop", "Crops the centre of each image to height × width (resizing if it is smaller).",
               "image_preprocessing/center_crop/", random=False),
    _crop_spec("RandomCrop", "Crops a random height × width window during training (the centre at inference).",
               "image_augmentation/random_crop/", random=True),
    _aug(
        "RandomBrightness",
        "Randomly brightens or darkens images.",
        "random_brightness/",
        (
            ParamSpec("factor", FLOATS, 0.1, "Brightness change as a fraction of the value range, or [low, high].", min=-1.0, max=1.0),
            ParamSpec("value_range", FLOATS, [0, 255], "Range of pixel values of the input, e.g. [0, 1] after Rescaling.", length=2, advanced=True),
            _seed(),
        ),
        ("factor",),
    ),
    _aug(
        "RandomContrast",
        "Randomly changes image contrast.",
        "random_contrast/",
        (
            ParamSpec("factor", FLOATS, 0.1, "Contrast change range in [0, 1], or [low, high].", min=0.0, max=1.0),
            ParamSpec("value_range", FLOATS, [0, 255], "Range of pixel values of the input, e.g. [0, 1] after Rescaling.", length=2, advanced=True),
            _seed(),
        ),
        ("factor",),
    ),
]
