"""Core layers: Dense, Activation, Dropout, Flatten, ..."""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import (
    ACTIVATIONS,
    AXES,
    BOOL,
    CHOICE,
    FLOAT,
    INITIALIZERS,
    INT,
    REGULARIZERS,
    SHAPE,
    VECTOR_INITIALIZERS,
    LayerSpec,
    ParamSpec,
    Shape,
    ShapeError,
    fmt_shape,
)
from visualnn.core.specs.builtin import _costs
from visualnn.core.specs.builtin._rules import one_input, prod, require_known, require_rank, same_shape

KERAS_DOCS = "https://keras.io/api/layers/"


def activation_param(default: str | None = None, doc: str = "Activation applied to the output.") -> ParamSpec:
    """The usual ``activation`` argument (Keras's own names)."""
    return ParamSpec("activation", CHOICE, default, doc, choices=(None, *ACTIVATIONS), optional=True)


def weight_params(prefix: str = "kernel", use_bias: bool = True) -> tuple[ParamSpec, ...]:
    """``use_bias`` plus initializer/regularizer arguments shared by weighted layers."""
    out = []
    if use_bias:
        out.append(ParamSpec("use_bias", BOOL, True, "Whether the layer adds a learned bias vector."))
    out += [
        ParamSpec(f"{prefix}_initializer", CHOICE, "glorot_uniform", "How the weights start.", choices=INITIALIZERS, advanced=True),
        ParamSpec("bias_initializer", CHOICE, "zeros", "How the bias starts.", choices=VECTOR_INITIALIZERS, advanced=True),
        ParamSpec(f"{prefix}_regularizer", CHOICE, None, "Penalty on the weights added to the loss.", choices=(None, *REGULARIZERS), optional=True, advanced=True),
    ]
    return tuple(out)


def _dense_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Dense", inputs)
    require_rank("Dense", x, min_rank=2, fix="Add a Reshape or check the Input shape.")
    require_known("Dense", x, (-1,), "last")
    return (*x[:-1], int(params["units"]))


def _dense_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    n_in = inputs[0][-1] or 0
    units = int(params["units"])
    return n_in * units + (units if params.get("use_bias", True) else 0)


DENSE = LayerSpec(
    type="Dense",
    category="core",
    doc="Fully connected layer: every output unit sees every input feature.",
    params=(
        ParamSpec("units", INT, 32, "Number of output units (features).", min=1),
        activation_param(),
        *weight_params(),
    ),
    infer=_dense_infer,
    count_cost=_costs.dense,
    count_params=_dense_count,
    key_params=("units", "activation"),
    doc_url=KERAS_DOCS + "core_layers/dense/",
)


ACTIVATION = LayerSpec(
    type="Activation",
    category="core",
    doc="Applies an activation function element-wise; the shape is unchanged.",
    params=(ParamSpec("activation", CHOICE, "relu", "Activation function.", choices=ACTIVATIONS),),
    infer=same_shape("Activation"),
    count_cost=_costs.elementwise(),
    key_params=("activation",),
    doc_url=KERAS_DOCS + "core_layers/activation/",
)

DROPOUT = LayerSpec(
    type="Dropout",
    category="normalization",
    doc="Randomly zeroes a fraction of inputs during training to reduce overfitting.",
    params=(
        ParamSpec("rate", FLOAT, 0.5, "Fraction of the inputs to drop, in [0, 1).", min=0.0, max=1.0, max_inclusive=False),
        ParamSpec("noise_shape", SHAPE, None, "Shape of the dropout mask, batch axis included; a 1 shares one "
                  "draw along that axis, e.g. [None, 1, 1, C] drops whole channels.", optional=True, advanced=True),
        ParamSpec("seed", INT, None, "Random seed for the dropout mask.", optional=True, advanced=True),
    ),
    infer=same_shape("Dropout"),
    count_cost=_costs.free,
    key_params=("rate",),
    doc_url=KERAS_DOCS + "regularization_layers/dropout/",
)


def _flatten_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Flatten", inputs)
    if len(x) < 2:
        return (x[0], 1) if x else (None, 1)
    return (x[0], prod(x[1:]))


FLATTEN = LayerSpec(
    type="Flatten",
    category="core",
    doc="Flattens each sample to a vector (rank 2: samples, features).",
    params=(
        ParamSpec("data_format", CHOICE, None, "Channel axis position of the input.", choices=(None, "channels_last", "channels_first"), optional=True, advanced=True),
    ),
    infer=_flatten_infer,
    count_cost=_costs.free,
    doc_url=KERAS_DOCS + "reshaping_layers/flatten/",
)



