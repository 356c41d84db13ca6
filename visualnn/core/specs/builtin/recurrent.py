"""Recurrent layers: SimpleRNN, LSTM, GRU, Bidirectional (wrapping one of them) and ConvLSTM2D."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    BOOL,
    CHOICE,
    FLOAT,
    INITIALIZERS,
    INT,
    REGULARIZERS,
    VECTOR_INITIALIZERS,
    KerasCall,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import as_tuple, image_input, prod, require_known
from visualnn.core.specs.builtin.convolution import conv_spatial, ints_param
from visualnn.core.specs.builtin.core import activation_param

DOCS = "https://keras.io/api/layers/recurrent_layers/"
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
SEQUENCE_HINT = "Use an Embedding, a Reshape to (steps, features) or a Conv1D before it."


def _units() -> ParamSpec:
    return ParamSpec("units", INT, 32, "Size of the hidden state (output features).", min=1)


def _drop(name: str, doc: str) -> ParamSpec:
    return ParamSpec(name, FLOAT, 0.0, doc, min=0.0, max=1.0, max_inclusive=False)


def _return_sequences() -> ParamSpec:
    return ParamSpec("return_sequences", BOOL, False, "Output every time step (to stack RNNs) instead of only the last.")


def _recurrent_activation() -> ParamSpec:
    return ParamSpec("recurrent_activation", CHOICE, "sigmoid", "Activation of the gates.", choices=("sigmoid", "hard_sigmoid", "tanh", "relu", "linear"))


def rnn_params(kind: str) -> tuple[ParamSpec, ...]:
    """Constructor arguments of SimpleRNN / LSTM / GRU that VisualNN exposes."""
    out = [_units(), activation_param("tanh", "Activation of the candidate state and output.")]
    if kind != "SimpleRNN":
        out.append(_recurrent_activation())
    out += [
        ParamSpec("use_bias", BOOL, True, "Whether the layer adds learned bias vectors."),
        ParamSpec("kernel_initializer", CHOICE, "glorot_uniform", "How the input weights start.", choices=INITIALIZERS, advanced=True),
        ParamSpec("recurrent_initializer", CHOICE, "orthogonal", "How the recurrent weights start.", choices=INITIALIZERS, advanced=True),
        ParamSpec("bias_initializer", CHOICE, "zeros", "How the bias starts.", choices=VECTOR_INITIALIZERS, advanced=True),
    ]
    if kind == "LSTM":
        out.append(ParamSpec("unit_forget_bias", BOOL, True, "Start the forget-gate bias at 1 (helps learning).", advanced=True))
    out += [
        ParamSpec("kernel_regularizer", CHOICE, None, "Penalty on the input weights.", choices=(None, *REGULARIZERS), optional=True, advanced=True),
        _drop("dropout", "Fraction of the inputs dropped at each step during training."),
        _drop("recurrent_dropout", "Fraction of the recurrent state dropped during training."),
        _return_sequences(),
        ParamSpec("go_backwards", BOOL, False, "Process the sequence from the end to the start.", advanced=True),
        ParamSpec("unroll", BOOL, False, "Unroll the loop (faster for short fixed-length sequences, more memory).", advanced=True),
    ]
    if kind == "GRU":
        out.append(ParamSpec("reset_after", BOOL, True, "Apply the reset gate after the matrix multiply (cuDNN style).", advanced=True))
    return tuple(out)


def sequence_input(layer: str, inputs: list[Shape]) -> Shape:
    """The (samples, steps, features) input of a recurrent layer."""
    x = image_input(layer, inputs, 3, "(samples, steps, features)", SEQUENCE_HINT)
    require_known(layer, x, (-1,), "features")
    return x


def _rnn_output(layer: str, params: dict[str, Any], x: Shape, units: int) -> Shape:
    if params.get("unroll") and x[1] is None:
        raise ShapeError(f"{layer} with unroll=True needs a fixed number of steps; received {fmt_shape(x)}. Set unroll to false.")
    return (x[0], x[1], units) if params["return_sequences"] else (x[0], units)


def rnn_weights(kind: str, params: dict[str, Any], features: int) -> int:
    """Weights of one SimpleRNN/LSTM/GRU over ``features`` input features."""
    units, gates = int(params["units"]), GATES[kind]
    weights = gates * units * (features + units)
    if params.get("use_bias", True):
        weights += gates * units * (2 if kind == "GRU" and params.get("reset_after", True) else 1)
    return weights


def rnn_spec(kind: str, doc: str, slug: str) -> LayerSpec:
    """SimpleRNN / LSTM / GRU."""

    def infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
        x = sequence_input(kind, inputs)
        return _rnn_output(kind, params, x, int(params["units"]))

    def count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
        return rnn_weights(kind, params, inputs[0][-1] or 0)

    return LayerSpec(
        type=kind,
        category="recurrent",
        doc=doc,
        params=rnn_params(kind),
        infer=infer,
        count_params=count,
        count_cost=_costs.recurrent(kind, GATES[kind]),
        key_params=("units", "return_sequences"),
        doc_url=DOCS + slug,
    )


# ---------------------------------------------------------------- Bidirectional
MERGE_MODES = ("concat", "sum", "mul", "ave")
WRAPPED = ("LSTM", "GRU", "SimpleRNN")
_WRAPPED_NAMES = ("units", "activation", "dropout", "recurrent_dropout", "return_sequences")


def _bidi_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = sequence_input("Bidirectional", inputs)
    units = int(params["units"]) * (2 if params["merge_mode"] == "concat" else 1)
    return _rnn_output("Bidirectional", params, x, units)


def _bidi_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    return 2 * rnn_weights(params["layer"], params, inputs[0][-1] or 0)


def _bidi_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    inner = {name: spec.param(name).to_python(params[name]) for name in _WRAPPED_NAMES}
    return KerasCall(
        "keras.layers.Bidirectional",
        {"layer": KerasCall(f"keras.layers.{params['layer']}", inner), "merge_mode": params["merge_mode"]},
    )


BIDIRECTIONAL = LayerSpec(
    type="Bidirectional",
    category="recurrent",
    doc="Runs an LSTM/GRU/SimpleRNN forwards and backwards over the sequence and merges both.",
    params=(
        ParamSpec("layer", CHOICE, "LSTM", "The recurrent layer run in both directions.", choices=WRAPPED),
        _units(),
        activation_param("tanh", "Activation of the wrapped layer."),
        _drop("dropout", "Fraction of the inputs dropped at each step during training."),
        _drop("recurrent_dropout", "Fraction of the recurrent state dropped during training."),
        _return_sequences(),
        ParamSpec("merge_mode", CHOICE, "concat", "How the two directions are combined.", choices=MERGE_MODES),
    ),
    infer=_bidi_infer,
    count_params=_bidi_count,
    count_cost=_costs.bidirectional,
    keras_call=_bidi_call,
    key_params=("layer", "units", "merge_mode"),
    doc_url=DOCS + "bidirectional/",
)


# ------------------------------------------------------------------ ConvLSTM2D
def _convlstm_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    layer = "ConvLSTM2D"
    x = image_input(
        layer,
        inputs,
        5,
        "(samples, time, height, width, channels)",
        "Feed it a video-like input, e.g. Input shape [10, 64, 64, 1].",
    )
    require_known(layer, x, (-1,), "channels")
    # Treat each frame as an image for the spatial arithmetic.
    spatial = conv_spatial(layer, params, (x[0], x[2], x[3], x[4]), 2)
    filters = int(params["filters"])
    return (x[0], x[1], *spatial, filters) if params["return_sequences"] else (x[0], *spatial, filters)


def _convlstm_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    cin, f = inputs[0][-1] or 0, int(params["filters"])
    k = prod(as_tuple(params["kernel_size"], 2)) or 0
    return 4 * (k * cin * f + k * f * f) + (4 * f if params["use_bias"] else 0)


CONV_LSTM2D = LayerSpec(
    type="ConvLSTM2D",
    category="recurrent",
    doc="LSTM whose gates are convolutions: learns from sequences of images (video).",
    params=(
        ParamSpec("filters", INT, 32, "Number of output channels (feature maps).", min=1),
        ints_param("kernel_size", [3, 3], 2, "Size of the convolution window."),
        ints_param("strides", 1, 2, "Step of the window over each frame."),
        ParamSpec("padding", CHOICE, "valid", "'valid' shrinks each frame by the kernel size; 'same' keeps it.", choices=("valid", "same")),
        ints_param("dilation_rate", 1, 2, "Spacing between kernel taps.", advanced=True),
        activation_param("tanh", "Activation of the candidate state and output."),
        _recurrent_activation(),
        ParamSpec("use_bias", BOOL, True, "Whether the layer adds learned bias vectors."),
        _drop("dropout", "Fraction of the inputs dropped during training."),
        _drop("recurrent_dropout", "Fraction of the recurrent state dropped during training."),
        _return_sequences(),
        ParamSpec("go_backwards", BOOL, False, "Process the frames from the last to the first.", advanced=True),
    ),
    infer=_convlstm_infer,
    count_params=_convlstm_count,
    count_cost=_costs.conv_lstm2d,
    key_params=("filters", "kernel_size", "return_sequences"),
    doc_url=DOCS + "conv_lstm2d/",
)

SPECS = [
    rnn_spec("SimpleRNN", "Fully connected recurrent layer: the simplest RNN.", "simple_rnn/"),
    rnn_spec("LSTM", "Long Short-Term Memory: an RNN with gates that remembers long-range patterns.", "lstm/"),
    rnn_spec("GRU", "Gated Recurrent Unit: a lighter gated RNN than LSTM.", "gru/"),
    BIDIRECTIONAL,
    CONV_LSTM2D,
]
