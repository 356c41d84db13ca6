"""The choosable options of the compile and fit settings, each with its Keras call.

:data:`LOSSES`, :data:`OPTIMIZERS`, :data:`SCHEDULES`, :data:`METRICS` and :data:`CALLBACKS` hold one
:class:`Option` per choice: stable id, label, doc, and ``build``, which returns the Keras object as a
:class:`~visualnn.core.specs.KerasCall` (or a Keras identifier string). The trainer and the multi-worker loop
instantiate those calls (:func:`compile_calls`, :func:`callback_calls`), the code generator prints them, so the
app and the exported script compile the same model by construction. Adding a metric is one :class:`Option` in
:data:`METRICS`. The fields that choose among them are :mod:`visualnn.core.training_settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from visualnn.core.specs.base import KerasCall

if TYPE_CHECKING:  # annotations only: training_config reads this table at import time
    from visualnn.core.training_config import TrainingConfig

KERAS_API = "https://keras.io/api/"

KerasRef = str | KerasCall
"""A Keras object as the table describes it: an identifier Keras resolves itself (``"accuracy"``) or a call."""

Build = Callable[["TrainingConfig"], KerasRef]


@dataclass(frozen=True)
class Option:
    """One choosable loss, optimizer, schedule, metric or callback.

    ``params`` names the :class:`TrainingConfig` fields this option reads (the form enables them only
    while the option is chosen); ``aliases`` are other names older files or Keras use for it.
    """

    id: str
    label: str
    keras_name: str
    doc: str
    url: str
    task: str = "any"  # classification | regression | any
    params: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    build: Build | None = None
    per_sample: Callable[[TrainingConfig], str] | None = None  # metrics: a stateless function, for custom loops


def _o(id: str, label: str, keras: str, doc: str, path: str, task: str = "any", params: tuple[str, ...] = (),
       aliases: tuple[str, ...] = (), build: Build | None = None,
       per_sample: Callable[[TrainingConfig], str] | None = None) -> Option:
    return Option(id, label, keras, doc, KERAS_API + path, task, params, aliases, build, per_sample)


# --- losses: Keras identifiers (``model.compile(loss="...")`` resolves them the same way everywhere) ---


def _loss(keras_id: str) -> Build:
    return lambda cfg: keras_id


_LOSS_ALIASES = {"mean_squared_error": ("mse",), "mean_absolute_error": ("mae",), "log_cosh": ("logcosh",),
                 "kl_divergence": ("kld", "kullback_leibler_divergence")}

LOSSES: tuple[Option, ...] = tuple(
    _o(i, label, keras, doc, path, task, aliases=_LOSS_ALIASES.get(i, ()), build=_loss(i))
    for i, label, keras, doc, path, task in (
        ("sparse_categorical_crossentropy", "Sparse categorical crossentropy", "SparseCategoricalCrossentropy",
         "Classification with integer labels (0, 1, 2, ...) and a softmax output with one unit per class.",
         "losses/probabilistic_losses/#sparsecategoricalcrossentropy-class", "classification"),
        ("categorical_crossentropy", "Categorical crossentropy", "CategoricalCrossentropy",
         "Classification with one-hot labels and a softmax output with one unit per class.",
         "losses/probabilistic_losses/#categoricalcrossentropy-class", "classification"),
        ("binary_crossentropy", "Binary crossentropy", "BinaryCrossentropy",
         "Two classes (or independent yes/no labels) with a sigmoid output, one unit per label.",
         "losses/probabilistic_losses/#binarycrossentropy-class", "classification"),
        ("mean_squared_error", "Mean squared error (MSE)", "MeanSquaredError",
         "Regression: average squared difference; large errors weigh heavily.",
         "losses/regression_losses/#meansquarederror-class", "regression"),
        ("mean_absolute_error", "Mean absolute error (MAE)", "MeanAbsoluteError",
         "Regression: average absolute difference; robust to outliers.",
         "losses/regression_losses/#meanabsoluteerror-class", "regression"),
        ("huber", "Huber", "Huber", "Regression: squared for small errors, absolute for large ones.",
         "losses/regression_losses/#huber-class", "regression"),
        ("log_cosh", "Log-cosh", "LogCosh", "Regression: like Huber, smooth everywhere.",
         "losses/regression_losses/#logcosh-class", "regression"),
        ("kl_divergence", "KL divergence", "KLDivergence", "Compares predicted and target probability distributions.",
         "losses/probabilistic_losses/#kldivergence-class", "classification"),
        ("hinge", "Hinge", "Hinge", "Maximum-margin classification with labels -1/1.",
         "losses/hinge_losses/#hinge-class", "classification"),
    )
)


# --- learning-rate schedules and optimizers --------------------------------------------------------


def learning_rate(cfg: TrainingConfig) -> float | KerasCall:
    """The optimizer's ``learning_rate``: the number, or the schedule that starts from it."""
    lr = float(cfg.learning_rate)
    if cfg.schedule == "exponential":
        return KerasCall("keras.optimizers.schedules.ExponentialDecay", {
            "initial_learning_rate": lr, "decay_steps": int(cfg.decay_steps), "decay_rate": float(cfg.decay_rate)})
    if cfg.schedule == "cosine":
        return KerasCall("keras.optimizers.schedules.CosineDecay",
                         {"initial_learning_rate": lr, "decay_steps": int(cfg.decay_steps)})
    return lr  # constant, and reduce-on-plateau (a callback lowers it)


