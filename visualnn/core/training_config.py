"""Compile/fit settings and records of past runs, as stored in a project."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class TrainingConfig:
    """Loss, optimizer, metrics and fit settings (JSON data only)."""

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

    def to_dict(self) -> dict[str, Any]:
        """JSON form (tuples as lists)."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrainingConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones default."""
        names = {f.name for f in fields(TrainingConfig)}
        kwargs = {k: copy.deepcopy(v) for k, v in data.items() if k in names}
        if "metrics" in kwargs:
            kwargs["metrics"] = tuple(kwargs["metrics"])
        return TrainingConfig(**kwargs)


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
    history: dict[str, list[float]] = field(default_factory=dict)  # per-epoch metrics
    metrics: dict[str, float] = field(default_factory=dict)  # final/evaluation metrics
    model_path: str | None = None  # relative to the project file
    extra: dict[str, Any] = field(default_factory=dict)  # export reports, notes

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunRecord:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(RunRecord)}
        return RunRecord(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})
