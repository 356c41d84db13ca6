"""Checks of the model against the attached data's shapes: the Input's shape and the rank reaching the output.

The data's facts (:class:`~visualnn.core.compile_options.DataFacts`) are plain values the services
layer reads from the dataset; these checks only compare them with the inferred shapes, so they run
after every edit like the rest of validation. Each problem names the layer and carries its
one-click fix in :class:`~visualnn.core.compile_options.CompileIssue`'s ``fix`` form.
"""

from __future__ import annotations

import math
from typing import Any

from visualnn.core.compile_options import CompileIssue, DataFacts, output_layer
from visualnn.core.graph import Graph
from visualnn.core.shapes import ShapeReport
from visualnn.core.specs import fmt_shape
from visualnn.core.tensors import is_identifier, rank_phrase

# Data kinds (DataFacts.input_kind) -> the tensor vocabulary's kind names.
TENSOR_KIND = {"table": "vector", "images": "image", "sequence": "sequence", "video": "video"}
# The pooling layer that turns a batch of this rank into one vector per sample.
_GLOBAL_POOLING = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}


def _data_name(facts: DataFacts) -> str:
    return facts.source or "the data"


def _same_shape(declared: list[object], data: tuple[int, ...]) -> bool:
    """Whether an Input's declared shape accepts the data's samples (None or 0 accepts any size)."""
    if len(declared) != len(data):
        return False
    return all(d in (None, 0) or d == want for d, want in zip(declared, data, strict=True))


def check_input_shape(graph: Graph, facts: DataFacts) -> list[CompileIssue]:
    """The single Input must declare the shape (and so the rank) of one sample of the data."""
    if facts.input_shape is None:
        return []
    inputs = [n for n in graph if n.type == "Input"]
    if len(inputs) > 1:
        names = ", ".join(n.label for n in inputs)
        return [CompileIssue(
            "error", "input-count",
            f"The model has {len(inputs)} inputs ({names}) but {_data_name(facts)} gives one tensor per sample. "
            "Remove the extra Input layers, or keep one and feed the data to it.",
            None, None)]
    if len(inputs) != 1:
        return []
    node = inputs[0]
    declared = node.params.get("shape")
    if not isinstance(declared, list) or _same_shape(declared, facts.input_shape):
        return []
    kind = TENSOR_KIND.get(facts.input_kind)
    have = (None, *(d if isinstance(d, int) else None for d in declared))
    want = (None, *facts.input_shape)
    if len(declared) != len(facts.input_shape):
        what = (f"takes batches of {rank_phrase(len(have))} {fmt_shape(have)}, but {_data_name(facts)} gives "
                f"{rank_phrase(len(want), kind)} {fmt_shape(want)}")
    else:
        what = f"declares {fmt_shape(have)}, but each batch of {_data_name(facts)} is {fmt_shape(want)}"
    return [CompileIssue(
        "error", "input-data-shape",
        f"{node.label} {what}. Set its shape to {list(facts.input_shape)}.",
        node.id, {"node": node.id, "param": "shape", "value": [int(d) for d in facts.input_shape]})]


def _first_dense_on_high_rank(graph: Graph, shapes: ShapeReport, sink: str) -> str | None:
    """The earliest Dense feeding ``sink`` whose input has rank > 2 (where the extra axes slip through)."""
    ancestors: set[str] = set()
    stack = [sink]
    while stack:
        cur = stack.pop()
        if cur not in ancestors:
            ancestors.add(cur)
            stack.extend(graph.predecessors(cur))
    for nid in graph.topological_order():
        if nid not in ancestors or graph.nodes[nid].type != "Dense":
            continue
        info = shapes.nodes.get(nid)
        if info is not None and info.input_shapes and info.input_shapes[0] is not None and len(info.input_shapes[0]) > 2:
            return nid
    return None


def check_output_rank(graph: Graph, shapes: ShapeReport, facts: DataFacts) -> list[CompileIssue]:
    """One label (or vector of values) per sample needs a rank-2 output; extra axes mean a missing Flatten."""
    if facts.target_shape is None or len(facts.target_shape) > 1:
        return []  # per-step or per-pixel targets: a high-rank output may be what the user wants
    out = output_layer(graph)
    sinks = [n for n in graph.sinks() if graph.nodes[n].type != "Input"]
    if out is None or len(sinks) != 1:
        return []
    output = shapes.output(sinks[0])
    if output is None or len(output) <= 2:
        return []
    n_values = facts.target_shape[0] if facts.target_shape else 1
    labels = "one label" if facts.task == "classification" else f"{n_values} target value(s)"
    dense = _first_dense_on_high_rank(graph, shapes, sinks[0])
    if dense is None:
        node = graph.nodes[sinks[0]]
        pool = _GLOBAL_POOLING.get(len(output), "GlobalAveragePooling2D")
        return [CompileIssue(
            "error", "output-rank",
            f"{node.label} outputs {fmt_shape(output)}, {rank_phrase(len(output))}, but {_data_name(facts)} has "
            f"{labels} per sample, so the output must be (None, units). Add a Flatten or {pool} before the "
            "output layer.",
            node.id, None)]
    node = graph.nodes[dense]
    incoming = shapes.nodes[dense].input_shapes[0]
    assert incoming is not None
    pool = _GLOBAL_POOLING.get(len(incoming), "GlobalAveragePooling2D")
    return [CompileIssue(
        "error", "dense-rank",
        f"{node.label} (Dense) receives {fmt_shape(incoming)}, {rank_phrase(len(incoming), _kind(facts, incoming))}; "
        "a Dense layer only transforms the last axis, so the model outputs "
        f"{fmt_shape(output)} while {_data_name(facts)} has {labels} per sample. "
        f"Add a Flatten (or {pool}) before {node.label}.",
        node.id, {"insert": "Flatten", "before": node.id})]


