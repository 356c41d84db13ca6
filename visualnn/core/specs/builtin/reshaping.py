"""Reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D (channels_last)."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import CHOICE, PADDING, LayerSpec, ParamSpec, Shape
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import as_tuple, image_input, pairs, positive_dims
from visualnn.core.specs.builtin.convolution import AXES_TEXT, RESHAPE_HINT, ints_param

DOCS = "https://keras.io/api/layers/reshaping_layers/"


def _spatial_input(layer: str, inputs: list[Shape], rank: int) -> Shape:
    return image_input(layer, inputs, rank + 2, AXES_TEXT[rank], RESHAPE_HINT[rank])


def _plus(dim: int | None, amount: int) -> int | None:
    """A spatial size grown (or cropped, when negative) by ``amount``; unknown stays unknown."""
    return None if dim is None else dim + amount


def _pad_spec(rank: int) -> LayerSpec:
    name = f"ZeroPadding{rank}D"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = _spatial_input(name, inputs, rank)
        amounts = pairs(params["padding"], rank, name, "padding")
        dims = tuple(_plus(x[1 + i], a + b) for i, (a, b) in enumerate(amounts))
        return (x[0], *dims, x[-1])

    default: Any = {1: 1, 2: [1, 1], 3: [[1, 1], [1, 1], [1, 1]]}[rank]
    return LayerSpec(
        type=name,
        category="reshaping",
        doc=f"Adds rows of zeros around each {rank}D sample (before and after each spatial axis).",
        params=(ParamSpec("padding", PADDING, default, "Zeros added: an int, one per axis, or [before, after] pairs."),),
        infer=infer,
        count_cost=_costs.free,
        key_params=("padding",),
        doc_url=f"{DOCS}zero_padding{rank}d/",
    )


def _crop_spec(rank: int) -> LayerSpec:
    name = f"Cropping{rank}D"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = _spatial_input(name, inputs, rank)
        amounts = pairs(params["cropping"], rank, name, "cropping")
        dims = tuple(_plus(x[1 + i], -a - b) for i, (a, b) in enumerate(amounts))
        positive_dims(name, dims, x, "Crop less.")
        return (x[0], *dims, x[-1])

    default: Any = {1: [1, 1], 2: [[0, 0], [0, 0]], 3: [[1, 1], [1, 1], [1, 1]]}[rank]
    return LayerSpec(
        type=name,
        category="reshaping",
        doc=f"Removes rows at the borders of each {rank}D sample.",
        params=(ParamSpec("cropping", PADDING, default, "Amount cut: an int, one per axis, or [before, after] pairs."),),
        infer=infer,
        count_cost=_costs.free,
        key_params=("cropping",),
        doc_url=f"{DOCS}cropping{rank}d/",
    )


def _upsampling_spec(rank: int) -> LayerSpec:
    name = f"UpSampling{rank}D"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = _spatial_input(name, inputs, rank)
        size = as_tuple(params["size"], rank)
        dims = tuple(None if (d := x[1 + i]) is None else d * size[i] for i in range(rank))
        return (x[0], *dims, x[-1])

    params: tuple[ParamSpec, ...] = (
        ints_param("size", 2 if rank == 1 else [2] * rank, rank, "Repeat factor for each spatial axis."),
    )
    if rank == 2:
        params += (
            ParamSpec(
                "interpolation",
                CHOICE,
                "nearest",
                "How new pixels are filled in.",
                choices=("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
            ),
        )
    return LayerSpec(
        type=name,
        category="reshaping",
        doc=f"Enlarges each {rank}D sample by repeating its values along the spatial axes.",
        params=params,
        infer=infer,
        count_cost=_costs.free,  # nearest repeats values; interpolation not counted
        key_params=("size",),
        doc_url=f"{DOCS}up_sampling{rank}d/",
    )


SPECS = [
    *(_pad_spec(r) for r in (1, 2, 3)),
    *(_crop_spec(r) for r in (1, 2, 3)),
    *(_upsampling_spec(r) for r in (1, 2, 3)),
]
