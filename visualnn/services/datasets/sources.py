"""Per-source preparation for in-memory sources: CSV tables, NumPy arrays and time series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.services.datasets.errors import DataError, Problem
from visualnn.services.datasets.prepared import PreparedData, from_arrays
from visualnn.services.datasets.split import split_by_time, split_indices
from visualnn.services.datasets.tabular import TabularArrays


def seed_of(spec: DatasetSpec, pipe: PipelineOptions) -> int:
    """The pipeline's shuffle seed: its own setting, else the split seed."""
    return int(pipe.seed if pipe.seed is not None else spec.split().seed)


def load_csv_arrays(spec: DatasetSpec) -> TabularArrays:
    """CSV/TSV table -> split, preprocessed NumPy tensors (no TensorFlow); ``spec.path`` is absolute."""
    from visualnn.services.datasets.tables import read_table
    from visualnn.services.datasets.tabular import build_arrays, float32_columns

    read = read_table(spec.path, spec.csv(), spec.max_bytes(), stream=True, narrow=lambda names: float32_columns(spec, names))
    fmt, problems = read.format, read.problems
    arrays = build_arrays(spec, read, fmt.header)  # consumes read.table block by block
    arrays.stats["csv"] = fmt.to_dict()
    arrays.problems[:0] = problems
    return arrays


def prepare_csv(spec: DatasetSpec, pipe: PipelineOptions) -> PreparedData:
    """CSV/TSV table -> (samples, features) float32 tensors with the detected task."""
    from visualnn.services.datasets.tabular import transform_rows

    arrays = load_csv_arrays(spec)
    stats = arrays.stats
    positions = arrays.positions
    features = [p["name"] for p in stats["features"]]

    def raw_rows(split: str, n: int) -> Any:
        """The split's first ``n`` rows as the file holds them (feature columns only, a DataFrame)."""
        from visualnn.services.datasets.tables import read_table

        table = read_table(spec.path, spec.csv(), spec.max_bytes()).table
        return table.select(features).take(positions[split][: max(0, n)]).to_pandas()

    return from_arrays(
        arrays.x, arrays.y, task=arrays.task, class_names=arrays.class_names, n_outputs=arrays.n_outputs,
        stats=stats, pipe=pipe, seed=seed_of(spec, pipe), transform=lambda rows: transform_rows(stats, rows),
        target_encoding=spec.target_encoding(), problems=arrays.problems, x_kind="vector", raw_samples=raw_rows,
    )


def _array_kind(rank: int) -> str | None:
    return {2: "vector", 3: "sequence", 4: "image", 5: "video"}.get(rank)


def array_scaling(x_all: Any, train: Any, scaling: str) -> tuple[str, Any, Any]:
    """(scaling, center, scale) of one features array: uint8 pixels are divided by 255; standardize/minmax
    statistics come from the training split, per feature (axis 0) for rank-2 arrays, one scalar otherwise."""
    import numpy as np

    center: Any
    scale: Any
    if x_all.dtype == np.uint8:
        center, scale = 0.0, 255.0  # pixel data: rescale to [0, 1]
        scaling = "rescale"
    elif scaling in ("standardize", "layer"):
        axis = 0 if x_all.ndim == 2 else None  # per feature for tables, one scalar for images/sequences
        center, scale = train.mean(axis=axis), train.std(axis=axis)
    elif scaling == "minmax":
        axis = 0 if x_all.ndim == 2 else None
        center, scale = train.min(axis=axis), train.max(axis=axis) - train.min(axis=axis)
    else:
        center, scale = 0.0, 1.0
    scale = np.where(np.asarray(scale) > 0, scale, 1.0)
    return scaling, center, scale


def scaler(scaling: str, center: Any, scale: Any) -> Any:
    """Raw samples -> what the model trained on: ``(x - center) / scale`` (unchanged for "layer")."""
    import numpy as np

    def transform(raw: Any) -> Any:
        arr = np.asarray(raw, dtype=np.float32)
        if scaling == "layer":
            return arr
        return ((arr - np.asarray(center, dtype=np.float32)) / np.asarray(scale, dtype=np.float32)).astype(np.float32)

    return transform


