"""Evaluate a trained run: metrics table, confusion matrix, per-class report, confidently wrong samples,
or for regression predicted-vs-true and residuals. Results are plain JSON for the protocol."""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import evaluated_split_label
from visualnn.core.decision import DEFAULT_THRESHOLD, STEPS, per_class_report, run_outputs, threshold_for
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest
from visualnn.core.training_config import DIVERGED, RunRecord
from visualnn.services.training_common import (
    Sink,
    TrainingError,
    explain,
    load_run_model,
    null_sink,
    undecodable_cause,
)
from visualnn.services.training_data import load_data, model_names, model_shapes

MAX_POINTS = 5000  # regression scatter points sent to the UI
THUMB = 32  # wrong-sample thumbnails are at most THUMB x THUMB pixels


def pick_run(project: Project, run_id: str | None) -> RunRecord:
    """The run named ``run_id``, or the latest run that saved a model (one that did not diverge, when there is one:
    a diverged run's model holds only the weights of its last finite epoch)."""
    runs = project.runs
    if run_id:
        for run in runs:
            if run.id == run_id:
                return run
        known = ", ".join(r.id for r in runs) or "none"
        raise TrainingError(f"There is no run {run_id!r} in the project (runs: {known}).")
    with_model = [r for r in runs if r.model_path]
    with_model = [r for r in with_model if r.status != DIVERGED] or with_model
    if not with_model:
        raise TrainingError("The project has no trained run yet. Train the model first.")
    return with_model[-1]


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> list[list[int]]:
    """Counts: row = true class, column = predicted class."""
    import numpy as np

    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return [[int(v) for v in row] for row in cm]


