"""Declarative layer specs: parameters, ports, shape rule, parameter count and Keras call."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int | None, ...]
"""A tensor shape including the batch axis (``None``)."""

# Parameter kinds. Values in documents are JSON: tuples are stored as lists.
INT = "int"
FLOAT = "float"
BOOL = "bool"
CHOICE = "choice"  # one of `choices` (strings, or None when optional)
STR = "str"
INTS = "ints"  # an int or a list of `length` ints (kernel_size, strides); stored as a list
SHAPE = "shape"  # a list of positive ints or None (Input shape, Reshape target)
AXES = "axes"  # an int or list of ints (axis arguments)
FLOATS = "floats"  # a float or a pair of floats (zoom / rotation factors)
PADDING = "padding"  # cropping/padding amounts: int, list of ints, or list of pairs
KINDS = (INT, FLOAT, BOOL, CHOICE, STR, INTS, SHAPE, AXES, FLOATS, PADDING)

ACTIVATIONS = (
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "tanh",
    "sigmoid",
    "hard_sigmoid",
    "hard_silu",  # MobileNetV3's hard swish; Keras writes "hard_swish" as this name
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "exponential",
)
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "zeros",
    "ones",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "orthogonal",
)
VECTOR_INITIALIZERS = tuple(i for i in INITIALIZERS if i != "orthogonal")
"""Initializers valid for 1-D weights (biases, scales): orthogonal needs a matrix."""
CONFIGURED_INITIALIZERS: dict[str, dict[str, tuple[type, ...]]] = {
    "VarianceScaling": {"scale": (int, float), "mode": (str,), "distribution": (str,), "seed": (int, type(None))},
    "RandomNormal": {"mean": (int, float), "stddev": (int, float), "seed": (int, type(None))},
    "RandomUniform": {"minval": (int, float), "maxval": (int, float), "seed": (int, type(None))},
    "TruncatedNormal": {"mean": (int, float), "stddev": (int, float), "seed": (int, type(None))},
    "Constant": {"value": (int, float)},
}
"""Keras initializers an ``*_initializer`` parameter may also hold with their settings, as the JSON object
``{"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", ...}}`` (e.g. imported
EfficientNet convolutions): class name -> config key -> allowed value types."""
REGULARIZERS = ("l1", "l2", "l1l2")  # Keras identifiers (keras.regularizers.get)
DTYPES = ("float32", "float16", "bfloat16", "float64", "int32", "int64", "bool", "string")


class ShapeError(ValueError):
    """Raised by a spec's shape rule; its message is shown to the user as is."""


class NoFormulaError(Exception):
    """Raised by a cost rule for a node whose arithmetic it cannot know (a generic layer of a class no rule covers):
    the analysis counts the node as 0 MACs and lists it under ``without_formula``, with this message as its note."""