def prepare_numpy(spec: DatasetSpec, pipe: PipelineOptions) -> PreparedData:
    """``.npy``/``.npz`` of any rank: scaled float32 features, encoded targets, seeded split."""
    import os

    import numpy as np

    from visualnn.services.datasets.arrays import encode_array_targets, load_arrays

    pair = load_arrays(spec.path, spec.arrays(), os.path.dirname(spec.path), spec.max_bytes())
    if pair.y is None:
        raise DataError(f"{spec.path}: no target array; choose the targets array (or a targets .npy file).", spec.path)
    task, names, labels, y = encode_array_targets(pair.y, spec, spec.path)
    split = spec.split()
    classification = task in ("binary", "multiclass")
    idx = split_indices(
        len(pair.x), split.val, split.test, split.seed, labels, split.stratify and classification, names
    )
    x_all = pair.x
    stats: dict[str, Any] = {"source": "numpy", "task": task, "class_names": names, "features_array": pair.x_name,
                             "targets_array": pair.y_name, "dtype": str(x_all.dtype)}
    train = x_all[idx.train].astype(np.float32)
    scaling, center, scale = array_scaling(x_all, train, spec.scaling())
    stats.update(scaling=scaling, center=np.asarray(center).tolist(), scale=np.asarray(scale).tolist())
    transform = scaler(scaling, center, scale)

    x = {"train": transform(train), "val": transform(x_all[idx.val]), "test": transform(x_all[idx.test])}
    del train

    def raw_arrays(split: str, n: int) -> Any:
        """The split's first ``n`` samples as the file holds them (read again, so training keeps no copy)."""
        again = load_arrays(spec.path, spec.arrays(), os.path.dirname(spec.path), spec.max_bytes())
        return np.asarray(again.x[getattr(idx, split)[: max(0, n)]])

    ys = {"train": y[idx.train], "val": y[idx.val], "test": y[idx.test]}
    n_outputs = 1 if task == "binary" else len(names) if classification or task == "multilabel" else int(np.prod(y.shape[1:]) or 1)
    return from_arrays(x, ys, task=task, class_names=names, n_outputs=n_outputs, stats=stats, pipe=pipe,
                       seed=seed_of(spec, pipe), transform=transform, target_encoding=spec.target_encoding(),
                       x_kind=_array_kind(x_all.ndim), raw_samples=raw_arrays)


def prepare_timeseries(spec: DatasetSpec, pipe: PipelineOptions, inputs: list[str] | None = None,
                       outputs: list[str] | None = None) -> PreparedData:
    """CSV rows in time order -> windows (samples, time steps, features); split by time, never at random.

    With several target columns (``WindowOptions.targets``) and one output, y is one vector per window
    (samples, k); with several ``outputs``, each output predicts its own column and the pipelines yield
    ``({Input: windows}, {output: (samples, 1)})`` (named parts, see :func:`series_targets`).
    """
    import numpy as np

    from visualnn.services.datasets.columns import analyze_column, numeric_values
    from visualnn.services.datasets.tables import read_table
    from visualnn.services.datasets.timeseries import (
        make_windows,
        one_input,
        series_scaler,
        series_targets,
        timeseries_columns,
    )

    one_input(list(inputs or ["window"]))
    read = read_table(spec.path, spec.csv(), spec.max_bytes())
    table, header = read.table, read.format.header
    window = spec.window()
    outs = list(outputs or [])
    mapping: dict[str, str] = {}
    if len(outs) > 1 or len(window.targets or ()) > 1:
        features, targets, mapping = series_targets(spec, table, header, outs)
        target = targets[0]
    else:
        features, target = timeseries_columns(spec, table, header)
        targets = [target]
    cols = {n: numeric_values(analyze_column(n, table.column(n), spec.path, header), table.column(n), spec.path, header)
            for n in dict.fromkeys([*features, *targets])}
    values = np.stack([cols[f] for f in features], axis=1)
    tgt = cols[target] if len(targets) == 1 else np.stack([cols[t] for t in targets], axis=1)
    problems: list[Problem] = []
    bad = np.isnan(values).any(axis=1) | np.isnan(tgt).reshape(len(tgt), -1).any(axis=1)
    if bad.any():
        # Dropping rows would join distant times into one window; carry the last value forward instead.
        problems.append(Problem("info", f"{spec.path}: {int(bad.sum())} row(s) with missing values were filled with "
                                        "the previous value."))
        import pandas as pd

        values = pd.DataFrame(values).ffill().bfill().to_numpy()
        tgt = (pd.Series(tgt) if tgt.ndim == 1 else pd.DataFrame(tgt)).ffill().bfill().to_numpy()
    split = spec.split()
    r_train, r_val, r_test = split_by_time(len(values), split.val, split.test)
    train_vals = values[r_train.start : r_train.stop]
    center = train_vals.mean(axis=0) if spec.scaling() != "minmax" else train_vals.min(axis=0)
    scale = train_vals.std(axis=0) if spec.scaling() != "minmax" else np.ptp(train_vals, axis=0)
    if spec.scaling() == "none":
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    scaled = (values - center) / scale
    x: dict[str, Any] = {}
    y: dict[str, Any] = {}
    for name, rng in (("train", r_train), ("val", r_val), ("test", r_test)):
        if len(rng) == 0:
            x[name] = np.zeros((0, window.length, len(features)), np.float32)
            y[name] = np.zeros((0, len(targets)), np.float32)
            continue
        x[name], y[name] = make_windows(scaled[rng.start : rng.stop], tgt[rng.start : rng.stop], window,
                                        f"{spec.path} ({name} split): ")
    stats = {"source": "timeseries", "task": "regression", "features": features, "target": target,
             "center": center.tolist(), "scale": scale.tolist(), "window": {"length": window.length,
             "stride": window.stride, "horizon": window.horizon},
             "split": {"train": [r_train.start, r_train.stop], "val": [r_val.start, r_val.stop],
                       "test": [r_test.start, r_test.stop]}}
    if len(targets) > 1:
        stats["targets"] = targets

    transform = series_scaler(features, window.length, center, scale)  # raw windows or rows -> scaled windows

    ranges = {"train": r_train, "val": r_val, "test": r_test}

    def raw_windows(split: str, n: int) -> Any:
        """The split's first ``n`` windows of unscaled values (what ``transform`` takes)."""
        rng = ranges[split]
        if len(rng) == 0:
            return np.zeros((0, window.length, len(features)), np.float32)
        windows, _ = make_windows(values[rng.start : rng.stop], tgt[rng.start : rng.stop], window)
        return windows[: max(0, n)]

    if mapping:
        return series_parts(x, y, mapping, list(inputs or []), stats, scaling=spec.scaling(), pipe=pipe, seed=seed_of(spec, pipe),
                            transform=transform, raw_windows=raw_windows, problems=read.problems + problems)
    return from_arrays(x, y, task="regression", class_names=[], n_outputs=len(targets), stats=stats, pipe=pipe,
                       seed=seed_of(spec, pipe), transform=transform, problems=read.problems + problems,
                       x_kind="sequence", raw_samples=raw_windows)


