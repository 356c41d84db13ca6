"""A project's search: its space (:mod:`visualnn.core.search_space`) and the study settings, as saved in the file.

``SearchConfig`` is the ``search`` section of a ``.vnn`` file. Every field has a default, so a file without
the section (or with fewer fields) loads; the section is written only when it differs from the defaults, so
projects that never searched stay byte-for-byte as they were.

Study settings: the sampler (``tpe`` | ``random`` | ``grid`` | ``cmaes``) and its seed, the pruner
(``median`` | ``hyperband`` | ``none``), the budget (trial count and/or wall time), the metric to optimise on
the validation split (``val_loss``, ``val_accuracy``...; never a test figure) and its direction, where the
study lives (an Optuna RDB URL; empty: an SQLite file beside the project, :func:`default_storage`), the study
name (empty: the project file's name), an optional second objective (``params``: the model's parameter
count, minimised) and how many trials keep their model file.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from visualnn.core.search_space import (
    SearchParam,
    SearchSpaceError,
    grid_problems,
    space_from_json,
    space_problems,
    space_to_json,
)
from visualnn.core.training_options import METRICS, canonical

SAMPLERS = ("tpe", "random", "grid", "cmaes")
PRUNERS = ("median", "hyperband", "none")
DIRECTIONS = ("minimize", "maximize")
SECOND_OBJECTIVES = ("", "params")
"""Second objectives of a multi-objective study: none, or the model's parameter count (always minimised)."""
MAXIMIZED = ("accuracy", "precision", "recall", "auc", "top_k_accuracy", "r2")
"""Metrics where higher is better (the default direction for ``val_<metric>`` is maximise)."""
STORAGE_SUFFIX = ".search.db"


class SearchSettingsError(ValueError):
    """A search setting that cannot be used; the message names the setting and the fix."""


@dataclass(frozen=True)
class SearchConfig:
    """The searched parameters and the study settings (JSON data only; see the module docstring)."""

    space: tuple[SearchParam, ...] = ()
    sampler: str = "tpe"
    seed: int = 42
    pruner: str = "median"
    trials: int | None = 20
    timeout_s: float | None = None
    metric: str = "val_loss"
    direction: str = ""  # empty: from the metric (maximise accuracy-like metrics, minimise losses and errors)
    storage: str = ""  # an Optuna RDB URL; empty: sqlite:///<project stem>.search.db beside the project
    study: str = ""  # empty: the project file's name
    second_objective: str = ""
    keep_models: int = 3  # trials that keep their model file: the best K; the others keep settings and history

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        data: dict[str, Any] = {"space": space_to_json(self.space)}
        for f in fields(self):
            if f.name != "space":
                data[f.name] = getattr(self, f.name)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SearchConfig:
        """Inverse of :meth:`to_dict`: unknown keys are ignored, missing ones default; a wrong JSON type raises
        :class:`SearchSettingsError` naming the key (values are checked by :func:`settings_problems`)."""
        kwargs: dict[str, Any] = {}
        try:
            kwargs["space"] = space_from_json(data.get("space", []))
        except SearchSpaceError as exc:
            raise SearchSettingsError(f"space: {exc}") from None
        for f in fields(SearchConfig):
            if f.name == "space" or f.name not in data:
                continue
            value = data[f.name]
            expected = _TYPES[f.name]
            if not _has_type(value, expected):
                raise SearchSettingsError(f"{f.name} must be {_WORDS[f.name]}; received {value!r}.")
            kwargs[f.name] = value
        return SearchConfig(**kwargs)

    def is_default(self) -> bool:
        """Whether nothing was set (the project file then leaves the section out)."""
        return self == SearchConfig()

    def with_changes(self, **changes: Any) -> SearchConfig:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ derived
    @property
    def objective(self) -> str:
        """The history key the study optimises: ``val_<metric>`` (``accuracy`` is read as ``val_accuracy``)."""
        return validation_metric(self.metric)

    @property
    def resolved_direction(self) -> str:
        """``minimize`` or ``maximize`` (the metric's natural direction when none was set)."""
        return self.direction or default_direction(self.objective)

    @property
    def directions(self) -> tuple[str, ...]:
        """One direction per objective (the second objective, a size, is minimised)."""
        return (self.resolved_direction, "minimize") if self.second_objective else (self.resolved_direction,)


def validation_metric(metric: str) -> str:
    """The validation history key for ``metric``: ``accuracy`` -> ``val_accuracy``; ``val_loss`` stays."""
    name = metric.strip()
    return name if name.startswith("val_") else f"val_{name}"


def default_direction(metric: str) -> str:
    """``maximize`` for accuracy-like metrics (accuracy, AUC, R²...), ``minimize`` for losses and errors."""
    base = metric.removeprefix("val_")
    return "maximize" if base in MAXIMIZED else "minimize"


def default_storage(project_path: str | None) -> str:
    """The SQLite URL beside the project (``sqlite:////abs/dir/name.search.db``); the working directory for an
    unsaved project."""
    stem = os.path.splitext(os.path.basename(project_path))[0] if project_path else "untitled"
    folder = os.path.dirname(os.path.abspath(project_path)) if project_path else os.getcwd()
    return "sqlite:///" + os.path.join(folder, stem + STORAGE_SUFFIX)


