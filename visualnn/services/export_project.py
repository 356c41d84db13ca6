"""Project-level export and import: pick the run's model and real samples, record the report.

Shared by the CLI (in-process) and the engine handlers, so both behave the same.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.services.export import ExportError, ParityReport, RawCheck, export_model, format_for

if TYPE_CHECKING:
    from visualnn.services.importing import Progress


def pick_run(project: Project, run_id: str | None) -> RunRecord | None:
    """The run named ``run_id``, else the latest run with a saved model, else ``None`` (untrained)."""
    if run_id:
        for run in project.runs:
            if run.id == run_id:
                return run
        known = ", ".join(r.id for r in project.runs) or "none"
        raise ExportError(f"There is no run {run_id!r} in the project (runs: {known}).")
    with_model = [r for r in project.runs if r.model_path]
    return with_model[-1] if with_model else None


def model_for(project: Project, run: RunRecord | None, base_dir: str) -> Any:
    """The run's trained model, or the graph built fresh (untrained) when there is no run."""
    if run is None:
        from visualnn.services.keras_builder import build_model

        return build_model(project.graph)
    if not run.model_path:
        raise ExportError(f"{run.no_model_reason()} Or export the untrained model: leave out --run.")
    path = os.path.join(base_dir, run.model_path)
    if not os.path.exists(path):
        raise ExportError(f"The model of run {run.id} is missing ({path}); train again.")
    import keras

    return keras.saving.load_model(path, safe_mode=True)


def project_samples(project: Project, base_dir: str, n: int = 256, model: Any = None) -> tuple[Any, Any, Any]:
    """Up to ``n`` preprocessed samples and labels (test split first), and ``n`` training samples.

    Returns ``(None, None, None)`` when the project has no dataset; the check then uses random inputs.
    """
    if project.dataset is None:
        return None, None, None
    import numpy as np

    data = _prepared(project, base_dir, model)
    check = next(ds for ds in (data.test, data.val, data.train) if ds is not None)
    xs, ys = _take(check, n)
    rep, _ = _take(data.train, n)
    return xs, (None if ys is None else np.asarray(ys)), rep


def _prepared(project: Project, base_dir: str, model: Any = None) -> Any:
    """The project's data keyed by ``model``'s Input and output names (the graph's when no model is given)."""
    from visualnn.services.datasets import prepare
    from visualnn.services.training_data import graph_names, graph_shapes, model_names, model_shapes

    assert project.dataset is not None
    ins, outs = model_names(model) if model is not None else graph_names(project.graph)
    shapes = model_shapes(model) if model is not None else graph_shapes(project.graph)
    return prepare(project.dataset, base_dir, batch_size=64, seed=project.training.seed, inputs=ins, outputs=outs,
                   shapes=shapes)


SPLIT_NAMES = {"test": "test split", "val": "validation split (this project has no test split)",
               "train": "training split (this project has no test or validation split)"}


def raw_check(data: Any, trained: Any, fmt: str, n: int = 256) -> tuple[Any, RawCheck] | None:
    """The model taking raw inputs and the raw held-out samples to check it on; None without raw samples.

    The reference is the app's own path on the same raw samples: ``data.transform`` (the training
    preprocessing), then the trained model, as ``visualnn predict`` does.
    """
    import numpy as np

    from visualnn.services.preprocessing import raw_feed, raw_model

    if data.raw_samples is None:
        return None
    split = next((k for k, size in (("test", data.n_test), ("val", data.n_val), ("train", data.n_train)) if size), None)
    if split is None:
        return None
    wrapped = raw_model(trained, data.stats, fmt)
    if not wrapped.wrapped:
        return None
    raw = data.raw_samples(split, n)
    # Validation and test pipelines keep the split's order; the training one shuffles, so no labels there.
    labels = _labels(getattr(data, split), n) if split != "train" else None
    if isinstance(labels, dict):  # several outputs: the metric compares the first output with its targets
        labels = labels.get(str(trained.output_names[0]))
    reference = _as_outputs(trained.predict(data.transform(raw), verbose=0, batch_size=64))
    feed = raw_feed(data.stats, raw, fmt)
    representative = raw_feed(data.stats, data.raw_samples("train", min(n, 200)), fmt).chunks
    kind = {"csv": "rows", "images": "image files"}.get(str(data.stats.get("source")), "samples")
    check = RawCheck(feed.chunks, feed.positions, reference, None if labels is None else np.asarray(labels)[: feed.count],
                     f"raw {kind} of the {SPLIT_NAMES[split]}", representative, wrapped.feed)
    return wrapped, check