def series_parts(x: dict[str, Any], y: dict[str, Any], mapping: dict[str, str], inputs: list[str],
                 stats: dict[str, Any], *, scaling: str, pipe: Any, seed: int, transform: Callable[[Any], Any],
                 raw_windows: Callable[[str, int], Any], problems: list[Any]) -> PreparedData:
    """Split windows and target columns (``y[split]``: (samples, k), columns in ``mapping``'s order) -> named parts.

    The one Input takes the windows; each output of ``mapping`` ({output: column}) its column, (samples, 1).
    ``stats["parts"]`` records the Input's scaling (per feature, the last axis) and each output's column, so a
    saved run is evaluated, predicted and exported with raw windows as the single-target series is.
    """
    from visualnn.services.datasets.arrays import raw_inputs
    from visualnn.services.datasets.prepared import DataPart, from_parts
    from visualnn.services.datasets.timeseries import one_input

    one_input(inputs)
    node = inputs[0]
    splits = ("train", "val", "test")
    shape = tuple(int(d) for d in x["train"].shape[1:])
    parts = [DataPart(node, "input", "window", None, shape, "float32")]
    stats_parts: list[dict[str, Any]] = [{
        "name": node, "role": "input", "array": "window", "shape": list(shape), "dtype": "float32",
        "scaling": "minmax" if scaling == "minmax" else scaling if scaling == "none" else "standardize", "center": stats["center"], "scale": stats["scale"]}]
    ys: dict[str, Any] = {k: {} for k in splits}
    for j, (output, column) in enumerate(mapping.items()):
        for k in splits:
            ys[k][output] = y[k][:, j : j + 1]
        parts.append(DataPart(output, "target", column, None, (1,), "float32", "regression", ()))
        stats_parts.append({"name": output, "role": "target", "array": column, "shape": [1], "dtype": "float32",
                            "task": "regression", "class_names": [], "label_format": "float"})
    outputs = list(mapping)
    stats = {**stats, "class_names": [], "label_format": "float", "inputs": [node], "outputs": outputs,
             "parts": stats_parts, "targets": list(mapping.values()), "target_of": dict(mapping)}

    def named_transform(raw: Any) -> dict[str, Any]:
        """Raw windows (an array, or a dict/.npz keyed by the Input name) -> {Input: scaled windows}."""
        return {name: transform(values) for name, values in raw_inputs(raw, [node], "The input").items()}

    def raw_samples(split: str, count: int) -> dict[str, Any]:
        return {node: raw_windows(split, count)}

    return from_parts({k: {node: x[k]} for k in splits}, ys, parts, stats=stats, pipe=pipe, seed=seed,
                      transform=named_transform, kinds={node: "sequence"}, raw_samples=raw_samples,
                      problems=problems)
