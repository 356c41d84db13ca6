"""Attention layers with query / value / key ports: MultiHeadAttention, Attention, AdditiveAttention."""

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
from visualnn.core.specs.builtin import _costs
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
    count_cost=_costs.multi_head_attention,
    inputs=("query", "value", "key"),
    optional_inputs=1,
    call_style="named",
    key_params=("num_heads", "key_dim"),
    doc_url="https://keras.io/api/layers/attention_layers/multi_head_attention/",
)

def _dot_attention_shapes(layer: str, inputs: list[Shape]) -> tuple[Shape, Shape, Shape]:
    """(query, value, key) of Attention/AdditiveAttention: rank 3, key defaults to value."""
    if len(inputs) not in (2, 3):
        raise ShapeError(f"{layer} needs query and value inputs (key optional); received {len(inputs)} inputs.")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) == 3 else value
    for port, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) != 3:
            raise ShapeError(f"{layer} {port} needs an input of rank 3 (samples, steps, features); received {fmt_shape(shape)}. {HINT}")
    if query[-1] is None or query[-1] != key[-1]:
        raise ShapeError(
            f"{layer} needs query and key with the same number of features; received query {fmt_shape(query)} "
            f"and key {fmt_shape(key)}. Add a Dense to project one of them."
        )
    if key[1] is not None and value[1] is not None and key[1] != value[1]:
        raise ShapeError(
            f"{layer} key and value must have the same steps; received key {fmt_shape(key)} and value {fmt_shape(value)}."
        )
    return query, value, key


def _attention_infer(layer: str) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        query, value, _ = _dot_attention_shapes(layer, inputs)
        return (*query[:-1], value[-1])

    return infer


def _attention_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    # A learned scalar scale, and a scalar weight for the "concat" score.
    return int(params["use_scale"]) + int(params["score_mode"] == "concat")


def _additive_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    return (inputs[0][-1] or 0) if params["use_scale"] else 0


def _dropout() -> ParamSpec:
    return ParamSpec("dropout", FLOAT, 0.0, "Dropout on the attention weights during training.", min=0.0, max=1.0, max_inclusive=False)


ATTENTION = LayerSpec(
    type="Attention",
    category="attention",
    doc="Dot-product (Luong-style) attention: each query step takes a weighted mix of the value steps.",
    params=(
        ParamSpec("use_scale", BOOL, False, "Learn a scalar that scales the attention scores."),
        ParamSpec("score_mode", CHOICE, "dot", "How query and key are compared.", choices=("dot", "concat")),
        _dropout(),
    ),
    infer=_attention_infer("Attention"),
    count_params=_attention_count,
    count_cost=_costs.dot_attention,
    inputs=("query", "value", "key"),
    optional_inputs=1,
    call_style="list",
    key_params=("score_mode",),
    doc_url="https://keras.io/api/layers/attention_layers/attention/",
)

ADDITIVE_ATTENTION = LayerSpec(
    type="AdditiveAttention",
    category="attention",
    doc="Additive (Bahdanau-style) attention: scores query and key with a learned sum.",
    params=(ParamSpec("use_scale", BOOL, True, "Learn one scale per feature for the scores."), _dropout()),
    infer=_attention_infer("AdditiveAttention"),
    count_params=_additive_count,
    count_cost=_costs.additive_attention,
    inputs=("query", "value", "key"),
    optional_inputs=1,
    call_style="list",
    doc_url="https://keras.io/api/layers/attention_layers/additive_attention/",
)

SPECS = [MULTI_HEAD_ATTENTION, ATTENTION, ADDITIVE_ATTENTION]
