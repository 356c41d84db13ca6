"""The decision threshold of a yes/no classifier: one rule wherever a probability becomes a class.

A binary output (one sigmoid unit, or a softmax over two classes) predicts its second class (``class_names[1]``,
the positive one) when the probability of that class is *above* the threshold, and the first class otherwise, as
Keras's ``BinaryAccuracy`` decides at 0.5. Evaluation (confusion matrix, per-class figures, accuracy), prediction
(the Predict tab, ``visualnn predict`` and the table it saves), the export report and the exported script apply
this one rule (:func:`decide`).

A run keeps the threshold chosen for it (the Evaluation tab's *Keep for this run*, ``visualnn evaluate --threshold
T --keep``) in ``RunRecord.extra["thresholds"]`` as ``{output name: threshold}``; a run without one decides at
:data:`DEFAULT_THRESHOLD`. The threshold belongs to a trained model (another run's probabilities fall elsewhere),
so it is kept per run, not among the project's settings.

To try thresholds without asking the engine again, an evaluation report of a binary output carries its
:data:`CURVE` counts (true/false positives/negatives) at every threshold of :func:`grid`; :func:`confusion_at`,
:func:`per_class_report` and :func:`best_f1` read them.
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_THRESHOLD = 0.5
EXTRA_KEY = "thresholds"
STEPS = 100
"""The thresholds a report's curve is counted at: 0, 1/STEPS, ..., 1 (the Evaluation tab's spin box steps)."""
CURVE = ("tn", "fp", "fn", "tp")
"""The counts at each threshold of the curve, in this order: a 2x2 confusion matrix read row by row."""
BINARY = "binary"


def run_outputs(graph: dict[str, Any]) -> list[str]:
    """The output node names of the graph a run trained (``RunRecord.graph``): the keys of its thresholds where its
    saved model does not name its outputs (a Sequential model)."""
    from visualnn.core.graph import Graph
    from visualnn.core.model_io import output_names

    return output_names(Graph.from_dict(graph)) if graph else []


def latest_threshold(runs: list[Any], output: str) -> tuple[float, str | None]:
    """The threshold ``output`` decides at in the latest run with a saved model that did not diverge (the run
    evaluation and prediction pick by default), and that run's id when it keeps one; else the default and None.
    The exported script, which trains a model of its own, starts from it."""
    from visualnn.core.training_config import DIVERGED

    with_model = [r for r in runs if r.model_path and r.status != DIVERGED]
    if with_model and output in kept_thresholds(with_model[-1].extra):
        return kept_thresholds(with_model[-1].extra)[output], str(with_model[-1].id)
    return DEFAULT_THRESHOLD, None


def threshold_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a decision threshold (a number strictly between 0 and 1), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"A decision threshold is a number between 0 and 1, not {value!r}."
    if not 0.0 < float(value) < 1.0:
        return (f"A decision threshold of {value:g} would put every sample in one class; choose a number between 0 "
                "and 1 (exclusive), such as 0.5.")
    return None


def parse_threshold(text: str) -> float:
    """``text`` as a threshold; ValueError with the reason (for the command line)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"A decision threshold is a number between 0 and 1, not {text!r}.") from None
    problem = threshold_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def kept_thresholds(extra: dict[str, Any]) -> dict[str, float]:
    """The thresholds a run record's ``extra`` keeps, by output name (values that are not thresholds are left out:
    such a run decides at the default, as one that never had any)."""
    kept = extra.get(EXTRA_KEY)
    if not isinstance(kept, dict):
        return {}
    return {str(k): float(v) for k, v in kept.items() if threshold_problem(v) is None}


def threshold_for(extra: dict[str, Any], output: str, given: float | None = None) -> float:
    """The threshold an output decides at: ``given`` (a one-off choice), else the run's own, else the default."""
    if given is not None:
        return float(given)
    return kept_thresholds(extra).get(output, DEFAULT_THRESHOLD)


