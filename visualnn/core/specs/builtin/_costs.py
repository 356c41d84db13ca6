"""Cost rules (multiply-accumulates and extra FLOPs per sample) shared by the built-in specs.

Every rule counts one sample: the batch axis is left out. A rule needs the sizes it multiplies; an unknown
one (``None``, e.g. a variable number of steps) raises ``ShapeError`` and the analysis shows the node's cost as
unknown. docs/COST_ANALYSIS.md states each rule in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from visualnn.core.specs.base import Cost, Shape, ShapeError, fmt_shape
from visualnn.core.specs.builtin._rules import as_tuple

CostRule = Callable[[dict[str, Any], list[Shape], Shape], Cost]

LINEAR = (None, "linear")


def elements(layer: str, shape: Shape) -> int:
    """Values in one sample of ``shape`` (batch axis excluded); raises when a size is unknown."""
    out = 1
    for d in shape[1:]:
        if d is None:
            raise ShapeError(f"{layer}: the cost needs every size known; received {fmt_shape(shape)}.")
        out *= d
    return out


def _activation_flops(params: dict[str, Any], out_elements: int) -> int:
    """One operation per output value for an activation function other than linear."""
    return 0 if params.get("activation") in LINEAR else out_elements


def _bias_flops(params: dict[str, Any], out_elements: int) -> int:
    return out_elements if params.get("use_bias", True) else 0


def free(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Layers that only move or view values (Input, Reshape, Flatten, Dropout at inference...): no arithmetic."""
    return Cost()


def elementwise(ops: int = 1) -> CostRule:
    """``ops`` operations per output value and no multiply-accumulate (activations, noise at inference)."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        return Cost(0, ops * elements("layer", out))

    return rule


def scale_shift(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """``x * a + b`` per value (Rescaling, Normalization, BatchNormalization at inference): one MAC a value."""
    return Cost(elements("layer", out), 0)


def merge(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Add/Subtract/Multiply/Maximum/Minimum: (inputs - 1) operations per output value; Average one more (the divide)."""
    return Cost(0, (len(inputs) - 1) * elements("merge", out))


