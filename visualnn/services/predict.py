"""Predict with a trained run on new samples (rows, a CSV, images or a .npy file).

A model fed an image folder with a per-image table takes a CSV whose key column names each image
relative to the CSV's folder, with the table's feature columns.

The raw input goes through the prepared data's ``transform`` so prediction sees exactly the
preprocessing used in training.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import CsvOptions
from visualnn.core.decision import DEFAULT_THRESHOLD, decide, is_binary, run_outputs, threshold_for
from visualnn.core.paths import resolve_path
from visualnn.core.project import Project
from visualnn.core.protocol import PredictRequest
from visualnn.services.datasets.errors import DataError
from visualnn.services.evaluation import class_probabilities, pick_run
from visualnn.services.prediction_table import row_names, table_csv
from visualnn.services.training_common import Sink, TrainingError, explain, load_run_model, null_sink

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def read_raw(path: str, inputs: list[str] | None = None, csv: CsvOptions | None = None) -> Any:
    """A prediction input file as raw samples: CSV -> DataFrame, .npy -> array, image(s) -> list of paths.

    With ``inputs`` (a model with several Inputs) the file must be an ``.npz`` (every array comes back
    in a dict keyed by its name: the model's preprocessing picks one per Input name) or, for a model
    trained on a CSV's column groups, a CSV of rows.

    A CSV is read as training read its table: the same sniffer (delimiter, decimal comma, encoding, header),
    the same missing-value markers and the same type inference, with ``csv`` (the training data's settings
    the user chose) given first. A semicolon file with decimal commas predicts as it trained.
    """
    from visualnn.core.dataset import DEFAULT_MAX_BYTES
    from visualnn.services.datasets.arrays import load_npy, npz_headers, read_npz_arrays

    table = path.lower().endswith((".csv", ".tsv", ".txt"))
    if inputs is not None and len(inputs) > 1 and not table:  # a CSV holds rows for column groups (csv_parts)
        if not lower_npz(path):
            raise TrainingError(f"Cannot predict {path!r}: this model has several Inputs ({', '.join(inputs)}); "
                                "give an .npz with one array per Input name, e.g. numpy.savez(path, "
                                + ", ".join(f"{n}=..." for n in inputs) + ").")
        headers = npz_headers(path)  # sizes from the .npy headers first: a compressed bomb is never inflated
        return read_npz_arrays(path, list(headers), DEFAULT_MAX_BYTES)[1]

    lower = path.lower()
    if os.path.isdir(path):
        return folder_images(path)
    if lower.endswith(".npy"):
        return load_npy(path)
    if lower.endswith(".npz"):
        first = next(iter(npz_headers(path)))
        return read_npz_arrays(path, [first], DEFAULT_MAX_BYTES)[1][first]
    if lower.endswith((".csv", ".tsv", ".txt")):
        from visualnn.services.datasets.tables import read_table

        return read_table(path, csv).table.to_pandas()
    if lower.endswith(IMAGE_SUFFIXES):
        return [path]
    raise TrainingError(f"Cannot read {path!r} for prediction: use a CSV, .npy, .npz, an image or a folder of images.")


def folder_images(root: str) -> list[str]:
    """The images in ``root`` and its sub-folders (a folder of class folders, as training reads one), the top
    folder's first, each folder's in name order; hidden folders are left out."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [os.path.join(folder, f) for f in sorted(files) if f.lower().endswith(IMAGE_SUFFIXES)]
    return found


def lower_npz(path: str) -> bool:
    """Whether ``path`` names an ``.npz`` archive."""
    return path.lower().endswith(".npz")


def format_predictions(outputs: Any, task: str, class_names: list[str], top_k: int = 5,
                       threshold: float | None = None) -> list[dict[str, Any]]:
    """Model outputs -> one JSON row per sample (class probabilities, or regression values).

    Two classes: the label is the second class where its probability is above ``threshold`` (default 0.5, see
    :mod:`visualnn.core.decision`) and ``confidence`` the label's probability; ``top`` lists classes by probability.
    """
    import numpy as np

    out = np.asarray(outputs, dtype="float64")
    rows: list[dict[str, Any]] = []
    if task == "regression":
        for row in out.reshape(len(out), -1):
            rows.append({"values": [float(v) for v in row]})
        return rows
    probs = class_probabilities(out)
    names = list(class_names) + [str(i) for i in range(len(class_names), probs.shape[1])]
    binary = is_binary(task, probs.shape[1])
    cut = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    for p in probs:
        order = np.argsort(-p)[: max(1, top_k)]
        label = decide(float(p[1]), cut) if binary else int(order[0])
        rows.append({
            "label": names[label],
            "confidence": float(p[label]),
            "probabilities": {names[i]: float(p[i]) for i in range(len(p))},
            "top": [[names[int(i)], float(p[i])] for i in order],
        })
    return rows


def run_prediction(req: PredictRequest[Project], sink: Sink = null_sink, data: Any = None) -> dict[str, Any]:
    """Predict ``req.rows`` or the file ``req.input_path`` with a run's model (training preprocessing applied)."""
    import numpy as np

    run = pick_run(req.project, req.run_id)
    cfg = run.training_config
    model = load_run_model(req.base_dir, run)
    if req.rows is None and not req.input_path:
        raise TrainingError("Nothing to predict: pick rows or images, or open a file.")
    from visualnn.services.training_data import load_data, model_names, model_shapes

    ins, outs = model_names(model)
    source = resolve_path(req.input_path, req.base_dir) if req.rows is None and req.input_path else None
    spec = req.project.dataset
    image_table = spec is not None and spec.kind == "images" and spec.image().table is not None
    csv_options = table_csv(spec)
    raw: Any = req.rows if source is None else read_raw(source, None if image_table else ins, csv_options)
    task = str(run.extra.get("task") or "classification")
    names = list(run.extra.get("class_names") or [])
    from visualnn.services.data_drift import data_change, learned_preprocessing

    learned = learned_preprocessing(run) if data is None else None  # a table's: kept in the run record
    if learned is not None:
        data = learned
    elif data is None and req.project.dataset is not None:
        try:
            data = load_data(req.project.dataset, req.base_dir, cfg.batch_size, cfg.seed, None, shuffle=False,
                             use_cache=True, inputs=ins, outputs=outs, shapes=model_shapes(model))
        except Exception as exc:
            raise TrainingError(f"Could not prepare the preprocessing: {explain(exc)}") from exc
    changed = data_change(run, data) if data is not None and learned is None else None
    drift = [f"{changed} Predictions use the data's preprocessing as it is now, not the one the model learned; train "
             "again on this data, or put the old file back."] if changed else []
    said = f"{changed} " if changed else ""  # leads any failure: the changed data may be its cause
    # A CSV's id column names each row; read before the columns the model ignores are left out.
    named = row_names(raw, spec) if source is not None else None
    if getattr(data, "parts", None):
        keys: list[str] | None = None
        warnings: list[str] = []
        if data.stats.get("image_table"):
            given = raw
            raw, warnings = _image_rows(data.stats, raw, source)
            keys = [str(v) for v in given[data.stats.get("key") or "file"]]  # as the CSV names them
        try:
            result = _predict_parts(req, run.id, model, data, raw, source, cfg.batch_size, sink)
        except TrainingError as exc:
            raise TrainingError(f"{said}{exc}") from exc
        if keys is not None:  # which image each prediction is for
            result["files"] = keys
            if len(result["outputs"]) == 1:
                result["predictions"] = [{"file": f, **row} for f, row in zip(keys, result["predictions"], strict=True)]
        result["warnings"] = drift + warnings
        if keys is None and named is not None and len(named["values"]) == len(result["predictions"]):
            result["row_names"] = named
        return result
    raw, warnings = _check_input(raw, data, source)
    warnings = drift + warnings
    files = _file_names(raw, source)
    try:
        x = data.transform(raw) if data is not None else np.asarray(raw, dtype="float32")
        if data is not None:
            task = str(getattr(data, "task", task))
            names = list(getattr(data, "class_names", None) or names)
        sink("status", {"text": f"Predicting {len(x)} sample(s) with {run.id}…"})
        outputs = model.predict(x, verbose=0, batch_size=cfg.batch_size)
    except TrainingError:
        raise
    except DataError as exc:  # input the preprocessing cannot take (too few rows for a window, a missing column)
        where = f"{os.path.basename(source)}: " if source else ""
        raise TrainingError(f"{said}Cannot predict: {where}{exc}") from exc
    except Exception as exc:
        where = f" on {source}" if source else ""
        raise TrainingError(f"{said}Prediction failed{where}: {explain(exc)}") from exc
    output = next(iter(outs or run_outputs(run.graph)), "")
    threshold = threshold_for(run.extra, output, req.threshold)
    rows = format_predictions(outputs, task, names, req.top_k, threshold)
    if files is not None:
        rows = [{"file": name, **row} for name, row in zip(files, rows, strict=True)]
    result = {"run_id": run.id, "task": task, "class_names": names, "predictions": rows, "warnings": warnings}
    if is_binary(task, len(names)):
        result["thresholds"] = {output: threshold}
    window = (getattr(data, "stats", None) or {}).get("window") if data is not None else None
    if window and getattr(raw, "ndim", 2) != 3:  # rows of a series: one window ending at each row from the length-th
        result["window_length"] = int(window["length"])
    elif named is not None and len(named["values"]) == len(rows):
        result["row_names"] = named
    return result


def _predict_parts(req: PredictRequest[Project], run_id: str, model: Any, data: Any, raw: Any, source: str | None,
                   batch_size: int, sink: Sink) -> dict[str, Any]:
    """Predict with a model fed named parts: one raw array per Input name in, each output's rows out.

    The result's ``outputs`` maps each output name (in the model's order) to its rows, formatted as a
    single output's predictions; ``predictions`` has one row per sample mapping output name -> that row (one output: its rows);
    ``tasks`` and ``output_class_names`` describe each output (``class_names`` is the first output's).
    """
    from visualnn.services.datasets.errors import DataError

    where = source or "The input"
    try:
        x = data.transform(raw)
    except DataError as exc:
        raise TrainingError(f"Cannot predict: {exc}") from exc
    n = len(next(iter(x.values())))
    sink("status", {"text": f"Predicting {n} sample(s) with {run_id}…"})
    try:
        result = model.predict(x, verbose=0, batch_size=batch_size)
    except Exception as exc:
        raise TrainingError(f"Prediction failed on {where}: {explain(exc)}") from exc
    names = [str(o) for o in model.output_names]
    values = result if isinstance(result, dict) else dict(zip(names, result if isinstance(result, list | tuple)
                                                              else [result], strict=True))
    targets = {p.name: p for p in data.parts if p.role == "target"}
    outputs: dict[str, list[dict[str, Any]]] = {}
    tasks: dict[str, str] = {}
    class_names: dict[str, list[str]] = {}
    thresholds: dict[str, float] = {}
    extra = next((r.extra for r in req.project.runs if r.id == run_id), {})  # its kept thresholds
    for name in names:
        part = targets.get(name)
        tasks[name] = str(part.task) if part is not None else "regression"
        class_names[name] = list(part.class_names) if part is not None else []
        cut = threshold_for(extra, name, req.threshold)
        outputs[name] = format_predictions(values[name], tasks[name], class_names[name], req.top_k, cut)
        if is_binary(tasks[name], len(class_names[name])):
            thresholds[name] = cut
    rows = outputs[names[0]] if len(names) == 1 else [{name: outputs[name][i] for name in names} for i in range(n)]
    return {"run_id": run_id, "task": "multi-output" if len(names) > 1 else tasks[names[0]],
            "class_names": class_names[names[0]], "inputs": list(x), "tasks": tasks, "output_class_names": class_names,
            "outputs": outputs, "predictions": rows, "warnings": [], "thresholds": thresholds}


def _image_rows(stats: dict[str, Any], raw: Any, source: str | None) -> tuple[Any, list[str]]:
    """A CSV naming images (relative to its folder) with their feature columns -> rows with absolute paths."""
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.image_table import predict_rows

    key = stats.get("key") or "file"
    if source is None or not source.lower().endswith((".csv", ".tsv", ".txt")):
        columns = ", ".join(str(p["name"]) for p in stats.get("features") or [])
        raise TrainingError(
            f"Cannot predict {source or 'these rows'}: this model takes images together with their table rows. Give a "
            f"CSV with a column {key!r} naming each image file relative to the CSV's folder"
            + (f", and the feature columns {columns}" if columns else "") + ", as the training table has them.")
    try:
        return predict_rows(stats, raw, source)
    except DataError as exc:
        raise TrainingError(f"Cannot predict: {exc}") from exc


def _file_names(raw: Any, source: str | None) -> list[str] | None:
    """For image input, each image's name (relative to the folder given), in prediction order; else None."""
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and os.path.isfile(p) for p in raw):
        return None
    if source is not None and os.path.isdir(source):
        return [os.path.relpath(p, source) for p in raw]
    return [os.path.basename(p) for p in raw]


def _check_input(raw: Any, data: Any, source: str | None) -> tuple[Any, list[str]]:
    """The input to predict (a folder's unreadable images left out) and warnings about it (extra columns, unseen
    categories, resized images, skipped files); raises for unusable input."""
    from visualnn.services.predict_checks import check_images, check_rows

    stats = dict(getattr(data, "stats", None) or {})
    try:
        if stats.get("source") == "images":
            if not isinstance(raw, list):
                raise DataError(f"{source or 'The input'}: this model takes images; give an image file or a folder "
                                "of images.")
            root = source if source and os.path.isdir(source) else None  # a folder: damaged files are skipped
            return check_images(raw, stats, root)
        if stats.get("source") == "csv":
            return raw, check_rows(stats, raw, f"{os.path.basename(source)}: " if source else "")
    except DataError as exc:
        raise TrainingError(f"Cannot predict: {exc}") from exc
    return raw, []