@dataclass(frozen=True)
class ParamSpec:
    """One constructor argument of a layer: kind, default, allowed values and a one-line doc."""

    name: str
    kind: str
    default: Any
    doc: str = ""
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[Any, ...] = ()
    length: int | None = None  # INTS: the number of spatial dims; FLOATS: 2 means a pair is required
    optional: bool = False  # None is an allowed value
    advanced: bool = False  # hidden behind "Advanced" in the inspector

    def check(self, value: Any, layer: str = "Layer") -> str | None:
        """Why ``value`` is not acceptable, in the user's words, or ``None`` when it is."""
        where = f"{layer} {self.name}"
        if value is None:
            return None if self.optional else f"{where} must be set; received None."
        kind = self.kind
        if kind == BOOL:
            return None if isinstance(value, bool) else f"{where} must be true or false; received {value!r}."
        if kind == INT:
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{where} must be an integer; received {value!r}."
            return self._check_range(value, where)
        if kind == FLOAT:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return f"{where} must be a number; received {value!r}."
            return self._check_range(float(value), where)
        if kind == CHOICE and self.takes_initializer_config and isinstance(value, dict):
            return initializer_config_problem(value, where)
        if kind == CHOICE:
            return None if value in self.choices else f"{where} must be one of {', '.join(map(str, self.choices))}; received {value!r}."
        if kind == STR:
            return None if isinstance(value, str) else f"{where} must be text; received {value!r}."
        if kind in (INTS, AXES):
            items = value if isinstance(value, list) else [value]
            if kind == INTS and isinstance(value, list) and self.length and len(value) != self.length:
                return f"{where} must have {self.length} values; received {value!r}."
            for v in items:
                if isinstance(v, bool) or not isinstance(v, int):
                    return f"{where} must contain integers; received {value!r}."
                problem = self._check_range(v, where)
                if problem:
                    return problem
            return None
        if kind == SHAPE:
            if not isinstance(value, list):
                return f"{where} must be a list of dimensions such as [28, 28, 1]; received {value!r}."
            for v in value:
                if v is None:
                    continue
                if isinstance(v, bool) or not isinstance(v, int) or v == 0 or v < (self.min if self.min is not None else 1):
                    return f"{where} dimensions must be positive integers or None; received {value!r}."
            return None
        if kind == FLOATS:
            items = value if isinstance(value, list) else [value]
            pair_only = self.length == 2  # e.g. value_range: Keras wants [low, high], never one number
            if (isinstance(value, list) and len(value) != 2) or (pair_only and not isinstance(value, list)):
                wanted = "a pair [low, high]" if pair_only else "a number or a pair [low, high]"
                return f"{where} must be {wanted}; received {value!r}."
            for v in items:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    return f"{where} must contain numbers; received {value!r}."
                problem = self._check_range(float(v), where)
                if problem:
                    return problem
            if isinstance(value, list) and value[0] > value[1]:
                return f"{where} must be [low, high] with low <= high; received {value!r}."
            return None
        if kind == PADDING:
            flat: list[Any] = []
            for v in value if isinstance(value, list) else [value]:
                flat.extend(v if isinstance(v, list) else [v])
            if not flat or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in flat):
                return f"{where} must be non-negative integers; received {value!r}."
            return None
        return f"{where} has an unknown kind {kind!r}."

    def _check_range(self, value: float, where: str) -> str | None:
        lo_ok = self.min is None or (value >= self.min if self.min_inclusive else value > self.min)
        hi_ok = self.max is None or (value <= self.max if self.max_inclusive else value < self.max)
        if lo_ok and hi_ok:
            return None
        lo = "-inf" if self.min is None else _num(self.min)
        hi = "inf" if self.max is None else _num(self.max)
        left = "[" if self.min_inclusive and self.min is not None else "("
        right = "]" if self.max_inclusive and self.max is not None else ")"
        return f"{where} must be in {left}{lo}, {hi}{right}; received {_num(value)}."

    @property
    def takes_initializer_config(self) -> bool:
        """Whether the value may also be a configured initializer (see :data:`CONFIGURED_INITIALIZERS`)."""
        return self.kind == CHOICE and self.name.endswith("_initializer")

    def to_python(self, value: Any) -> Any:
        """The value as Keras wants it (lists become tuples where Keras uses tuples)."""
        if value is None:
            return None
        if self.takes_initializer_config and isinstance(value, dict):
            return KerasCall(f"keras.initializers.{value['class_name']}", dict(value.get("config") or {}))
        if self.kind in (INTS, AXES, SHAPE, FLOATS) and isinstance(value, list):
            return tuple(value)
        if self.kind == PADDING and isinstance(value, list):
            return tuple(tuple(v) if isinstance(v, list) else v for v in value)
        if self.kind == FLOAT and isinstance(value, int):
            return float(value)
        return value


def initializer_config_problem(value: dict[str, Any], where: str = "The initializer") -> str | None:
    """Why ``value`` is not a configured initializer ``{"class_name", "config"}`` VisualNN knows, or None."""
    cls = value.get("class_name")
    allowed = CONFIGURED_INITIALIZERS.get(str(cls))
    known = ", ".join(CONFIGURED_INITIALIZERS)
    if allowed is None or set(value) - {"class_name", "config"}:
        return f"{where} must be a named initializer or a configured one ({known}); received {value!r}."
    config = value.get("config") or {}
    if not isinstance(config, dict):
        return f"{where} config must be an object of settings; received {config!r}."
    for key, v in config.items():
        if key not in allowed:
            return f"{where}: {cls} has no setting {key!r} (settings: {', '.join(allowed)})."
        if isinstance(v, bool) or not isinstance(v, allowed[key]):
            return f"{where}: {cls} {key} cannot be {v!r}."
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class KerasCall:
    """One Keras constructor call: dotted class path and keyword arguments.

    Keyword values are plain Python data or nested :class:`KerasCall` (e.g. the layer
    wrapped by ``Bidirectional``). The builder instantiates it; the code generator prints it.
    """

    class_path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParamCount:
    """Trainable and non-trainable weights of a node."""

    trainable: int = 0
    non_trainable: int = 0

    @property
    def total(self) -> int:
        """All weights."""
        return self.trainable + self.non_trainable


