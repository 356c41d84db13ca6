"""Data-aware checks before training: model output, loss, metrics and labels that cannot work together.

:func:`check_compile` finds the classic mismatches before the first batch fails with an unreadable
TensorFlow error, each with its one-click fix. The catalog of losses, metrics, optimizers and schedules
it checks against is the settings table, :mod:`visualnn.core.training_settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.model_io import input_names, output_names
from visualnn.core.tensors import class_label, rare_class, rare_class_metrics
from visualnn.core.training_options import LOSSES, METRICS, find

# --- data-aware checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureColumn:
    """One feature column of a table as inspection found it (the canvas shows the preprocessing it implies)."""

    name: str
    kind: str  # detected: numeric | categorical | boolean (the project's column options may override it)
    n_unique: int = 0
    n_missing: int = 0
    n_rows: int = 0  # rows of the table, the missing ones included (0: not known)


@dataclass(frozen=True)
class ArrayFact:
    """One array of an ``.npz`` as inspection found it: its name, whole shape (samples first) and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str = ""


@dataclass(frozen=True)
class DataFacts:
    """What the checks need to know about the data (filled from the prepared dataset's stats)."""

    task: str  # classification | regression
    n_classes: int = 0
    label_format: str = "int"  # int | onehot | multilabel | float
    input_kind: str = "table"  # table | images | sequence | video
    input_max: float | None = None  # largest input value seen (images: 255 means not rescaled)
    input_shape: tuple[int, ...] | None = None  # one sample of x as the data delivers it (no batch axis)
    target_shape: tuple[int, ...] | None = None  # one sample of y: () one class number, (k,) k values per sample
    source: str = ""  # the data's file or folder name, for messages
    columns: tuple[FeatureColumn, ...] = ()  # tables: the feature columns, in order
    input_dtype: str = ""  # arrays: the features array's dtype as stored (uint8 pixels are rescaled by 255)
    source_kind: str = ""  # csv | images | numpy | timeseries ("" when not known)
    arrays: tuple[ArrayFact, ...] = ()  # a .npz: every array it holds (models with several Inputs/outputs read these)
    targets: tuple[str, ...] = ()  # tables: the target columns, in order (column groups of multi-IO models)
    target_stats: tuple[float, float] | None = None  # regression with one target: its mean and std over the training rows
    class_counts: tuple[int, ...] = ()  # classification: samples per class over the whole data, in class order
    class_names: tuple[str, ...] = ()  # classification: the class names in that order
    # a model with several outputs: each output's own target facts, by output name (named parts)
    outputs: tuple[tuple[str, DataFacts], ...] = ()


@dataclass(frozen=True)
class CompileIssue:
    """A problem found before training; ``fix`` describes a one-click repair (or None).

    ``fix`` forms: ``{"training": {field: value}}`` (change the compile settings) or
    ``{"node": id, "param": name, "value": v}`` (change a layer parameter); ``core.fixes`` lists the others.
    Same field names as ``core.validation.Issue`` so the Problems list can show both.
    """

    severity: str  # error | warning | info
    code: str
    message: str
    node_id: str | None = None
    fix: dict[str, Any] | None = field(default=None)


def output_layer(graph: Graph) -> tuple[str, str | None, int | None] | None:
    """(node id, activation, units) of the model's single output, following Activation layers back.

    A Rescaling at the very end (a regression target's scale and offset, see ``data_checks.check_target_scale``)
    is looked through: the layer before it sets the units and the activation.
    """
    sinks = [n for n in graph.sinks() if graph.nodes[n].type != "Input"]
    if len(sinks) != 1:
        return None
    nid = sinks[0]
    if graph.nodes[nid].type == "Rescaling" and len(graph.predecessors(nid)) == 1:
        nid = graph.predecessors(nid)[0]
    node = graph.nodes[nid]
    activation = node.params.get("activation")
    if node.type in ("Activation", "Softmax"):
        activation = "softmax" if node.type == "Softmax" else node.params.get("activation")
        preds = graph.predecessors(nid)
        units_node = graph.nodes[preds[0]] if preds else node
        units = units_node.params.get("units")
        return units_node.id if units is not None else nid, activation, units
    units = node.params.get("units")
    if node.type == "Dense" and units is None:
        units = 32  # Dense's default
    return nid, activation, int(units) if isinstance(units, int | float) else None


