"""An image folder plus a CSV of per-image features/targets keyed by file name, as named parts (issue 14).

The images feed one Input (streaming decode, resize, rescale as :mod:`images_tf` does for one Input),
the class folders one output (:mod:`visualnn.core.image_parts` resolves which), and the table's columns
the other Inputs and outputs exactly as a CSV's column groups do (:func:`csv_parts.encode_table`). Every
image needs exactly one row: an image without a row, a row naming no image and two rows for one image
are refused, naming the file and the row. All parts share one split, stratified by the first
classification output. The matching is TF-free (validation reads it too); TensorFlow is imported lazily.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.image_keys import class_task, match_image_table

if TYPE_CHECKING:
    from visualnn.services.datasets.prepared import PreparedData

SPLITS = ("train", "val", "test")
KEY = "file"  # the key column of rows to predict when training had no table


def prepare_image_parts(spec: DatasetSpec, pipe: PipelineOptions, seed: int, inputs: list[str], outputs: list[str],
                        shapes: dict[str, tuple[int | None, ...] | None] | None = None) -> PreparedData:
    """Image folder + per-image table -> dict pipelines ``({input: x}, {output: y})`` (one output: ``y`` bare).

    ``spec`` holds absolute paths (the folder and ``image.table``); ``shapes`` each Input's declared sample
    shape (to find the images' Input when ``image.input`` names none).
    """
    import numpy as np

    from visualnn.core.tensors import TensorInfo, suggest_output
    from visualnn.services.datasets.csv_parts import encode_table
    from visualnn.services.datasets.images_tf import image_parts_pipeline
    from visualnn.services.datasets.pipeline_code import pipeline_code
    from visualnn.services.datasets.prepared import DataPart, PreparedData, _units, class_counts

    opts = spec.image()
    root = spec.path
    found = match_image_table(spec, inputs, outputs, shapes)
    roles, images, problems, aligned, key = found.roles, found.images, found.problems, found.aligned, found.key
    assert roles.image_input is not None
    table_path, header, csv_format, mapping = found.table_path, found.header, found.csv_format, found.mapping
    extra: dict[str, tuple[str, list[str], Any]] = {}
    if roles.class_output is not None:
        assert images.labels is not None
        extra[roles.class_output] = (class_task(spec, images, outputs), images.class_names,
                                     np.asarray(images.labels, dtype=np.float64).reshape(-1, 1))
    enc = encode_table(spec.with_path(table_path or root), table_path or root, aligned, header, mapping,
                       roles.table_inputs, outputs, problems, extra)
    files = np.asarray(images.files)
    split_files = {k: files[enc.positions[k]].tolist() for k in SPLITS}
    formats = np.asarray(images.formats)
    size = (int(opts.image_size[0]), int(opts.image_size[1]))
    image_shape = (size[0], size[1], opts.channels)
    image_part = DataPart(roles.image_input, "input", "images", None, image_shape, "float32")
    image_stats = {"name": roles.image_input, "role": "input", "images": True, "shape": list(image_shape),
                   "dtype": "float32", "rescale": opts.rescale, "image_size": list(size),
                   "color_mode": opts.color_mode, "channels": opts.channels}
    table_in = {p.name: p for p in enc.parts if p.role == "input"}
    stats_in = {str(p["name"]): p for p in enc.stats_parts if p.get("role") == "input"}
    parts = [image_part if name == roles.image_input else table_in[name] for name in inputs]
    parts += [p for p in enc.parts if p.role == "target"]
    stats_parts = [image_stats if name == roles.image_input else stats_in[name] for name in inputs]
    stats_parts += [p for p in enc.stats_parts if p.get("role") == "target"]
    y: dict[str, Any] = enc.y
    if len(outputs) == 1:  # one output: Keras compares it with a bare target array
        y = {k: y[k][outputs[0]] for k in SPLITS}
    counts = {k: len(split_files[k]) for k in SPLITS}
    datasets = {k: (image_parts_pipeline(split_files[k], roles.image_input, enc.x[k], y[k], opts, pipe,
                                         k == "train", seed, formats[enc.positions[k]].tolist(), list(inputs))
                    if counts[k] else None) for k in SPLITS}
    first = parts[len(inputs)]
    task0 = str(first.task)
    names0 = list(first.class_names)
    stats: dict[str, Any] = {
        "source": "images", "image_table": True, "task": task0, "class_names": names0,
        "inputs": list(inputs), "outputs": list(outputs), "parts": stats_parts, "features": enc.plan,
        "feature_names": [c for p in enc.plan for c in p["columns"]], "key": key, "csv": csv_format,
        "class_output": roles.class_output, "image_input": roles.image_input, "rescale": opts.rescale,
        "image_size": list(size), "color_mode": opts.color_mode, "channels": opts.channels,
        "target_encoding": spec.target_encoding(), "scaling": spec.scaling(),
        "label_format": stats_parts[len(inputs)]["label_format"], "rows": enc.rows_stats(),
        "split": counts, "skipped": [[p, why] for p, why in images.skipped],
    }
    decode = image_decoder(opts)
    table_rows = aligned.select(enc.features) if enc.features else None

    def transform(raw: Any) -> dict[str, Any]:
        """Rows naming image files (key column: a path as given) with the feature columns -> one array per Input."""
        return rows_to_inputs(stats, raw, decode)

    def raw_rows(split: str, count: int) -> Any:
        """The split's first ``count`` samples as raw rows: the key column holds each image's absolute path."""
        import pandas as pd

        pick = enc.positions[split][: max(0, count)]
        frame = table_rows.take(pick).to_pandas() if table_rows is not None else pd.DataFrame(index=range(len(pick)))
        frame.insert(0, str(key or KEY), split_files[split][: max(0, count)])
        return frame

    tensors = []
    for k in SPLITS:
        if not counts[k]:
            continue
        for p in parts:
            if p.role == "input":
                arr = enc.x[k].get(p.name)
                tensors.append(TensorInfo(f"{p.name} ({k})", (counts[k], *p.shape), "float32",
                                          "image" if p is image_part else "vector"))
            else:
                arr = y[k] if len(outputs) == 1 else y[k][p.name]
                tensors.append(TensorInfo(f"{p.name} ({k})", tuple(arr.shape), str(arr.dtype), "labels"))
    n_out = _units(task0, names0, first.shape)
    suggestion = suggest_output(task0, len(names0), n_out, spec.target_encoding())
    code = pipeline_code(pipe, counts["train"], seed, "image_paths_train", "labels_train",
                         x_names=[p.name for p in parts if p.role == "input"],
                         y_names=[p.name for p in parts if p.role == "target"])
    return PreparedData(
        datasets["train"], datasets["val"], datasets["test"], parts[0].shape, task0, names0, n_out, stats,
        counts["train"], counts["val"], counts["test"], transform, suggestion, tensors, problems, code, raw_rows,
        parts, class_counts(task0, y["train"], len(names0)) if len(outputs) == 1 else (),
    )


def image_decoder(opts: Any) -> Any:
    """paths -> float32 (n, height, width, channels) images: training's decode, resize and rescale."""
    import numpy as np

    from visualnn.services.datasets.images_tf import decode_fn, rescale_factors

    load = decode_fn(opts)
    scale, offset = rescale_factors(opts.rescale)

    def decode(paths: list[str]) -> Any:
        import tensorflow as tf

        return np.stack([load(tf.constant(p)).numpy() * scale + offset for p in paths]).astype(np.float32)

    return decode


def rows_to_inputs(stats: dict[str, Any], rows: Any, decode: Any) -> dict[str, Any]:
    """Raw rows (DataFrame; key column = image paths) -> ``{Input: array}`` in the model's Input order."""
    from visualnn.services.datasets.csv_parts import rows_to_parts

    key = str(stats.get("key") or KEY)
    if not hasattr(rows, "columns") or key not in rows.columns:
        raise DataError(f"This model takes images with their table rows: give rows whose column {key!r} names each "
                        "image file.")
    paths = [str(p) for p in rows[key]]
    groups = {"parts": [p for p in stats["parts"] if p.get("role") == "input" and not p.get("images")]}
    table = rows_to_parts(groups, rows) if groups["parts"] else {}
    return {str(name): (decode(paths) if name == stats["image_input"] else table[str(name)])
            for name in stats["inputs"]}


def predict_rows(stats: dict[str, Any], rows: Any, csv_path: str) -> tuple[Any, list[str]]:
    """A CSV's rows to predict -> (rows with absolute image paths, warnings); refusals name the file, row and column.

    The key column (the training table's, ``file`` without one) names each image relative to the CSV's
    folder (or absolute); the other columns are the training table's feature columns.
    """
    from visualnn.services.datasets.images import check_image_bytes
    from visualnn.services.predict_checks import check_rows

    where = os.path.basename(csv_path)
    key = str(stats.get("key") or KEY)
    features = [str(p["name"]) for p in stats.get("features") or []]
    if not hasattr(rows, "columns"):
        raise DataError(f"{csv_path}: this model takes images with their table rows; give a CSV with a column "
                        f"{key!r} naming each image (relative to the CSV's folder)"
                        + (f" and the columns {', '.join(features)}." if features else "."))
    if key not in rows.columns:
        raise DataError(f"{where}: the input has no column {key!r}, which names each image file (relative to the "
                        f"CSV's folder) as in training; its columns are {', '.join(map(str, rows.columns))}. Add the "
                        f"column {key!r} or rename the one holding the file names.")
    folder = os.path.dirname(os.path.abspath(csv_path))
    out = rows.copy()
    paths: list[str] = []
    for i, value in enumerate(out[key].tolist()):
        text = "" if value is None or value != value else str(value).strip()
        path = os.path.join(folder, text) if text else ""
        why = "is empty" if not text else ("is not a file" if not os.path.isfile(path) else check_image_bytes(path))
        if why is not None:
            raise DataError(f"{where}: row {i + 2}, column {key!r}: image {text!r} {why} (looked for {path}). Name "
                            f"each image relative to {folder}.")
        paths.append(path)
    out[key] = paths
    known = {"features": stats.get("features") or [], "targets": [key] + [
        str(p.get("column")) for p in stats["parts"] if p.get("role") == "target" and p.get("column")]}
    return out, check_rows(known, out, f"{where}: ")


__all__ = ["image_decoder", "predict_rows", "prepare_image_parts", "rows_to_inputs"]
