"""Pooling layers: Max/Average pooling 1D-3D and their global variants (channels_last)."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import BOOL, CHOICE, LayerSpec, ParamSpec, Shape
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import as_tuple, conv_length, image_input, positive_dims
from visualnn.core.specs.builtin.convolution import AXES_TEXT, RESHAPE_HINT, ints_param

DOCS = "https://keras.io/api/layers/pooling_layers/"


def _pool_infer(layer: str, rank: int) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = image_input(layer, inputs, rank + 2, AXES_TEXT[rank], RESHAPE_HINT[rank])
        pool = as_tuple(params["pool_size"], rank)
        strides = pool if params.get("strides") is None else as_tuple(params["strides"], rank)
        dims = tuple(conv_length(x[1 + i], pool[i], strides[i], params["padding"]) for i in range(rank))
        positive_dims(layer, dims, x, "Use padding='same', a smaller pool_size or a larger input.")
        return (x[0], *dims, x[-1])

    return infer


def pool_spec(kind: str, rank: int) -> LayerSpec:
    """MaxPooling{rank}D or AveragePooling{rank}D."""
    name = f"{kind}Pooling{rank}D"
    default: int | list[int] = 2 if rank == 1 else [2] * rank
    what = "maximum" if kind == "Max" else "average"
    slug = "max" if kind == "Max" else "average"
    return LayerSpec(
        type=name,
        category="pooling",
        doc=f"Downsamples by taking the {what} over each window of the {rank}D input.",
        params=(
            ints_param("pool_size", default, rank, "Size of the pooling window."),
            ints_param("strides", None, rank, "Step of the window; empty means pool_size.", optional=True),
            ParamSpec("padding", CHOICE, "valid", "'valid' drops incomplete windows; 'same' pads to keep them.", choices=("valid", "same")),
        ),
        infer=_pool_infer(name, rank),
        count_cost=_costs.pooling(rank),
        key_params=("pool_size",),
        replaces=(f"{kind if kind == 'Max' else 'Avg'}Pool{rank}D",),  # Keras's short aliases
        doc_url=f"{DOCS}{slug}_pooling{rank}d/",
    )


def _global_infer(layer: str, rank: int) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = image_input(layer, inputs, rank + 2, AXES_TEXT[rank], RESHAPE_HINT[rank])
        if params.get("keepdims"):
            return (x[0], *([1] * rank), x[-1])
        return (x[0], x[-1])

    return infer


def global_spec(kind: str, rank: int) -> LayerSpec:
    """GlobalMaxPooling{rank}D or GlobalAveragePooling{rank}D."""
    name = f"Global{kind}Pooling{rank}D"
    what = "maximum" if kind == "Max" else "average"
    slug = "max" if kind == "Max" else "average"
    return LayerSpec(
        type=name,
        category="pooling",
        doc=f"Reduces each channel to its {what} over all {rank}D positions: (samples, channels).",
        params=(ParamSpec("keepdims", BOOL, False, "Keep the pooled axes with size 1 instead of dropping them."),),
        infer=_global_infer(name, rank),
        count_cost=_costs.global_pooling,
        replaces=(f"Global{kind if kind == 'Max' else 'Avg'}Pool{rank}D",),  # Keras's short aliases
        doc_url=f"{DOCS}global_{slug}_pooling{rank}d/",
    )


SPECS = [pool_spec(k, r) for k in ("Max", "Average") for r in (1, 2, 3)] + [
    global_spec(k, r) for k in ("Average", "Max") for r in (1, 2, 3)
]
