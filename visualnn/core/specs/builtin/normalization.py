"""Normalization and regularization layers: BatchNormalization, LayerNormalization, noise, spatial dropout."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    AXES,
    BOOL,
    CHOICE,
    FLOAT,
    INT,
    VECTOR_INITIALIZERS,
    LayerSpec,
    ParamCount,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import image_input, norm_axis, one_input, prod, require_rank

DOCS = "https://keras.io/api/layers/"


def _axes(layer: str, value: Any, x: Shape) -> list[int]:
    """Normalised axes of ``x`` (int or list), each with a known size."""
    axes = [norm_axis(layer, int(a), len(x)) for a in (value if isinstance(value, list) else [value])]
    for a in axes:
        if x[a] is None:
            raise ShapeError(f"{layer} needs a defined size on axis {a} to create its weights; received {fmt_shape(x)}.")
    return axes


def _norm_infer(layer: str) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = one_input(layer, inputs)
        require_rank(layer, x, min_rank=2, fix="Add a Reshape or check the Input shape.")
        _axes(layer, params["axis"], x)
        return x

    return infer


def _bn_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> ParamCount:
    x = inputs[0]
    (axis,) = _axes("BatchNormalization", params["axis"], x)
    c = x[axis] or 0
    return ParamCount(c * (int(params["center"]) + int(params["scale"])), 2 * c)


def _init(name: str, default: str, doc: str) -> ParamSpec:
    return ParamSpec(name, CHOICE, default, doc, choices=VECTOR_INITIALIZERS, advanced=True)


def _center_scale() -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec("center", BOOL, True, "Learn an offset (beta) added after normalizing."),
        ParamSpec("scale", BOOL, True, "Learn a factor (gamma) applied after normalizing."),
    )


BATCH_NORMALIZATION = LayerSpec(
    type="BatchNormalization",
    category="normalization",
    doc="Normalizes each channel with batch statistics during training (moving averages at inference).",
    params=(
        ParamSpec("axis", INT, -1, "The channel axis that gets its own mean and variance (-1 = last)."),
        ParamSpec("momentum", FLOAT, 0.99, "How slowly the moving mean/variance follow each batch.", min=0.0, max=1.0),
        ParamSpec("epsilon", FLOAT, 0.001, "Small value added to the variance to avoid dividing by zero.", min=0.0, min_inclusive=False),
        *_center_scale(),
        _init("beta_initializer", "zeros", "How the offset starts."),
        _init("gamma_initializer", "ones", "How the scale starts."),
        _init("moving_mean_initializer", "zeros", "How the moving mean starts."),
        _init("moving_variance_initializer", "ones", "How the moving variance starts."),
    ),
    infer=_norm_infer("BatchNormalization"),
    count_cost=_costs.scale_shift,  # at inference the statistics fold into one scale and shift
    count_params=_bn_count,
    key_params=("momentum",),
    doc_url=DOCS + "normalization_layers/batch_normalization/",
)


def _ln_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    x = inputs[0]
    size = prod([x[a] for a in _axes("LayerNormalization", params["axis"], x)]) or 0
    return size * (int(params["center"]) + int(params["scale"]))


LAYER_NORMALIZATION = LayerSpec(
    type="LayerNormalization",
    category="normalization",
    doc="Normalizes each sample over its feature axis (used in transformers and RNNs).",
    params=(
        ParamSpec("axis", AXES, -1, "Axis or axes normalized together (-1 = last)."),
        ParamSpec("epsilon", FLOAT, 0.001, "Small value added to the variance to avoid dividing by zero.", min=0.0, min_inclusive=False),
        *_center_scale(),
        _init("beta_initializer", "zeros", "How the offset starts."),
        _init("gamma_initializer", "ones", "How the scale starts."),
    ),
    infer=_norm_infer("LayerNormalization"),
    count_cost=_costs.normalizing,
    count_params=_ln_count,
    key_params=("axis",),
    doc_url=DOCS + "normalization_layers/layer_normalization/",
)


def _seed() -> ParamSpec:
    return ParamSpec("seed", INT, None, "Random seed for reproducible noise.", optional=True, advanced=True)


def _rate(default: float) -> ParamSpec:
    return ParamSpec("rate", FLOAT, default, "Fraction of the inputs to drop, in [0, 1).", min=0.0, max=1.0, max_inclusive=False)


def _same(layer: str) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        return one_input(layer, inputs)

    return infer


GAUSSIAN_NOISE = LayerSpec(
    type="GaussianNoise",
    category="normalization",
    doc="Adds zero-centred Gaussian noise during training only (a regularizer).",
    params=(ParamSpec("stddev", FLOAT, 0.1, "Standard deviation of the noise.", min=0.0), _seed()),
    infer=_same("GaussianNoise"),
    count_cost=_costs.free,  # inactive at inference
    key_params=("stddev",),
    doc_url=DOCS + "regularization_layers/gaussian_noise/",
)


def _spatial_dropout(rank: int) -> LayerSpec:
    name = f"SpatialDropout{rank}D"
    what = "(samples, steps, channels)" if rank == 1 else "(samples, height, width, channels)"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        return image_input(name, inputs, rank + 2, what)

    return LayerSpec(
        type=name,
        category="normalization",
        doc=f"Drops whole channels (feature maps) of a {rank}D input during training.",
        params=(_rate(0.2), _seed()),
        infer=infer,
        count_cost=_costs.free,  # inactive at inference
        key_params=("rate",),
        doc_url=f"{DOCS}regularization_layers/spatial_dropout{rank}d/",
    )


def _group_norm_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    layer = "GroupNormalization"
    x = one_input(layer, inputs)
    require_rank(layer, x, min_rank=2, fix="Add a Reshape or check the Input shape.")
    (axis,) = _axes(layer, params["axis"], x)
    channels, groups = x[axis] or 0, int(params["groups"])
    if channels < groups or channels % groups:
        raise ShapeError(
            f"{layer} groups ({groups}) must divide the {channels} channels of {fmt_shape(x)}. "
            f"Use a divisor of {channels} for groups."
        )
    return x


def _group_norm_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    x = inputs[0]
    (axis,) = _axes("GroupNormalization", params["axis"], x)
    return (x[axis] or 0) * (int(params["center"]) + int(params["scale"]))


GROUP_NORMALIZATION = LayerSpec(
    type="GroupNormalization",
    category="normalization",
    doc="Normalizes groups of channels within each sample (works with small batches).",
    params=(
        ParamSpec("groups", INT, 32, "Number of channel groups; must divide the channels (1 = LayerNorm-like).", min=1),
        ParamSpec("axis", INT, -1, "The channel axis (-1 = last)."),
        ParamSpec("epsilon", FLOAT, 0.001, "Small value added to the variance to avoid dividing by zero.", min=0.0, min_inclusive=False),
        *_center_scale(),
        _init("beta_initializer", "zeros", "How the offset starts."),
        _init("gamma_initializer", "ones", "How the scale starts."),
    ),
    infer=_group_norm_infer,
    count_cost=_costs.normalizing,
    count_params=_group_norm_count,
    key_params=("groups",),
    doc_url=DOCS + "normalization_layers/group_normalization/",
)


def _unit_norm_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("UnitNormalization", inputs)
    for a in params["axis"] if isinstance(params["axis"], list) else [params["axis"]]:
        norm_axis("UnitNormalization", int(a), len(x))
    return x


UNIT_NORMALIZATION = LayerSpec(
    type="UnitNormalization",
    category="normalization",
    doc="Scales each sample to unit length (L2 norm 1) along the given axis.",
    params=(ParamSpec("axis", AXES, -1, "Axis (or axes) whose L2 norm becomes 1."),),
    infer=_unit_norm_infer,
    count_cost=_costs.unit_norm,
    key_params=("axis",),
    doc_url=DOCS + "normalization_layers/unit_normalization/",
)


def _noise_dropout(name: str, doc: str, slug: str) -> LayerSpec:
    return LayerSpec(
        type=name,
        category="normalization",
        doc=doc,
        params=(_rate(0.1), _seed()),
        infer=_same(name),
        count_cost=_costs.free,  # inactive at inference
        key_params=("rate",),
        doc_url=DOCS + "regularization_layers/" + slug,
    )


SPECS = [
    BATCH_NORMALIZATION,
    LAYER_NORMALIZATION,
    GROUP_NORMALIZATION,
    UNIT_NORMALIZATION,
    GAUSSIAN_NOISE,
    _noise_dropout("GaussianDropout", "Multiplies inputs by Gaussian noise centred on 1 during training.", "gaussian_dropout/"),
    _noise_dropout("AlphaDropout", "Dropout that keeps the mean and variance (pairs with selu).", "alpha_dropout/"),
    _spatial_dropout(1),
    _spatial_dropout(2),
]
