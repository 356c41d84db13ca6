"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import AXES, BOOL, INT, LayerSpec, ParamSpec, Shape, ShapeError, fmt_shape
from visualnn.core.specs.builtin import _costs

DOCS = "https://keras.io/api/layers/merging_layers/"
MATCH_HINT = "Add a Dense/Conv layer or a Reshape so the shapes match."


def _listing(inputs: list[Shape]) -> str:
    return ", ".join(fmt_shape(s) for s in inputs)


def elementwise_shape(layer: str, inputs: list[Shape]) -> Shape:
    """Output of an element-wise merge: equal shapes, with size-1 axes broadcast like Keras."""
    if len(inputs) < 2:
        raise ShapeError(f"{layer} needs at least 2 inputs; received {len(inputs)}. Connect more layers into it.")
    ranks = {len(s) for s in inputs}
    if len(ranks) != 1:
        raise ShapeError(f"{layer} needs inputs of the same rank; received {_listing(inputs)}. {MATCH_HINT}")
    out = list(inputs[0])
    for shape in inputs[1:]:
        for i, (a, b) in enumerate(zip(out, shape, strict=True)):
            if a is None or b is None:
                out[i] = None
            elif a == 1:
                out[i] = b
            elif b != 1 and a != b:
                raise ShapeError(
                    f"{layer} needs inputs of the same shape; received {_listing(inputs)}. {MATCH_HINT}"
                )
    return tuple(out)


def _elementwise(name: str, doc: str, slug: str, exactly_two: bool = False) -> LayerSpec:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        if exactly_two and len(inputs) != 2:
            raise ShapeError(f"{name} takes exactly 2 inputs; received {len(inputs)}.")
        return elementwise_shape(name, inputs)

    return LayerSpec(
        type=name,
        category="merge",
        doc=doc,
        params=(),
        infer=infer,
        count_cost=_costs.average_merge if name == "Average" else _costs.merge,
        inputs=("input 1", "input 2") if exactly_two else ("input",),
        variadic=not exactly_two,
        min_inputs=2,
        call_style="list",
        doc_url=DOCS + slug,
    )


def _concat_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    if len(inputs) < 2:
        raise ShapeError(f"Concatenate needs at least 2 inputs; received {len(inputs)}. Connect more layers into it.")
    rank = len(inputs[0])
    if any(len(s) != rank for s in inputs):
        raise ShapeError(f"Concatenate needs inputs of the same rank; received {_listing(inputs)}. {MATCH_HINT}")
    axis = int(params["axis"])
    a = axis + rank if axis < 0 else axis
    if not 1 <= a < rank:
        raise ShapeError(f"Concatenate axis {axis} is out of range for inputs of rank {rank}; use 1..{rank - 1} or -1.")
    out: list[int | None] = []
    for i in range(rank):
        dims = [s[i] for s in inputs]
        if i == a:
            out.append(None if any(d is None for d in dims) else sum(d for d in dims if d is not None))
            continue
        known = {d for d in dims if d is not None}
        if len(known) > 1 and i > 0:
            raise ShapeError(
                f"Concatenate needs matching shapes except on axis {axis}; received {_listing(inputs)}. "
                "Make the other axes agree (e.g. with pooling or a Reshape) or change axis."
            )
        out.append(dims[0])
    return tuple(out)


CONCATENATE = LayerSpec(
    type="Concatenate",
    category="merge",
    doc="Joins its inputs side by side along one axis (by default the features).",
    params=(ParamSpec("axis", INT, -1, "Axis along which the inputs are joined (-1 = last)."),),
    infer=_concat_infer,
    count_cost=_costs.free,
    variadic=True,
    min_inputs=2,
    call_style="list",
    key_params=("axis",),
    doc_url=DOCS + "concatenate/",
)


def _dot_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    if len(inputs) != 2:
        raise ShapeError(f"Dot takes exactly 2 inputs; received {len(inputs)}.")
    s1, s2 = list(inputs[0]), list(inputs[1])
    if len(s1) != len(s2) or len(s1) not in (2, 3):
        raise ShapeError(
            f"Dot needs two inputs of rank 2 or 3 with the same rank; received {_listing(inputs)}. {MATCH_HINT}"
        )
    value = params["axes"]
    if isinstance(value, list):
        if len(value) != 2:
            raise ShapeError(f"Dot axes must be one axis or a pair [axis1, axis2]; received {value!r}.")
        axes = [int(v) for v in value]
    else:
        axes = [int(value)] * 2
    axes = [ax % len(s) if ax < 0 else ax for ax, s in zip(axes, (s1, s2), strict=True)]
    if any(not 1 <= ax < len(s1) for ax in axes):
        raise ShapeError(f"Dot axes {value!r} are out of range for inputs of rank {len(s1)}; the batch axis 0 cannot be used.")
    if s1[axes[0]] != s2[axes[1]]:
        raise ShapeError(
            f"Dot needs equal sizes on the multiplied axes; received {fmt_shape(inputs[0])} (axis {axes[0]}) "
            f"and {fmt_shape(inputs[1])} (axis {axes[1]}). {MATCH_HINT}"
        )
    s1.pop(axes[0])
    s2.pop(axes[1])
    s2.pop(0)
    out = s1 + s2
    return tuple(out + [1] if len(out) == 1 else out)


DOT = LayerSpec(
    type="Dot",
    category="merge",
    doc="Dot product of two inputs along the given axes (e.g. similarity of two vectors).",
    params=(
        ParamSpec("axes", AXES, -1, "Axis (or pair of axes) multiplied and summed over."),
        ParamSpec("normalize", BOOL, False, "L2-normalize both inputs first (gives cosine similarity)."),
    ),
    infer=_dot_infer,
    count_cost=_costs.dot,
    inputs=("input 1", "input 2"),
    min_inputs=2,
    call_style="list",
    key_params=("axes",),
    doc_url=DOCS + "dot/",
)

SPECS = [
    _elementwise("Add", "Adds its inputs element-wise (residual / skip connections).", "add/"),
    _elementwise("Subtract", "Subtracts the second input from the first, element-wise.", "subtract/", exactly_two=True),
    _elementwise("Multiply", "Multiplies its inputs element-wise (gating).", "multiply/"),
    _elementwise("Average", "Averages its inputs element-wise (ensembles).", "average/"),
    _elementwise("Maximum", "Element-wise maximum of its inputs.", "maximum/"),
    _elementwise("Minimum", "Element-wise minimum of its inputs.", "minimum/"),
    CONCATENATE,
    DOT,
]