def _reshape_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Reshape", inputs)
    target = list(params["target_shape"])
    if not target:
        raise ShapeError("Reshape target_shape must have at least one dimension, e.g. [28, 28, 1]; received [].")
    if target.count(-1) > 1:
        raise ShapeError(f"Reshape target_shape may contain -1 only once; received {target}.")
    have = prod(x[1:])
    known = prod([d for d in target if d != -1])
    if have is None:
        return (x[0], *(None if d == -1 else d for d in target))
    if -1 in target:
        if known is None or known == 0 or have % known:
            raise ShapeError(
                f"Reshape cannot fit {fmt_shape(x)} ({have} values per sample) into {tuple(target)}: "
                f"{have} is not divisible by {known}. Change target_shape."
            )
        return (x[0], *(have // known if d == -1 else d for d in target))
    if known != have:
        raise ShapeError(
            f"Reshape cannot turn {fmt_shape(x)} ({have} values per sample) into {tuple(target)} ({known} values); "
            "the number of values must stay the same. Change target_shape or use -1 for one dimension."
        )
    return (x[0], *target)


RESHAPE = LayerSpec(
    type="Reshape",
    category="core",
    doc="Rearranges each sample into a new shape with the same number of values.",
    params=(
        ParamSpec("target_shape", SHAPE, [-1], "New shape without the batch axis; one dimension may be -1 (inferred).", min=-1),
    ),
    infer=_reshape_infer,
    count_cost=_costs.free,
    key_params=("target_shape",),
    doc_url=KERAS_DOCS + "reshaping_layers/reshape/",
)


def _permute_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Permute", inputs)
    dims = [int(d) for d in (params["dims"] if isinstance(params["dims"], list) else [params["dims"]])]
    if sorted(dims) != list(range(1, len(x))):
        raise ShapeError(
            f"Permute dims must be a reordering of 1..{len(x) - 1} for an input {fmt_shape(x)}; received {dims}."
        )
    return (x[0], *(x[d] for d in dims))


PERMUTE = LayerSpec(
    type="Permute",
    category="core",
    doc="Reorders the non-batch axes, e.g. [2, 1] swaps steps and features.",
    params=(ParamSpec("dims", AXES, [2, 1], "New order of the axes, numbered from 1 (the batch axis stays first).", min=1),),
    infer=_permute_infer,
    count_cost=_costs.free,
    key_params=("dims",),
    doc_url=KERAS_DOCS + "reshaping_layers/permute/",
)


def _repeat_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("RepeatVector", inputs)
    require_rank("RepeatVector", x, rank=2, fix="It repeats a vector; add a Flatten or GlobalPooling before it.")
    return (x[0], int(params["n"]), x[1])


REPEAT_VECTOR = LayerSpec(
    type="RepeatVector",
    category="core",
    doc="Repeats a vector n times, giving a sequence (samples, n, features).",
    params=(ParamSpec("n", INT, 3, "Number of repetitions (sequence length of the output).", min=1),),
    infer=_repeat_infer,
    count_cost=_costs.free,
    key_params=("n",),
    doc_url=KERAS_DOCS + "reshaping_layers/repeat_vector/",
)


def _embedding_infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    x = one_input("Embedding", inputs)
    require_rank("Embedding", x, min_rank=2, fix="Feed it integer token ids of shape (samples, steps).")
    return (*x, int(params["output_dim"]))


def _embedding_count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    return int(params["input_dim"]) * int(params["output_dim"])


EMBEDDING = LayerSpec(
    type="Embedding",
    category="core",
    doc="Turns integer token ids into learned dense vectors (the first layer of text models).",
    params=(
        ParamSpec("input_dim", INT, 1000, "Vocabulary size: the largest token id + 1.", min=1),
        ParamSpec("output_dim", INT, 64, "Length of each embedding vector.", min=1),
        ParamSpec("embeddings_initializer", CHOICE, "uniform", "How the vectors start.", choices=("uniform", *INITIALIZERS), advanced=True),
        ParamSpec("mask_zero", BOOL, False, "Treat token 0 as padding and mask it for later layers.", advanced=True),
    ),
    infer=_embedding_infer,
    count_cost=_costs.free,  # a table lookup: no arithmetic
    count_params=_embedding_count,
    key_params=("input_dim", "output_dim"),
    doc_url=KERAS_DOCS + "core_layers/embedding/",
)

IDENTITY = LayerSpec(
    type="Identity",
    category="core",
    doc="Passes its input through unchanged (a placeholder or a named tap point).",
    params=(),
    infer=same_shape("Identity"),
    count_cost=_costs.free,
    doc_url=KERAS_DOCS + "core_layers/identity/",
)

SPECS = [DENSE, ACTIVATION, DROPOUT, FLATTEN, RESHAPE, PERMUTE, REPEAT_VECTOR, EMBEDDING, IDENTITY]