def average_merge(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Average: the additions of :func:`merge` plus one divide per output value."""
    return Cost(0, len(inputs) * elements("Average", out))


def dense(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Dense: every output value is a dot product over the input's last axis."""
    n_out = elements("Dense", out)
    features = inputs[0][-1] or 0
    return Cost(n_out * features, _bias_flops(params, n_out) + _activation_flops(params, n_out))


def conv(rank: int) -> CostRule:
    """Conv1D/2D/3D: each output value sums kernel taps x (input channels / groups)."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        n_out = elements(f"Conv{rank}D", out)
        taps = 1
        for k in as_tuple(params["kernel_size"], rank):
            taps *= k
        cin = (inputs[0][-1] or 0) // int(params.get("groups", 1))
        return Cost(n_out * taps * cin, _bias_flops(params, n_out) + _activation_flops(params, n_out))

    return rule


def conv_transpose(rank: int) -> CostRule:
    """Conv{rank}DTranspose: each input value is scattered through the kernel into every filter."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        n_in = elements(f"Conv{rank}DTranspose", inputs[0])
        taps = 1
        for k in as_tuple(params["kernel_size"], rank):
            taps *= k
        n_out = elements(f"Conv{rank}DTranspose", out)
        macs = n_in * taps * int(params["filters"])
        return Cost(macs, _bias_flops(params, n_out) + _activation_flops(params, n_out))

    return rule


def depthwise(rank: int) -> CostRule:
    """DepthwiseConv: each output value sums the kernel taps of its one input channel."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        n_out = elements(f"DepthwiseConv{rank}D", out)
        taps = 1
        for k in as_tuple(params["kernel_size"], rank):
            taps *= k
        return Cost(n_out * taps, _bias_flops(params, n_out) + _activation_flops(params, n_out))

    return rule


def separable(rank: int) -> CostRule:
    """SeparableConv: a depthwise pass (taps per intermediate value) then a 1x1 pointwise pass."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        layer = f"SeparableConv{rank}D"
        n_out = elements(layer, out)
        positions = n_out // int(params["filters"])
        cin_dm = (inputs[0][-1] or 0) * int(params["depth_multiplier"])
        taps = 1
        for k in as_tuple(params["kernel_size"], rank):
            taps *= k
        macs = positions * cin_dm * taps + n_out * cin_dm
        return Cost(macs, _bias_flops(params, n_out) + _activation_flops(params, n_out))

    return rule


def pooling(rank: int) -> CostRule:
    """Max/Average pooling: every output value reads its window once (a compare or an add per tap)."""

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        window = 1
        for k in as_tuple(params["pool_size"], rank):
            window *= k
        return Cost(0, elements("pooling", out) * window)

    return rule


def global_pooling(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Global pooling: one compare or add per input value."""
    return Cost(0, elements("global pooling", inputs[0]))


def recurrent(kind: str, gates: int) -> CostRule:
    """SimpleRNN (1 gate), GRU (3), LSTM (4): per step, gates x units x (features + units) MACs.

    Extras: the bias additions (GRU with reset_after adds two biases). Gate nonlinearities and the
    element-wise products of the cell are not counted.
    """

    def rule(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
        return rnn_cost(kind, gates, params, inputs[0])

    return rule


def rnn_cost(kind: str, gates: int, params: dict[str, Any], x: Shape) -> Cost:
    """The cost of one recurrent layer over the sequence ``x`` (samples, steps, features)."""
    steps = x[1]
    if steps is None:
        raise ShapeError(f"{kind}: the cost needs a fixed number of steps; received {fmt_shape(x)}.")
    units, features = int(params["units"]), x[-1] or 0
    macs = steps * gates * units * (features + units)
    biases = 2 if kind == "GRU" and params.get("reset_after", True) else 1
    extra = steps * gates * units * biases if params.get("use_bias", True) else 0
    return Cost(macs, extra)


__all__ = [
    "CostRule",
    "average_merge",
    "conv",
    "conv_transpose",
    "dense",
    "depthwise",
    "elements",
    "elementwise",
    "free",
    "global_pooling",
    "merge",
    "pooling",
    "recurrent",
    "resize",
    "rnn_cost",
    "scale_shift",
    "separable",
]


def normalizing(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """LayerNormalization/GroupNormalization per value: a mean (add), centring (subtract), variance (MAC),
    divide by the deviation, then scale and shift (MAC): 2 MACs and 3 extra operations."""
    n = elements("normalization", out)
    return Cost(2 * n, 3 * n)


def unit_norm(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """UnitNormalization per value: a square-accumulate (MAC) and a divide."""
    n = elements("UnitNormalization", out)
    return Cost(n, n)


def bidirectional(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Two copies of the wrapped layer, plus one operation per output value to merge them (concat: none)."""
    kind = str(params["layer"])
    one = rnn_cost(kind, GATES[kind], params, inputs[0])
    merge_ops = 0 if params.get("merge_mode") == "concat" else elements("Bidirectional", out)
    return Cost(2 * one.macs, 2 * one.extra_flops + merge_ops)


GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def conv_lstm2d(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """ConvLSTM2D per frame and output position: 4 gates x filters x taps x (input channels + filters) MACs."""
    x = inputs[0]
    steps = x[1]
    if steps is None:
        raise ShapeError(f"ConvLSTM2D: the cost needs a fixed number of frames; received {fmt_shape(x)}.")
    filters = int(params["filters"])
    frame = out[2:] if params.get("return_sequences") else out[1:]
    positions = elements("ConvLSTM2D", (None, *frame)) // filters
    taps = 1
    for k in as_tuple(params["kernel_size"], 2):
        taps *= k
    cin = x[-1] or 0
    macs = steps * positions * 4 * filters * taps * (cin + filters)
    extra = steps * positions * 4 * filters if params.get("use_bias", True) else 0
    return Cost(macs, extra)


def _steps(layer: str, shape: Shape) -> int:
    return elements(layer, (None, *shape[1:-1]))


def multi_head_attention(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """MultiHeadAttention: the query/key/value projections, scores (Tq x Tk per head), the weighted sum and the
    output projection; extras: one softmax operation per score and the bias additions."""
    layer = "MultiHeadAttention"
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) == 3 else value
    heads, kd = int(params["num_heads"]), int(params["key_dim"])
    vd = int(params.get("value_dim") or kd)
    tq, tk = _steps(layer, query), _steps(layer, key)
    dq, dk, dv = query[-1] or 0, key[-1] or 0, value[-1] or 0
    macs = (tq * dq * heads * kd + tk * dk * heads * kd + tk * dv * heads * vd
            + tq * tk * heads * kd + tq * tk * heads * vd + tq * heads * vd * dq)
    extra = tq * tk * heads
    if params.get("use_bias", True):
        extra += tq * heads * kd + tk * heads * kd + tk * heads * vd + tq * dq
    return Cost(macs, extra)


def dot_attention(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Attention (Luong): scores Tq x Tk x features, then the weighted sum Tq x Tk x value features; extras: softmax."""
    query, value = inputs[0], inputs[1]
    tq, tk = _steps("Attention", query), _steps("Attention", value)
    return Cost(tq * tk * (query[-1] or 0) + tq * tk * (value[-1] or 0), tq * tk)


def additive_attention(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """AdditiveAttention (Bahdanau): per score and feature an add, a tanh and a MAC; then the weighted sum."""
    query, value = inputs[0], inputs[1]
    tq, tk = _steps("AdditiveAttention", query), _steps("AdditiveAttention", value)
    d = query[-1] or 0
    return Cost(tq * tk * d + tq * tk * (value[-1] or 0), 2 * tq * tk * d + tq * tk)


RESIZE_TAPS = {"nearest": 0, "bilinear": 4, "bicubic": 16, "lanczos3": 36, "lanczos5": 100}
"""Input pixels one output value is weighed from, per interpolation (a 2-D kernel of 2, 4, 6 or 10 taps a side);
nearest copies a pixel."""


def resize(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Resizing: one MAC per output value and input pixel it weighs (``area`` averages the block of input pixels
    that falls in each output pixel, at least one)."""
    n_out = elements("Resizing", out)
    kind = str(params.get("interpolation", "bilinear"))
    if kind == "area":
        x = inputs[0]
        if x[1] is None or x[2] is None:
            raise ShapeError(f"Resizing: area interpolation's cost needs the input's size; received {fmt_shape(x)}.")
        taps = -(-x[1] // (out[1] or 1)) * -(-x[2] // (out[2] or 1))
    else:
        taps = RESIZE_TAPS.get(kind, 4)
    return Cost(n_out * taps, 0)


def dot(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """Dot: every output value sums over the multiplied axis."""
    value = params["axes"]
    axis = int(value[0] if isinstance(value, list) else value)
    s1 = inputs[0]
    size = s1[axis % len(s1)] or 0
    return Cost(elements("Dot", out) * size, 0)