def check_compile(graph: Graph, loss: str, metrics: tuple[str, ...], facts: DataFacts | None,
                  class_weight: str = "none") -> list[CompileIssue]:
    """Mismatches between output layer, loss, metrics, class weights and labels, each with the fix."""
    issues: list[CompileIssue] = []
    out = output_layer(graph)
    nid, act, units = out if out is not None else (None, None, None)
    classification_losses = {o.id for o in LOSSES if o.task == "classification"}
    issues += _class_weight(class_weight, loss, units, facts, classification_losses)

    if loss == "binary_crossentropy" and act == "softmax":
        issues.append(CompileIssue(
            "error", "softmax-binary",
            f"{nid}: softmax with binary crossentropy makes a single output always 1. "
            "Use a sigmoid activation (one unit per label), or sparse categorical crossentropy for softmax.",
            nid, {"node": nid, "param": "activation", "value": "sigmoid"}))
    if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") and act == "sigmoid":
        issues.append(CompileIssue(
            "warning", "sigmoid-categorical",
            f"{nid}: sigmoid outputs with {loss} do not sum to 1. Use softmax for one-of-N classes.",
            nid, {"node": nid, "param": "activation", "value": "softmax"}))
    binary_only = [m for m in metrics if m in ("precision", "recall", "auc")]
    if binary_only and loss == "sparse_categorical_crossentropy" and units is not None and units > 1:
        keep = [m for m in metrics if m not in binary_only]
        issues.append(CompileIssue(
            "error", "binary-metric-multiclass",
            f"{', '.join(binary_only)} compare one yes/no output with 0/1 labels; this model has {units} class "
            "outputs with class-number labels. Remove them (accuracy and the per-class report cover this).",
            None, {"training": {"metrics": keep}}))
    if facts is None:
        return issues

    if facts.task == "classification" and facts.n_classes >= 2 and units is not None:
        want = 1 if (loss == "binary_crossentropy" and facts.n_classes == 2) else facts.n_classes
        if units != want and not (loss == "binary_crossentropy" and units == facts.n_classes):
            issues.append(CompileIssue(
                "error", "output-units",
                f"{nid}: the output has {units} units but the data has {facts.n_classes} classes. "
                f"Set units to {want}.",
                nid, {"node": nid, "param": "units", "value": want}))
    if facts.task == "classification" and units is not None:
        issues += _output_activation(graph, nid, act, loss)
    if facts.task == "regression" and facts.target_shape is not None and units is not None:
        want = 1
        for d in facts.target_shape:
            want *= int(d)
        if units != want:
            issues.append(CompileIssue(
                "error", "output-units",
                f"{nid}: the output has {units} units but each sample has {want} target value(s). Set units to {want}.",
                nid, {"node": nid, "param": "units", "value": want}))
    issues += _rare_class(metrics, loss, units, facts, class_weight)
    if facts.task == "classification" and facts.label_format == "int" and loss == "categorical_crossentropy":
        issues.append(CompileIssue(
            "error", "int-labels-categorical",
            "The labels are class numbers (0, 1, 2, ...) but categorical crossentropy expects one-hot vectors. "
            "Use sparse categorical crossentropy.",
            None, {"training": {"loss": "sparse_categorical_crossentropy"}}))
    if facts.task == "classification" and facts.label_format == "onehot" and loss == "sparse_categorical_crossentropy":
        issues.append(CompileIssue(
            "error", "onehot-labels-sparse",
            "The labels are one-hot vectors but sparse categorical crossentropy expects class numbers. "
            "Use categorical crossentropy.",
            None, {"training": {"loss": "categorical_crossentropy"}}))
    if facts.task == "regression":
        if loss in classification_losses:
            issues.append(CompileIssue(
                "error", "regression-classification-loss",
                f"The target is a continuous number but {loss} is a classification loss. Use mean squared error.",
                None, {"training": {"loss": "mean_squared_error"}}))
        wrong = [m for m in metrics if (opt := find(METRICS, m)) is not None and opt.task == "classification"]
        if wrong:
            keep = [m for m in metrics if m not in wrong] or ["mae"]
            issues.append(CompileIssue(
                "warning", "regression-accuracy",
                f"{', '.join(wrong)} only make sense for classes; the target is a continuous number. Watch MAE instead.",
                None, {"training": {"metrics": keep}}))
        if act in ("softmax", "sigmoid") and loss not in classification_losses:
            issues.append(CompileIssue(
                "warning", "regression-squashed-output",
                f"{nid}: a {act} output can only predict values in (0, 1); a regression output usually has no activation.",
                nid, {"node": nid, "param": "activation", "value": None}))
    if facts.task == "classification" and loss not in classification_losses:
        issues.append(CompileIssue(
            "warning", "classification-regression-loss",
            f"The target has {facts.n_classes} classes but {loss} is a regression loss. "
            "Use sparse categorical crossentropy.",
            None, {"training": {"loss": "sparse_categorical_crossentropy"}}))
    if facts.input_kind == "images" and facts.input_max is not None and facts.input_max > 1.5:
        # A Rescaling at the output maps a regression target's range (check_target_scale): not the pixels'.
        sinks = set(graph.sinks())
        has_rescaling = any(n.type in ("Rescaling", "Normalization") and n.id not in sinks for n in graph.nodes.values())
        if not has_rescaling:
            issues.append(CompileIssue(
                "warning", "images-not-rescaled",
                f"Image pixels go up to {facts.input_max:g}; networks learn much better on values in [0, 1]. "
                "Add a Rescaling(1/255) layer after the Input, or rescale in the Data panel.",
                None, None))
    return issues