SCHEDULES: tuple[Option, ...] = (
    _o("constant", "Constant", "", "The learning rate stays the same.", "optimizers/"),
    _o("exponential", "Exponential decay", "ExponentialDecay",
       "Multiply the rate by decay_rate every decay_steps batches.",
       "optimizers/learning_rate_schedules/exponential_decay/", params=("decay_steps", "decay_rate")),
    _o("cosine", "Cosine decay", "CosineDecay", "Lower the rate along a half cosine over decay_steps batches.",
       "optimizers/learning_rate_schedules/cosine_decay/", params=("decay_steps",)),
    _o("plateau", "Reduce on plateau", "ReduceLROnPlateau",
       "Multiply the rate by a factor when the monitored value stops improving.",
       "callbacks/reduce_lr_on_plateau/", params=("plateau_factor", "plateau_patience", "min_lr", "monitor")),
)

ADAMW_DEFAULT_DECAY = 0.004
"""Keras's own AdamW default, used when the weight decay is left empty."""


def _optimizer(keras_class: str, extra: Callable[[TrainingConfig], dict[str, Any]] | None = None) -> Build:
    """Every Keras optimizer takes the learning rate and an optional weight decay; ``extra`` adds (or overrides) its own."""
    def build(cfg: TrainingConfig) -> KerasRef:
        kwargs: dict[str, Any] = {"learning_rate": learning_rate(cfg)}
        if cfg.weight_decay:
            kwargs["weight_decay"] = float(cfg.weight_decay)
        kwargs.update(extra(cfg) if extra is not None else {})
        return KerasCall(f"keras.optimizers.{keras_class}", kwargs)

    return build


OPTIMIZERS: tuple[Option, ...] = (
    _o("adam", "Adam", "Adam", "Adaptive steps per weight; a good default.", "optimizers/adam/",
       build=_optimizer("Adam")),
    _o("adamw", "AdamW", "AdamW", "Adam with decoupled weight decay (regularises the weights).",
       "optimizers/adamw/", build=_optimizer("AdamW", lambda cfg: {
           "weight_decay": float(cfg.weight_decay or ADAMW_DEFAULT_DECAY)})),
    _o("sgd", "SGD", "SGD", "Plain gradient descent; add momentum (and Nesterov) to speed it up.",
       "optimizers/sgd/", params=("momentum", "nesterov"), build=_optimizer("SGD", lambda cfg: {
           "momentum": float(cfg.momentum), "nesterov": bool(cfg.nesterov)})),
    _o("rmsprop", "RMSprop", "RMSprop", "Divides steps by a running average of squared gradients.",
       "optimizers/rmsprop/", params=("momentum",), build=_optimizer("RMSprop", lambda cfg: {
           "momentum": float(cfg.momentum)})),
    _o("adagrad", "Adagrad", "Adagrad", "Per-weight steps that shrink for often-updated weights.",
       "optimizers/adagrad/", build=_optimizer("Adagrad")),
    _o("nadam", "Nadam", "Nadam", "Adam with Nesterov momentum.", "optimizers/Nadam/", build=_optimizer("Nadam")),
    _o("adamax", "Adamax", "Adamax", "Adam variant based on the infinity norm.", "optimizers/adamax/",
       build=_optimizer("Adamax")),
)


