"""Convolution layers: Conv1D/2D/3D, SeparableConv2D, DepthwiseConv2D, Conv2DTranspose (channels_last)."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    BOOL,
    CHOICE,
    INITIALIZERS,
    INT,
    INTS,
    REGULARIZERS,
    VECTOR_INITIALIZERS,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import (
    as_tuple,
    conv_length,
    deconv_length,
    image_input,
    positive_dims,
    prod,
    require_known,
)
from visualnn.core.specs.builtin.core import activation_param, weight_params

DOCS = "https://keras.io/api/layers/convolution_layers/"

# What each rank means, for error messages ("rank 4 (samples, height, width, channels)").
AXES_TEXT = {
    1: "(samples, steps, channels)",
    2: "(samples, height, width, channels)",
    3: "(samples, depth, height, width, channels)",
}
RESHAPE_HINT = {
    1: "Add a Reshape to (steps, 1) or check the Input shape.",
    2: "Add a Reshape to (28, 28, 1) or check the Input shape.",
    3: "Add a Reshape to (depth, height, width, channels) or check the Input shape.",
}


def ints_param(name: str, default: Any, rank: int, doc: str, advanced: bool = False, optional: bool = False, min_value: int = 1) -> ParamSpec:
    """An int-or-tuple argument such as ``kernel_size`` (an int for 1D, a list for 2D/3D)."""
    return ParamSpec(name, INTS, default, doc, min=min_value, length=rank, advanced=advanced, optional=optional)


def _spatial(rank: int, value: int) -> int | list[int]:
    return value if rank == 1 else [value] * rank


def _padding_param(causal: bool = False) -> ParamSpec:
    choices: tuple[str, ...] = ("valid", "same", "causal") if causal else ("valid", "same")
    return ParamSpec(
        "padding",
        CHOICE,
        "valid",
        "'valid' shrinks the output by the kernel size; 'same' keeps it (divided by the stride)."
        + (" 'causal' looks only at past steps." if causal else ""),
        choices=choices,
    )


def conv_input(layer: str, inputs: list[Shape], rank: int) -> Shape:
    """The input of a ``rank``-D convolution: rank + 2 axes with known channels."""
    x = image_input(layer, inputs, rank + 2, AXES_TEXT[rank], RESHAPE_HINT[rank])
    require_known(layer, x, (-1,), "channels")
    return x


def check_stride_dilation(layer: str, strides: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """Keras refuses strides > 1 together with dilation_rate > 1."""
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            f"{layer} cannot combine strides > 1 with dilation_rate > 1; received strides={list(strides)} "
            f"and dilation_rate={list(dilation)}. Set one of them to 1."
        )


def conv_spatial(layer: str, params: dict[str, Any], x: Shape, rank: int) -> tuple[int | None, ...]:
    """Spatial output dims of a (non-transposed) convolution."""
    kernel = as_tuple(params["kernel_size"], rank)
    strides = as_tuple(params["strides"], rank)
    dilation = as_tuple(params.get("dilation_rate", 1), rank)
    check_stride_dilation(layer, strides, dilation)
    padding = params["padding"]
    dims = tuple(conv_length(x[1 + i], kernel[i], strides[i], padding, dilation[i]) for i in range(rank))
    positive_dims(layer, dims, x, "Use padding='same', a smaller kernel_size or a larger input.")
    return dims


def _conv_infer(layer: str, rank: int) -> Any:
    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = conv_input(layer, inputs, rank)
        filters, groups = int(params["filters"]), int(params.get("groups", 1))
        if filters % groups:
            raise ShapeError(f"{layer} filters ({filters}) must be divisible by groups ({groups}).")
        channels = x[-1] or 0
        if channels % groups:
            raise ShapeError(
                f"{layer} input channels must be divisible by groups ({groups}); received {fmt_shape(x)} "
                f"with {channels} channels. Change groups or the number of channels."
            )
        return (x[0], *conv_spatial(layer, params, x, rank), filters)

    return infer


def _conv_count(rank: int) -> Any:
    def count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
        cin = inputs[0][-1] or 0
        filters, groups = int(params["filters"]), int(params.get("groups", 1))
        kernel = prod(as_tuple(params["kernel_size"], rank)) or 0
        return kernel * (cin // groups) * filters + (filters if params["use_bias"] else 0)

    return count


def _conv_params(rank: int, causal: bool = False, groups: bool = True) -> tuple[ParamSpec, ...]:
    out = [
        ParamSpec("filters", INT, 32, "Number of output channels (feature maps).", min=1),
        ints_param("kernel_size", _spatial(rank, 3), rank, "Size of the convolution window."),
        ints_param("strides", _spatial(rank, 1), rank, "Step of the window; 2 halves each spatial size."),
        _padding_param(causal),
        ints_param("dilation_rate", _spatial(rank, 1), rank, "Spacing between kernel taps (atrous convolution).", advanced=True),
    ]
    if groups:
        out.append(ParamSpec("groups", INT, 1, "Split channels into groups convolved separately.", min=1, advanced=True))
    out.append(activation_param())
    out.extend(weight_params())
    return tuple(out)


def conv_spec(rank: int) -> LayerSpec:
    """Conv1D / Conv2D / Conv3D."""
    name = f"Conv{rank}D"
    return LayerSpec(
        type=name,
        category="convolution",
        doc=f"{rank}D convolution: slides learned filters over the input to detect local patterns.",
        params=_conv_params(rank, causal=rank == 1),
        infer=_conv_infer(name, rank),
        count_cost=_costs.conv(rank),
        count_params=_conv_count(rank),
        key_params=("filters", "kernel_size", "activation"),
        replaces=(f"Convolution{rank}D",),  # Keras's long alias
        doc_url=f"{DOCS}convolution{rank}d/",
    )


def _init(name: str, doc: str) -> ParamSpec:
    return ParamSpec(name, CHOICE, "glorot_uniform", doc, choices=INITIALIZERS, advanced=True)


def _reg(name: str, doc: str) -> ParamSpec:
    return ParamSpec(name, CHOICE, None, doc, choices=(None, *REGULARIZERS), optional=True, advanced=True)


def _depth_multiplier() -> ParamSpec:
    return ParamSpec("depth_multiplier", INT, 1, "Depthwise output channels per input channel.", min=1)


def _bias_params() -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec("use_bias", BOOL, True, "Whether the layer adds a learned bias vector."),
        ParamSpec("bias_initializer", CHOICE, "zeros", "How the bias starts.", choices=VECTOR_INITIALIZERS, advanced=True),
    )


def separable_spec(rank: int) -> LayerSpec:
    """SeparableConv1D / SeparableConv2D: depthwise then pointwise convolution."""
    name = f"SeparableConv{rank}D"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = conv_input(name, inputs, rank)
        return (x[0], *conv_spatial(name, params, x, rank), int(params["filters"]))

    def count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
        cin = inputs[0][-1] or 0
        dm, filters = int(params["depth_multiplier"]), int(params["filters"])
        kernel = prod(as_tuple(params["kernel_size"], rank)) or 0
        return kernel * cin * dm + cin * dm * filters + (filters if params["use_bias"] else 0)

    use_bias, bias_init = _bias_params()
    return LayerSpec(
        type=name,
        category="convolution",
        doc=f"Depthwise then pointwise {rank}D convolution: fewer weights than Conv{rank}D for similar features.",
        params=(
            *_conv_params(rank, groups=False)[:5],
            _depth_multiplier(),
            activation_param(),
            use_bias,
            _init("depthwise_initializer", "How the depthwise kernel starts."),
            _init("pointwise_initializer", "How the pointwise kernel starts."),
            bias_init,
            _reg("depthwise_regularizer", "Penalty on the depthwise kernel added to the loss."),
            _reg("pointwise_regularizer", "Penalty on the pointwise kernel added to the loss."),
        ),
        infer=infer,
        count_params=count,
        count_cost=_costs.separable(rank),
        key_params=("filters", "kernel_size", "activation"),
        replaces=(f"SeparableConvolution{rank}D",),
        doc_url=f"{DOCS}separable_convolution{rank}d/",
    )


def depthwise_spec(rank: int) -> LayerSpec:
    """DepthwiseConv1D / DepthwiseConv2D: one filter set per input channel."""
    name = f"DepthwiseConv{rank}D"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = conv_input(name, inputs, rank)
        channels = (x[-1] or 0) * int(params["depth_multiplier"])
        return (x[0], *conv_spatial(name, params, x, rank), channels)

    def count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
        cin = inputs[0][-1] or 0
        dm = int(params["depth_multiplier"])
        kernel = prod(as_tuple(params["kernel_size"], rank)) or 0
        return kernel * cin * dm + (cin * dm if params["use_bias"] else 0)

    use_bias, bias_init = _bias_params()
    return LayerSpec(
        type=name,
        category="convolution",
        doc=f"Convolves each channel of a {rank}D input with its own filter(s); channels are not mixed.",
        params=(
            ints_param("kernel_size", _spatial(rank, 3), rank, "Size of the convolution window."),
            ints_param("strides", _spatial(rank, 1), rank, "Step of the window; 2 halves each spatial size."),
            _padding_param(),
            _depth_multiplier(),
            ints_param("dilation_rate", _spatial(rank, 1), rank, "Spacing between kernel taps (atrous convolution).", advanced=True),
            activation_param(),
            use_bias,
            _init("depthwise_initializer", "How the depthwise kernel starts."),
            bias_init,
            _reg("depthwise_regularizer", "Penalty on the depthwise kernel added to the loss."),
        ),
        infer=infer,
        count_params=count,
        count_cost=_costs.depthwise(rank),
        key_params=("kernel_size", "depth_multiplier", "activation"),
        doc_url=f"{DOCS}depthwise_convolution{rank}d/",
    )


def transpose_spec(rank: int) -> LayerSpec:
    """Conv1DTranspose / Conv2DTranspose / Conv3DTranspose: learned upsampling."""
    name = f"Conv{rank}DTranspose"

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = conv_input(name, inputs, rank)
        kernel = as_tuple(params["kernel_size"], rank)
        strides = as_tuple(params["strides"], rank)
        dilation = as_tuple(params["dilation_rate"], rank)
        check_stride_dilation(name, strides, dilation)
        op = params.get("output_padding")
        out_pad: tuple[int | None, ...] = (None,) * rank if op is None else as_tuple(op, rank)
        for p, s in zip(out_pad, strides, strict=True):
            if p is not None and p >= s:
                raise ShapeError(
                    f"{name} output_padding must be smaller than strides; received output_padding={op} "
                    f"and strides={params['strides']}."
                )
        dims = tuple(
            deconv_length(x[1 + i], kernel[i], strides[i], params["padding"], dilation[i], out_pad[i]) for i in range(rank)
        )
        return (x[0], *dims, int(params["filters"]))

    base = _conv_params(rank, groups=False)
    return LayerSpec(
        type=name,
        category="convolution",
        doc=f"Transposed ('de-')convolution in {rank}D: learns to upsample feature maps (decoders, generators).",
        params=(
            *base[:4],
            ints_param("output_padding", None, rank, "Extra rows/columns added to the output (must be < strides).", advanced=True, optional=True, min_value=0),
            *base[4:],
        ),
        infer=infer,
        count_params=_conv_count(rank),
        count_cost=_costs.conv_transpose(rank),
        key_params=("filters", "kernel_size", "strides"),
        replaces=(f"Convolution{rank}DTranspose",),
        doc_url=f"{DOCS}convolution{rank}d_transpose/",
    )


SPECS = [
    conv_spec(1),
    conv_spec(2),
    conv_spec(3),
    separable_spec(1),
    separable_spec(2),
    depthwise_spec(1),
    depthwise_spec(2),
    transpose_spec(1),
    transpose_spec(2),
    transpose_spec(3),
]
