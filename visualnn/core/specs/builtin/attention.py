"""Attention layers: MultiHeadAttention with query / value / key ports."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    BOOL,
    CHOICE,
    FLOAT,
    INITIALIZERS,
    INT,
    VECTOR_INITIALIZERS,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin._rules import require_known

HINT = "Feed sequences of shape (samples, steps, features), e.g. from an Embedding or an LSTM with return_sequences."


def _mha_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    layer = "MultiHeadAttention"
    if len(inputs) not in (2, 3):
        raise ShapeError(f"{layer} needs query and value inputs (key optional); received {len(inputs)} inputs.")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) == 3 else value
    for port, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) < 3:
            raise ShapeError(f"{layer} {port} needs an input of rank >= 3 (samples, steps, features); received {fmt_shape(shape)}. {HINT}")
        require_known(layer, shape, (-1,), "last")
    if len(query) != len(value) or len(key) != len(value):
        raise ShapeError(
            f"{layer} needs query, value and key of the same rank; received query {fmt_shape(query)}, "
            f"value {fmt_shape(value)}, key {fmt_shape(key)}."
        )
    if any(a is not None and b is not None and a != b for a, b in zip(key[1:-1], value[1:-1], strict=True)):
        raise ShapeError(
            f"{layer} key and value must have the same steps; received key {fmt_shape(key)} and value "
            f"{fmt_shape(value)}. Connect the same sequence or leave key unconnected."
        )
    return query


def _mha_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    heads, kd = int(params["num_heads"]), int(params["key_dim"])
    vd = int(params["value_dim"] or kd)
    dq, dv = inputs[0][-1] or 0, inputs[1][-1] or 0
    dk = (inputs[2][-1] or 0) if len(inputs) == 3 else dv
    bias = bool(params["use_bias"])
    total = dq * heads * kd + dk * heads * kd + dv * heads * vd + heads * vd * dq
    if bias:
        total += 2 * heads * kd + heads * vd + dq
    return total


MULTI_HEAD_ATTENTION = LayerSpec(
    type="MultiHeadAttention",
    category="attention",
    doc="Each query step attends over the value sequence with several heads (the core of transformers).",
    params=(
        ParamSpec("num_heads", INT, 2, "Number of attention heads.", min=1),
        ParamSpec("key_dim", INT, 16, "Size of each head for query and key.", min=1),
        ParamSpec("value_dim", INT, None, "Size of each head for value; empty means key_dim.", min=1, optional=True, advanced=True),
        ParamSpec("dropout", FLOAT, 0.0, "Dropout on the attention weights during training.", min=0.0, max=1.0, max_inclusive=False),
        ParamSpec("use_bias", BOOL, True, "Whether the projections add learned biases."),
        ParamSpec("kernel_initializer", CHOICE, "glorot_uniform", "How the projection weights start.", choices=INITIALIZERS, advanced=True),
        ParamSpec("bias_initializer", CHOICE, "zeros", "How the biases start.", choices=VECTOR_INITIALIZERS, advanced=True),
    ),
    infer=_mha_infer,
    count_params=_mha_count,
    inputs=("query", "value", "key"),
    optional_inputs=1,
    call_style="named",
    key_params=("num_heads", "key_dim"),
    doc_url="https://keras.io/api/layers/attention_layers/multi_head_attention/",
)

SPECS = [MULTI_HEAD_ATTENTION]
