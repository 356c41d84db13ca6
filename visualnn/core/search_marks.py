"""Marking parameters for search one at a time, as the inspector does: which parameters can be searched, a
first SPEC to offer for one, checking a SPEC the person typed, and the undoable command that marks or unmarks.

Pure Python (no Qt). The space itself, its SPEC syntax and its checks live in :mod:`visualnn.core.search_space`;
this module adds only what a form that edits one parameter at a time needs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from visualnn.core.search_commands import SetSearch
from visualnn.core.search_space import (
    OPTIONAL_PARAM,
    REPEAT_PARAM,
    TRAINING,
    SearchParam,
    SearchSpaceError,
    merged,
    param_problems,
    parse_spec,
    space_problems,
)
from visualnn.core.specs import base as kinds
from visualnn.core.training_settings import BOOL as T_BOOL
from visualnn.core.training_settings import CHOICE as T_CHOICE
from visualnn.core.training_settings import FIELD_BY_NAME, FIELDS, SettingField
from visualnn.core.training_settings import FLOAT as T_FLOAT
from visualnn.core.training_settings import INT as T_INT

if TYPE_CHECKING:
    from visualnn.core.graph import Graph
    from visualnn.core.project import Project
    from visualnn.core.specs import ParamSpec, Registry

SEARCHABLE_PARAM_KINDS = (kinds.INT, kinds.FLOAT, kinds.CHOICE, kinds.BOOL, kinds.INTS)
SEARCHABLE_FIELD_KINDS = (T_INT, T_FLOAT, T_CHOICE, T_BOOL)
LOG_FIELDS = ("learning_rate",)  # settings best searched on a log scale


class MarkSearch(SetSearch):
    """Mark one parameter for search (or unmark it, with ``param=None``) as its own undo step.

    Unlike the settings form's edits, consecutive marks do not merge: undo takes back the last mark only.
    """

    def __init__(self, project: Project, target: str, param: SearchParam | None) -> None:
        space = tuple(p for p in project.search.space if p.target != target)
        if param is not None:
            space = merged(project.search.space, [param])
        super().__init__(project.search.with_changes(space=space))
        self.target = target
        self.text = f"Search {param.describe()}" if param is not None else f"Stop searching {target}"

    def merge_id(self) -> object | None:
        """Each mark is its own step."""
        return None


def searchable_params(spec_params: tuple[ParamSpec, ...]) -> list[str]:
    """The names of a layer's parameters that can be searched (numbers and choices)."""
    return [p.name for p in spec_params if p.kind in SEARCHABLE_PARAM_KINDS]


def searchable_fields() -> list[SettingField]:
    """The training settings that can be searched (numbers and choices), in the settings table's order."""
    return [f for f in FIELDS if f.kind in SEARCHABLE_FIELD_KINDS]


def searched(project: Project, target: str) -> SearchParam | None:
    """The project's searched parameter with this target, or None."""
    return next((p for p in project.search.space if p.target == target), None)


def searched_on_node(project: Project, node_id: str) -> list[SearchParam]:
    """The searched parameters of one layer (its parameters, @optional, @repeat), in space order."""
    return [p for p in project.search.space if p.node == node_id]


def suggest_param_spec(pspec: ParamSpec, value: Any) -> str:
    """A first SPEC for a layer parameter, around its current value: ``16,32,64`` for 32 units."""
    if pspec.kind == kinds.BOOL:
        return "true,false"
    if pspec.kind == kinds.CHOICE:
        options = [c for c in pspec.choices if c is not None][:4]
        if value is not None and value not in options:
            options = [value, *options[:3]]
        return ",".join(_text(c) for c in options)
    if pspec.kind == kinds.INTS:
        first = value[0] if isinstance(value, list) and value and isinstance(value[0], int) else 3
        return ",".join(str(v) for v in sorted({max(1, first - 2), first, first + 2}))
    if pspec.kind == kinds.INT:
        v = value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 16
        low = max(int(pspec.min) if pspec.min is not None else 1, v // 2, 1)
        return ",".join(str(x) for x in sorted({low, v, v * 2}))
    x = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
    if pspec.max is not None and pspec.max <= 1.0:
        top = min(float(pspec.max) - (1e-3 if not pspec.max_inclusive else 0.0), max(0.5, x))
        return f"0.0..{_text(round(top, 4))}"
    if x > 0:
        return f"{_text(x / 10)}..{_text(x * 10)}:log"
    return "0.0..1.0"


def suggest_field_spec(field: SettingField, value: Any) -> str:
    """A first SPEC for a training setting: ``0.0001..0.01:log`` for the learning rate, ``16,32,64`` for batches."""
    if field.kind == T_BOOL:
        return "true,false"
    if field.kind == T_CHOICE:
        options = list(field.suggestions or field.choices)[:3]
        if isinstance(value, str) and value not in options:
            options = [value, *options[:2]]
        return ",".join(options)
    if field.kind == T_INT:
        v = value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 16
        low = max(int(field.minimum) if field.minimum is not None else 1, v // 2, 1)
        return ",".join(str(x) for x in sorted({low, v, v * 2}))
    x = float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value else 0.001
    if field.name in LOG_FIELDS or x > 0:
        return f"{_text(x / 10)}..{_text(x * 10)}:log"
    return "0.0..1.0"


def check_spec(target: str, text: str, graph: Graph, registry: Registry | None = None) -> tuple[
        SearchParam | None, list[str]]:
    """Parse a SPEC typed for ``target`` and check it against the model: (the parameter, []) or (None, problems)."""
    try:
        param = parse_spec(target, text)
    except SearchSpaceError as exc:
        return None, [str(exc)]
    problems = param_problems(param) or space_problems([param], graph, registry)
    return (None, problems) if problems else (param, [])


def structural_targets(node_id: str) -> tuple[str, str]:
    """The ``@optional`` and ``@repeat`` targets of a layer."""
    return f"{node_id}.{OPTIONAL_PARAM}", f"{node_id}.{REPEAT_PARAM}"


def training_target(field: str) -> str:
    """``training.FIELD``."""
    return f"{TRAINING}.{field}"


def field_named(name: str) -> SettingField | None:
    """The settings table's field of this name."""
    return FIELD_BY_NAME.get(name)


def _text(value: Any) -> str:
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e6:
            return f"{value:.1f}"
        return f"{value:g}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "MarkSearch",
    "check_spec",
    "field_named",
    "searchable_fields",
    "searchable_params",
    "searched",
    "searched_on_node",
    "structural_targets",
    "suggest_field_spec",
    "suggest_param_spec",
    "training_target",
]