@dataclass(frozen=True)
class Cost:
    """Arithmetic of one node for one sample: multiply-accumulates and the FLOPs beyond ``2 * macs``.

    ``extra_flops`` counts what is not a multiply-accumulate: bias additions, one operation per element
    for an activation function, comparisons and additions of pooling, element-wise merges
    (docs/COST_ANALYSIS.md lists the rule of every layer).
    """

    macs: int = 0
    extra_flops: int = 0

    @property
    def flops(self) -> int:
        """Floating-point operations: two per multiply-accumulate plus the extras."""
        return 2 * self.macs + self.extra_flops


InferFn = Callable[[dict[str, Any], list[Shape]], Shape]
CostFn = Callable[[dict[str, Any], list[Shape], Shape], Cost]
"""``count_cost(params, input_shapes, output_shape)``: the node's :class:`Cost` per sample (batch axis excluded);
raise ``ShapeError`` when a dimension it needs is unknown (``None``), ``NoFormulaError`` when the node has no formula."""
CountFn = Callable[[dict[str, Any], list[Shape], Shape], "int | ParamCount"]
CallFn = Callable[["LayerSpec", dict[str, Any]], KerasCall]
ShapedCallFn = Callable[["LayerSpec", dict[str, Any], list[Shape]], KerasCall]
"""``shaped_call(spec, params, input_shapes)``: a Keras call that needs the incoming shapes (pretrained backbones
take ``input_shape`` from the tensor they are applied to)."""
UpgradeFn = Callable[[dict[str, Any], int], dict[str, Any]]
"""``upgrade(params, from_version)``: parameters saved by an older version of a spec, as its current version reads them."""


def renamed_params(renames: dict[int, dict[str, str]]) -> UpgradeFn:
    """An upgrade for renamed arguments: ``renames[v]`` maps old names to new ones between versions ``v`` and ``v + 1``.

    ``LayerSpec(..., version=2, upgrade=renamed_params({1: {"old_name": "new_name"}}))``; a value saved
    under the old name moves to the new one (a value already under the new name wins).
    """

    def upgrade(params: dict[str, Any], from_version: int) -> dict[str, Any]:
        out = dict(params)
        for version in sorted(v for v in renames if v >= from_version):
            for old, new in renames[version].items():
                if old in out:
                    value = out.pop(old)
                    out.setdefault(new, value)
        return out

    return upgrade


TRAINABLE = ParamSpec(
    "trainable", BOOL, True,
    "Off: the layer is frozen; training leaves its weights as they are (transfer learning). A frozen nested "
    "model or BatchNormalization runs in inference mode (training=False).",
)
"""The one switch every layer has besides its own arguments (Keras's ``layer.trainable``); stored in the node's
params only once it is changed, so files from before it load unchanged."""
COMMON_PARAMS: tuple[ParamSpec, ...] = (TRAINABLE,)
"""Settings of every layer that are not constructor arguments of its Keras class (the builder and the code generator
apply them to the built layer); an Input has none."""


def _no_params(params: dict[str, Any], inputs: list[Shape], output: Shape) -> int:
    return 0


def default_keras_call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    """``keras.layers.<Type>(**params)`` with list values turned into tuples."""
    kwargs = {p.name: p.to_python(params.get(p.name, p.default)) for p in spec.params}
    return KerasCall(spec.keras_class or f"keras.layers.{spec.type}", kwargs)


