"""A time series with several target columns: which column each output node of the model predicts (pure Python).

A time series feeds its windows (samples, time steps, features) to the model's one Input. With several
outputs, each output predicts one target column ``horizon`` steps after the window: the column named
like the output, or the one :attr:`WindowOptions.outputs` maps to it (``{output node: column}``). With
one output, several target columns form one vector target (the output has one unit per column, as a
CSV with several target columns), in the order they are listed.

:func:`resolve_window_targets` is shared by the data service (which refuses the first problem as a
``DataError``) and the validation (:func:`check_window_parts` turns every problem into a ``CompileIssue``
naming the node and the column). Column facts (in the file? numeric?) come from the inspection.
"""

from __future__ import annotations

from dataclasses import dataclass

from visualnn.core.compile_options import CompileIssue, DataFacts
from visualnn.core.dataset import WindowOptions
from visualnn.core.graph import Graph
from visualnn.core.model_io import input_names, output_names
from visualnn.core.specs import fmt_shape

# Stable codes (the Problems list and tests key on them).
SERIES_ONE_INPUT = "series-one-input"
SERIES_TARGET_MISSING = "series-target-missing"
SERIES_TARGET_NOT_NUMERIC = "series-target-not-numeric"
SERIES_OUTPUT_NO_TARGET = "series-output-no-target"
SERIES_TARGET_NO_OUTPUT = "series-target-no-output"
SERIES_UNKNOWN_OUTPUT = "series-unknown-output"
SERIES_SHARED_TARGET = "series-shared-target"
SERIES_INPUT_SHAPE = "series-input-shape"

_HOW = "tick the column as a target in the Data panel (Columns tab) or choose the column on the output's card"


@dataclass(frozen=True)
class WindowProblem:
    """One problem of a time series' target columns: ``node`` is the output (or Input) it concerns, if any."""

    code: str
    message: str
    node: str | None = None
    column: str | None = None


def target_columns(window: WindowOptions, outputs: list[str]) -> list[str]:
    """The target columns of a model with several ``outputs``, in order.

    The columns ticked as targets (``targets``) and any mapped column not among them; with none ticked,
    each output's column: the one mapped to it, else the column named like it (``target``, the single
    target of a one-output model, does not apply).
    """
    chosen = window.outputs or {}
    if window.targets:
        return list(dict.fromkeys([*window.targets, *chosen.values()]))
    return list(dict.fromkeys(chosen.get(node, node) for node in outputs))


def resolve_window_targets(window: WindowOptions, outputs: list[str]) -> tuple[dict[str, str], list[WindowProblem]]:
    """({output node: target column} in output order, problems) for a model with several ``outputs``."""
    chosen = dict(window.outputs or {})
    problems: list[WindowProblem] = []
    have = ", ".join(outputs) or "none"
    for node, column in chosen.items():
        if node not in outputs:
            problems.append(WindowProblem(
                SERIES_UNKNOWN_OUTPUT,
                f"The target column {column!r} is mapped to the output {node!r}, but the model has no output of that "
                f"name (its outputs: {have}). Choose the column on the card of one of its outputs in the Data panel "
                f"(Tensors tab), or rename an output back to {node!r}.", node, column))
    listed = list(window.targets or ())
    for column in dict.fromkeys(c for c in listed if listed.count(c) > 1):
        problems.append(WindowProblem(
            SERIES_SHARED_TARGET,
            f"The target column {column!r} is listed twice; each output predicts its own column. Untick the repeat "
            "in the Data panel (Columns tab).", None, column))
    mapping: dict[str, str] = {}
    columns = target_columns(window, outputs)
    for node in outputs:
        if node in chosen:
            mapping[node] = chosen[node]
        elif node in columns:
            mapping[node] = node  # the column named like the output
        else:
            problems.append(WindowProblem(
                SERIES_OUTPUT_NO_TARGET,
                f"Output {node} has no target column: no target column is named {node!r} and none is mapped to it "
                f"(target columns: {', '.join(columns) or 'none'}). Add a column named {node!r} to the targets, or "
                f"{_HOW}.", node, None))
    by_column: dict[str, list[str]] = {}
    for node, column in mapping.items():
        by_column.setdefault(column, []).append(node)
    for column, nodes in by_column.items():
        if len(nodes) > 1:
            problems.append(WindowProblem(
                SERIES_SHARED_TARGET,
                f"The target column {column!r} feeds both outputs {' and '.join(nodes)}; each output predicts its own "
                f"column. Choose another column for {nodes[-1]} on its card in the Data panel (Tensors tab).",
                nodes[-1], column))
    used = set(mapping.values())
    for column in columns:
        if column not in used:
            problems.append(WindowProblem(
                SERIES_TARGET_NO_OUTPUT,
                f"The target column {column!r} feeds no output: the model has no output named {column!r} and none is "
                f"mapped to it (its outputs: {have}). Rename an output to {column!r}, choose the column on an "
                "output's card in the Data panel (Tensors tab), or untick it as a target.", None, column))
    return mapping, problems


