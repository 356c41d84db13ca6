"""The one table of compile and fit settings: every field, every choosable option, and its Keras call.

Layers have one :class:`~visualnn.core.specs.LayerSpec` each; training settings have this module.
Every reader takes its facts from here and nowhere else:

- :data:`FIELDS` says, for each :class:`~visualnn.core.training_config.TrainingConfig` field, its
  value type, its allowed values or range, its label, help text and group. The project loader
  checks files against it, ``TrainingConfig.problems`` checks settings against it, the Training
  panel builds its form from it, and the tests draw every allowed value from it.
- :data:`LOSSES`, :data:`OPTIMIZERS`, :data:`SCHEDULES`, :data:`METRICS` and :data:`CALLBACKS`
  hold one :class:`Option` per choice: stable id, label, doc, and ``build``, which returns the
  Keras object as a :class:`~visualnn.core.specs.KerasCall` (or a Keras identifier string). The
  trainer and the multi-worker loop instantiate those calls, the code generator prints them, so the
  app and the exported script compile the same model by construction.

Adding a metric is one :class:`Option` in :data:`METRICS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from visualnn.core.distribution import PRECISIONS, STRATEGIES
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


# --- the fields -----------------------------------------------------------------------------------

BOOL, INT, FLOAT, CHOICE, MULTI, TEXT, INT_LIST = "bool", "int", "float", "choice", "multi", "text", "int_list"
OUTPUTS = "outputs"
"""The per-output table: output name -> its own loss, loss weight and metrics (models with several outputs)."""


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
GROUPS = ("compile", "fit", "tuning", "finetune", "callbacks", "advanced")
"""Form groups: the settings changed most (compile, fit) always show; optimizer details and schedules,
callbacks, and reproducibility/where-to-run fold away."""

_DEVICE = re.compile(r"^(auto|cpu|gpu(:\d+)?)$")


@dataclass(frozen=True)
class SettingField:
    """One training setting: JSON type, allowed values, label, help and form group.

    ``choices`` lists allowed ids for ``choice``/``multi`` fields; ``minimum``/``maximum`` bound numbers
    (``open_min``/``open_max`` exclude the bound); ``nullable`` allows JSON null (meaning "off").
    """

    name: str
    kind: str
    label: str
    doc: str
    group: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    open_min: bool = False
    open_max: bool = False
    nullable: bool = False
    step: float = 1.0
    decimals: int = 3
    suggestions: tuple[str, ...] = ()
    hint: str = ""  # added to a range error: what usually works

    def problem(self, value: Any, where: str = "") -> str | None:
        """Why ``value`` is not allowed here (naming the field, the value and the fix), or None."""
        reason = self.reason(value)
        return None if reason is None else f"{where or self.label} {reason}"

    def type_problem(self, value: Any, where: str = "") -> str | None:
        """Like :meth:`problem`, for the JSON type (and finiteness) only.

        The project loader refuses these; values of the right type but outside the allowed range are
        kept (and reported by ``TrainingConfig.problems``), so a file from a newer app still opens.
        """
        reason = self.type_reason(value)
        return None if reason is None else f"{where or self.label} {reason}"

    def reason(self, value: Any) -> str | None:
        """What is wrong with ``value`` (``must be ...; received ...``), or None."""
        if (wrong := self.type_reason(value)) is not None or value is None:
            return wrong
        if self.kind in (INT, FLOAT):
            low, high = self.minimum, self.maximum
            below = low is not None and (value < low or (self.open_min and value == low))
            above = high is not None and (value > high or (self.open_max and value == high))
            if below or above:
                return f"must be {self._expect()}; received {value!r}.{' ' + self.hint if self.hint else ''}"
            return None
        if self.kind == CHOICE and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}; received {value!r}."
        if self.kind == MULTI:
            bad = [v for v in value if v not in self.choices]
            if bad:
                return f"has unknown {', '.join(map(repr, bad))}; choose from {', '.join(self.choices)}."
            return f"lists {list(value)!r} with repeats; keep each once." if len(set(value)) != len(value) else None
        if self.name == "device" and not _DEVICE.match(value.lower()):
            return f"must be auto, cpu or gpu:N; received {value!r}."
        if self.kind == OUTPUTS:
            return _outputs_reason(outputs_from_json(value))
        if self.kind == TEXT and not value.strip():
            return f"must not be empty; {self._expect()}."
        return None

    def type_reason(self, value: Any) -> str | None:
        """What is wrong with the JSON type of ``value`` (or its finiteness), or None."""
        if value is None:
            return None if self.nullable else f"must not be empty; {self._expect()}."
        if self.kind == BOOL:
            return None if isinstance(value, bool) else f"must be true or false; received {value!r}."
        if self.kind == INT:
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else f"must be a whole number; received {value!r}."
        if self.kind == FLOAT:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return f"must be a number; received {value!r}."
            return None if math.isfinite(value) else f"must be a finite number ({self._expect()}); received {value!r}."
        if self.kind == MULTI:
            ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
            return None if ok else f"must be a list of names; received {value!r}."
        if self.kind == INT_LIST:
            ok = isinstance(value, list | tuple) and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            return None if ok else f"must be a list of whole numbers >= 0; received {value!r}."
        if self.kind == OUTPUTS:
            value = outputs_from_json(value)  # JSON or the typed tuple
            ok = isinstance(value, tuple) and all(
                isinstance(o, OutputSettings) and isinstance(o.weight, int | float) and not isinstance(o.weight, bool)
                and math.isfinite(o.weight) for o in value)
            return None if ok else (f"must map each output's name to its loss, weight (a number) and metrics, e.g. "
                                    f'{{"score": {{"loss": "mean_squared_error", "weight": 1.0, "metrics": ["mae"]}}}}; '
                                    f"received {outputs_to_json(value)!r}.")
        return None if isinstance(value, str) else f"must be text; received {value!r}."

    def _expect(self) -> str:
        if self.kind in (INT, FLOAT):
            low = "" if self.minimum is None else f"{'>' if self.open_min else '>='} {self.minimum:g}"
            high = "" if self.maximum is None else f"{'<' if self.open_max else '<='} {self.maximum:g}"
            return " and ".join(p for p in (low, high) if p) or "a number"
        if self.kind == CHOICE:
            return f"one of {', '.join(self.choices)}"
        return "give a value"


def _outputs_reason(value: tuple[OutputSettings, ...]) -> str | None:
    names = [o.name for o in value]
    for o in value:
        if find(LOSSES, o.loss) is None:
            return f"for output {o.name!r}: loss must be one of {', '.join(ids(LOSSES))}; received {o.loss!r}."
        if o.weight < 0:
            return f"for output {o.name!r}: loss weight must be >= 0; received {o.weight!r}."
        bad = [m for m in o.metrics if find(METRICS, m) is None]
        if bad:
            return f"for output {o.name!r}: unknown metric {', '.join(map(repr, bad))}; choose from {', '.join(ids(METRICS))}."
    if len(set(names)) != len(names):
        return f"name an output twice ({names!r}); keep each once."
    return None


def _f(name: str, kind: str, label: str, doc: str, group: str, **kw: Any) -> SettingField:
    return SettingField(name, kind, label, doc, group, **kw)


FIELDS: tuple[SettingField, ...] = (
    # compile
    _f("loss", CHOICE, "Loss", "The loss is what training minimises; the optimizer changes the weights to lower it.",
       "compile", choices=ids(LOSSES)),
    _f("optimizer", CHOICE, "Optimizer", "How the weights are changed to lower the loss.", "compile",
       choices=ids(OPTIMIZERS)),
    _f("learning_rate", FLOAT, "Learning rate", "Step size of each weight update. Too high: the loss jumps or becomes "
       "NaN; too low: it barely moves. 0.001 suits Adam.", "compile", minimum=0.0, maximum=10.0, open_min=True,
       step=0.0005, decimals=6, hint="Try 0.001."),
    _f("metrics", MULTI, "Metrics", "Metrics are only watched and reported; they do not change how the model learns.",
       "compile", choices=ids(METRICS)),
    _f("outputs", OUTPUTS, "Per-output settings", "Models with several outputs: each output's own loss, loss weight (its share "
       "of the total loss) and metrics. An output not listed uses the loss and metrics above with weight 1.",
       "compile"),
    # optimizer details and learning-rate schedule
    _f("momentum", FLOAT, "Momentum", "SGD/RMSprop: keeps part of the previous step (0.9 is common).", "tuning",
       minimum=0.0, maximum=1.0, open_max=True, step=0.05),
    _f("nesterov", BOOL, "Nesterov", "SGD: look-ahead momentum.", "tuning"),
    _f("weight_decay", FLOAT, "Weight decay", "Shrinks the weights a little every step (empty or 0 = off; AdamW "
       f"uses {ADAMW_DEFAULT_DECAY} when empty).", "tuning", minimum=0.0, maximum=1.0, nullable=True, step=0.001,
       decimals=5),
    _f("schedule", CHOICE, "LR schedule", "How the learning rate changes during training.", "tuning",
       choices=ids(SCHEDULES)),
    _f("decay_steps", INT, "Decay steps", "Exponential/cosine: batches over which the rate decays.", "tuning",
       minimum=1, maximum=100_000_000),
    _f("decay_rate", FLOAT, "Decay rate", "Exponential: multiply the rate by this every decay_steps batches.",
       "tuning", minimum=0.0, maximum=1.0, open_min=True, step=0.05),
    _f("plateau_factor", FLOAT, "Plateau factor", "Reduce on plateau: multiply the learning rate by this factor.",
       "tuning", minimum=0.0, maximum=1.0, open_min=True, open_max=True, step=0.05, hint="Try 0.5."),
    _f("plateau_patience", INT, "Plateau patience", "Reduce on plateau: epochs without improvement before lowering.",
       "tuning", minimum=0, maximum=10_000),
    _f("min_lr", FLOAT, "Minimum LR", "Reduce on plateau never lowers the rate below this.", "tuning",
       minimum=0.0, maximum=10.0, step=1e-6, decimals=8),
    # fit
    _f("epochs", INT, "Epochs", "Full passes over the training data.", "fit", minimum=1, maximum=100_000),
    _f("batch_size", INT, "Batch size", "Samples per weight update (per replica when training on several GPUs).",
       "fit", minimum=1, maximum=1_000_000),
    # reproducibility (shown with where to run)
    _f("seed", INT, "Seed", "Random seed: the same seed gives the same start weights and shuffles.", "advanced",
       minimum=0, maximum=2**31 - 1),
    _f("shuffle", BOOL, "Shuffle each epoch", "Visit the training samples in a new order every epoch.", "advanced"),
    _f("deterministic", BOOL, "Deterministic", "Same seed → identical curves (slower): enables TensorFlow's op "
       "determinism.", "advanced"),
    # two-phase fine-tuning (transfer learning): phase 1 trains with the frozen layers frozen, phase 2 unfreezes part
    _f("fine_tune", BOOL, "Fine-tune in a second phase", "After the epochs above (phase 1, frozen layers frozen), "
       "unfreeze the top of the frozen part and train on with a lower learning rate (phase 2).", "finetune"),
    _f("fine_tune_layers", INT, "Unfreeze top layers", "Phase 2 unfreezes this many Keras layers at the top of the "
       "frozen part, counting the layers inside a backbone, in model order; BatchNormalization layers stay frozen.",
       "finetune", minimum=1, maximum=100_000),
    _f("fine_tune_from", TEXT, "…or from layer", "Phase 2 unfreezes every frozen layer from this one (its name) to "
       "the output instead; empty: the top layers above.", "finetune", nullable=True),
    _f("fine_tune_learning_rate", FLOAT, "Phase 2 learning rate", "The learning rate of phase 2; empty (off): a "
       "tenth of the learning rate above, so the unfrozen weights change gently.", "finetune", minimum=0.0,
       maximum=10.0, open_min=True, nullable=True, step=0.00005, decimals=7),
    _f("fine_tune_epochs", INT, "Phase 2 epochs", "Epochs of phase 2, after those of phase 1; the history continues "
       "as one sequence.", "finetune", minimum=1, maximum=100_000),
    # callbacks
    _f("terminate_on_nan", BOOL, "Stop when the loss is NaN", CALLBACKS[0].doc, "callbacks"),
    _f("early_stopping", BOOL, "Early stopping", CALLBACKS[1].doc, "callbacks"),
    _f("monitor", TEXT, "Monitor", "The value early stopping, reduce-on-plateau and checkpoints watch (val_ values "
       "need a validation split; without one the training value is watched).", "callbacks",
       suggestions=("val_loss", "loss", "val_accuracy", "accuracy")),
    _f("patience", INT, "Patience", "Early stopping: epochs without improvement before stopping.", "callbacks",
       minimum=0, maximum=10_000),
    _f("restore_best", BOOL, "Restore best weights", "Early stopping: end with the weights of the best epoch.",
       "callbacks"),
    _f("checkpoint_best", BOOL, "Save the best model (checkpoint)", CALLBACKS[2].doc, "callbacks"),
    _f("tensorboard", BOOL, "TensorBoard logs in the run folder", CALLBACKS[3].doc, "callbacks"),
    # where to run
    _f("device", TEXT, "Device", "Where to train: auto uses a GPU when there is one; cpu or gpu:N choose.", "advanced",
       suggestions=("auto", "cpu")),
    _f("mixed_precision", CHOICE, "Precision", "Mixed precision computes in 16-bit floats on GPUs with tensor cores: "
       "faster and lighter; 'none' keeps float32 everywhere.", "advanced", choices=PRECISIONS),
    _f("strategy", CHOICE, "Strategy", "auto: one device; mirrored: copy the model on every local GPU; multiworker: "
       "several machines (TF_CONFIG).", "advanced", choices=STRATEGIES),
    _f("gpus", INT_LIST, "GPUs", "Mirrored strategy: the local GPUs to use (empty: all).", "advanced"),
)

FIELD_BY_NAME: Mapping[str, SettingField] = {f.name: f for f in FIELDS}

_OPTION_PARAMS: tuple[tuple[str, tuple[Option, ...]], ...] = (
    ("optimizer", OPTIMIZERS), ("schedule", SCHEDULES))


def applies(name: str, cfg: TrainingConfig) -> bool:
    """Whether field ``name`` takes effect with the options ``cfg`` chose (the form greys it out otherwise).

    A field that some option lists in its ``params`` applies while one such option is chosen (or, for a
    callback, switched on); every other field always applies.
    """
    owners: list[bool] = []
    for choice_field, options in _OPTION_PARAMS:
        chosen = getattr(cfg, choice_field)
        owners.extend(o.id == chosen for o in options if name in o.params)
    owners.extend(bool(getattr(cfg, o.id)) for o in CALLBACKS if name in o.params)
    if name.startswith("fine_tune_"):  # the phase-2 settings take effect once fine-tuning is switched on
        owners.append(bool(cfg.fine_tune))
    return not owners or any(owners)


def fine_tune_rate(cfg: TrainingConfig) -> float:
    """Phase 2's learning rate: the one set, else a tenth of phase 1's."""
    rate = cfg.fine_tune_learning_rate
    return float(rate) if rate is not None else float(cfg.learning_rate) / 10.0


def precision_warning(precision: str, on_gpu: bool) -> str | None:
    """Why a mixed-precision policy is a poor choice where training runs (on a CPU: slower), or None."""
    if precision in ("", "none") or on_gpu:
        return None
    return (f"Precision {precision} on a CPU is slower than float32: CPUs have no 16-bit matrix units, so every "
            "layer converts back and forth. It pays off on GPUs with tensor cores; choose 'none' to train on the "
            "CPU at full speed.")


def setting_warnings(cfg: TrainingConfig, gpus: int | None) -> dict[str, str]:
    """Settings that work but cost something here: field name -> warning (the form shows it under the field).

    ``gpus`` is the number of GPUs the engine found (None: not known yet, then only an explicit ``cpu``
    device counts as a CPU).
    """
    on_cpu = cfg.device.lower() == "cpu" or gpus == 0
    warning = precision_warning(cfg.mixed_precision, not on_cpu)
    return {"mixed_precision": warning} if warning else {}


def monitor_choices(metrics: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The values a callback can monitor with these metrics: the loss and each metric, validation first."""
    names = ("loss", *metrics)
    return (*(f"val_{n}" for n in names), *names)


__all__ = [
    "CALLBACKS",
    "FIELDS",
    "FIELD_BY_NAME",
    "GROUPS",
    "LOSSES",
    "METRICS",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "CompileCalls",
    "KerasRef",
    "Option",
    "OutputSettings",
    "SettingField",
    "SettingsError",
    "applies",
    "callback_calls",
    "canonical",
    "compile_calls",
    "find",
    "fine_tune_rate",
    "ids",
    "learning_rate",
    "monitor_choices",
    "monitor_for",
    "output_settings",
    "outputs_from_json",
    "outputs_to_json",
    "precision_warning",
    "setting_warnings",
]
