"""``inspect_source(path, options) -> SourceInfo``: a quick, TensorFlow-free look at a data source.

Used by the data panel preview (off the UI thread) and ``visualnn data inspect``. It reports the
detected format, columns (type, kind, missing and distinct counts) or classes, the tensors the
data would become (shape, rank, axis names, dtype, bytes), the task and a matching output layer,
and every problem found. Unreadable input raises :class:`DataError`.

For a model with several Inputs or outputs (``inputs``/``outputs`` name them, see
:mod:`visualnn.core.model_io`) an ``.npz`` is read as *named parts*: one :class:`PartInfo` per Input
and output node, each with the array that feeds it (found or not). A part without its array or with
another sample count is not an error here: validation names the node and the array.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import DatasetSpec, suggest_split
from visualnn.core.tensors import TensorInfo, rank_phrase, suggest_output
from visualnn.services.datasets.errors import DataError, Problem, missing_path_error
from visualnn.services.datasets.part_infos import column_part_infos
from visualnn.services.datasets.source_info import PREVIEW_ROWS, PartInfo, SourceInfo, cell

_RANK_KIND = {2: "vector", 3: "sequence", 4: "image", 5: "video"}


def guess_kind(path: str) -> str:
    """Source kind from the path: folder -> images, .npy/.npz -> numpy, otherwise csv."""
    if os.path.isdir(path):
        return "images"
    if path.lower().endswith((".npy", ".npz")):
        return "numpy"
    return "csv"


def inspect_source(
    path: str, options: dict[str, Any] | None = None, kind: str | None = None, *,
    inputs: list[str] | None = None, outputs: list[str] | None = None,
    shapes: dict[str, tuple[int | None, ...] | None] | None = None,
) -> SourceInfo:
    """Look at ``path`` without TensorFlow; ``options`` are DatasetSpec options (roles, window...).

    ``inputs``/``outputs``: the model's Input and output node names; with more than one of either, an
    ``.npz`` is read as named parts (one array per node); an image folder with a per-image table (or
    feeding several nodes) as the parts of :mod:`image_table_info`, where ``shapes`` (each Input's
    declared sample shape) tell which Input takes the images.
    """
    options = dict(options or {})
    if not os.path.exists(path):
        raise missing_path_error(path, "folder" if kind == "images" else "file")
    kind = kind or options.pop("kind", None) or guess_kind(path)
    spec = DatasetSpec(kind, path, options)
    errors = spec.validate()
    if errors:
        raise DataError(errors[0], path)
    if kind == "images":
        info = _inspect_images(spec)
        if spec.image().table is not None and (inputs or outputs) or len(inputs or ()) > 1 or len(outputs or ()) > 1:
            from visualnn.services.datasets.part_infos import add_image_parts

            add_image_parts(spec, info, list(inputs or ()), list(outputs or ()), shapes)
        return info
    if kind == "numpy":
        if (len(inputs or ()) > 1 or len(outputs or ()) > 1) and path.lower().endswith(".npz"):
            return _inspect_parts(spec, list(inputs or ()), list(outputs or ()))
        return _inspect_numpy(spec)
    if kind == "csv" and (len(inputs or ()) > 1 or len(outputs or ()) > 1):
        return _inspect_table(spec, list(inputs or ()), list(outputs or ()))
    if kind == "timeseries":  # several outputs: one target column each (see core.window_parts)
        return _inspect_table(spec, list(inputs or ()), list(outputs or ()))
    return _inspect_table(spec)


def _inspect_table(spec: DatasetSpec, inputs: list[str] | None = None, outputs: list[str] | None = None) -> SourceInfo:
    """A table; with ``inputs``/``outputs`` (a model with several) also its column groups and target columns as parts."""
    import numpy as np

    from visualnn.services.datasets.columns import analyze_table, identifier_problem
    from visualnn.services.datasets.tables import read_table
    from visualnn.services.datasets.tabular import _encode_targets, resolve_roles

    read = read_table(spec.path, spec.csv(), spec.max_bytes())
    table, header = read.table, read.format.header
    info = SourceInfo(spec.path, spec.kind, read.format.to_dict(), table.num_rows, problems=list(read.problems))
    info.columns = analyze_table(table, spec.path, header)
    for c in info.columns:
        info.problems += c.problems
    head = table.slice(0, PREVIEW_ROWS).to_pylist()
    info.preview = [[cell(row[n]) for n in table.column_names] for row in head]
    options = dict(spec.options, csv=read.format.to_dict())
    if spec.kind == "timeseries" and (len(outputs or ()) > 1 or len(spec.window().targets or ()) > 1):
        return _inspect_series_targets(spec, table, info, options, list(inputs or ()), list(outputs or ()))
    if spec.kind == "timeseries":
        return _inspect_timeseries(spec, table, header, info, options)
    features, targets = resolve_roles(spec, list(table.column_names))
    info.features, info.targets = features, targets
    by_name = {c.name: c for c in info.columns}
    for name in features:  # as the columns will be read: the project may set a column's kind
        column = by_name[name]
        flagged = identifier_problem(column, spec.path, spec.column(name).kind)
        if flagged is not None:
            column.problems.append(flagged)
            info.problems.append(flagged)
    width = 0
    for name in features:
        c = by_name[name]
        kind = spec.column(name).kind or c.kind
        width += c.n_unique if kind == "categorical" and spec.column(name).encoding == "onehot" else 1
    if inputs or outputs:
        targets = column_part_infos(spec, table, header, info, list(inputs or ()), list(outputs or ()))
    t_infos = [by_name[t] for t in targets]
    try:
        task, names, codes, n_out = _encode_targets(spec, t_infos, [table.column(t) for t in targets], header)
    except DataError as exc:
        info.problems.append(Problem("warning", str(exc)))
        task, names, codes, n_out = "regression", [], np.zeros((table.num_rows, 1)), 1
    info.task, info.class_names = task, names
    n = table.num_rows
    counts = None
    if task in ("binary", "multiclass") and len(names) >= 2:
        counts = np.bincount(codes[~np.isnan(codes[:, 0]), 0].astype(np.int64), minlength=len(names))
    _suggest_split(info, options, n, dict(zip(names, (int(c) for c in counts), strict=False)) if counts is not None
                   else None)
    split = DatasetSpec(spec.kind, spec.path, options).split()
    info.tensors.append(TensorInfo("x", (n, width), "float32", "vector"))
    if task == "multiclass" and spec.target_encoding() == "index":
        info.tensors.append(TensorInfo("y", (n,), "int32", "labels"))
    else:
        info.tensors.append(TensorInfo("y", (n, len(names) if task == "multiclass" else (1 if task == "binary" else n_out)),
                                       "float32", "labels"))
    if task in ("binary", "multiclass"):
        if len(names) < 2:
            info.problems.append(Problem("warning", f"{spec.path}: target column {targets[0]!r} has a single class; "
                                                    "a classifier needs at least two."))
        elif counts is not None:
            smallest = int(counts.argmin())
            if split.stratify and counts[smallest] < 1 + (split.val > 0) + (split.test > 0):
                info.problems.append(Problem("warning", f"Class {names[smallest]!r} has only {counts[smallest]} "
                                             "sample(s); too few for a stratified train/validation split."))
    if counts is not None:
        info.classes = {name: int(c) for name, c in zip(names, counts, strict=False)}
    info.suggestion = suggest_output(task, len(names), n_out, spec.target_encoding(), list(info.classes.values()))
    if task == "regression" and not (inputs or outputs):
        info.target_stats = _target_stats(codes, split)
    # A copy: ``options`` shares the spec's own column settings, which the caller keeps (the Data panel's working
    # spec, read on a worker thread meanwhile, would otherwise gain the target and stop matching the project's).
    options["columns"] = {**dict(options.get("columns") or {}), **{t: {"role": "target"} for t in info.targets
                                                                  if t not in (options.get("columns") or {})}}
    info.options = options
    return info


def _target_stats(values: Any, split: Any, by_time: bool = False) -> tuple[float, float] | None:
    """Mean and standard deviation of a single regression target over the rows training fits on: the training
    split drawn over the rows that have a value (as training draws it; rows a feature's "drop" strategy removes
    still count here), or a time series' first rows. None for several targets or too few values."""
    import numpy as np

    from visualnn.services.datasets.split import split_by_time, split_indices

    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    if values.shape[1] != 1:
        return None
    try:
        if by_time:
            train = values[: len(split_by_time(len(values), split.val, split.test)[0]), 0]
        else:
            kept = values[~np.isnan(values[:, 0]), 0]
            train = kept[split_indices(len(kept), split.val, split.test, split.seed).train]
    except DataError:
        return None
    train = train[~np.isnan(train)]
    return (float(train.mean()), float(train.std())) if train.size >= 2 else None