def _rare_class(metrics: tuple[str, ...], loss: str, units: int | None, facts: DataFacts,
                class_weight: str = "none") -> list[CompileIssue]:
    """Imbalanced yes/no data watched by accuracy alone: always answering the common class scores high.

    The fix adds the metrics that show it and, unless the classes are weighted already, balanced class
    weights, which make the rare class count as much in the loss as the common one."""
    counts = facts.class_counts
    rare_at = rare_class(counts) if facts.task == "classification" else None
    missing = [m for m in rare_class_metrics(counts) if m not in metrics]
    if rare_at is None or not missing or loss != "binary_crossentropy" or units != 1:
        return []
    share = counts[rare_at] / sum(counts)
    rare, common = class_label(facts.class_names, rare_at), class_label(facts.class_names, 1 - rare_at)
    why = (f"how many of its {rare!r} answers are right, and how many {rare!r} samples it finds" if rare_at == 1 else
           f"how well it ranks {rare!r} samples apart from the others (precision and recall measure {common!r}, "
           "class 1, the common one here)")
    fix: dict[str, Any] = {"metrics": [*metrics, *missing]}
    weigh = ""
    if class_weight != "balanced":
        fix["class_weight"] = "balanced"
        weigh = (f" Balanced class weights (Training, Fit) make each {rare!r} sample weigh "
                 f"{(1 - share) / share:.1f}x a {common!r} one in the loss, so the model cannot ignore them.")
    return [CompileIssue(
        "warning", "rare-class",
        f"Class {rare!r} has {counts[rare_at]} of {sum(counts)} samples ({share:.0%}) in {facts.source or 'the data'}: "
        f"a model that always answers {common!r} scores {1 - share:.0%} accuracy, having learnt nothing. Watch "
        f"{' and '.join(missing)} too: {why}.{weigh}",
        None, {"training": fix})]


def _class_weight(class_weight: str, loss: str, units: int | None, facts: DataFacts | None,
                  classification_losses: set[str]) -> list[CompileIssue]:
    """Balanced class weights need classes: one class per sample, a classification loss."""
    if class_weight != "balanced":
        return []
    off = {"training": {"class_weight": "none"}}
    if loss not in classification_losses or (facts is not None and facts.task == "regression"):
        return [CompileIssue(
            "error", "class-weight-regression",
            f"Class weights are balanced, but {'the target is a continuous number' if loss in classification_losses else f'{loss} is a regression loss'}: "
            "there are no classes to weigh. Set Class weights to none.", None, off)]
    if (facts is not None and facts.label_format == "multilabel") or (
            loss == "binary_crossentropy" and units is not None and units > 1):
        return [CompileIssue(
            "error", "class-weight-multilabel",
            "Class weights are balanced, but each sample has several yes/no labels: Keras weighs a sample by its one "
            "class, and these samples have none. Set Class weights to none.", None, off)]
    return []


