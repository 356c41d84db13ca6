"""Attach data to a project and adapt the model to it: Input shape, output layer, loss and metrics.

TensorFlow-free (it uses :func:`inspect_source`), so ``visualnn new --data`` and the data panel's
"apply suggestion" stay fast. Headless callers use :func:`attach_dataset`; the UI computes the
same :class:`Adaptation` and pushes it as commands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.tensors import OutputSuggestion
from visualnn.services.datasets.inspect import SourceInfo, guess_kind, inspect_source


@dataclass
class Adaptation:
    """The parameter edits that fit a graph to data: ``(node_id, param, value)`` triples, plus notes."""

    params: list[tuple[str, str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def output_nodes(graph: Graph) -> list[tuple[str, str | None]]:
    """For each sink, the Dense node that sets the output units and the node that holds the activation."""
    out: list[tuple[str, str | None]] = []
    for sink in graph.sinks():
        node = graph.node(sink)
        if node.type == "Dense":
            out.append((sink, sink))
        elif node.type == "Activation":
            preds = graph.predecessors(sink)
            if len(preds) == 1 and graph.node(preds[0]).type == "Dense":
                out.append((preds[0], sink))
    return out


def adapt_graph(graph: Graph, input_shape: tuple[int, ...], suggestion: OutputSuggestion | None) -> Adaptation:
    """Edits that give the (single) Input the data's sample shape and the output layer the task's units/activation."""
    result = Adaptation()
    inputs = [n.id for n in graph if n.type == "Input"]
    if len(inputs) == 1 and input_shape:
        if list(graph.node(inputs[0]).params.get("shape") or []) != list(input_shape):
            result.params.append((inputs[0], "shape", [int(d) for d in input_shape]))
    elif len(inputs) > 1:
        result.notes.append(f"The model has {len(inputs)} inputs; set their shapes by hand.")
    if suggestion is None:
        return result
    outs = output_nodes(graph)
    if len(outs) != 1:
        result.notes.append("Could not find a single Dense output layer; set its units and activation by hand.")
        return result
    dense, act = outs[0]
    if graph.node(dense).params.get("units") != suggestion.units:
        result.params.append((dense, "units", suggestion.units))
    if act is not None and graph.node(act).params.get("activation") != suggestion.activation:
        result.params.append((act, "activation", suggestion.activation))
    return result


def kind_for(graph: Graph, path: str) -> str:
    """The source kind for ``path``; a CSV feeding a model whose Input is a sequence becomes a time series."""
    kind = guess_kind(path)
    inputs = [n for n in graph if n.type == "Input"]
    if kind == "csv" and len(inputs) == 1 and len(inputs[0].params.get("shape") or []) == 2:
        return "timeseries"
    return kind


def attach_dataset(
    project: Project,
    path: str,
    target: str | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
) -> Project:
    """Point ``project`` at the data in ``path`` and adapt Input, output layer and loss/metrics to it.

    The path is stored absolute in memory; ``save_project`` writes it relative to the project file.
    A source without a split gets the new-project split (70/15/15, or no test split for small data).
    Raises :class:`~visualnn.services.datasets.errors.DataError` for unreadable data (the project is
    then left untouched).
    """
    attach_source(project, path, target, kind, options)
    return project


def attach_source(
    project: Project,
    path: str,
    target: str | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
) -> SourceInfo:
    """:func:`attach_dataset`, returning the inspection (its ``split_note`` says why there is no test split)."""
    kind = kind or kind_for(project.graph, path)
    opts = dict(options or {})
    if target is not None:
        if kind == "timeseries":
            opts["window"] = dict(opts.get("window") or {}, target=target)
        else:
            cols = dict(opts.get("columns") or {})
            cols[target] = dict(cols.get(target) or {}, role="target")
            opts["columns"] = cols
    info = inspect_source(path, opts, kind=kind)
    apply_info(project, info, os.path.abspath(path))
    return info


def apply_info(project: Project, info: SourceInfo, path: str) -> Adaptation:
    """Set the dataset from an inspection and apply the adaptation directly (headless, no undo)."""
    adaptation = adapt_graph(project.graph, info.input_shape, info.suggestion)
    for node_id, name, value in adaptation.params:
        project.graph.set_param(node_id, name, value)
    if info.suggestion is not None:
        project.set_training(training_for(project, info.suggestion))
    project.set_dataset(DatasetSpec(info.kind, path, dict(info.options)))
    return adaptation


def training_for(project: Project, suggestion: OutputSuggestion) -> Any:
    """The project's TrainingConfig with the suggested loss and metrics."""
    return replace(project.training, loss=suggestion.loss, metrics=tuple(suggestion.metrics))
