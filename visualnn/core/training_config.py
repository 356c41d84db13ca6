"""Compile/fit settings and records of past runs, as stored in a project."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from visualnn.core.distribution import DistributionConfig, DistributionError

SCHEDULES = ("constant", "exponential", "cosine", "plateau")
"""Learning-rate schedules: fixed, exponential decay, cosine decay, reduce on plateau."""

DEVICES_HINT = ("auto", "cpu", "gpu:0")
"""Device strings: ``auto`` (a GPU when present), ``cpu`` or ``gpu:N``."""


@dataclass(frozen=True)
class TrainingConfig:
    """Loss, optimizer, metrics and fit settings (JSON data only).

    Every field has a default so older project files (which lack the newer fields) still load.
    """

    loss: str = "sparse_categorical_crossentropy"
    optimizer: str = "adam"
    learning_rate: float = 0.001
    metrics: tuple[str, ...] = ("accuracy",)
    epochs: int = 10
    batch_size: int = 32
    seed: int = 42
    shuffle: bool = True
    deterministic: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # optimizer/callback extras
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
    mixed_precision: bool | str = False
    strategy: str = "auto"
    gpus: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (tuples as lists)."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        data["gpus"] = list(self.gpus)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrainingConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones default."""
        names = {f.name for f in fields(TrainingConfig)}
        kwargs = {k: copy.deepcopy(v) for k, v in data.items() if k in names}
        if "metrics" in kwargs:
            kwargs["metrics"] = tuple(kwargs["metrics"])
        if "gpus" in kwargs:
            kwargs["gpus"] = tuple(kwargs["gpus"] or ())
        return TrainingConfig(**kwargs)

    def with_changes(self, **changes: Any) -> TrainingConfig:
        """A copy with some fields replaced (lists for ``metrics`` are accepted)."""
        if "metrics" in changes:
            changes["metrics"] = tuple(changes["metrics"])
        if "gpus" in changes:
            changes["gpus"] = tuple(changes["gpus"] or ())
        return replace(self, **changes)

    def problems(self) -> list[str]:
        """Settings that cannot work, each naming the field, the value and the fix."""
        out = []
        if self.epochs < 1:
            out.append(f"Epochs must be at least 1; received {self.epochs}.")
        if self.batch_size < 1:
            out.append(f"Batch size must be at least 1; received {self.batch_size}.")
        if not self.learning_rate > 0:
            out.append(f"Learning rate must be greater than 0; received {self.learning_rate}. Try 0.001.")
        if self.schedule not in SCHEDULES:
            out.append(f"Unknown learning-rate schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}.")
        if not 0 <= self.momentum < 1:
            out.append(f"Momentum must be in [0, 1); received {self.momentum}.")
        if self.patience < 0:
            out.append(f"Early-stopping patience must be >= 0; received {self.patience}.")
        if self.schedule == "plateau" and not 0 < self.plateau_factor < 1:
            out.append(f"Reduce-on-plateau factor must be in (0, 1); received {self.plateau_factor}. Try 0.5.")
        out.extend(_distribution_problems(self))
        return out


def _distribution_problems(cfg: TrainingConfig) -> list[str]:
    try:
        return DistributionConfig.from_training(cfg.to_dict()).problems()
    except DistributionError as exc:
        return [str(exc)]


@dataclass(frozen=True)
class RunRecord:
    """One finished (or stopped) training run: settings snapshot, history, final metrics."""

    id: str
    started: str  # ISO 8601
    status: str = "finished"  # finished | stopped | failed
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
    error: str | None = None  # why a failed run failed

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunRecord:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(RunRecord)}
        return RunRecord(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})

    @property
    def training_config(self) -> TrainingConfig:
        """The settings snapshot as a :class:`TrainingConfig`."""
        return TrainingConfig.from_dict(self.config)


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
    for k, v in run.config.items():
        out[k] = tuple(v) if isinstance(v, list) else v if not isinstance(v, dict) else repr(v)
    nodes = run.graph.get("nodes", []) if isinstance(run.graph, dict) else []
    ids = [n.get("id") for n in nodes]
    out["layers"] = " → ".join(str(n.get("type")) for n in nodes)
    for n in nodes:
        for pk, pv in sorted((n.get("params") or {}).items()):
            out[f"layer {n.get('id')}.{pk}"] = tuple(pv) if isinstance(pv, list) else pv
    out["layer count"] = len(ids)
    return out