# --- metrics: named like their ids, so history keys are the ids ----------------------------------


def _metric(keras_class: str, name: str) -> Build:
    return lambda cfg: KerasCall(f"keras.metrics.{keras_class}", {"name": name})


def _top_k(cfg: TrainingConfig) -> KerasRef:
    # One-hot labels (categorical crossentropy) need the one-hot variant; class numbers the sparse one.
    keras_class = "TopKCategoricalAccuracy" if cfg.loss == "categorical_crossentropy" else "SparseTopKCategoricalAccuracy"
    return KerasCall(f"keras.metrics.{keras_class}", {"k": 5, "name": "top_k_accuracy"})


def _accuracy_function(cfg: TrainingConfig) -> str:
    # What the "accuracy" string resolves to, decided from the loss (the custom loop has no shapes to look at).
    if "sparse_categorical" in cfg.loss:
        return "keras.metrics.sparse_categorical_accuracy"
    return "keras.metrics.categorical_accuracy" if "categorical" in cfg.loss else "keras.metrics.binary_accuracy"


_PER_SAMPLE: dict[str, Callable[[TrainingConfig], str]] = {
    "accuracy": _accuracy_function,
    "mae": lambda cfg: "keras.metrics.mean_absolute_error",
    "mse": lambda cfg: "keras.metrics.mean_squared_error",
}

METRICS: tuple[Option, ...] = tuple(
    _o(i, label, keras, doc, path, task, aliases=aliases, build=build, per_sample=_PER_SAMPLE.get(i))
    for i, label, keras, doc, path, task, aliases, build in (
        ("accuracy", "Accuracy", "accuracy", "Share of samples whose predicted class is right.",
         "metrics/accuracy_metrics/", "classification", ("acc",), lambda cfg: "accuracy"),
        ("precision", "Precision", "Precision", "Of the samples predicted positive, the share that are (binary).",
         "metrics/classification_metrics/#precision-class", "classification", (), _metric("Precision", "precision")),
        ("recall", "Recall", "Recall", "Of the positive samples, the share found (binary).",
         "metrics/classification_metrics/#recall-class", "classification", (), _metric("Recall", "recall")),
        ("auc", "AUC", "AUC", "Area under the ROC curve (binary).",
         "metrics/classification_metrics/#auc-class", "classification", (), _metric("AUC", "auc")),
        ("top_k_accuracy", "Top-5 accuracy", "TopKCategoricalAccuracy",
         "Share of samples whose true class is among the 5 most likely (sparse or one-hot labels, from the loss).",
         "metrics/accuracy_metrics/#topkcategoricalaccuracy-class", "classification", ("top_5_accuracy",), _top_k),
        ("mae", "MAE", "MeanAbsoluteError", "Average absolute error.",
         "metrics/regression_metrics/#meanabsoluteerror-class", "regression", ("mean_absolute_error",),
         _metric("MeanAbsoluteError", "mae")),
        ("mse", "MSE", "MeanSquaredError", "Average squared error.",
         "metrics/regression_metrics/#meansquarederror-class", "regression", ("mean_squared_error",),
         _metric("MeanSquaredError", "mse")),
        ("rmse", "RMSE", "RootMeanSquaredError", "Square root of the MSE, in the target's units.",
         "metrics/regression_metrics/#rootmeansquarederror-class", "regression", ("root_mean_squared_error",),
         _metric("RootMeanSquaredError", "rmse")),
        ("r2", "R²", "R2Score", "Share of the target's variance the model explains (1 is perfect).",
         "metrics/regression_metrics/#r2score-class", "regression", ("r2_score",), _metric("R2Score", "r2")),
    )
)


