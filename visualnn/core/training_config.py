"""Compile/fit settings and records of past runs, as stored in a project."""

from __future__ import annotations

import copy
import datetime as _dt
import math
import secrets
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from visualnn.core.distribution import DistributionConfig, DistributionError, normalize_precision
from visualnn.core.training_options import (
    CALLBACKS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    OutputSettings,
    canonical,
    outputs_from_json,
    outputs_to_json,
)
from visualnn.core.training_settings import FIELD_BY_NAME, FIELDS, monitor_choices


def new_run_id() -> str:
    """A sortable, unique run id such as ``run-20261126-113400-3fa2`` (also the name of its ``runs/`` folder)."""
    return f"run-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class TrainingConfig:
    """Loss, optimizer, metrics and fit settings (JSON data only).

    Every field has a default so older project files (which lack the newer fields) still load. What
    each field allows, and how it becomes Keras, is in :mod:`visualnn.core.training_settings`.
    """

    loss: str = "sparse_categorical_crossentropy"
    optimizer: str = "adam"
    learning_rate: float = 0.001
    metrics: tuple[str, ...] = ("accuracy",)
    # models with several outputs: each output's loss, loss weight and metrics (JSON: {name: {...}})
    outputs: tuple[OutputSettings, ...] = ()
    epochs: int = 10
    batch_size: int = 32
    seed: int = 42
    shuffle: bool = True
    deterministic: bool = False
    # "balanced": weigh each class's samples by n / (classes * its count) in the loss (Keras class_weight)
    class_weight: str = "none"
    # optimizer details (ignored by optimizers that do not take them)
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float | None = None
    # learning-rate schedule: one of SCHEDULES; decay_steps counts optimizer steps (batches)
    schedule: str = "constant"
    decay_steps: int = 1000
    decay_rate: float = 0.9
    plateau_factor: float = 0.5
    plateau_patience: int = 3
    min_lr: float = 1e-6
    # two-phase fine-tuning: after `epochs`, unfreeze the top `fine_tune_layers` Keras layers of the frozen part (or
    # every frozen layer from the one named `fine_tune_from`) and train `fine_tune_epochs` more at a lower rate
    # (`fine_tune_learning_rate`; None: a tenth of `learning_rate`)
    fine_tune: bool = False
    fine_tune_layers: int = 20
    fine_tune_from: str | None = None
    fine_tune_learning_rate: float | None = None
    fine_tune_epochs: int = 5
    # callbacks
    early_stopping: bool = False
    monitor: str = "val_loss"
    patience: int = 5
    restore_best: bool = True
    terminate_on_nan: bool = True
    checkpoint_best: bool = False
    tensorboard: bool = False
    # where to run
    device: str = "auto"
    # distribution (visualnn.core.distribution): strategy auto|mirrored|multiworker, chosen local GPUs
    # (empty: all) and mixed precision none|mixed_float16|mixed_bfloat16 (older files stored a bool).
    mixed_precision: str = "none"
    strategy: str = "auto"
    gpus: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (tuples as lists)."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        data["gpus"] = list(self.gpus)
        data["outputs"] = outputs_to_json(self.outputs)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrainingConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones default.

        Older spellings become the table's ids: a bool ``mixed_precision``, Keras metric names such as
        ``mean_absolute_error`` (``mae``). Values are not checked here (see :meth:`problems`).
        """
        names = {f.name for f in fields(TrainingConfig)}
        kwargs = {k: copy.deepcopy(v) for k, v in data.items() if k in names}
        return TrainingConfig(**_normalized(kwargs))

    def with_changes(self, **changes: Any) -> TrainingConfig:
        """A copy with some fields replaced (lists for ``metrics`` and ``gpus`` are accepted)."""
        return replace(self, **_normalized(changes))

    def problems(self) -> list[str]:
        """Settings that cannot work, each naming the field, the value and the fix."""
        out = [p for f in FIELDS if (p := f.problem(getattr(self, f.name))) is not None]
        watching = [o.label.lower() for o in CALLBACKS if "monitor" in o.params and getattr(self, o.id)]
        if self.schedule == "plateau":
            watching.append("reduce on plateau")
        allowed = monitor_choices(self.metrics)
        if watching and not FIELD_BY_NAME["monitor"].problem(self.monitor) and self.monitor not in allowed:
            out.append(f"Monitor {self.monitor!r} is not reported by this run, yet {' and '.join(watching)} watch it; "
                       f"choose one of {', '.join(allowed)} (or add the metric).")
        if not any(p.startswith(("training.strategy", "training.gpus", "training.mixed_precision")) for p in out):
            out.extend(_distribution_problems(self))  # cross-field rules (GPUs need the mirrored strategy)
        if self.class_weight == "balanced" and self.strategy == "multiworker":
            out.append("Class weights are balanced, but the multiworker strategy's own training loop weighs every sample "
                       "alike; set Class weights to none, or choose the auto or mirrored strategy.")
        return out


def _distribution_problems(cfg: TrainingConfig) -> list[str]:
    try:
        return DistributionConfig.from_training(cfg.to_dict()).problems()
    except DistributionError as exc:
        return [str(exc)]


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    """Tuples for list fields, catalog ids for aliases, the string form of mixed precision."""
    out = dict(values)
    if "metrics" in out and isinstance(out["metrics"], list | tuple):
        out["metrics"] = tuple(canonical(METRICS, m) if isinstance(m, str) else m for m in out["metrics"])
    if "outputs" in out:
        out["outputs"] = outputs_from_json(out["outputs"])
    if "gpus" in out and (out["gpus"] is None or isinstance(out["gpus"], list | tuple)):
        out["gpus"] = tuple(out["gpus"] or ())
    for name, options in (("loss", LOSSES), ("optimizer", OPTIMIZERS)):
        if isinstance(out.get(name), str):
            out[name] = canonical(options, out[name].lower() if name == "optimizer" else out[name])
    if "mixed_precision" in out:
        try:
            out["mixed_precision"] = normalize_precision(out["mixed_precision"])
        except DistributionError:
            pass  # kept as written: problems() names it and the fix
    return out


FINISHED, STOPPED, FAILED, DIVERGED = "finished", "stopped", "failed", "diverged"
RUN_STATUSES = (FINISHED, STOPPED, FAILED, DIVERGED)
"""How a run ended: all its epochs (or early stopping); the user's Stop; an error; a NaN/inf loss."""