def check_class_weight_parts(graph: Graph, class_weight: str, named_parts: bool = False) -> list[CompileIssue]:
    """Balanced class weights need one target tensor: Keras weighs the classes of a model with one output, and the
    exported script feeds a model with several Inputs (or an image folder with its table, ``named_parts``) named
    parts, which Keras does not weigh either."""
    if class_weight != "balanced":
        return []
    outs, ins = output_names(graph), input_names(graph)
    if len(outs) > 1:
        what = f"the model has {len(outs)} outputs ({', '.join(outs)}); Keras weighs the classes of a model with one output"
    elif len(ins) > 1 or named_parts:
        what = ("the data comes as named parts (" + (f"{len(ins)} Inputs" if len(ins) > 1 else "images with their table")
                + "), and Keras weighs classes only when the data is one tensor of inputs and one of labels")
    else:
        return []
    return [CompileIssue(
        "error", "class-weight-parts",
        f"Class weights are balanced, but {what}. Set Class weights to none (or collect more samples of the rare class).",
        None, {"training": {"class_weight": "none"}})]


# What each classification loss expects from the output layer: the activation that turns scores into probabilities.
_PROBABILITY_ACTIVATION = {"sparse_categorical_crossentropy": "softmax", "categorical_crossentropy": "softmax",
                           "binary_crossentropy": "sigmoid"}


def _output_activation(graph: Graph, nid: str | None, act: str | None, loss: str) -> list[CompileIssue]:
    """A classification loss (without logits) on an output that gives raw scores instead of probabilities."""
    want = _PROBABILITY_ACTIVATION.get(loss)
    if want is None or nid is None or act in ("softmax", "sigmoid"):
        return []
    sink = graph.sinks()[0] if len(graph.sinks()) == 1 else None
    holder = sink if sink is not None and graph.nodes[sink].type == "Activation" else nid
    if graph.nodes[holder].type not in ("Dense", "Activation"):
        return []  # another layer type ends the model: its output range is the user's design
    what = "no activation" if act in (None, "linear") else f"a {act} activation"
    return [CompileIssue(
        "error", "output-activation",
        f"{nid}: the output layer has {what}, but {loss} expects probabilities from a {want} output. "
        f"Set its activation to {want}.",
        holder, {"node": holder, "param": "activation", "value": want})]


def branch(graph: Graph, output: str) -> Graph:
    """The part of ``graph`` that computes the output named ``output`` (its node and every node before it)."""
    target = next(nid for nid, node in graph.nodes.items() if node.label == output)
    keep = {nid for nid in graph.nodes if nid == target or graph.reaches(nid, target)}
    part = Graph(graph.mode)
    for nid, node in graph.nodes.items():
        if nid in keep:
            part.add_node(node.copy())
    for edge in graph.edges:
        if edge.src.node in keep and edge.dst.node in keep:
            part.connect(edge)
    return part


def check_outputs(graph: Graph, cfg: Any, facts: dict[str, DataFacts]) -> list[tuple[str, CompileIssue]]:
    """A model with several outputs, one output at a time: that output's branch of ``graph``, its own loss and
    metrics (``cfg.outputs``), against its own targets' ``facts``; each issue with the prefix ``"Output 'name': "``
    its message starts with. Training refuses what this finds, and validation shows it first."""
    from visualnn.core.training_options import output_settings

    found: list[tuple[str, CompileIssue]] = []
    for out in output_settings(cfg, output_names(graph)):
        if out.name in facts:
            found += [(f"Output {out.name!r}: ", i)
                      for i in check_compile(branch(graph, out.name), out.loss, out.metrics, facts[out.name])]
    return found


__all__ = ["ArrayFact", "CompileIssue", "DataFacts", "branch", "check_compile", "check_outputs", "output_layer"]