# --- callbacks: one option per switch in the settings; ``callback_calls`` builds the chosen ones ---

CALLBACKS: tuple[Option, ...] = (
    _o("terminate_on_nan", "Stop when the loss is NaN", "TerminateOnNaN",
       "Stops training as soon as the loss becomes NaN or infinite.", "callbacks/terminate_on_nan/"),
    _o("early_stopping", "Early stopping", "EarlyStopping",
       "Stops when the monitored value has not improved for 'patience' epochs.", "callbacks/early_stopping/",
       params=("monitor", "patience", "restore_best")),
    _o("checkpoint_best", "Save the best model (checkpoint)", "ModelCheckpoint",
       "Saves the model whenever the monitored value improves.", "callbacks/model_checkpoint/", params=("monitor",)),
    _o("tensorboard", "TensorBoard logs", "TensorBoard", "Writes logs that TensorBoard plots.",
       "callbacks/tensorboard/"),
)


def callback_calls(cfg: TrainingConfig, monitor: Any, checkpoint_path: Any, log_dir: Any) -> list[KerasCall]:
    """The callbacks ``cfg`` switches on, in a fixed order.

    ``monitor``, ``checkpoint_path`` and ``log_dir`` are values (the app) or code names (the script):
    both fill in the same calls.
    """
    out: list[KerasCall] = []
    if cfg.terminate_on_nan:
        out.append(KerasCall("keras.callbacks.TerminateOnNaN", {}))
    if cfg.early_stopping:
        out.append(KerasCall("keras.callbacks.EarlyStopping", {
            "monitor": monitor, "patience": int(cfg.patience), "restore_best_weights": bool(cfg.restore_best)}))
    if cfg.schedule == "plateau":
        out.append(KerasCall("keras.callbacks.ReduceLROnPlateau", {
            "monitor": monitor, "factor": float(cfg.plateau_factor), "patience": int(cfg.plateau_patience),
            "min_lr": float(cfg.min_lr)}))
    if cfg.checkpoint_best:
        out.append(KerasCall("keras.callbacks.ModelCheckpoint",
                             {"filepath": checkpoint_path, "monitor": monitor, "save_best_only": True}))
    if cfg.tensorboard:
        out.append(KerasCall("keras.callbacks.TensorBoard", {"log_dir": log_dir}))
    return out


def monitor_for(cfg: TrainingConfig, has_validation: bool) -> str:
    """The value callbacks watch: ``val_`` is dropped when there is no validation split."""
    return cfg.monitor if has_validation or not cfg.monitor.startswith("val_") else cfg.monitor[4:]


@dataclass(frozen=True)
class CompileCalls:
    """The arguments of ``model.compile``, as the table describes them.

    With one output, ``loss`` is one reference and ``metrics`` a tuple. With several outputs (see
    :func:`compile_calls`), ``loss`` and ``metrics`` are dicts keyed by output name, in output order,
    and ``loss_weights`` gives each output's weight.
    """

    optimizer: KerasCall
    loss: KerasRef | dict[str, KerasRef]
    metrics: tuple[KerasRef, ...] | dict[str, tuple[KerasRef, ...]]
    loss_weights: dict[str, float] | None = None


def output_settings(cfg: TrainingConfig, names: list[str] | tuple[str, ...]) -> list[OutputSettings]:
    """Each named output's settings: its row in ``cfg.outputs``, else the model-wide loss and metrics, weight 1."""
    rows = {o.name: o for o in cfg.outputs} if isinstance(cfg.outputs, tuple) else {}
    return [rows.get(n) or OutputSettings(n, cfg.loss, 1.0, tuple(cfg.metrics)) for n in names]


