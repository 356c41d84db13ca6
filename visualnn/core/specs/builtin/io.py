"""Input layer spec."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    CHOICE,
    DTYPES,
    SHAPE,
    KerasCall,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
)
from visualnn.core.specs.builtin import _costs


def _infer_input(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    if inputs:
        raise ShapeError("Input takes no incoming connections; remove the edge into it.")
    shape = params.get("shape") or []
    if not shape:
        raise ShapeError("Input needs a shape such as [28, 28, 1]; received [].")
    return (None, *shape)


def _input_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    return KerasCall("keras.Input", {"shape": tuple(params.get("shape") or ()), "dtype": params.get("dtype", "float32")})


INPUT = LayerSpec(
    type="Input",
    category="input",
    doc="Entry point of the model: declares the shape of one sample (without the batch axis).",
    params=(
        ParamSpec("shape", SHAPE, [4], "Shape of one sample, without the batch axis, e.g. [28, 28, 1]."),
        ParamSpec("dtype", CHOICE, "float32", "Data type of the input tensor.", choices=DTYPES),
    ),
    infer=_infer_input,
    count_cost=_costs.free,
    inputs=(),
    keras_class="keras.Input",
    keras_call=_input_call,
    key_params=("shape",),
    replaces=("InputLayer",),
    doc_url="https://keras.io/api/layers/core_layers/input/",
)

SPECS = [INPUT]
