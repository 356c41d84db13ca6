"""Attach data to a project and adapt the model to it: Input shape, output layer, loss and metrics.

TensorFlow-free (it uses :func:`inspect_source`), so ``visualnn new --data`` and the data panel's
"apply suggestion" stay fast. Headless callers use :func:`attach_dataset`; the UI computes the
same :class:`Adaptation` and pushes it as commands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.backbone_checks import raw_pixel_options
from visualnn.core.compile_options import DataFacts, output_layer
from visualnn.core.data_checks import TENSOR_KIND, check_output_rank, check_target_scale
from visualnn.core.dataset import DatasetSpec
from visualnn.core.fixes import fix_command
from visualnn.core.graph import Graph
from visualnn.core.model_io import declared_inputs, input_names, is_multi_io, output_names
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.templates import TEMPLATES
from visualnn.core.tensors import (
    OutputSuggestion,
    class_label,
    is_identifier,
    rank_phrase,
    rare_class,
    rare_class_metrics,
    rare_classes,
)
from visualnn.core.training_config import TrainingConfig
from visualnn.core.validation import validate
from visualnn.services.datasets.facts import facts_of
from visualnn.services.datasets.inspect import guess_kind, inspect_source
from visualnn.services.datasets.source_info import SourceInfo


@dataclass
class Adaptation:
    """The edits that fit a graph to data: ``(node_id, param, value)`` triples, layers to insert, notes.

    ``inserts`` are fixes in the ``{"insert": type, "before": id}`` form of :mod:`visualnn.core.fixes` (a
    Flatten in front of a Dense that would otherwise see whole images) or its ``{"append": ...}`` form (a
    Rescaling after a regression output whose target is far from unit scale); each has a note saying why.
    """

    params: list[tuple[str, str, Any]] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def output_nodes(graph: Graph) -> list[tuple[str, str | None]]:
    """For each sink, the Dense node that sets the output units and the node that holds the activation
    (a Rescaling at the end, a target's scale, is looked through)."""
    out: list[tuple[str, str | None]] = []
    for sink in graph.sinks():
        if graph.node(sink).type == "Rescaling" and len(graph.predecessors(sink)) == 1:
            sink = graph.predecessors(sink)[0]
        node = graph.node(sink)
        if node.type == "Dense":
            out.append((sink, sink))
        elif node.type == "Activation":
            preds = graph.predecessors(sink)
            if len(preds) == 1 and graph.node(preds[0]).type == "Dense":
                out.append((preds[0], sink))
    return out


def adapt_graph(
    graph: Graph, input_shape: tuple[int, ...], suggestion: OutputSuggestion | None, facts: DataFacts | None = None,
    training: Any = None,
) -> Adaptation:
    """Edits that give the (single) Input the data's sample shape and the output layer the task's units/activation.

    With ``facts``, a model that would carry the data's extra axes to its output (Dense layers straight
    on images, say) also gets a Flatten in front of the first Dense that sees them. A model with several outputs
    (``facts.outputs``, and the compile settings ``training``) gets each output layer fitted to its own target, as
    the per-output checks ask (:func:`~visualnn.core.compile_options.check_outputs`).
    """
    result = Adaptation()
    inputs = [n.id for n in graph if n.type == "Input"]
    if len(inputs) == 1 and input_shape:
        if list(graph.node(inputs[0]).params.get("shape") or []) != list(input_shape):
            result.params.append((inputs[0], "shape", [int(d) for d in input_shape]))
    elif len(inputs) > 1:
        result.notes.append(f"The model has {len(inputs)} inputs; set their shapes by hand.")
    if facts is not None and len(inputs) == 1:
        _flatten_where_needed(graph, result, facts)
    if suggestion is None:
        return result
    outs = output_nodes(graph)
    if len(outs) > 1 and facts is not None and facts.outputs and training is not None:
        _fit_heads(graph, result, facts, training)
        return result
    if len(outs) != 1:
        result.notes.append("Could not find a single Dense output layer; set its units and activation by hand.")
        return result
    dense, act = outs[0]
    if graph.node(dense).params.get("units") != suggestion.units:
        result.params.append((dense, "units", suggestion.units))
    # Dense's activation None is Keras's linear: the same output, nothing to change.
    if act is not None and (graph.node(act).params.get("activation") or "linear") != suggestion.activation:
        result.params.append((act, "activation", suggestion.activation))
    if facts is not None:
        _rescale_where_needed(graph, result, facts)
    return result


def _fit_heads(graph: Graph, result: Adaptation, facts: DataFacts, training: Any) -> None:
    """Each output layer of a model with several set as its own target needs (the per-output checks' fixes)."""
    from visualnn.core.compile_options import check_outputs

    for prefix, issue in check_outputs(graph, training, dict(facts.outputs)):
        fix = issue.fix or {}
        if {"node", "param", "value"} <= set(fix) and fix["node"] in graph.nodes:
            result.params.append((str(fix["node"]), str(fix["param"]), fix["value"]))
            result.notes.append(f"{prefix}{fix['param']} of {graph.node(str(fix['node'])).label} set to "
                                f"{fix['value']!r}, as its target needs.")


def _adapted(graph: Graph, result: Adaptation) -> Graph:
    """A copy of ``graph`` with the parameter edits found so far: the checks that add layers judge the model as
    the adaptation leaves it."""
    scratch = graph.copy()
    for node_id, name, value in result.params:
        scratch.set_param(node_id, name, value)
    return scratch


def _rescale_where_needed(graph: Graph, result: Adaptation, facts: DataFacts) -> None:
    """Add the Rescaling the target-scale check asks for, judged on the graph with the new output settings."""
    for issue in check_target_scale(_adapted(graph, result), facts):
        if issue.fix is not None:
            result.inserts.append(issue.fix)
            params = issue.fix["params"]
            result.notes.append(f"A Rescaling(scale={params['scale']:g}, offset={params['offset']:g}) after "
                                f"{graph.node(str(issue.fix['after'])).label} maps the output onto the target's range "
                                "(its mean and spread over the training rows), so the network learns numbers near 0.")


def _flatten_where_needed(graph: Graph, result: Adaptation, facts: DataFacts) -> None:
    """Add the insert fixes the output-rank check asks for, judged on the graph with the new Input shape."""
    scratch = _adapted(graph, result)
    for issue in check_output_rank(scratch, infer_shapes(scratch), facts):
        if issue.fix is not None and "insert" in issue.fix:
            result.inserts.append(issue.fix)
            before = graph.node(str(issue.fix["before"])).label
            rank = len(facts.input_shape) + 1 if facts.input_shape is not None else 0
            result.notes.append(f"A {issue.fix['insert']} before {before} lets the Dense layers see one vector per "
                                f"sample (the data is {rank_phrase(rank, TENSOR_KIND.get(facts.input_kind))}).")


def kind_for(graph: Graph, path: str) -> str:
    """The source kind for ``path``; a CSV feeding a model whose Input is a sequence becomes a time series."""
    kind = guess_kind(path)
    inputs = [n for n in graph if n.type == "Input"]
    if kind == "csv" and len(inputs) == 1 and len(inputs[0].params.get("shape") or []) == 2:
        return "timeseries"
    return kind


def inspect_for(
    graph: Graph,
    path: str,
    target: str | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
) -> SourceInfo:
    """Inspect ``path`` as the model in ``graph`` would read it (``target``: the target column or series).

    Raises :class:`~visualnn.services.datasets.errors.DataError` for unreadable data.
    """
    kind = kind or kind_for(graph, path)
    opts = dict(options or {})
    if target is not None:
        if kind == "timeseries":
            opts["window"] = dict(opts.get("window") or {}, target=target)
        else:
            cols = dict(opts.get("columns") or {})
            cols[target] = dict(cols.get(target) or {}, role="target")
            opts["columns"] = cols
    if is_multi_io(graph):  # named parts: each output's own target (its facts fit each output layer)
        return inspect_source(path, opts, kind=kind, inputs=input_names(graph), outputs=output_names(graph),
                              shapes=dict(declared_inputs(graph)))
    return inspect_source(path, opts, kind=kind)


def identifier_features(info: SourceInfo) -> list[str]:
    """A table's feature columns that only tell the rows apart (:func:`~visualnn.core.tensors.is_identifier`: an
    identifier, a timestamp or free text) and that the inspected options say nothing about (a column the person
    set up stays as they set it)."""
    if info.kind != "csv":
        return []
    told = info.options.get("columns") or {}
    by_name = {c.name: c for c in info.columns}
    return [n for n in info.features if n not in told and n in by_name
            and is_identifier(by_name[n].kind, by_name[n].n_unique, by_name[n].n_rows - by_name[n].n_missing)]


def ignoring(options: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``options`` with the columns ``names`` given the role ignore."""
    columns = dict(options.get("columns") or {})
    columns.update({name: {"role": "ignore"} for name in names})
    return dict(options, columns=columns)


def identifier_note(names: list[str]) -> str:
    """Why the columns ``names`` were set to ignore when the data was attached, and how to take them back."""
    listed = " and ".join(repr(n) for n in names) if len(names) <= 2 else ", ".join(repr(n) for n in names[:3]) + (
        f" and {len(names) - 3} more" if len(names) > 3 else "")
    one = len(names) == 1
    return (f"{'Column' if one else 'Columns'} {listed} {'has' if one else 'have'} a different value in (almost) every "
            f"row: an identifier, a timestamp or free text, which a model can only memorise. {'Its' if one else 'Their'}"
            " role is set to ignore; set " + ("it" if one else "one") + " back to feature in the Data panel's columns to use "
            "it anyway.")


def output_columns(graph: Graph, info: SourceInfo, options: dict[str, Any]) -> list[str]:
    """The columns of a table named like the outputs of a model with several that are not targets yet, when every
    target so far is named like an output too (a table's default target, its last column, can only serve one
    output): each is its output's target."""
    outputs = output_names(graph)
    told = options.get("columns") or {}
    targets = [name for name, c in told.items() if (c or {}).get("role") == "target"]
    # A target not named like an output was mapped by hand (or is the person's own): the columns are left as they are.
    if info.kind != "csv" or len(outputs) < 2 or any(name not in outputs for name in targets):
        return []
    present = {c.name for c in info.columns}
    return [name for name in outputs if name in present and name not in targets]


def inspect_to_attach(
    graph: Graph,
    path: str,
    target: str | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[SourceInfo, list[str]]:
    """:func:`inspect_for`, with the identifier columns nobody set up (:func:`identifier_features`) set to ignore,
    and whole-number scores read as numbers for a model built to predict one (:func:`scores_as_numbers`); and the
    notes that say so (``[]`` when neither applied)."""
    info = inspect_for(graph, path, target, kind, options)
    chosen, notes = attach_choices(graph, info, dict(options or {}))
    if notes:
        info = inspect_for(graph, path, target, kind, chosen)
    return info, notes


def attach_choices(graph: Graph, info: SourceInfo, options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What attaching a table chooses on its first reading, for the model in ``graph``: ``options`` with the
    identifier columns ignored (:func:`identifier_features`) and whole-number scores read as numbers
    (:func:`scores_as_numbers`), and a note for each choice made (none: read it as it is)."""
    notes: list[str] = []
    names = identifier_features(info)
    if names:
        options = ignoring(options, names)
        notes.append(identifier_note(names))
    named = output_columns(graph, info, options)
    if named:
        columns = dict(options.get("columns") or {})
        columns.update({name: dict(columns.get(name) or {}, role="target") for name in named})
        options = dict(options, columns=columns)
        listed = " and ".join(repr(n) for n in named)
        notes.append(f"Columns {listed} are named like the model's outputs: each is the target its output is compared "
                     "with." if len(named) > 1 else f"Column {listed} is named like an output of the model: it is the "
                     "target that output is compared with.")
    scores = scores_as_numbers(graph, info, options)
    if scores is not None:
        options = dict(options, task="regression")
        if isinstance(options.get("split"), dict):  # the split suggested for classes: a number has none to stratify
            options["split"] = dict(options["split"], stratify=False)
        notes.append(scores)
    return options, notes


def scores_as_numbers(graph: Graph, info: SourceInfo, options: dict[str, Any]) -> str | None:
    """Why a table's target of a few whole numbers (a 3..8 quality score) is read as a number, or None.

    Such a target is taken for classes by default. A model whose single output is one unit without an activation
    (the regressor templates) was built to predict a number: making it a classifier would silently change what the
    person chose. Text classes, yes/no targets and a task the options set stay as they are.
    """
    if info.kind != "csv" or options.get("task") is not None or info.task != "multiclass" or len(info.targets) != 1:
        return None
    out = output_layer(graph)
    if out is None or out[2] != 1 or (out[1] or "linear") != "linear":
        return None
    column = next((c for c in info.columns if c.name == info.targets[0]), None)
    if column is None or column.kind != "numeric":
        return None
    return (f"The target {column.name!r} holds {len(info.class_names)} whole numbers ({', '.join(info.class_names)}), "
            "which are read as classes by default; the model predicts one number, so they are read as a number "
            "(task regression). For one class each instead, set the task to multiclass (Data panel, Split & pipeline: "
            "Task).")


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
    info, _ = inspect_to_attach(project.graph, path, target, kind, options)
    apply_info(project, info, os.path.abspath(path))
    return info


def fitting_templates(info: SourceInfo, path: str) -> list[str]:
    """The templates that, adapted to this data, pass validation against it (to suggest when one does not)."""
    facts = facts_of(info)
    tasks = {"classification": ("classification", "binary"), "regression": ("regression",)}.get(facts.task, ())
    fit = []
    for name, tpl in TEMPLATES.items():
        if tpl.task not in tasks:
            continue
        project = tpl.build()
        apply_info(project, info, path)
        if not any(i.is_error for i in validate(project, facts=facts)):
            fit.append(name)
    return fit


def apply_info(project: Project, info: SourceInfo, path: str) -> Adaptation:
    """Set the dataset from an inspection and apply the adaptation directly (headless, no undo)."""
    adaptation = adapt_graph(project.graph, info.input_shape, info.suggestion, facts_of(info), project.training)
    for node_id, name, value in adaptation.params:
        project.graph.set_param(node_id, name, value)
    for fix in adaptation.inserts:
        fix_command(fix, project).redo(project)
    if info.suggestion is not None:
        project.set_training(training_for(project, info.suggestion))
        adaptation.notes += rare_class_notes(project.training, facts_of(info))
    options = dict(info.options)
    raw = raw_pixel_options(project.graph, info.kind, options)
    if raw is not None:
        options = raw
        adaptation.notes.append("Rescale set to none: the pretrained network takes raw 0-255 pixels.")
    project.set_dataset(DatasetSpec(info.kind, path, options))
    return adaptation


def rare_class_notes(training: TrainingConfig, facts: DataFacts) -> list[str]:
    """Why precision and recall (or AUC) joined the metrics, and the setting that makes the model find the rare
    class (balanced class weights, left to the person: it trades false alarms for found cases); ``[]`` when the
    classes are not imbalanced or ``training`` weighs them already."""
    counts = facts.class_counts
    if training.class_weight == "balanced":
        return []
    rare_at = rare_class(counts)
    if rare_at is None:
        return _rare_of_many(counts, facts.class_names)
    name = class_label(facts.class_names, rare_at)
    watched = " and ".join(rare_class_metrics(counts))
    return [f"Class {name!r} is {counts[rare_at] / sum(counts):.0%} of the samples, so {watched} are watched besides "
            f"accuracy. For a model that finds more {name!r} samples (and raises more false alarms), set the training's "
            "class_weight to balanced (Training panel, Fit: Class weights)."]


def _rare_of_many(counts: tuple[int, ...], names: tuple[str, ...]) -> list[str]:
    """Rare classes among three or more: accuracy hides them, the Evaluation tab's per-class table shows them."""
    rare = rare_classes(counts)
    if not rare:
        return []
    shown = [f"{class_label(names, i)!r} ({counts[i] / sum(counts):.0%} of the samples)" for i in rare[:3]]
    more = f" and {len(rare) - 3} more" if len(rare) > 3 else ""
    one = len(rare) == 1
    return [f"{'Class' if one else 'Classes'} {', '.join(shown)}{more} {'is' if one else 'are'} rare: accuracy can stay "
            f"high while the model never answers {'it' if one else 'them'}. The Evaluation tab's per-class table shows "
            "how many it finds, and balanced class weights (Training panel, Fit: Class weights) make each class count "
            "as much in the loss as the others."]


def training_for(project: Project, suggestion: OutputSuggestion) -> Any:
    """The project's TrainingConfig with the suggested loss and metrics (catalog ids: ``mse`` is
    ``mean_squared_error``, as the Training panel and the trainer name it)."""
    return project.training.with_changes(loss=suggestion.loss, metrics=tuple(suggestion.metrics))