def with_threshold(extra: dict[str, Any], output: str, value: float | None) -> dict[str, Any]:
    """A copy of a run's ``extra`` keeping ``value`` for ``output`` (None, or the default: keeps none)."""
    out = dict(extra)
    kept = dict(kept_thresholds(extra))
    if value is None or value == DEFAULT_THRESHOLD:
        kept.pop(output, None)
    else:
        problem = threshold_problem(value)
        if problem:
            raise ValueError(problem)
        kept[output] = float(value)
    if kept:
        out[EXTRA_KEY] = kept
    else:
        out.pop(EXTRA_KEY, None)
    return out


def is_binary(task: str, n_classes: int) -> bool:
    """Whether an output with this task and number of classes decides at a threshold (two classes)."""
    return task in (BINARY, "multiclass") and n_classes == 2


def decide(p_positive: float, threshold: float) -> int:
    """1 (the second class) when ``p_positive`` is above ``threshold``, else 0."""
    return 1 if p_positive > threshold else 0


def grid() -> list[float]:
    """The thresholds a curve is counted at: 0.00, 0.01, ..., 1.00."""
    return [i / STEPS for i in range(STEPS + 1)]


def grid_index(threshold: float) -> int:
    """The index of the grid threshold nearest ``threshold``."""
    return min(STEPS, max(0, round(float(threshold) * STEPS)))


def counts_at(curve: dict[str, Any], threshold: float) -> dict[str, int]:
    """``{"tn", "fp", "fn", "tp"}`` at the grid threshold nearest ``threshold``."""
    i = grid_index(threshold)
    return {k: int(curve[k][i]) for k in CURVE}


def confusion_at(curve: dict[str, Any], threshold: float) -> list[list[int]]:
    """The 2x2 confusion matrix (row: true class, column: predicted) at ``threshold``."""
    c = counts_at(curve, threshold)
    return [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]


def per_class_report(cm: list[list[int]], class_names: list[str]) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support per class from a confusion matrix (0 where undefined)."""
    rows = []
    n = len(cm)
    for i in range(n):
        tp = cm[i][i]
        predicted = sum(cm[r][i] for r in range(n))
        support = sum(cm[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        name = class_names[i] if i < len(class_names) else str(i)
        rows.append({"class": name, "precision": precision, "recall": recall, "f1": f1, "support": support})
    return rows


def accuracy_of(cm: list[list[int]]) -> float:
    """The fraction of samples on the diagonal (0 for no samples)."""
    total = sum(sum(row) for row in cm)
    return sum(cm[i][i] for i in range(len(cm))) / total if total else 0.0


def best_f1(curve: dict[str, Any]) -> float:
    """The grid threshold (strictly between 0 and 1) with the best F1 of the positive class; among equals, the
    one nearest the default."""
    best: tuple[float, float, float] | None = None
    for i in range(1, STEPS):
        t = i / STEPS
        c = counts_at(curve, t)
        f1 = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"]) if c["tp"] else 0.0
        key = (f1, -abs(t - DEFAULT_THRESHOLD), t)
        if best is None or key > best:
            best = key
    return DEFAULT_THRESHOLD if best is None else best[2]


def describe(threshold: float, class_names: list[str]) -> str:
    """``"'yes' when p('yes') > 0.30, else 'no'"``: the rule in words."""
    names = list(class_names[:2])
    neg, pos = names + ["0", "1"][len(names):]
    return f"{pos!r} when p({pos!r}) > {threshold:g}, else {neg!r}"


__all__ = [
    "BINARY",
    "CURVE",
    "DEFAULT_THRESHOLD",
    "EXTRA_KEY",
    "STEPS",
    "accuracy_of",
    "best_f1",
    "confusion_at",
    "counts_at",
    "decide",
    "describe",
    "grid",
    "grid_index",
    "is_binary",
    "kept_thresholds",
    "latest_threshold",
    "parse_threshold",
    "run_outputs",
    "per_class_report",
    "threshold_for",
    "threshold_problem",
    "with_threshold",
]
