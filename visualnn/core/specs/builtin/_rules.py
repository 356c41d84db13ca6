"""Shared shape-rule helpers for the built-in specs (messages in Keras's wording style)."""

from __future__ import annotations

import math

from visualnn.core.specs.base import Shape, ShapeError, fmt_shape


def one_input(layer: str, inputs: list[Shape]) -> Shape:
    """The single input shape of a one-input layer."""
    if len(inputs) != 1:
        raise ShapeError(f"{layer} takes exactly one input; received {len(inputs)}.")
    return inputs[0]


def require_rank(
    layer: str,
    shape: Shape,
    rank: int | None = None,
    min_rank: int | None = None,
    fix: str = "",
) -> None:
    """Raise when ``shape`` (batch axis included) does not have the wanted rank."""
    ok = (rank is None or len(shape) == rank) and (min_rank is None or len(shape) >= min_rank)
    if ok:
        return
    want = f"rank {rank}" if rank is not None else f"rank >= {min_rank}"
    msg = f"{layer} needs an input of {want}; received {fmt_shape(shape)}."
    raise ShapeError(f"{msg} {fix}".strip())


def require_known(layer: str, shape: Shape, axes: tuple[int, ...], what: str) -> None:
    """Raise when one of ``axes`` is ``None`` but the layer needs it to build weights."""
    for ax in axes:
        if shape[ax] is None:
            raise ShapeError(
                f"{layer} needs a defined {what} axis to create its weights; received {fmt_shape(shape)}."
            )


def conv_length(length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of one spatial axis of a convolution or pooling (Keras semantics)."""
    if length is None:
        return None
    if padding == "same":
        return math.ceil(length / stride)
    if padding == "causal":
        return math.ceil(length / stride)
    effective = (kernel - 1) * dilation + 1
    out = (length - effective) // stride + 1
    return out


def deconv_length(length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of one spatial axis of a transposed convolution (no output_padding)."""
    if length is None:
        return None
    if padding == "same":
        return length * stride
    return length * stride + max(kernel - stride, 0) if dilation == 1 else (length - 1) * stride + (kernel - 1) * dilation + 1


def as_tuple(value: int | list[int] | tuple[int, ...], n: int) -> tuple[int, ...]:
    """Expand an int to ``n`` copies; check a list's length."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ShapeError(f"Expected {n} values; received {list(value)}.")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def prod(dims: tuple[int | None, ...] | list[int | None]) -> int | None:
    """Product of dims, ``None`` if any is unknown."""
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out