def _kind(facts: DataFacts, shape: tuple[int | None, ...]) -> str | None:
    """The data's tensor kind when the tensor still has the data's rank (else let the rank name it)."""
    if facts.input_shape is not None and len(shape) == len(facts.input_shape) + 1:
        return TENSOR_KIND.get(facts.input_kind)
    return None


# A freshly initialised linear output gives numbers near 0 with a spread near 1. A regression target far from that
# (prices in the hundreds of thousands, values of a few thousandths) is reached only after very many optimizer steps:
# Adam moves each weight by about the learning rate per step. Measured on a 600-row house-price table
# (mlp_regressor's layers, Adam; validation MAE in target standard deviations, without / with a Rescaling(std, mean)
# after the output), the price divided to give these scales:
#   mean 4.4e5 (RMS 4.7e5), 50 epochs: 2.5 / 0.056 (test MAE 4.3e5 against 9.1e3)
#   30 epochs: mean 1450: 0.71 / 0.056   mean 436: 0.17 / 0.056   mean 145: 0.15 / 0.056   mean 13: 0.14 / 0.056
#              mean 0.044, std 0.016: 0.61 / 0.057   mean 0.0044, std 0.0016: 6.0 / 0.075
# The bundled weather series (temperature 12 +- 4.8, RMS 13) trained as well without one (test MAE 1.20 against
# 1.46), so below an RMS of 50 nothing is said: the gain there depends on the data.
TARGET_RMS_LIMIT = 50.0  # sqrt(mean^2 + std^2): a zero output's RMS error on the target
TARGET_STD_FLOOR = 0.05  # a spread this small drowns in a fresh output's own spread


def target_rescaling(mean: float, std: float) -> dict[str, Any] | None:
    """``Rescaling`` parameters that map a fresh output (near 0, spread near 1) onto a regression target:
    ``scale`` its standard deviation and ``offset`` its mean, to 4 significant figures (constants to condition
    training, shown in the code); None when the target is already near that scale (or its statistics are unusable).
    """
    if not (math.isfinite(mean) and math.isfinite(std)) or std <= 0:
        return None
    if math.hypot(mean, std) <= TARGET_RMS_LIMIT and std >= TARGET_STD_FLOOR:
        return None
    return {"scale": float(f"{std:.4g}"), "offset": float(f"{mean:.4g}")}


def check_target_scale(graph: Graph, facts: DataFacts) -> list[CompileIssue]:
    """A linear regression output whose target is far from unit scale, without a Rescaling after it."""
    if facts.task != "regression" or facts.target_stats is None:
        return []
    params = target_rescaling(*facts.target_stats)
    sinks = [n for n in graph.sinks() if graph.nodes[n].type != "Input"]
    out = output_layer(graph)
    if params is None or out is None or len(sinks) != 1 or graph.nodes[sinks[0]].type == "Rescaling":
        return []
    if out[1] not in (None, "linear"):
        return []  # a bounded output (sigmoid, tanh) cannot be rescaled after the fact: the activation is the choice
    node = graph.nodes[sinks[0]]
    mean, std = facts.target_stats
    name = f"the target {facts.targets[0]!r}" if facts.targets else "the target"
    layer = f"Rescaling(scale={params['scale']:g}, offset={params['offset']:g})"
    return [CompileIssue(
        "warning", "target-scale",
        f"{node.label} starts out giving numbers near 0 with a spread near 1, but {name} of {_data_name(facts)} "
        f"averages {mean:.4g} with a spread of {std:.4g} (training rows): training spends its epochs closing that gap "
        f"instead of learning the pattern. Add a {layer} after {node.label}: the network then learns numbers near 0 "
        "and the model still outputs the target in its own units, exported models too.",
        node.id, {"append": "Rescaling", "after": node.id, "params": params})]


def check_identifier_columns(facts: DataFacts) -> list[CompileIssue]:
    """A table's feature columns that only tell the rows apart (:func:`~visualnn.core.tensors.is_identifier`): an
    identifier, a timestamp or free text; the fix gives the column the role ignore."""
    if facts.source_kind != "csv":
        return []
    issues = []
    for column in facts.columns:
        present = column.n_rows - column.n_missing
        if not is_identifier(column.kind, column.n_unique, present):
            continue
        how = "every" if column.n_unique == present else "almost every"
        issues.append(CompileIssue(
            "warning", "identifier-column",
            f"Column {column.name!r} of {facts.source} has a different value in {how} row ({column.n_unique:,} of "
            f"{present:,}): an identifier, a timestamp or free text. As a feature it becomes {column.n_unique:,} "
            "one-hot columns (or as many codes) that the model can only memorise and no new row matches. Set its "
            "role to ignore, or derive numbers from it (the month of a date) before loading.",
            None, {"column": column.name, "role": "ignore"}))
    return issues


def check_data(graph: Graph, shapes: ShapeReport, facts: DataFacts) -> list[CompileIssue]:
    """Every check of the model against the data (the compile checks live in ``compile_options``)."""
    issues = check_input_shape(graph, facts)
    if not issues:  # with a wrong Input every shape below it is wrong too: fix the Input first
        issues += check_output_rank(graph, shapes, facts)
    return issues + check_target_scale(graph, facts) + check_identifier_columns(facts)


__all__ = ["TENSOR_KIND", "check_data", "check_identifier_columns", "check_input_shape", "check_output_rank", "check_target_scale",
           "target_rescaling"]