FLAT_EPOCHS = 5
"""A loss is flat when its last ``FLAT_EPOCHS`` epochs moved by less than ``FLAT_TOLERANCE`` of its size."""
FLAT_TOLERANCE = 1e-3
FLAT_FLOOR = 1e-3
"""A loss this small is converged, not stuck: no flat-loss hint below it."""


def is_flat(loss: list[float]) -> bool:
    """Whether the last :data:`FLAT_EPOCHS` finite epoch losses barely moved (and are not near zero)."""
    window = loss[-FLAT_EPOCHS:]
    if len(window) < FLAT_EPOCHS or not all(math.isfinite(v) for v in window):
        return False
    scale = max(abs(window[0]), 1e-12)
    return (max(window) - min(window)) / scale < FLAT_TOLERANCE and abs(window[-1]) > FLAT_FLOOR


def flat_loss_hint(learning_rate: float | None = None) -> str:
    """The hint for a loss that does not move (see :func:`is_flat`), naming the rate when known."""
    rate = f" ({learning_rate:g})" if learning_rate is not None else ""
    return (f"The loss has barely changed over the last {FLAT_EPOCHS} epochs (less than {FLAT_TOLERANCE:.1%}). "
            f"The learning rate{rate} may be too low: try 10x higher (0.001 suits Adam). Check the initialisation "
            "too (kernel_initializer: glorot_uniform or he_normal, not zeros or constant), and that the inputs are "
            "scaled (standardise features, rescale images to [0, 1]).")


def divergence_message(epoch: int, value: str, kept_epoch: int, first_epoch: int = 0, stopped: bool = True) -> str:
    """Where and why a run diverged, which weights its model holds, and what to try (plain words).

    ``epoch`` is the 1-based epoch whose loss became ``value`` ("NaN" or "infinite"); ``kept_epoch`` the
    epochs the saved weights have finished (``first_epoch``: the weights the run started from).
    """
    if kept_epoch > first_epoch:
        kept = f"The saved model holds the weights after epoch {kept_epoch}, the last with a finite loss."
    elif first_epoch:
        kept = f"No epoch of this run had a finite loss: the saved model holds the weights it continued from " \
               f"(epoch {first_epoch})."
    else:
        kept = "No epoch had a finite loss: the saved model holds the weights from before training."
    return (f"The loss became {value} at epoch {epoch}{', so training stopped' if stopped else ''} (diverged). "
            f"{kept} Lower the learning rate (try a tenth of it), and check the inputs and targets for inf/NaN "
            "or huge values (standardise them in the Data panel).")