def regression_report(y_true: Any, y_pred: Any, bins: int = 30) -> dict[str, Any]:
    """MAE, RMSE, R², a residual histogram and (subsampled) predicted-vs-true points."""
    import numpy as np

    t = np.asarray(y_true, dtype="float64").reshape(len(y_true), -1)[:, 0]
    p = np.asarray(y_pred, dtype="float64").reshape(len(y_pred), -1)[:, 0]
    res = p - t
    ss_tot = float(np.sum((t - t.mean()) ** 2)) if len(t) else 0.0
    counts, edges = np.histogram(res, bins=bins) if len(res) else (np.zeros(0), np.zeros(1))
    step = max(1, len(t) // MAX_POINTS)
    return {
        "mae": float(np.mean(np.abs(res))) if len(res) else 0.0,
        "rmse": float(np.sqrt(np.mean(res**2))) if len(res) else 0.0,
        "r2": 1.0 - float(np.sum(res**2)) / ss_tot if ss_tot > 0 else 0.0,
        "true": t[::step].tolist(),
        "pred": p[::step].tolist(),
        "hist_counts": [int(c) for c in counts],
        "hist_edges": [float(e) for e in edges],
    }


def class_probabilities(raw: Any) -> Any:
    """Model outputs -> (n, n_classes) probabilities (a single sigmoid unit becomes two columns)."""
    import numpy as np

    p = np.asarray(raw, dtype="float64")
    if p.ndim == 1 or p.shape[-1] == 1:
        p1 = p.reshape(-1)
        return np.stack([1.0 - p1, p1], axis=1)
    return p


def _thumbnail(sample: Any) -> list[Any]:
    """A small JSON-friendly copy of one input sample (table row, or a downsampled 0-255 image)."""
    import numpy as np

    a = np.asarray(sample, dtype="float64")
    if a.ndim >= 2:
        sy, sx = max(1, a.shape[0] // THUMB), max(1, a.shape[1] // THUMB)
        a = a[::sy, ::sx]
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
        return np.round(a).astype(int).tolist()  # type: ignore[no-any-return]
    return [round(float(v), 6) for v in a.reshape(-1)[:64]]


def threshold_curve(y: Any, p_positive: Any) -> dict[str, Any]:
    """Counts of a binary output at every grid threshold (:mod:`visualnn.core.decision`): ``tn``, ``fp``, ``fn``,
    ``tp`` lists of STEPS + 1 ints, the positive class predicted where ``p > threshold``; ``roc_auc``: the area
    under the ROC curve from every sample's probability (ties count half), None with a single class."""
    import numpy as np

    y = np.asarray(y).reshape(-1).astype(bool)
    p = np.asarray(p_positive, dtype="float64").reshape(-1)
    pos, neg = np.sort(p[y]), np.sort(p[~y])
    thresholds = np.arange(STEPS + 1) / STEPS
    # samples above each threshold, per class (p > t: the count beyond the last position of t)
    tp = pos.size - np.searchsorted(pos, thresholds, side="right")
    fp = neg.size - np.searchsorted(neg, thresholds, side="right")
    auc = None
    if pos.size and neg.size:  # Mann-Whitney: P(a positive scores above a negative), ties counting half
        below = np.searchsorted(neg, pos, side="left")
        equal = np.searchsorted(neg, pos, side="right") - below
        auc = float((below.sum() + 0.5 * equal.sum()) / (pos.size * neg.size))
    return {"tn": [int(neg.size - v) for v in fp], "fp": [int(v) for v in fp], "fn": [int(pos.size - v) for v in tp],
            "tp": [int(v) for v in tp], "roc_auc": auc}


def classification_report(
    y_true: Any, probs: Any, class_names: list[str], xs: Any = None, max_wrong: int = 12,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Confusion matrix, per-class table, accuracy and the most confidently wrong samples.

    Two classes: the second is predicted where its probability is above ``threshold`` (default 0.5), and the report
    holds that ``threshold`` and the :func:`threshold_curve` (``curve``) to try others with.
    """
    import numpy as np

    probs = class_probabilities(probs)
    y = np.asarray(y_true)
    y = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).astype(int)
    binary = probs.shape[1] == 2
    if binary:
        threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        pred = (probs[:, 1] > threshold).astype(np.int64)
    else:
        pred = probs.argmax(axis=1)
    n = max(probs.shape[1], len(class_names), int(y.max()) + 1 if len(y) else 0)
    names = list(class_names) + [str(i) for i in range(len(class_names), n)]
    cm = confusion_matrix(y, pred, n)
    wrong_idx = np.flatnonzero(pred != y)
    conf = probs[wrong_idx, pred[wrong_idx]] if len(wrong_idx) else np.zeros(0)
    order = wrong_idx[np.argsort(-conf)][:max_wrong]
    wrong = [{
        "index": int(i), "true": names[int(y[i])], "pred": names[int(pred[i])],
        "confidence": float(probs[i, pred[i]]),
        "sample": _thumbnail(xs[i]) if xs is not None else None,
    } for i in order]
    report = {
        "accuracy": float(np.mean(pred == y)) if len(y) else 0.0,
        "class_names": names,
        "confusion": cm,
        "per_class": per_class_report(cm, names),
        "wrong": wrong,
    }
    if binary:
        report["threshold"] = threshold
        report["curve"] = threshold_curve(y == 1, probs[:, 1])
    return report


def evaluate_model(model: Any, dataset: Any, task: str, class_names: list[str], max_wrong: int = 12,
                   parts: list[Any] | None = None, thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """Score ``model`` on a batched ``(x, y)`` dataset and build the report for the task.

    With ``parts`` (named parts with several outputs) the report has one entry per output; see
    :func:`evaluate_outputs`. ``thresholds``: the decision threshold of each binary output, by output name.
    """
    import numpy as np

    targets = [p for p in parts or [] if p.role == "target"]
    if len(targets) > 1:
        return evaluate_outputs(model, dataset, targets, max_wrong, thresholds)
    scores = model.evaluate(dataset, verbose=0, return_dict=True)
    xs, ys, ps = [], [], []
    for x, y in dataset:
        ps.append(np.asarray(model.predict_on_batch(x)))
        ys.append(np.asarray(next(iter(y.values())) if isinstance(y, dict) else y))  # one named target
        if task != "regression" and not isinstance(x, dict | tuple | list):
            xs.append(np.asarray(x))
    y_all = np.concatenate(ys) if ys else np.zeros(0)
    p_all = np.concatenate(ps) if ps else np.zeros((0, 1))
    report: dict[str, Any] = {"task": task, "metrics": {k: float(v) for k, v in scores.items()},
                              "n_samples": int(len(y_all))}
    if task == "regression":
        report["regression"] = regression_report(y_all, p_all)
    else:
        x_all = np.concatenate(xs) if xs else None
        first = next(iter(thresholds or {}), "")
        report["classification"] = classification_report(y_all, p_all, class_names, x_all, max_wrong,
                                                         (thresholds or {}).get(first))
        report["classification"]["output"] = first  # whose threshold it is (visualnn.core.decision)
    return report


def evaluate_outputs(model: Any, dataset: Any, targets: list[Any], max_wrong: int = 12,
                     thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """The report of a model with several outputs on a dataset of ``(x dict, y dict)`` batches.

    ``task`` is ``"multi-output"``, ``metrics`` every Keras metric (``loss``, ``kind_loss``,
    ``kind_accuracy``...), and ``outputs`` one entry per output in the model's order: its ``task``,
    its own ``metrics`` without the ``<name>_`` prefix, ``n_samples`` and a ``classification`` report
    (confusion matrix, per-class table) or a ``regression`` report, as for a single output.
    """
    import numpy as np

    scores = {k: float(v) for k, v in model.evaluate(dataset, verbose=0, return_dict=True).items()}
    names = [str(n) for n in model.output_names]
    ys: dict[str, list[Any]] = {p.name: [] for p in targets}
    ps: dict[str, list[Any]] = {p.name: [] for p in targets}
    for x, y in dataset:
        out = model.predict_on_batch(x)
        by_name = out if isinstance(out, dict) else dict(zip(names, out if isinstance(out, list | tuple) else [out],
                                                              strict=True))
        for p in targets:
            ys[p.name].append(np.asarray(y[p.name]))
            ps[p.name].append(np.asarray(by_name[p.name]))
    outputs: dict[str, Any] = {}
    for p in targets:
        y_all = np.concatenate(ys[p.name]) if ys[p.name] else np.zeros(0)
        p_all = np.concatenate(ps[p.name]) if ps[p.name] else np.zeros((0, 1))
        prefix = f"{p.name}_"
        own = {k[len(prefix):]: v for k, v in scores.items() if k.startswith(prefix)}
        entry: dict[str, Any] = {"task": p.task, "metrics": own, "n_samples": int(len(y_all))}
        if p.task == "regression":
            entry["regression"] = regression_report(y_all, p_all)
        else:
            entry["classification"] = classification_report(y_all, p_all, list(p.class_names), None, max_wrong,
                                                            (thresholds or {}).get(p.name))
            entry["classification"]["output"] = p.name
        outputs[p.name] = entry
    n = next((e["n_samples"] for e in outputs.values()), 0)
    return {"task": "multi-output", "metrics": scores, "n_samples": n, "outputs": outputs}


def run_evaluation(req: EvaluateRequest[Project], sink: Sink = null_sink) -> dict[str, Any]:
    """Load a run's model and data, evaluate on the requested split, return the JSON report (``warnings`` when
    the data changed since the run was trained)."""
    from visualnn.services.data_drift import data_change

    run = pick_run(req.project, req.run_id)
    cfg = run.training_config
    sink("status", {"text": f"Evaluating {run.id}…"})
    model = load_run_model(req.base_dir, run)
    ins, outs = model_names(model)
    try:
        data = load_data(req.project.dataset, req.base_dir, cfg.batch_size, cfg.seed, req.inline_data, shuffle=False,
                         use_cache=True, inputs=ins, outputs=outs, shapes=model_shapes(model))
    except Exception as exc:
        raise TrainingError(f"Could not prepare the data: {explain(exc)}") from exc
    split = req.split
    has_test = getattr(data, "test", None) is not None
    dataset = getattr(data, split, None)
    if dataset is None and split == "test":
        split, dataset = "val", getattr(data, "val", None)  # no test split: score validation and say so
    if dataset is None:
        raise TrainingError(f"The data has no {req.split} split and no validation split to use instead; "
                            "set a split in the Data panel.")
    task = str(getattr(data, "task", run.extra.get("task", "classification")))
    names = list(getattr(data, "class_names", None) or run.extra.get("class_names", []))
    changed = data_change(run, data)
    try:
        thresholds = {n: threshold_for(run.extra, n, req.threshold) for n in outs or run_outputs(run.graph)}
        report = evaluate_model(model, dataset, task, names, req.max_wrong, getattr(data, "parts", None), thresholds)
    except Exception as exc:
        damaged = undecodable_cause(data, exc)
        if damaged is not None:
            raise TrainingError(f"Evaluation stopped: {damaged}") from exc
        raise TrainingError(f"{changed + ' ' if changed else ''}Evaluation failed: {explain(exc)}") from exc
    if changed:  # the figures are real, of another split: say so beside them
        report["warnings"] = [f"{changed} The split was drawn again from the data as it is now, so it may hold "
                              "samples the run trained on, scored with preprocessing the model did not learn; "
                              "train again on this data, or put the old file back."]
    report["run_id"] = run.id
    report["split"] = split  # the split really scored: "val" when a test split was asked for and there is none
    report["requested_split"] = req.split
    report["split_label"] = evaluated_split_label(split, has_test)
    return report
