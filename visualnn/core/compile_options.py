"""The compile catalog (losses, optimizers, schedules, metrics) and data-aware checks before training.

Pure data: the training panel shows these names and docs, the engine turns them into Keras objects,
and :func:`check_compile` finds the classic mismatches between model, loss and labels before the
first batch fails with an unreadable TensorFlow error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.graph import Graph

KERAS_API = "https://keras.io/api/"


@dataclass(frozen=True)
class Option:
    """One choosable loss/optimizer/metric/schedule: stable id, label, Keras name, doc and URL."""

    id: str
    label: str
    keras_name: str
    doc: str
    url: str
    task: str = "any"  # classification | regression | any
    params: tuple[str, ...] = ()  # TrainingConfig fields this option reads


def _o(id: str, label: str, keras: str, doc: str, path: str, task: str = "any", params: tuple[str, ...] = ()) -> Option:
    return Option(id, label, keras, doc, KERAS_API + path, task, params)


LOSSES: tuple[Option, ...] = (
    _o("sparse_categorical_crossentropy", "Sparse categorical crossentropy", "SparseCategoricalCrossentropy",
       "Classification with integer labels (0, 1, 2, ...) and a softmax output with one unit per class.",
       "losses/probabilistic_losses/#sparsecategoricalcrossentropy-class", "classification"),
    _o("categorical_crossentropy", "Categorical crossentropy", "CategoricalCrossentropy",
       "Classification with one-hot labels and a softmax output with one unit per class.",
       "losses/probabilistic_losses/#categoricalcrossentropy-class", "classification"),
    _o("binary_crossentropy", "Binary crossentropy", "BinaryCrossentropy",
       "Two classes (or independent yes/no labels) with a sigmoid output, one unit per label.",
       "losses/probabilistic_losses/#binarycrossentropy-class", "classification"),
    _o("mean_squared_error", "Mean squared error (MSE)", "MeanSquaredError",
       "Regression: average squared difference; large errors weigh heavily.",
       "losses/regression_losses/#meansquarederror-class", "regression"),
    _o("mean_absolute_error", "Mean absolute error (MAE)", "MeanAbsoluteError",
       "Regression: average absolute difference; robust to outliers.",
       "losses/regression_losses/#meanabsoluteerror-class", "regression"),
    _o("huber", "Huber", "Huber", "Regression: squared for small errors, absolute for large ones.",
       "losses/regression_losses/#huber-class", "regression"),
    _o("log_cosh", "Log-cosh", "LogCosh", "Regression: like Huber, smooth everywhere.",
       "losses/regression_losses/#logcosh-class", "regression"),
    _o("kl_divergence", "KL divergence", "KLDivergence",
       "Compares predicted and target probability distributions.",
       "losses/probabilistic_losses/#kldivergence-class", "classification"),
    _o("hinge", "Hinge", "Hinge", "Maximum-margin classification with labels -1/1.",
       "losses/hinge_losses/#hinge-class", "classification"),
)

OPTIMIZERS: tuple[Option, ...] = (
    _o("adam", "Adam", "Adam", "Adaptive steps per weight; a good default.", "optimizers/adam/"),
    _o("adamw", "AdamW", "AdamW", "Adam with decoupled weight decay (regularises the weights).",
       "optimizers/adamw/", params=("weight_decay",)),
    _o("sgd", "SGD", "SGD", "Plain gradient descent; add momentum (and Nesterov) to speed it up.",
       "optimizers/sgd/", params=("momentum", "nesterov")),
    _o("rmsprop", "RMSprop", "RMSprop", "Divides steps by a running average of squared gradients.",
       "optimizers/rmsprop/", params=("momentum",)),
    _o("adagrad", "Adagrad", "Adagrad", "Per-weight steps that shrink for often-updated weights.", "optimizers/adagrad/"),
    _o("nadam", "Nadam", "Nadam", "Adam with Nesterov momentum.", "optimizers/Nadam/"),
    _o("adamax", "Adamax", "Adamax", "Adam variant based on the infinity norm.", "optimizers/adamax/"),
)

SCHEDULE_OPTIONS: tuple[Option, ...] = (
    _o("constant", "Constant", "", "The learning rate stays the same.", "optimizers/"),
    _o("exponential", "Exponential decay", "ExponentialDecay",
       "Multiply the rate by decay_rate every decay_steps batches.",
       "optimizers/learning_rate_schedules/exponential_decay/", params=("decay_steps", "decay_rate")),
    _o("cosine", "Cosine decay", "CosineDecay", "Lower the rate along a half cosine over decay_steps batches.",
       "optimizers/learning_rate_schedules/cosine_decay/", params=("decay_steps",)),
    _o("plateau", "Reduce on plateau", "ReduceLROnPlateau",
       "Multiply the rate by a factor when the monitored value stops improving.",
       "callbacks/reduce_lr_on_plateau/", params=("plateau_factor", "plateau_patience", "monitor")),
)

METRICS: tuple[Option, ...] = (
    _o("accuracy", "Accuracy", "accuracy", "Share of samples whose predicted class is right.",
       "metrics/accuracy_metrics/", "classification"),
    _o("precision", "Precision", "Precision", "Of the samples predicted positive, the share that are (binary).",
       "metrics/classification_metrics/#precision-class", "classification"),
    _o("recall", "Recall", "Recall", "Of the positive samples, the share found (binary).",
       "metrics/classification_metrics/#recall-class", "classification"),
    _o("auc", "AUC", "AUC", "Area under the ROC curve (binary).",
       "metrics/classification_metrics/#auc-class", "classification"),
    _o("top_k_accuracy", "Top-5 accuracy", "SparseTopKCategoricalAccuracy",
       "Share of samples whose true class is among the 5 most likely.",
       "metrics/accuracy_metrics/#sparsetopkcategoricalaccuracy-class", "classification"),
    _o("mae", "MAE", "MeanAbsoluteError", "Average absolute error.",
       "metrics/regression_metrics/#meanabsoluteerror-class", "regression"),
    _o("mse", "MSE", "MeanSquaredError", "Average squared error.",
       "metrics/regression_metrics/#meansquarederror-class", "regression"),
    _o("rmse", "RMSE", "RootMeanSquaredError", "Square root of the MSE, in the target's units.",
       "metrics/regression_metrics/#rootmeansquarederror-class", "regression"),
    _o("r2", "R²", "R2Score", "Share of the target's variance the model explains (1 is perfect).",
       "metrics/regression_metrics/#r2score-class", "regression"),
)

LOSS_DOC = "The loss is what training minimises; the optimizer changes the weights to lower it."
METRIC_DOC = "Metrics are only watched and reported; they do not change how the model learns."


def find(options: tuple[Option, ...], option_id: str) -> Option | None:
    """The option with this id, or None."""
    return next((o for o in options if o.id == option_id), None)


def ids(options: tuple[Option, ...]) -> tuple[str, ...]:
    """All ids of a catalog, in display order."""
    return tuple(o.id for o in options)


# --- data-aware checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataFacts:
    """What the checks need to know about the data (filled from the prepared dataset's stats)."""

    task: str  # classification | regression
    n_classes: int = 0
    label_format: str = "int"  # int | onehot | float
    input_kind: str = "table"  # table | images | sequence
    input_max: float | None = None  # largest input value seen (images: 255 means not rescaled)


@dataclass(frozen=True)
class CompileIssue:
    """A problem found before training; ``fix`` describes a one-click repair (or None).

    ``fix`` forms: ``{"training": {field: value}}`` (change the compile settings) or
    ``{"node": id, "param": name, "value": v}`` (change a layer parameter).
    Same field names as ``core.validation.Issue`` so the Problems list can show both.
    """

    severity: str  # error | warning | info
    code: str
    message: str
    node_id: str | None = None
    fix: dict[str, Any] | None = field(default=None)


def output_layer(graph: Graph) -> tuple[str, str | None, int | None] | None:
    """(node id, activation, units) of the model's single output, following Activation layers back."""
    sinks = [n for n in graph.sinks() if graph.nodes[n].type != "Input"]
    if len(sinks) != 1:
        return None
    nid = sinks[0]
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


def check_compile(graph: Graph, loss: str, metrics: tuple[str, ...], facts: DataFacts | None) -> list[CompileIssue]:
    """Mismatches between output layer, loss, metrics and labels, each with the fix."""
    issues: list[CompileIssue] = []
    out = output_layer(graph)
    nid, act, units = out if out is not None else (None, None, None)
    classification_losses = {o.id for o in LOSSES if o.task == "classification"}

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
        has_rescaling = any(n.type in ("Rescaling", "Normalization") for n in graph.nodes.values())
        if not has_rescaling:
            issues.append(CompileIssue(
                "warning", "images-not-rescaled",
                f"Image pixels go up to {facts.input_max:g}; networks learn much better on values in [0, 1]. "
                "Add a Rescaling(1/255) layer after the Input, or rescale in the Data panel.",
                None, None))
    return issues


__all__ = [
    "LOSSES",
    "LOSS_DOC",
    "METRICS",
    "METRIC_DOC",
    "OPTIMIZERS",
    "SCHEDULE_OPTIONS",
    "CompileIssue",
    "DataFacts",
    "Option",
    "check_compile",
    "find",
    "ids",
    "output_layer",
]
