"""The one table of compile and fit settings: every field, every choosable option, and its Keras call.

Layers have one :class:`~visualnn.core.specs.LayerSpec` each; training settings have this module.
Every reader takes its facts from here and nowhere else:

- :data:`FIELDS` says, for each :class:`~visualnn.core.training_config.TrainingConfig` field, its
  value type, its allowed values or range, its label, help text and group. The project loader
  checks files against it, ``TrainingConfig.problems`` checks settings against it, the Training
  panel builds its form from it, and the tests draw every allowed value from it.
- :data:`LOSSES`, :data:`OPTIMIZERS`, :data:`SCHEDULES`, :data:`METRICS` and :data:`CALLBACKS`
  (in :mod:`visualnn.core.training_options`) hold one :class:`Option` per choice: stable id, label, doc,
  and ``build``, which returns the Keras object as a :class:`~visualnn.core.specs.KerasCall` (or a Keras
  identifier string). The trainer and the multi-worker loop instantiate those calls, the code generator
  prints them, so the app and the exported script compile the same model by construction.

Adding a metric is one :class:`Option` in :data:`METRICS` (training_options.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from visualnn.core.distribution import PRECISIONS, STRATEGIES
from visualnn.core.training_options import (
    ADAMW_DEFAULT_DECAY,
    CALLBACKS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    SCHEDULES,
    CompileCalls,
    KerasRef,
    Option,
    OutputSettings,
    SettingsError,
    callback_calls,
    canonical,
    compile_calls,
    find,
    ids,
    learning_rate,
    monitor_for,
    output_settings,
    outputs_from_json,
    outputs_to_json,
)

if TYPE_CHECKING:  # annotations only: training_config reads this table at import time
    from visualnn.core.training_config import TrainingConfig

# --- the fields -----------------------------------------------------------------------------------

BOOL, INT, FLOAT, CHOICE, MULTI, TEXT, INT_LIST = "bool", "int", "float", "choice", "multi", "text", "int_list"
OUTPUTS = "outputs"
"""The per-output table: output name -> its own loss, loss weight and metrics (models with several outputs)."""


CLASS_WEIGHTS = ("none", "balanced")
"""``class_weight`` choices: every sample weighs 1, or :func:`visualnn.core.tensors.balanced_class_weights`."""

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
    _f("class_weight", CHOICE, "Class weights", "balanced: each class counts as much in the loss as the others (a "
       "sample of a class ten times rarer weighs ten times more), so a rare class is not ignored; none: every sample "
       "weighs 1. Classification with one output; the weights come from the training split's class counts.", "fit",
       choices=CLASS_WEIGHTS),
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
    "CLASS_WEIGHTS",
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
