"""Shared shape-rule helpers for the built-in specs (messages in Keras's wording style)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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


def deconv_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1, output_padding: int | None = None
) -> int | None:
    """Output length of one spatial axis of a transposed convolution (Keras's TF-padding formula)."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (length - 1) * stride + kernel + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel % 2 + output_padding


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


def same_shape(layer: str) -> Callable[[dict[str, Any], list[Shape]], Shape]:
    """A shape rule for layers whose output shape equals their single input's."""

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        return one_input(layer, inputs)

    return infer


def image_input(layer: str, inputs: list[Shape], rank: int, what: str, fix: str = "") -> Shape:
    """The single input of a layer that needs a fixed rank, with a helpful message otherwise."""
    x = one_input(layer, inputs)
    if len(x) != rank:
        hint = fix or "Add a Reshape or check the Input shape."
        raise ShapeError(f"{layer} needs an input of rank {rank} {what}; received {fmt_shape(x)}. {hint}")
    return x


def pairs(value: Any, n: int, layer: str, name: str) -> tuple[tuple[int, int], ...]:
    """Padding/cropping amounts as ``n`` (before, after) pairs, following Keras's conventions."""
    if isinstance(value, int):
        return ((value, value),) * n
    items = list(value)
    if n == 1:
        if len(items) == 2 and all(isinstance(v, int) for v in items):
            return ((int(items[0]), int(items[1])),)
        if len(items) == 1 and isinstance(items[0], int):
            return ((items[0], items[0]),)
    elif len(items) == n:
        out = []
        for v in items:
            if isinstance(v, int):
                out.append((v, v))
            elif len(v) == 2:
                out.append((int(v[0]), int(v[1])))
            else:
                break
        else:
            return tuple(out)
    raise ShapeError(f"{layer} {name} must be an int, {n} ints or {n} pairs of ints; received {value!r}.")


def positive_dims(layer: str, dims: tuple[int | None, ...], x: Shape, fix: str) -> None:
    """Raise when a computed spatial dimension would be zero or negative."""
    if any(d is not None and d < 1 for d in dims):
        raise ShapeError(
            f"{layer} would produce an empty output from {fmt_shape(x)} (computed size "
            f"{fmt_shape(dims)}). {fix}"
        )


def norm_axis(layer: str, axis: int, rank: int) -> int:
    """A non-negative, non-batch axis index for a tensor of ``rank`` (batch included)."""
    a = axis + rank if axis < 0 else axis
    if not 1 <= a < rank:
        raise ShapeError(f"{layer} axis {axis} is out of range for an input of rank {rank}; use 1..{rank - 1} or -1.")
    return a