@dataclass(frozen=True)
class RunRecord:
    """One finished (or stopped) training run: settings snapshot, history, final metrics."""

    id: str
    started: str  # ISO 8601
    status: str = "finished"  # one of RUN_STATUSES (a newer app's status is kept as written)
    duration_s: float = 0.0
    device: str = "cpu"
    config: dict[str, Any] = field(default_factory=dict)  # TrainingConfig.to_dict() snapshot
    graph: dict[str, Any] = field(default_factory=dict)  # Graph.to_dict() snapshot
    history: dict[str, list[float]] = field(default_factory=dict)  # per-epoch metrics (and "lr")
    metrics: dict[str, float] = field(default_factory=dict)  # final/evaluation metrics
    model_path: str | None = None  # relative to the project file
    extra: dict[str, Any] = field(default_factory=dict)  # export reports, notes
    epochs_done: int = 0
    continued_from: str | None = None  # id of the run this one resumed
    error: str | None = None  # why a failed run failed, or where and why a diverged one diverged

    def to_dict(self) -> dict[str, Any]:
        """JSON form: a copy, as ``asdict`` makes it (dicts, lists and tuples rebuilt, anything else deep-copied),
        without ``asdict``'s per-value ``deepcopy`` calls on the plain numbers and text a record holds (saving a
        project copies every record, and a search saves once per trial)."""
        return {f.name: _plain_copy(getattr(self, f.name)) for f in _RUN_FIELDS}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunRecord:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(RunRecord)}
        return RunRecord(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})

    @property
    def training_config(self) -> TrainingConfig:
        """The settings snapshot as a :class:`TrainingConfig`."""
        return TrainingConfig.from_dict(self.config)

    def no_model_reason(self) -> str:
        """Why this run has no saved model, and what to do: evaluate, predict and export all say it."""
        trial = self.extra.get("search") if isinstance(self.extra.get("search"), dict) else None
        if trial is not None:
            return (f"Run {self.id} is trial {trial.get('trial')} of search {trial.get('study')!r} "
                    f"({trial.get('state')}) and has no saved model: a search keeps the models of its best trials "
                    "only (--keep-models). Apply its values (Apply this trial in Runs > Search, or visualnn search "
                    "--apply-best for the best one) and train.")
        if self.status == "failed":
            return f"Run {self.id} failed, so it has no saved model ({self.error or 'no reason recorded'}); train again."
        return f"Run {self.id} has no saved model; train again."


_RUN_FIELDS = fields(RunRecord)
_IMMUTABLE = (str, int, float, bool, type(None))


def _plain_copy(value: Any) -> Any:
    """A deep copy of JSON-like data: dicts, lists and tuples rebuilt, plain scalars shared (they are immutable),
    anything else ``copy.deepcopy``-ed, as ``dataclasses.asdict`` copies a field."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {k: _plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [_plain_copy(v) for v in value]
    if kind is tuple:
        return tuple(_plain_copy(v) for v in value)
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)


def run_differences(runs: list[RunRecord]) -> dict[str, list[Any]]:
    """What differs between runs: setting name (or ``layer <id>.<param>``) -> value per run.

    Used by the runs panel's comparison table; settings equal in every run are left out.
    """
    rows: dict[str, list[Any]] = {}
    if len(runs) < 2:
        return rows
    keys: list[str] = []
    flat = [_flatten(r) for r in runs]
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    for key in keys:
        values = [f.get(key, "—") for f in flat]
        if any(v != values[0] for v in values[1:]):
            rows[key] = values
    return rows


def _flatten(run: RunRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # A run recorded before a setting existed trained as its default does (each new field defaults to the old
    # behaviour): compared as such, not as a missing value. A run without any settings (imported) stays bare.
    config = {**TrainingConfig().to_dict(), **run.config} if run.config else {}
    for k, v in config.items():
        out[k] = tuple(v) if isinstance(v, list) else v if not isinstance(v, dict) else repr(v)
    nodes = run.graph.get("nodes", []) if isinstance(run.graph, dict) else []
    ids = [n.get("id") for n in nodes]
    out["layers"] = " → ".join(str(n.get("type")) for n in nodes)
    for n in nodes:
        for pk, pv in sorted((n.get("params") or {}).items()):
            out[f"layer {n.get('id')}.{pk}"] = tuple(pv) if isinstance(pv, list) else pv
    out["layer count"] = len(ids)
    return out