def _suggest_split(
    info: SourceInfo, options: dict[str, Any], n: int, class_counts: dict[str, int] | None, by_time: bool = False,
) -> None:
    """Give a source without a split the new-project split (70/15/15, stratified for classes), in ``options``.

    A split already in the options (set by the user or by an earlier Apply) is kept. When the data is
    too small for a test split, the reason goes to ``info.split_note`` and the problems list.
    """
    if "split" in options:
        return
    split, note = suggest_split(n, class_counts, by_time)
    options["split"] = {"val": split.val, "test": split.test, "seed": split.seed, "stratify": split.stratify}
    if note is not None:
        info.split_note = note
        info.problems.append(Problem("info", note))


def _inspect_timeseries(
    spec: DatasetSpec, table: Any, header: bool, info: SourceInfo, options: dict[str, Any]
) -> SourceInfo:
    from visualnn.services.datasets.timeseries import timeseries_columns

    features, target = timeseries_columns(spec, table, header)
    window = spec.window()
    info.features, info.targets = features, [target]
    n = table.num_rows
    n_windows = max(0, (n - window.length - window.horizon) // window.stride + 1)
    info.tensors = [TensorInfo("x", (n_windows, window.length, len(features)), "float32", "sequence"),
                    TensorInfo("y", (n_windows, 1), "float32", "labels")]
    info.task = "regression"
    info.suggestion = suggest_output("regression", 0, 1)
    _suggest_split(info, options, n, None, by_time=True)
    column = next((c for c in info.columns if c.name == target), None)
    if column is not None and column.kind == "numeric":
        from visualnn.services.datasets.columns import numeric_values

        values = numeric_values(column, table.column(target), spec.path, header)
        info.target_stats = _target_stats(values, DatasetSpec(spec.kind, spec.path, options).split(), by_time=True)
    options.setdefault("window", {"length": window.length, "stride": window.stride, "horizon": window.horizon,
                                  "target": target})
    info.options = options
    info.problems.append(Problem("info", f"Windows of {window.length} steps -> {rank_phrase(3, 'sequence')}; "
                                         "the split is by time (train first, then validation, then test)."))
    return info


def _inspect_series_targets(spec: DatasetSpec, table: Any, info: SourceInfo, options: dict[str, Any],
                            inputs: list[str], outputs: list[str]) -> SourceInfo:
    """A time series with several target columns: one output per column (named parts), or one vector target.

    Problems (a column missing or not numeric, an output without a column...) become warnings and the part
    has no tensor: the Problems list names each node and column (``core.window_parts.check_window_parts``).
    """
    from visualnn.core.window_parts import column_problems, resolve_window_targets

    window = spec.window()
    kinds = {c.name: ("missing values only" if c.all_missing else c.kind) for c in info.columns}
    cols = spec.columns()
    numeric = [n for n, k in kinds.items() if k == "numeric" and (cols.get(n) is None or cols[n].role != "ignore")]
    features = [f for f in (window.features or numeric) if f in kinds]
    n = table.num_rows
    n_windows = max(0, (n - window.length - window.horizon) // window.stride + 1)
    x = TensorInfo("x", (n_windows, window.length, len(features)), "float32", "sequence")
    info.features, info.task = features, "regression"
    if len(outputs) > 1:
        mapping, problems = resolve_window_targets(window, outputs)
        problems += column_problems(mapping, kinds, os.path.basename(spec.path))
        bad = {p.node for p in problems if p.node}
        info.problems += [Problem("warning", p.message) for p in problems]
        node = inputs[0] if inputs else "window"
        info.parts.append(PartInfo("input", node, "window", x))
        for output in outputs:
            column = mapping.get(output, output)
            tensor = None if output in bad or output not in mapping else TensorInfo(
                column, (n_windows, 1), "float32", "labels")
            info.parts.append(PartInfo("target", output, column, tensor, "regression"))
        info.targets = [c for o, c in mapping.items() if o not in bad]
        info.tensors = [x, *(p.tensor for p in info.parts if p.role == "target" and p.tensor is not None)]
        info.suggestion = suggest_output("regression", 0, 1)
    else:
        info.targets = list(dict.fromkeys(window.targets or ()))
        for column in info.targets:
            if kinds.get(column) != "numeric":
                what = "not found" if column not in kinds else f"{kinds[column]}, not numeric"
                info.problems.append(Problem("warning", f"{spec.path}: time-series target column {column!r} is "
                                                        f"{what}; the targets are numbers to forecast."))
        k = len(info.targets)
        info.tensors = [x, TensorInfo("y", (n_windows, k), "float32", "labels")]
        info.suggestion = suggest_output("regression", 0, k)
        info.problems.append(Problem("info", f"The {k} target columns ({', '.join(info.targets)}) form one vector "
                                             f"per window: the output needs {k} units, one per column in that order. "
                                             "Give the model one output per column for a loss and a report each."))
    _suggest_split(info, options, n, None, by_time=True)
    info.options = options
    info.problems.append(Problem("info", f"Windows of {window.length} steps -> {rank_phrase(3, 'sequence')}; "
                                         "the split is by time (train first, then validation, then test)."))
    return info


def _inspect_images(spec: DatasetSpec) -> SourceInfo:
    from visualnn.services.datasets.images import scan_image_folder, suggest_color_mode, suggest_image_size

    scan = scan_image_folder(spec.path)
    opts = dict(spec.options)
    if "image" not in opts:
        opts["image"] = {"image_size": list(suggest_image_size(scan)), "color_mode": suggest_color_mode(scan),
                         "rescale": "0_1"}
    image = DatasetSpec("images", spec.path, opts).image()
    n = len(scan.files)
    info = SourceInfo(spec.path, "images", {"sizes": {f"{w}x{h}": c for (w, h), c in scan.sizes.items()},
                                            "modes": dict(scan.modes)}, n)
    info.classes, info.examples, info.class_names = scan.counts, scan.examples(), list(scan.class_names)
    info.task = "binary" if len(scan.class_names) == 2 else "multiclass"
    shape = (n, int(image.image_size[0]), int(image.image_size[1]), image.channels)
    info.tensors = [TensorInfo("x", shape, "float32", "image"),
                    TensorInfo("y", (n, 1) if info.task == "binary" else (n,), "float32" if info.task == "binary"
                               else "int32", "labels")]
    info.suggestion = suggest_output(info.task, len(scan.class_names), len(scan.class_names), spec.target_encoding(),
                                     list(scan.counts.values()))
    info.problems = list(scan.problems)
    _suggest_split(info, opts, n, scan.counts)
    info.options = opts
    return info


def _inspect_numpy(spec: DatasetSpec) -> SourceInfo:
    import numpy as np

    from visualnn.services.datasets.arrays import encode_array_targets, load_arrays

    pair = load_arrays(spec.path, spec.arrays(), os.path.dirname(spec.path), spec.max_bytes(), mmap=True)
    info = SourceInfo(spec.path, "numpy", {"features": pair.x_name, "targets": pair.y_name}, int(len(pair.x)))
    info.arrays = {k: {"shape": list(s), "dtype": d, "rank": len(s)} for k, (s, d) in pair.names.items()}
    kind = {2: "vector", 3: "sequence", 4: "image", 5: "video"}.get(pair.x.ndim)
    first = np.asarray(pair.x[0]).ravel()[:8].tolist() if len(pair.x) else []
    info.tensors = [TensorInfo("x", tuple(int(d) for d in pair.x.shape), "float32", kind, first)]
    info.options = dict(spec.options, arrays={"features": pair.x_name, "targets": pair.y_name})
    counts = None
    if pair.y is None:
        info.problems.append(
            Problem("warning", f"{spec.path}: no targets array found; choose one (or a targets file).")
        )
    else:
        task, names, labels, enc = encode_array_targets(np.asarray(pair.y), spec, spec.path)
        info.task, info.class_names = task, names
        info.tensors.append(TensorInfo("y", tuple(int(d) for d in enc.shape), str(enc.dtype), "labels"))
        n_out = len(names) if task in ("multiclass", "multilabel") else int(np.prod(enc.shape[1:]) or 1)
        if labels is not None and names:
            found = np.bincount(np.searchsorted(np.unique(labels), labels), minlength=len(names))
            counts = info.classes = {name: int(c) for name, c in zip(names, found, strict=False)}
        info.suggestion = suggest_output(task, len(names), n_out, spec.target_encoding(), list(info.classes.values()))
    _suggest_split(info, info.options, int(len(pair.x)), counts)
    if info.task == "regression" and pair.y is not None:
        info.target_stats = _target_stats(enc, DatasetSpec(spec.kind, spec.path, info.options).split())
    if pair.x.ndim >= 3 and pair.x.dtype != np.uint8:
        info.problems.append(Problem("info", f"x is {rank_phrase(pair.x.ndim, kind)}."))
    return info


def _inspect_parts(spec: DatasetSpec, inputs: list[str], outputs: list[str]) -> SourceInfo:
    """An ``.npz`` as named parts: the array of each Input and output node, its tensor, and each target's task."""
    import numpy as np

    from visualnn.services.datasets.arrays import check_float32_range, encode_array_targets, read_npz_arrays

    mapping = spec.arrays()
    if os.path.getsize(spec.path) == 0:
        raise DataError(f"{spec.path} is empty (0 bytes).", spec.path)
    wanted = [mapping.input_array(n) for n in inputs] + [mapping.output_array(n) for n in outputs]
    headers, arrays = read_npz_arrays(spec.path, wanted, spec.max_bytes())  # each array inflated once, if used
    info = SourceInfo(spec.path, "numpy", {"parts": "named"})
    info.arrays = {k: {"shape": list(h.shape), "dtype": h.dtype, "rank": len(h.shape)} for k, h in headers.items()}
    listing = ", ".join(headers)
    for name, array in arrays.items():
        check_float32_range(array, name, spec.path)
    for node in inputs:
        name = mapping.input_array(node)
        array = arrays.get(name)
        if array is None or array.ndim == 0:
            info.parts.append(PartInfo("input", node, name, None))
            info.problems.append(Problem("warning", f"Input {node}: {spec.path} has no array {name!r} "
                                                    f"(its arrays: {listing})."))
            continue
        first = np.asarray(array[0]).ravel()[:8].tolist() if len(array) else []
        tensor = TensorInfo(name, tuple(int(d) for d in array.shape), str(array.dtype), _RANK_KIND.get(array.ndim), first)
        info.parts.append(PartInfo("input", node, name, tensor))
    counts: dict[str, int] | None = None
    for node in outputs:
        name = mapping.output_array(node)
        array = arrays.get(name)
        if array is None or array.ndim == 0:
            info.parts.append(PartInfo("target", node, name, None))
            info.problems.append(Problem("warning", f"Output {node}: {spec.path} has no array {name!r} "
                                                    f"(its arrays: {listing})."))
            continue
        tensor = TensorInfo(name, tuple(int(d) for d in array.shape), str(array.dtype), "labels")
        try:
            task, names, labels, _enc = encode_array_targets(np.asarray(array), spec, spec.path)
        except DataError as exc:
            info.problems.append(Problem("warning", f"Output {node}: {exc}"))
            info.parts.append(PartInfo("target", node, name, tensor))
            continue
        info.parts.append(PartInfo("target", node, name, tensor, task, tuple(names)))
        if counts is None and labels is not None and task in ("binary", "multiclass") and names:
            # The split is stratified by the first classification output (the data service's rule).
            found = np.bincount(np.searchsorted(np.unique(labels), labels), minlength=len(names))
            counts = {n: int(c) for n, c in zip(names, found, strict=False)}
    info.tensors = [p.tensor for p in info.parts if p.tensor is not None]
    targets = [p for p in info.parts if p.role == "target"]
    if targets:
        info.task, info.class_names = targets[0].task, list(targets[0].class_names)
    info.features = [p.array for p in info.parts if p.role == "input"]
    info.targets = [p.array for p in targets]
    info.n_samples = next((p.tensor.shape[0] or 0 for p in info.parts if p.tensor is not None), 0)
    info.options = dict(spec.options)
    _suggest_split(info, info.options, info.n_samples, counts)
    return info