def trial_seed(seed: int, number: int) -> int:
    """The sampler seed of trial ``number`` of a search seeded ``seed`` (0 <= result < 2**32).

    Trial numbers are unique within a study, across every process that searches it, so processes that share a
    study never draw the same values from the same seed; one process on a fresh study numbers its trials 0, 1,
    2... and repeats its search exactly; a resumed search goes on with new numbers and never replays a trial.
    """
    return int.from_bytes(hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=4).digest(), "big")


def masked_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages, logs and the window)."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def default_study_name(project_path: str | None) -> str:
    """The study name when none is set: the project file's name without its suffix."""
    return os.path.splitext(os.path.basename(project_path))[0] if project_path else "untitled"


def metric_choices(compiled: Sequence[str]) -> tuple[str, ...]:
    """The metrics a search can optimise with these compiled metrics: ``val_loss`` and ``val_<metric>``."""
    return ("val_loss", *(f"val_{canonical(METRICS, m)}" for m in compiled))


def settings_problems(cfg: SearchConfig, compiled_metrics: Sequence[str]) -> list[str]:
    """Study settings that cannot work, each naming the setting and the fix (the space is checked separately)."""
    out: list[str] = []
    if cfg.sampler not in SAMPLERS:
        out.append(f"search sampler must be one of {', '.join(SAMPLERS)}; received {cfg.sampler!r}.")
    if cfg.pruner not in PRUNERS:
        out.append(f"search pruner must be one of {', '.join(PRUNERS)}; received {cfg.pruner!r}.")
    if cfg.direction and cfg.direction not in DIRECTIONS:
        out.append(f"search direction must be minimize or maximize; received {cfg.direction!r}.")
    if cfg.second_objective not in SECOND_OBJECTIVES:
        out.append(f"search second objective must be empty or 'params'; received {cfg.second_objective!r}.")
    if cfg.trials is not None and cfg.trials < 1:
        out.append(f"search trials must be at least 1; received {cfg.trials}.")
    if cfg.timeout_s is not None and not (math.isfinite(cfg.timeout_s) and cfg.timeout_s > 0):
        out.append(f"search timeout must be a positive number of seconds; received {cfg.timeout_s!r}.")
    if cfg.trials is None and cfg.timeout_s is None:
        out.append("The search has no budget: give a trial count (--trials 20), a time limit (--timeout 600) or both.")
    if cfg.keep_models < 0:
        out.append(f"search keep_models must be 0 or more; received {cfg.keep_models}.")
    if not (0 <= cfg.seed <= 2**31 - 1):
        out.append(f"search seed must be between 0 and {2**31 - 1}; received {cfg.seed}.")
    out.extend(metric_problems(cfg.metric, compiled_metrics))
    return out


def metric_problems(metric: str, compiled_metrics: Sequence[str]) -> list[str]:
    """Why ``metric`` cannot be optimised (a test figure, or not compiled), naming it and the choices."""
    name = metric.strip()
    if name.startswith("test_"):
        return [f"search metric {name!r} is measured on the test split, which a search never uses (choosing on it "
                f"would make the test figure optimistic); optimise the validation figure {validation_metric(name[5:])}."]
    wanted = validation_metric(name)
    base = wanted.removeprefix("val_")
    known = {canonical(METRICS, m) for m in compiled_metrics}
    allowed = metric_choices(compiled_metrics)
    if base != "loss" and canonical(METRICS, base) not in known:
        return [f"search metric {name!r} is not compiled into the model; choose one of {', '.join(allowed)} "
                f"(or add the metric in the training settings)."]
    return []


def config_problems(cfg: SearchConfig, graph: Any, compiled_metrics: Sequence[str]) -> list[str]:
    """Everything that stops this search from starting: the space (against ``graph``) and the settings."""
    out = space_problems(cfg.space, graph)
    if cfg.sampler == "grid" and cfg.space and not out:
        out.extend(grid_problems(cfg.space))
    out.extend(settings_problems(cfg, compiled_metrics))
    return out


_TYPES: dict[str, tuple[type, ...]] = {
    "sampler": (str,), "seed": (int,), "pruner": (str,), "trials": (int, type(None)),
    "timeout_s": (int, float, type(None)), "metric": (str,), "direction": (str,), "storage": (str,),
    "study": (str,), "second_objective": (str,), "keep_models": (int,),
}
_WORDS = {
    "sampler": "text", "seed": "a whole number", "pruner": "text", "trials": "a whole number or null",
    "timeout_s": "a number of seconds or null", "metric": "text", "direction": "text", "storage": "text",
    "study": "text", "second_objective": "text", "keep_models": "a whole number",
}


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


__all__ = [
    "DIRECTIONS",
    "PRUNERS",
    "SAMPLERS",
    "SECOND_OBJECTIVES",
    "SearchConfig",
    "SearchSettingsError",
    "config_problems",
    "default_direction",
    "default_storage",
    "default_study_name",
    "masked_url",
    "metric_choices",
    "metric_problems",
    "settings_problems",
    "trial_seed",
    "validation_metric",
]