def _labels(ds: Any, n: int) -> Any:
    _, ys = _take(ds, n)
    return ys


def _as_outputs(value: Any) -> list[Any]:
    import numpy as np

    if isinstance(value, dict):
        return [np.asarray(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def _take(ds: Any, n: int) -> tuple[Any, Any]:
    import numpy as np

    xs: list[Any] = []
    ys: list[Any] = []
    count = 0
    for x, y in ds:
        xs.append(x)
        ys.append(y)
        count += len(y)
        if count >= n:
            break
    if not xs:
        return None, None
    if isinstance(ys[0], dict):  # several outputs: one target array per output name
        y_out: Any = {k: np.concatenate([np.asarray(b[k]) for b in ys])[:n] for k in ys[0]}
        xkeys = list(xs[0]) if isinstance(xs[0], dict) else None
        x_out = ([np.concatenate([np.asarray(b[k]) for b in xs])[:n] for k in xkeys] if xkeys is not None
                 else np.concatenate([np.asarray(b) for b in xs])[:n])
        return x_out, y_out
    if isinstance(xs[0], (tuple, list)):
        cols = [np.concatenate([np.asarray(b[i]) for b in xs])[:n] for i in range(len(xs[0]))]
        return cols, np.concatenate([np.asarray(b) for b in ys])[:n]
    if isinstance(xs[0], dict):
        keys = list(xs[0])
        return [np.concatenate([np.asarray(b[k]) for b in xs])[:n] for k in keys], np.concatenate(ys)[:n]
    return np.concatenate([np.asarray(b) for b in xs])[:n], np.concatenate([np.asarray(b) for b in ys])[:n]


def export_project(
    project: Project,
    out: str | Path,
    base_dir: str,
    run_id: str | None = None,
    quantize: str = "none",
    n_samples: int = 256,
) -> tuple[ParityReport, RunRecord | None]:
    """Export the project's model (a run's, else untrained) and check parity on its data.

    Returns the report and the run record with the report appended to ``extra["exports"]``
    (``None`` for an untrained export); the caller replaces the record in the project.
    """
    run = pick_run(project, run_id)
    model = model_for(project, run, base_dir)
    report = _export_raw(project, model, out, base_dir, quantize, n_samples, run)
    if report is None:
        samples, labels, rep = project_samples(project, base_dir, n_samples, model)
        report = export_model(model, out, samples=samples, labels=labels, quantize=quantize, representative=rep,
                              threshold=_single_threshold(run))
    if run is not None:
        report = replace(report, feed=[*report.feed, *decision_lines(run)])
    if run is None:
        report = replace(report, notes=[*report.notes, "Exported the untrained model (the project has no trained run)."])
        return report, None
    return report, record_report(run, report)


def _export_raw(project: Project, trained: Any, out: str | Path, base_dir: str, quantize: str,
                n: int, run: RunRecord | None = None) -> ParityReport | None:
    """Export with the preprocessing inside and check it on raw held-out samples (None: the project has none).

    A table's run puts the preprocessing it learned in front (kept in its record), as predict applies it. When
    the data changed since ``run`` was trained, the report's first note says so, and for other data that the
    preprocessing in front comes from the data as it is now (the parity check compares like with like and
    cannot see it).
    """
    from visualnn.services.data_drift import data_change, learned_preprocessing

    if project.dataset is None:
        return None
    data = _prepared(project, base_dir, trained)
    changed = data_change(run, data) if run is not None else None
    learned = learned_preprocessing(run) if changed and run is not None else None
    if learned is not None:  # the rows to check on are the data's now; their preparation is the run's
        data = replace(data, stats=learned.stats, transform=learned.transform)
    fmt = format_for(out)
    found = raw_check(data, trained, fmt, n)
    if found is None:
        return None
    wrapped, check = found
    report = export_model(wrapped.model, out, quantize=quantize, raw=check, threshold=_single_threshold(run))
    if wrapped.vocabulary is not None:
        import json

        if run is not None and decisions(run):
            wrapped.vocabulary["decision"] = decisions(run)  # beside the inputs: how to read the output
        target = Path(out).with_suffix(".inputs.json")
        target.write_text(json.dumps(wrapped.vocabulary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        report = replace(report, inputs_file=str(target))
    if changed and learned is not None:
        report = replace(report, notes=[f"{changed} The exported model keeps the preprocessing the run learned; the "
                                        "parity check ran on rows of the data as it is now.", *report.notes])
    elif changed:
        report = replace(report, notes=[f"{changed} The preprocessing in front of the exported model comes from the "
                                        "data as it is now, not from what the model learned; train again on this "
                                        "data before exporting, or put the old file back.", *report.notes])
    return report


def decisions(run: RunRecord) -> dict[str, dict[str, Any]]:
    """Each yes/no output's decision rule kept for ``run`` (:mod:`visualnn.core.decision`): ``{output: {"threshold",
    "classes"}}``, the classes in output order (the second is predicted above the threshold); {} for other models."""
    from visualnn.core.decision import is_binary, kept_thresholds, run_outputs, threshold_for

    task = str(run.extra.get("task") or "")
    names = [str(n) for n in run.extra.get("class_names") or []]
    outputs = run_outputs(run.graph)
    kept = kept_thresholds(run.extra)
    if len(outputs) == 1 and is_binary(task, len(names)):
        return {outputs[0]: {"threshold": threshold_for(run.extra, outputs[0]), "classes": names}}
    return {name: {"threshold": t, "classes": []} for name, t in kept.items() if name in outputs}


def _single_threshold(run: RunRecord | None) -> float:
    """The decision threshold of a model with one yes/no output (the default for any other): the parity report's
    classes."""
    from visualnn.core.decision import DEFAULT_THRESHOLD

    rules = list(decisions(run).values()) if run is not None else []
    return float(rules[0]["threshold"]) if len(rules) == 1 else DEFAULT_THRESHOLD


def decision_lines(run: RunRecord) -> list[str]:
    """What the export report tells a caller about turning a yes/no output's probability into a class."""
    from visualnn.core.decision import DEFAULT_THRESHOLD, describe

    lines = []
    for name, rule in decisions(run).items():
        t = float(rule["threshold"])
        classes = list(rule["classes"])
        kept = "the threshold kept for the run" if t != DEFAULT_THRESHOLD else "the default threshold"
        rule_text = describe(t, classes) if classes else f"the second class when its probability > {t:g}"
        lines.append(f"  output {name!r} gives probabilities; run {run.id} decides {rule_text} ({kept}): apply the "
                     "same rule to the exported model's output")
    return lines


def record_report(run: RunRecord, report: ParityReport) -> RunRecord:
    """A copy of ``run`` with ``report`` appended to ``extra["exports"]``."""
    extra = dict(run.extra)
    extra["exports"] = [*list(extra.get("exports") or []), report.to_dict()]
    return replace(run, extra=extra)


def replace_run(project: Project, record: RunRecord) -> None:
    """Put an updated run record in place of the one with the same id."""
    if any(run.id == record.id for run in project.runs):
        project.replace_run(record)


def import_project(
    model_path: str | Path,
    project_path: str | Path | None = None,
    with_weights: bool = False,
    progress: Progress | None = None,
    status: Callable[[str], None] | None = None,
) -> tuple[Project, list[str]]:
    """A new project holding the imported model (and, optionally, a run carrying its weights).

    The weights are saved as ``runs/<run id>/model.keras`` beside ``project_path`` (beside the model
    file when there is none). ``progress`` hears about each layer, ``status`` about the weights step.
    Returns the project and messages for the user (generic layers, warnings).
    """
    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model

    result = import_model(model_path, progress=progress)
    project = Project(result.graph, name=result.name)
    notes = list(result.warnings)
    if result.generic:
        shown = ", ".join(result.generic[:8]) + (" …" if len(result.generic) > 8 else "")
        notes.append(f"{len(result.generic)} layer(s) outside the catalog kept as generic nodes: {shown}")
    if with_weights:
        base = Path(project_path).parent if project_path else Path(model_path).parent
        run_id = "import-" + uuid.uuid4().hex[:6]
        if status is not None:
            status(f"Loading the weights of {Path(model_path).name}…")
        saved = import_weights(model_path, result.graph, base / "runs" / run_id / "model.keras", result.weight_paths)
        project.add_run(
            RunRecord(
                id=run_id,
                started=datetime.now(UTC).isoformat(timespec="seconds"),
                status="imported",
                graph=result.graph.to_dict(),
                model_path=os.path.relpath(saved, base).replace(os.sep, "/"),
                extra={"imported_from": str(model_path)},
            )
        )
        notes.append(f"Weights imported into run {run_id}; continue training from it.")
    return project, notes