@dataclass(frozen=True)
class LayerSpec:
    """Everything VisualNN knows about one layer type; palette, inspector, inference, builder
    and code generator all read it."""

    type: str  # the Keras class name: the stable id stored in documents
    category: str
    doc: str
    params: tuple[ParamSpec, ...]
    infer: InferFn
    count_params: CountFn = _no_params
    count_cost: CostFn | None = None  # None: no analytic formula (0 MACs, listed as such by core.costs)
    inputs: tuple[str, ...] = ("input",)  # input port names; () for Input
    variadic: bool = False  # merge layers: any number (>= min_inputs) of input ports
    min_inputs: int = 1
    optional_inputs: int = 0  # trailing named ports that may stay unconnected (MHA key)
    call_style: str = "single"  # how inputs are passed: "single" x, "list" [x, y], "named" (q=, v=)
    keras_class: str = ""  # dotted path; default keras.layers.<type>
    keras_call: CallFn = default_keras_call
    shaped_call: ShapedCallFn | None = None  # when set, the builder and the code use it with the input shapes
    key_params: tuple[str, ...] = ()  # shown on the node card
    version: int = 1  # raise it when saved parameters change meaning; `upgrade` migrates older ones
    replaces: tuple[str, ...] = ()  # older type ids that resolve to this spec
    upgrade: UpgradeFn | None = None  # older versions' params -> this version's (None: nothing to migrate)
    doc_url: str = ""
    training_only: bool = False  # random augmentation: changes the data only when called with training=True

    @property
    def class_path(self) -> str:
        """The dotted Keras class path."""
        return self.keras_class or f"keras.layers.{self.type}"

    def call_for(self, params: dict[str, Any], inputs: list[Shape] | None = None) -> KerasCall:
        """The Keras call for resolved ``params``, given the input shapes when they are known."""
        if self.shaped_call is not None and inputs:
            return self.shaped_call(self, params, inputs)
        return self.keras_call(self, params)

    @property
    def url(self) -> str:
        """Link to this layer's Keras documentation."""
        return self.doc_url or "https://keras.io/api/layers/"

    @property
    def common_params(self) -> tuple[ParamSpec, ...]:
        """The settings every layer has (:data:`COMMON_PARAMS`); none for an Input, which has no weights."""
        return () if self.type == "Input" else COMMON_PARAMS

    @property
    def all_params(self) -> tuple[ParamSpec, ...]:
        """The layer's own arguments, then the common settings (what the inspector shows and the checks read)."""
        return self.params + self.common_params

    def common_values(self, params: dict[str, Any]) -> dict[str, Any]:
        """The common settings' values in ``params``, defaults filled in."""
        return {p.name: params.get(p.name, p.default) for p in self.common_params}

    def param(self, name: str) -> ParamSpec:
        """The parameter spec named ``name`` (KeyError when unknown)."""
        for p in self.all_params:
            if p.name == name:
                return p
        raise KeyError(f"{self.type} has no parameter {name!r}.")

    def defaults(self) -> dict[str, Any]:
        """A fresh dict of default parameter values (JSON data)."""
        import copy

        # Only lists need copying; scalars are immutable (deepcopy dominated inference time).
        return {p.name: copy.deepcopy(p.default) if isinstance(p.default, list) else p.default for p in self.params}

    def resolved(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``params`` (unknown names dropped)."""
        out = self.defaults()
        out.update({k: v for k, v in params.items() if k in out})
        return out

    def upgraded(self, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        """``params`` saved by version ``from_version`` of this spec, as the current version reads them.

        Raises ``ValueError`` for a version newer than this spec (a newer VisualNN saved it).
        """
        if from_version > self.version:
            raise ValueError(
                f"{self.type} parameters were saved by a newer VisualNN ({self.type} version {from_version}; "
                f"this one knows up to version {self.version}). Update VisualNN to open them."
            )
        if from_version == self.version or self.upgrade is None:
            return dict(params)
        return self.upgrade(dict(params), from_version)

    def check_params(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """(param name, message) for every out-of-range or malformed value."""
        problems = []
        for p in self.all_params:
            if p.name in params:
                msg = p.check(params[p.name], self.type)
                if msg:
                    problems.append((p.name, msg))
        return problems

    def max_inputs(self) -> int | None:
        """How many input ports the layer has (``None`` when variadic)."""
        return None if self.variadic else len(self.inputs)

    def required_inputs(self) -> int:
        """How many input ports must be connected."""
        return self.min_inputs if self.variadic else len(self.inputs) - self.optional_inputs

    def port_name(self, port: int) -> str:
        """Display name of an input port."""
        if self.variadic:
            return f"input {port + 1}"
        return self.inputs[port] if port < len(self.inputs) else f"port {port}"

    def summary(self, params: dict[str, Any]) -> str:
        """Key parameters for a node card: ``32 · 3×3 · relu``."""
        parts = []
        for name in self.key_params:
            value = params.get(name, None)
            if value is None or value is False:
                continue
            if value is True:
                parts.append(name)  # a switched-on flag reads better as its name than as "True"
            elif isinstance(value, list):
                parts.append("×".join(f"({v[0]},{v[1]})" if isinstance(v, list) else str(v) for v in value))
            elif isinstance(value, float):
                text, inverse = f"{value:g}", 1 / value if value else 0.0
                # 1/255 reads better than 0.00392157; short decimals (0.25, 0.01) stay as they are.
                if len(text) > 6 and inverse > 1 and abs(inverse - round(inverse)) < 1e-6:
                    text = f"1/{round(inverse)}"
                parts.append(text)
            else:
                parts.append(str(value))
        return " · ".join(parts)


def fmt_shape(shape: Sequence[int | None] | None) -> str:
    """``(None, 28, 28, 1)`` style text; ``?`` when unknown."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