def compile_calls(cfg: TrainingConfig, outputs: list[str] | tuple[str, ...] = ()) -> CompileCalls:
    """Optimizer, loss and metrics for ``cfg``; :class:`SettingsError` names an unknown choice.

    ``outputs`` are the model's output names (:func:`visualnn.core.model_io.output_names`). With more
    than one, each output gets its own loss, weight and metrics from ``cfg.outputs``.
    """
    optimizer = _built(OPTIMIZERS, "optimizer", cfg.optimizer, cfg)
    if not isinstance(optimizer, KerasCall):  # every optimizer option builds a call
        raise SettingsError(f"Optimizer {cfg.optimizer!r} has no Keras class.")
    if len(outputs) <= 1:
        return CompileCalls(optimizer, _built(LOSSES, "loss", cfg.loss, cfg),
                            tuple(_built(METRICS, "metrics", m, cfg) for m in cfg.metrics))
    known = set(outputs)
    stray = [o.name for o in cfg.outputs if o.name not in known] if isinstance(cfg.outputs, tuple) else []
    if stray:
        raise SettingsError(f"training.outputs names {', '.join(map(repr, stray))}, which the model does not have; "
                            f"its outputs are {', '.join(map(repr, outputs))}. Rename or remove that row.")
    losses: dict[str, KerasRef] = {}
    metrics: dict[str, tuple[KerasRef, ...]] = {}
    weights: dict[str, float] = {}
    for row in output_settings(cfg, outputs):
        # A metric such as top-k reads the loss to pick its sparse or one-hot form: this output's loss.
        own = replace(cfg, loss=row.loss, metrics=row.metrics)
        losses[row.name] = _built(LOSSES, f"outputs.{row.name}.loss", row.loss, own)
        metrics[row.name] = tuple(_built(METRICS, f"outputs.{row.name}.metrics", m, own) for m in row.metrics)
        weights[row.name] = float(row.weight)
    return CompileCalls(optimizer, losses, metrics, weights)


def _built(options: tuple[Option, ...], name: str, option_id: str, cfg: TrainingConfig) -> KerasRef:
    option = find(options, option_id)
    if option is None or option.build is None:
        raise SettingsError(f"training.{name}: unknown choice {option_id!r}; choose one of {', '.join(ids(options))}.")
    return option.build(cfg)


class SettingsError(ValueError):
    """A training setting that cannot be built; the message names the field, the value and the fix."""


def find(options: tuple[Option, ...], option_id: str) -> Option | None:
    """The option with this id (or alias), or None."""
    return next((o for o in options if o.id == option_id or option_id in o.aliases), None)


def ids(options: tuple[Option, ...]) -> tuple[str, ...]:
    """All ids of a catalog, in display order."""
    return tuple(o.id for o in options)


def canonical(options: tuple[Option, ...], option_id: str) -> str:
    """The catalog id for an id or alias (unknown names are returned unchanged, for the checks to report)."""
    option = find(options, option_id)
    return option.id if option is not None else option_id


@dataclass(frozen=True)
class OutputSettings:
    """One output's compile settings in a model with several outputs.

    ``name`` is the output node's name (its Keras layer name); ``weight`` multiplies this output's loss
    in the total the optimizer lowers (``loss_weights``).
    """

    name: str
    loss: str
    weight: float = 1.0
    metrics: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form, without the name (the name is the key)."""
        return {"loss": self.loss, "weight": self.weight, "metrics": list(self.metrics)}


def outputs_from_json(value: Any) -> Any:
    """``{name: {"loss", "weight", "metrics"}}`` -> a tuple of :class:`OutputSettings`.

    A value of the wrong shape is returned unchanged so the loader can name what is wrong with it.
    """
    if isinstance(value, list | tuple) and all(isinstance(v, OutputSettings) for v in value):
        return tuple(value)
    if not isinstance(value, dict):
        return value
    out = []
    for name, raw in value.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("loss"), str):
            return value
        weight = raw.get("weight", 1.0)
        metrics = raw.get("metrics", [])
        if not isinstance(metrics, list | tuple) or not all(isinstance(m, str) for m in metrics):
            return value
        out.append(OutputSettings(str(name), canonical(LOSSES, raw["loss"]), weight,
                                  tuple(canonical(METRICS, m) for m in metrics)))
    return tuple(out)


def outputs_to_json(value: Any) -> Any:
    """Inverse of :func:`outputs_from_json` (anything else is returned as it is)."""
    if isinstance(value, tuple) and all(isinstance(v, OutputSettings) for v in value):
        return {o.name: o.to_json() for o in value}
    return value
