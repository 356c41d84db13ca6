"""Core layers: Dense, Activation, Dropout, Flatten, ..."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    ACTIVATIONS,
    BOOL,
    CHOICE,
    FLOAT,
    INITIALIZERS,
    INT,
    REGULARIZERS,
    LayerSpec,
    ParamSpec,
    Shape,
)
from visualnn.core.specs.builtin._rules import one_input, prod, require_known, require_rank

KERAS_DOCS = "https://keras.io/api/layers/"


def activation_param(default: str | None = None, doc: str = "Activation applied to the output.") -> ParamSpec:
    """The usual ``activation`` argument (Keras's own names)."""
    return ParamSpec("activation", CHOICE, default, doc, choices=(None, *ACTIVATIONS), optional=True)


def weight_params(prefix: str = "kernel", use_bias: bool = True) -> tuple[ParamSpec, ...]:
    """``use_bias`` plus initializer/regularizer arguments shared by weighted layers."""
    out = []
    if use_bias:
        out.append(ParamSpec("use_bias", BOOL, True, "Whether the layer adds a learned bias vector."))
    out += [
        ParamSpec(f"{prefix}_initializer", CHOICE, "glorot_uniform", "How the weights start.", choices=INITIALIZERS, advanced=True),
        ParamSpec("bias_initializer", CHOICE, "zeros", "How the bias starts.", choices=INITIALIZERS, advanced=True),
        ParamSpec(f"{prefix}_regularizer", CHOICE, None, "Penalty on the weights added to the loss.", choices=(None, *REGULARIZERS), optional=True, advanced=True),
    ]
    return tuple(out)


def _dense_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Dense", inputs)
    require_rank("Dense", x, min_rank=2, fix="Add a Reshape or check the Input shape.")
    require_known("Dense", x, (-1,), "last")
    return (*x[:-1], int(params["units"]))


def _dense_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    n_in = inputs[0][-1] or 0
    units = int(params["units"])
    return n_in * units + (units if params.get("use_bias", True) else 0)


DENSE = LayerSpec(
    type="Dense",
    category="core",
    doc="Fully connected layer: every output unit sees every input feature.",
    params=(
        ParamSpec("units", INT, 32, "Number of output units (features).", min=1),
        activation_param(),
        *weight_params(),
    ),
    infer=_dense_infer,
    count_params=_dense_count,
    key_params=("units", "activation"),
    doc_url=KERAS_DOCS + "core_layers/dense/",
)


def _same_shape(layer: str) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        return one_input(layer, inputs)

    return infer


ACTIVATION = LayerSpec(
    type="Activation",
    category="core",
    doc="Applies an activation function element-wise; the shape is unchanged.",
    params=(ParamSpec("activation", CHOICE, "relu", "Activation function.", choices=ACTIVATIONS),),
    infer=_same_shape("Activation"),
    key_params=("activation",),
    doc_url=KERAS_DOCS + "core_layers/activation/",
)

DROPOUT = LayerSpec(
    type="Dropout",
    category="normalization",
    doc="Randomly zeroes a fraction of inputs during training to reduce overfitting.",
    params=(
        ParamSpec("rate", FLOAT, 0.5, "Fraction of the inputs to drop, in [0, 1).", min=0.0, max=1.0, max_inclusive=False),
        ParamSpec("seed", INT, None, "Random seed for the dropout mask.", optional=True, advanced=True),
    ),
    infer=_same_shape("Dropout"),
    key_params=("rate",),
    doc_url=KERAS_DOCS + "regularization_layers/dropout/",
)


def _flatten_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Flatten", inputs)
    if len(x) < 2:
        return (x[0], 1) if x else (None, 1)
    return (x[0], prod(x[1:]))


FLATTEN = LayerSpec(
    type="Flatten",
    category="core",
    doc="Flattens each sample to a vector (rank 2: samples, features).",
    params=(
        ParamSpec("data_format", CHOICE, None, "Channel axis position of the input.", choices=(None, "channels_last", "channels_first"), optional=True, advanced=True),
    ),
    infer=_flatten_infer,
    doc_url=KERAS_DOCS + "reshaping_layers/flatten/",
)

SPECS = [DENSE, ACTIVATION, DROPOUT, FLATTEN]