def column_problems(mapping: dict[str, str], columns: dict[str, str], source: str) -> list[WindowProblem]:
    """Target columns missing from the file or not numeric; ``columns``: every column of the file -> its kind."""
    out = []
    listing = ", ".join(n for n, k in columns.items() if k == "numeric") or "none"
    for node, column in mapping.items():
        kind = columns.get(column)
        if kind is None:
            out.append(WindowProblem(
                SERIES_TARGET_MISSING,
                f"Output {node} predicts the column {column!r}, but {source} has no such column (its numeric "
                f"columns: {listing}). Rename the output or choose one of those columns on its card in the Data panel.",
                node, column))
        elif kind != "numeric":
            out.append(WindowProblem(
                SERIES_TARGET_NOT_NUMERIC,
                f"Output {node} predicts the column {column!r} of {source}, which is {kind}, not numeric: a time-series "
                f"target is a number to forecast. Choose a numeric column (one of {listing}) on its card in the "
                "Data panel.", node, column))
    return out


def check_window_parts(graph: Graph, window: WindowOptions, facts: DataFacts) -> list[CompileIssue]:
    """Every problem between a model with several Inputs or outputs and the time series that feeds it."""
    ids = {n.label: n.id for n in graph}
    inputs, outputs = input_names(graph), output_names(graph)
    source = facts.source or "the time series"
    issues: list[CompileIssue] = []
    if len(inputs) != 1:
        issues.append(CompileIssue(
            "error", SERIES_ONE_INPUT,
            f"The model has {len(inputs)} Inputs ({', '.join(inputs)}), but a time series gives one tensor per "
            f"sample (its windows), so it feeds exactly one Input. Keep one Input, or save the parts as the arrays "
            "of one .npz named after the nodes and choose it in the Data panel.",
            ids.get(inputs[1]) if len(inputs) > 1 else None, None))
    if len(outputs) > 1:
        mapping, problems = resolve_window_targets(window, outputs)
        if facts.columns:
            problems += column_problems(mapping, {c.name: c.kind for c in facts.columns}, source)
        issues += [CompileIssue("error", p.code, p.message, ids.get(p.node) if p.node else None, None)
                   for p in problems]
    if len(inputs) == 1 and facts.input_shape:
        node_id = ids.get(inputs[0])
        declared = graph.nodes[node_id].params.get("shape") if node_id is not None else None
        sample = tuple(int(d) for d in facts.input_shape)
        if isinstance(declared, list) and not (len(declared) == len(sample) and all(
                d in (None, 0) or d == s for d, s in zip(declared, sample, strict=True))):
            issues.append(CompileIssue(
                "error", SERIES_INPUT_SHAPE,
                f"Input {inputs[0]} declares {fmt_shape((None, *declared))}, but the windows of {source} are "
                f"{fmt_shape((None, *sample))} (time steps, features). Set {inputs[0]}'s shape to {list(sample)}.",
                node_id, {"node": node_id, "param": "shape", "value": list(sample)}))
    return issues


__all__ = ["SERIES_INPUT_SHAPE", "SERIES_ONE_INPUT", "SERIES_OUTPUT_NO_TARGET", "SERIES_SHARED_TARGET",
           "SERIES_TARGET_MISSING", "SERIES_TARGET_NOT_NUMERIC", "SERIES_TARGET_NO_OUTPUT", "SERIES_UNKNOWN_OUTPUT",
           "WindowProblem", "check_window_parts", "column_problems", "resolve_window_targets", "target_columns"]
