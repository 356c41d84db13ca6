"""Activation layers with their own settings: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    AXES,
    CHOICE,
    FLOAT,
    INT,
    VECTOR_INITIALIZERS,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import norm_axis, one_input, same_shape

DOCS = "https://keras.io/api/layers/activation_layers/"


def _softmax_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Softmax", inputs)
    norm_axis("Softmax", int(params["axis"]), len(x))
    return x


def _prelu_shape(params: dict[str, Any], x: Shape) -> list[int | None]:
    shape = list(x[1:])
    shared = params.get("shared_axes")
    for a in [] if shared is None else shared if isinstance(shared, list) else [shared]:
        if not 1 <= int(a) < len(x):
            raise ShapeError(f"PReLU shared_axes must be in 1..{len(x) - 1} for an input {fmt_shape(x)}; received {shared!r}.")
        shape[int(a) - 1] = 1
    if any(d is None for d in shape):
        raise ShapeError(
            f"PReLU needs defined sizes to create one slope per value; received {fmt_shape(x)}. "
            "Share the variable axes with shared_axes."
        )
    return shape


def _prelu_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("PReLU", inputs)
    _prelu_shape(params, x)
    return x


def _prelu_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    total = 1
    for d in _prelu_shape(params, inputs[0]):
        total *= d or 0
    return total


SPECS = [
    LayerSpec(
        type="ReLU",
        category="core",
        doc="Rectified linear unit with optional cap, leak and threshold.",
        params=(
            ParamSpec("max_value", FLOAT, None, "Upper limit of the output (6 gives ReLU6); empty for none.", min=0.0, optional=True),
            ParamSpec("negative_slope", FLOAT, 0.0, "Slope below the threshold (0 = plain ReLU).", min=0.0),
            ParamSpec("threshold", FLOAT, 0.0, "Values below this are zeroed (or leaked).", advanced=True),
        ),
        infer=same_shape("ReLU"),
        count_cost=_costs.elementwise(),
        key_params=("max_value",),
        doc_url=DOCS + "relu/",
    ),
    LayerSpec(
        type="LeakyReLU",
        category="core",
        doc="ReLU that lets a small slope through for negative values.",
        params=(ParamSpec("negative_slope", FLOAT, 0.3, "Slope for negative inputs.", min=0.0),),
        infer=same_shape("LeakyReLU"),
        count_cost=_costs.elementwise(),
        key_params=("negative_slope",),
        doc_url=DOCS + "leaky_relu/",
    ),
    LayerSpec(
        type="PReLU",
        category="core",
        doc="Leaky ReLU whose negative slopes are learned (one per value unless axes are shared).",
        params=(
            ParamSpec("alpha_initializer", CHOICE, "zeros", "How the slopes start.", choices=VECTOR_INITIALIZERS, advanced=True),
            ParamSpec("shared_axes", AXES, None, "Axes that share one slope, e.g. [1, 2] for one slope per channel.", min=1, optional=True),
        ),
        infer=_prelu_infer,
        count_cost=_costs.elementwise(),
        count_params=_prelu_count,
        key_params=("shared_axes",),
        doc_url=DOCS + "prelu/",
    ),
    LayerSpec(
        type="ELU",
        category="core",
        doc="Exponential linear unit: smooth for negative values.",
        params=(ParamSpec("alpha", FLOAT, 1.0, "Scale of the negative part."),),
        infer=same_shape("ELU"),
        count_cost=_costs.elementwise(),
        key_params=("alpha",),
        doc_url=DOCS + "elu/",
    ),
    LayerSpec(
        type="Softmax",
        category="core",
        doc="Turns scores into probabilities that sum to 1 along an axis.",
        params=(ParamSpec("axis", INT, -1, "Axis normalized to sum to 1 (-1 = last)."),),
        infer=_softmax_infer,
        count_cost=_costs.elementwise(),
        key_params=("axis",),
        doc_url=DOCS + "softmax/",
    ),
]
