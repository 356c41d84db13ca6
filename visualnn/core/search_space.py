"""The hyperparameter search space: which node parameters and training settings a search varies, and how.

Pure data, no Qt, no TensorFlow, no Optuna (the engine maps it onto Optuna; the exported script does too).

A searched parameter (:class:`SearchParam`) addresses its target as text:

- ``NODE_ID.PARAM``: a layer parameter (``dense_1.units``, ``dropout_1.rate``, ``dense_1.activation``);
- ``training.FIELD``: a compile/fit setting (``training.learning_rate``, ``training.batch_size``);
- ``NODE_ID.@optional``: the layer is present or skipped (its input then feeds its consumers directly);
- ``NODE_ID.@repeat``: the layer appears N times in a row (an int range, 1 = as drawn).

Its kind is a choice list, an int range or a float range (linear or log, optionally stepped). The textual
SPEC (the CLI's ``--space TARGET=SPEC``) is parsed by :func:`parse_spec`:

====================  =========================================================
``16,32,64``          choice list (ints, floats, ``true``/``false``, ``none``, or names such as ``relu,tanh``)
``1..4``              int range (both ends whole numbers)
``0.0..0.5``          float range (an end with ``.`` or an exponent)
``1e-4..1e-2:log``    log-scale range (low must be > 0)
``16..128:step=16``   stepped range (``log`` and ``step`` exclude each other)
``yes``               for ``NODE.@optional`` (present or skipped)
====================  =========================================================

:func:`space_problems` checks a space against a project (unknown node or parameter, a range outside
what the parameter allows, low > high, log through 0...), each message naming the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from visualnn.core.specs import base as kinds
from visualnn.core.training_settings import BOOL as T_BOOL
from visualnn.core.training_settings import CHOICE as T_CHOICE
from visualnn.core.training_settings import FIELD_BY_NAME
from visualnn.core.training_settings import FLOAT as T_FLOAT
from visualnn.core.training_settings import INT as T_INT
from visualnn.core.training_settings import TEXT as T_TEXT

if TYPE_CHECKING:
    from visualnn.core.graph import Graph
    from visualnn.core.specs import Registry

Value = int | float | str | bool | None
"""A value a searched parameter may take (JSON scalar)."""

CHOICE, INT, FLOAT, OPTIONAL, REPEAT = "choice", "int", "float", "optional", "repeat"
KINDS = (CHOICE, INT, FLOAT, OPTIONAL, REPEAT)
TRAINING = "training"
OPTIONAL_PARAM, REPEAT_PARAM = "@optional", "@repeat"
MAX_REPEAT = 16  # a repeated layer appears at most this often
MAX_GRID = 100_000  # a grid sampler enumerates at most this many points

SPEC_HELP = ("choice list 16,32,64 | int range 1..4 | float range 0.0..0.5 | log range 0.0001..0.01:log | "
             "stepped range 16..128:step=16 | NODE.@optional=yes | NODE.@repeat=1..3")


class SearchSpaceError(ValueError):
    """A search parameter that cannot be used; the message names the parameter and the fix."""


@dataclass(frozen=True)
class SearchParam:
    """One searched parameter: its target (``NODE.PARAM`` or ``training.FIELD``) and the values it may take."""

    target: str
    kind: str
    choices: tuple[Value, ...] = ()  # CHOICE
    low: float | None = None  # INT, FLOAT, REPEAT
    high: float | None = None
    log: bool = False
    step: float | None = None

    # ------------------------------------------------------------------ target
    @property
    def node(self) -> str | None:
        """The node id this parameter edits (None for ``training.FIELD``)."""
        scope, _ = split_target(self.target)
        return None if scope == TRAINING else scope

    @property
    def name(self) -> str:
        """The parameter or setting name (``units``, ``learning_rate``, ``@optional``)."""
        return split_target(self.target)[1]

    @property
    def structural(self) -> bool:
        """Whether this parameter changes the graph's structure (optional or repeated layer)."""
        return self.kind in (OPTIONAL, REPEAT)

    # ------------------------------------------------------------------ values
    def values(self) -> list[Value] | None:
        """Every value this parameter may take when it is finite (choices, int or stepped ranges), else None."""
        if self.kind == CHOICE:
            return list(self.choices)
        if self.kind == OPTIONAL:
            return [True, False]
        if self.low is None or self.high is None:
            return None
        if self.kind in (INT, REPEAT):
            step = int(self.step or 1)
            return list(range(int(self.low), int(self.high) + 1, step)) if not self.log else None
        if self.step is not None and not self.log:
            count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            if count > MAX_GRID:
                return None
            return [round(self.low + i * self.step, 12) for i in range(count)]
        return None

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one this parameter may take (a trial's value, a value to apply)."""
        if self.kind == CHOICE:
            return any(value == c and type(value) is type(c) for c in self.choices) or (
                _is_number(value) and any(_is_number(c) and value == c for c in self.choices))
        if self.kind == OPTIONAL:
            return isinstance(value, bool)
        if not _is_number(value) or self.low is None or self.high is None:
            return False
        if self.kind in (INT, REPEAT) and (not isinstance(value, int) or isinstance(value, bool)):
            return False
        return bool(self.low - 1e-12 <= value <= self.high + 1e-12)

    # ------------------------------------------------------------------ text and JSON
    def spec_text(self) -> str:
        """The SPEC this parameter was (or could have been) written as: ``16,32,64``, ``0.0001..0.01:log``."""
        if self.kind == CHOICE:
            return ",".join(_value_text(v) for v in self.choices)
        if self.kind == OPTIONAL:
            return "yes"
        text = f"{_value_text(self.low)}..{_value_text(self.high)}"
        if self.log:
            text += ":log"
        if self.step is not None:
            text += f":step={_value_text(self.step)}"
        return text

    def describe(self) -> str:
        """``target=spec`` (the CLI's form), for messages, tooltips and node badges."""
        return f"{self.target}={self.spec_text()}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (only the keys the kind uses)."""
        data: dict[str, Any] = {"target": self.target, "kind": self.kind}
        if self.kind == CHOICE:
            data["choices"] = list(self.choices)
        elif self.kind != OPTIONAL:
            data["low"], data["high"] = self.low, self.high
            if self.log:
                data["log"] = True
            if self.step is not None:
                data["step"] = self.step
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> SearchParam:
        """Inverse of :meth:`to_dict`; raises :class:`SearchSpaceError` naming what is wrong (shape only)."""
        target = data.get("target")
        if not isinstance(target, str) or not target:
            raise SearchSpaceError(f"a searched parameter needs a target such as dense_1.units; received {target!r}.")
        kind = data.get("kind")
        if kind not in KINDS:
            raise SearchSpaceError(f"{target}: kind must be one of {', '.join(KINDS)}; received {kind!r}.")
        if kind == CHOICE:
            choices = data.get("choices")
            if not isinstance(choices, list) or not all(_is_scalar(c) for c in choices):
                raise SearchSpaceError(f"{target}: choices must be a list of numbers, names or true/false; "
                                       f"received {choices!r}.")
            return SearchParam(target, CHOICE, tuple(choices))
        if kind == OPTIONAL:
            return SearchParam(target, OPTIONAL)
        low, high, step, log = data.get("low"), data.get("high"), data.get("step"), data.get("log", False)
        for key, value in (("low", low), ("high", high)):
            if not _is_number(value):
                raise SearchSpaceError(f"{target}: {key} must be a number; received {value!r}.")
        if step is not None and not _is_number(step):
            raise SearchSpaceError(f"{target}: step must be a number; received {step!r}.")
        if not isinstance(log, bool):
            raise SearchSpaceError(f"{target}: log must be true or false; received {log!r}.")
        return SearchParam(target, str(kind), (), low, high, log, step)


# ---------------------------------------------------------------------- parsing
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def split_target(target: str) -> tuple[str, str]:
    """``"dense_1.units"`` -> ``("dense_1", "units")``; ``"training.learning_rate"`` -> ``("training", ...)``."""
    scope, dot, name = target.rpartition(".")
    if not dot or not scope or not name:
        raise SearchSpaceError(f"{target!r} is not a search target: write NODE_ID.PARAM (dense_1.units) or "
                               f"training.FIELD (training.learning_rate).")
    return scope, name


def parse_value(text: str) -> Value:
    """One choice: ``32`` -> 32, ``0.5`` -> 0.5, ``true`` -> True, ``none`` -> None, ``relu`` -> "relu"."""
    token = text.strip()
    low = token.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if _INT.match(token):
        return int(token)
    if _FLOAT.match(token):
        return float(token)
    return token


def parse_spec(target: str, spec: str) -> SearchParam:
    """A :class:`SearchParam` from the CLI's ``TARGET=SPEC`` parts (see the module docstring for SPEC)."""
    scope, name = split_target(target.strip())
    target = f"{scope}.{name}"
    text = spec.strip()
    if name == OPTIONAL_PARAM:
        if text.lower() not in ("", "yes", "true", "true,false", "present,skipped"):
            raise SearchSpaceError(f"{target}: an optional layer is present or skipped; write {target}=yes.")
        return SearchParam(target, OPTIONAL)
    if not text:
        raise SearchSpaceError(f"{target}: the search space is empty; give a choice list (16,32,64) or a range "
                               f"(0.0..0.5).")
    if ".." not in text:
        items = [t for t in (p.strip() for p in text.split(",")) if t]
        if not items:
            raise SearchSpaceError(f"{target}: the choice list {text!r} holds no values.")
        values = tuple(parse_value(t) for t in items)
        if scope == TRAINING and (field := FIELD_BY_NAME.get(name)) is not None and "none" in field.choices:
            values = tuple("none" if v is None else v for v in values)  # the option named none, not JSON null
        param = SearchParam(target, CHOICE, values)
        if name == REPEAT_PARAM:
            raise SearchSpaceError(f"{target}: a repeat count is a range such as 1..3; received {text!r}.")
        return param
    head, *options = [p.strip() for p in text.split(":")]
    low_text, _, high_text = head.partition("..")
    ends: list[float] = []
    for which, part in (("low", low_text), ("high", high_text)):
        value = parse_value(part)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SearchSpaceError(f"{target}: the range's {which} end must be a number; received {part!r} "
                                   f"(write LOW..HIGH, e.g. 0.0..0.5).")
        ends.append(value)
    log, step = False, None  # type: bool, float | None
    for option in options:
        key, eq, arg = option.partition("=")
        if key == "log" and not eq:
            log = True
        elif key == "step" and eq:
            parsed = parse_value(arg)
            if not isinstance(parsed, int | float) or isinstance(parsed, bool):
                raise SearchSpaceError(f"{target}: step must be a number; received {arg!r}.")
            step = parsed
        else:
            raise SearchSpaceError(f"{target}: unknown range option {option!r}; use :log or :step=N.")
    whole = all(isinstance(v, int) for v in ends) and (step is None or isinstance(step, int))
    kind = REPEAT if name == REPEAT_PARAM else INT if whole else FLOAT
    if kind == FLOAT:
        ends = [float(v) for v in ends]
        step = None if step is None else float(step)
    return SearchParam(target, kind, (), ends[0], ends[1], log, step)


def parse_assignment(text: str) -> SearchParam:
    """``"dense_1.units=16,32,64"`` -> its :class:`SearchParam` (the CLI's ``--space`` argument)."""
    target, eq, spec = text.partition("=")
    if not eq and not target.strip().endswith(OPTIONAL_PARAM):
        raise SearchSpaceError(f"--space {text!r}: write TARGET=SPEC, e.g. dense_1.units=16,32,64 "
                               f"({SPEC_HELP}).")
    return parse_spec(target, spec)


def merged(space: Sequence[SearchParam], extra: Iterable[SearchParam]) -> tuple[SearchParam, ...]:
    """``space`` with ``extra`` added; an extra parameter replaces the one with the same target."""
    out = {p.target: p for p in space}
    for p in extra:
        out[p.target] = p
    return tuple(out.values())


# ---------------------------------------------------------------------- validation
def param_problems(param: SearchParam) -> list[str]:
    """What is wrong with a parameter on its own (empty list, low > high, log through 0...)."""
    where = param.target
    if param.kind == CHOICE:
        if not param.choices:
            return [f"{where}: the choice list is empty; give at least one value (16,32,64)."]
        if len(set(map(repr, param.choices))) != len(param.choices):
            return [f"{where}: the choice list {list(param.choices)!r} repeats a value; keep each once."]
        return []
    if param.kind == OPTIONAL:
        return []
    low, high = param.low, param.high
    if low is None or high is None or not (_finite(low) and _finite(high)):
        return [f"{where}: a range needs finite low and high ends; received {low!r}..{high!r}."]
    out = []
    if low > high:
        out.append(f"{where}: the range {_value_text(low)}..{_value_text(high)} has low > high; write "
                   f"{_value_text(high)}..{_value_text(low)}.")
    if param.log and low <= 0:
        out.append(f"{where}: a log-scale range must stay above 0; {_value_text(low)}..{_value_text(high)} "
                   f"includes 0 or less (e.g. 0.0001..{_value_text(high)}:log).")
    if param.step is not None:
        if not _finite(param.step) or param.step <= 0:
            out.append(f"{where}: step must be > 0; received {param.step!r}.")
        if param.log:
            out.append(f"{where}: a range is either log-scale or stepped, not both; drop :log or :step.")
    if param.kind in (INT, REPEAT) and not all(isinstance(v, int) for v in (low, high)):
        out.append(f"{where}: an int range needs whole-number ends; received {low!r}..{high!r}.")
    if param.kind == REPEAT and (low < 1 or high > MAX_REPEAT):
        out.append(f"{where}: a layer repeats 1..{MAX_REPEAT} times; received {_value_text(low)}..{_value_text(high)}.")
    return out


def space_problems(space: Sequence[SearchParam], graph: Graph, registry: Registry | None = None) -> list[str]:
    """Every problem of ``space`` against the model ``graph`` and the training settings, naming the parameter.

    An empty space is one problem; so is a target twice, an unknown node or parameter, a value or range the
    parameter does not allow, a structural choice on a layer that cannot be skipped or repeated.
    """
    from visualnn.core.specs import default_registry

    reg = default_registry() if registry is None else registry
    if not space:
        return ["The search space is empty: mark at least one parameter to search (in the inspector, or "
                "--space dense_1.units=16,32,64)."]
    out: list[str] = []
    seen: set[str] = set()
    for param in space:
        if param.target in seen:
            out.append(f"{param.target} is searched twice; keep one entry.")
            continue
        seen.add(param.target)
        own = param_problems(param)
        out.extend(own or _target_problems(param, graph, reg))
    return out


def _target_problems(param: SearchParam, graph: Graph, registry: Registry) -> list[str]:
    scope, name = split_target(param.target)
    if scope == TRAINING:
        return _training_problems(param, name)
    if scope not in graph.nodes:
        known = ", ".join(graph.nodes) or "none"
        return [f"{param.target}: there is no layer {scope!r} in the model (layer ids: {known})."]
    node = graph.nodes[scope]
    if param.structural:
        return _structure_problems(param, graph)
    spec = registry.get(node.type)
    if spec is None:
        return [f"{param.target}: {scope} has the unknown layer type {node.type!r}; its parameters cannot be searched."]
    try:
        pspec = spec.param(name)
    except KeyError:
        names = ", ".join(p.name for p in spec.params)
        return [f"{param.target}: {spec.type} has no parameter {name!r}; its parameters are {names}."]
    if pspec.kind not in (kinds.INT, kinds.FLOAT, kinds.CHOICE, kinds.BOOL, kinds.INTS):
        return [f"{param.target}: {spec.type} {name} ({pspec.kind}) cannot be searched; search numbers and choices."]
    if param.kind == FLOAT and pspec.kind in (kinds.INT, kinds.INTS):
        return [f"{param.target}: {spec.type} {name} is a whole number; write an int range such as 16..128."]
    if param.kind in (INT, FLOAT) and pspec.kind in (kinds.CHOICE, kinds.BOOL):
        return [f"{param.target}: {spec.type} {name} is a choice; list the values ({','.join(map(str, pspec.choices[:3]))})."]
    checks = list(param.choices) if param.kind == CHOICE else [_coerce(param.low, pspec.kind), _coerce(param.high, pspec.kind)]
    for value in checks:
        problem = pspec.check(value, node.label)
        if problem:
            return [f"{param.target}: {_value_text(value)} is not allowed: {problem}"]
    return []


def _training_problems(param: SearchParam, name: str) -> list[str]:
    field = FIELD_BY_NAME.get(name)
    searchable = [f.name for f in FIELD_BY_NAME.values() if f.kind in (T_INT, T_FLOAT, T_CHOICE, T_BOOL)]
    if field is None or field.kind not in (T_INT, T_FLOAT, T_CHOICE, T_BOOL, T_TEXT) or field.kind == T_TEXT:
        return [f"{param.target}: {name!r} is not a training setting that can be searched; choose one of "
                f"{', '.join(searchable)}."]
    if param.structural:
        return [f"{param.target}: @optional and @repeat apply to layers, not to training settings."]
    if param.kind == FLOAT and field.kind == T_INT:
        return [f"{param.target}: {field.label} is a whole number; write an int range such as 16..128."]
    if param.kind in (INT, FLOAT) and field.kind in (T_CHOICE, T_BOOL):
        return [f"{param.target}: {field.label} is a choice; list the values ({','.join(field.choices[:3])})."]
    checks = list(param.choices) if param.kind == CHOICE else [param.low, param.high]
    for value in checks:
        problem = field.problem(_coerce(value, kinds.FLOAT if field.kind == T_FLOAT else kinds.INT), param.target)
        if field.kind in (T_CHOICE, T_BOOL):
            problem = field.problem(value, param.target)
        if problem:
            return [f"{param.target}: {_value_text(value)} is not allowed: {problem}"]
    return []


def _structure_problems(param: SearchParam, graph: Graph) -> list[str]:
    node_id = split_target(param.target)[0]
    ins, outs = graph.in_edges(node_id), graph.out_edges(node_id)
    if len(ins) != 1 or not outs:
        what = "skipped" if param.kind == OPTIONAL else "repeated"
        return [f"{param.target}: only a layer with one input connection and at least one consumer can be {what}; "
                f"{node_id} has {len(ins)} input(s) and {len(outs)} consumer(s)."]
    return []


def resolved(space: Sequence[SearchParam], graph: Graph, registry: Registry | None = None) -> tuple[SearchParam, ...]:
    """``space`` with each int range over a float parameter made a float range (``0..1`` for a dropout rate)."""
    from visualnn.core.specs import default_registry

    reg = default_registry() if registry is None else registry
    out = []
    for param in space:
        if param.kind == INT and _target_is_float(param, graph, reg):
            param = replace(param, kind=FLOAT, low=float(param.low or 0), high=float(param.high or 0),
                            step=None if param.step is None else float(param.step))
        out.append(param)
    return tuple(out)


def _target_is_float(param: SearchParam, graph: Graph, registry: Registry) -> bool:
    scope, name = split_target(param.target)
    if scope == TRAINING:
        field = FIELD_BY_NAME.get(name)
        return field is not None and field.kind == T_FLOAT
    node = graph.nodes.get(scope)
    spec = registry.get(node.type) if node is not None else None
    if spec is None:
        return False
    try:
        return spec.param(name).kind == kinds.FLOAT
    except KeyError:
        return False


def grid_problems(space: Sequence[SearchParam]) -> list[str]:
    """Why the grid sampler cannot enumerate ``space`` (a float range without a step...), naming the parameter."""
    out = []
    points = 1
    for param in space:
        values = param.values()
        if values is None:
            out.append(f"{param.target}: the grid sampler needs a finite list; give a choice list or a step "
                       f"({param.spec_text()}:step=...), or choose another sampler.")
        else:
            points *= max(1, len(values))
    if not out and points > MAX_GRID:
        out.append(f"The grid has {points} points (more than {MAX_GRID}); shorten the lists or choose another sampler.")
    return out


def space_differences(old: Sequence[SearchParam], new: Sequence[SearchParam]) -> list[str]:
    """How two spaces differ, one line per parameter (``dense_1.units: 16,32 -> 16,32,64``); empty when equal."""
    a = {p.target: p for p in old}
    b = {p.target: p for p in new}
    out = []
    for target in [*a, *(t for t in b if t not in a)]:
        if target not in b:
            out.append(f"{target}: searched in the study ({a[target].spec_text()}), not in this search")
        elif target not in a:
            out.append(f"{target}: searched now ({b[target].spec_text()}), not in the study")
        elif a[target].to_dict() != b[target].to_dict():
            out.append(f"{target}: {a[target].spec_text()} in the study, {b[target].spec_text()} now")
    return out


def space_to_json(space: Sequence[SearchParam]) -> list[dict[str, Any]]:
    """The space as JSON (a list of :meth:`SearchParam.to_dict`)."""
    return [p.to_dict() for p in space]


def space_from_json(data: Any) -> tuple[SearchParam, ...]:
    """Inverse of :func:`space_to_json`; raises :class:`SearchSpaceError` on a malformed entry."""
    if not isinstance(data, list):
        raise SearchSpaceError(f"the search space must be a list of parameters; received {type(data).__name__}.")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise SearchSpaceError(f"parameter {i} must be an object with target and kind; received {item!r}.")
        out.append(SearchParam.from_dict(item))
    return tuple(out)


# ---------------------------------------------------------------------- helpers
def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _finite(v: Any) -> bool:
    return _is_number(v) and math.isfinite(v)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | bool) or _finite(v)


def _coerce(value: Any, kind: str) -> Any:
    if kind == kinds.FLOAT and _is_number(value):
        return float(value)
    return value


def _value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text if ("." in text or "e" in text or "n" in text) else text + ".0"
    return str(value)


__all__ = [
    "CHOICE",
    "FLOAT",
    "INT",
    "KINDS",
    "OPTIONAL",
    "OPTIONAL_PARAM",
    "REPEAT",
    "REPEAT_PARAM",
    "SPEC_HELP",
    "TRAINING",
    "SearchParam",
    "SearchSpaceError",
    "Value",
    "grid_problems",
    "merged",
    "param_problems",
    "parse_assignment",
    "parse_spec",
    "parse_value",
    "resolved",
    "space_differences",
    "space_from_json",
    "space_problems",
    "space_to_json",
    "split_target",
]
