"""Training history and plain-language hints from it (pure Python, no Qt): NaN/inf, overfitting, flat loss;
where each Keras log key is drawn (models with several outputs name theirs in the keys)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from visualnn.core.training_config import flat_loss_hint, is_flat


def finite_or_none(value: Any) -> float | None:
    """``value`` as a finite float, or None (NaN, infinity, the wire's ``"nan"``, anything not a number)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def base_metric(key: str) -> tuple[str, bool]:
    """``val_accuracy`` -> ("accuracy", True)."""
    return (key[4:], True) if key.startswith("val_") else (key, False)


OUTPUT_LOSS = "loss per output"
"""The plot of each output's own loss (models with several outputs; the total keeps the "loss" plot)."""
LR_KEYS = ("lr", "learning_rate")


def place(key: str, outputs: Sequence[str]) -> tuple[str, str, bool]:
    """Where a Keras log key is drawn: (plot, output or "", validation?).

    ``val_score_mae`` with outputs ``kind``, ``score`` -> ("mae", "score", True); ``kind_loss`` ->
    ("loss per output", "kind", False); ``loss`` -> ("loss", "", False). The longest matching output name
    wins, so names with underscores (``class_head``) parse.
    """
    if key in LR_KEYS:
        return "learning rate", "", False
    base, is_val = base_metric(key)
    for name in sorted(outputs, key=len, reverse=True):
        if base.startswith(name + "_") and len(base) > len(name) + 1:
            rest = base[len(name) + 1:]
            return (OUTPUT_LOSS if rest == "loss" else rest), name, is_val
    return base, "", is_val


def outputs_in(keys: Sequence[str]) -> list[str]:
    """The output names a model with several outputs reveals in its log keys (``<output>_loss``), in order."""
    names = [base_metric(k)[0][:-len("_loss")] for k in keys]
    return list(dict.fromkeys(n for n, k in zip(names, keys, strict=True)
                              if base_metric(k)[0].endswith("_loss") and n))


def record_epoch(history: dict[str, list[float]], logs: Mapping[str, Any], lr: Any = None) -> None:
    """Append one epoch's ``logs`` to ``history`` (NaN where a value is missing) and its learning rate as ``lr``."""
    for key, value in logs.items():
        v = finite_or_none(value)
        history.setdefault(key, []).append(v if v is not None else math.nan)
    if lr is not None and (rate := finite_or_none(lr)) is not None:
        history.setdefault("lr", []).append(rate)


def carried_history(history: Mapping[str, Sequence[float | None]]) -> dict[str, list[float]]:
    """A saved run's history with NaN for the gaps, ready for :func:`record_epoch` to extend (continued runs)."""
    return {k: [float(x) if x is not None else math.nan for x in v] for k, v in history.items()}


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def training_hints(history: Mapping[str, Sequence[float | None]], nan_seen: bool = False,
                   learning_rate: float | None = None) -> list[str]:
    """Hints for the user, most important first, from per-epoch values (``loss``, ``val_loss``).

    The flat-loss rule and its words are the run record's (``core.training_config``), so the window and
    ``visualnn train`` say the same.
    """
    hints: list[str] = []
    loss = list(history.get("loss", []))
    if nan_seen or any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in loss):
        hints.append("The loss became NaN or infinite (diverged), so training stopped. Lower the learning rate "
                     "(try a tenth of it), and check the inputs and targets for inf/NaN or huge values.")
        return hints
    train = _finite(loss)
    val = _finite(history.get("val_loss", []))
    if len(val) >= 4 and len(train) >= 4:
        rising = val[-1] > val[-2] > val[-3] and val[-1] > min(val)
        falling = train[-1] < train[-3]
        if rising and falling:
            hints.append("Validation loss has risen for the last epochs while training loss keeps falling: the model "
                         "is overfitting (memorising the training data). Try early stopping, Dropout, fewer units, "
                         "or more data.")
    if is_flat(train):
        hints.append(flat_loss_hint(learning_rate))
    return hints


def format_duration(seconds: float) -> str:
    """``72.4`` -> ``1 min 12 s``; ``5.2`` -> ``5 s``; ``3700`` -> ``1 h 1 min``."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {(s % 3600) // 60} min"
