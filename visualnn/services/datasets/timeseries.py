"""Time series from a CSV: sliding windows -> rank 3 (samples, time steps, features), split by time (TF-free).

Window ``i`` covers rows ``[i*stride, i*stride + length)`` of a split segment; its target is the
target column at row ``i*stride + length + horizon - 1`` (``horizon`` steps after the window), which
is what ``keras.utils.timeseries_dataset_from_array(data, targets[length + horizon - 1:],
sequence_length=length, sequence_stride=stride)`` produces (tested).
"""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import DatasetSpec, WindowOptions
from visualnn.services.datasets.errors import DataError


def make_windows(values: Any, target: Any, window: WindowOptions, where: str = "") -> tuple[Any, Any]:
    """(x (samples, length, features) float32, y (samples, k) float32) from one contiguous segment.

    ``target`` is one column (n,) -> y (samples, 1), or k columns (n, k) -> y (samples, k).
    """
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    length, stride, horizon = int(window.length), int(window.stride), int(window.horizon)
    n = len(values)
    usable = n - length - horizon + 1
    if usable < 1:
        raise DataError(
            f"{where}{n} time steps are too few for a window of {length} plus a horizon of {horizon}; "
            "shorten the window or lower the split fractions."
        )
    starts = np.arange(0, usable, stride)
    views = sliding_window_view(values, length, axis=0)  # (n-length+1, features, length)
    x = np.ascontiguousarray(views[starts].transpose(0, 2, 1), dtype=np.float32)
    y = np.asarray(target[starts + length + horizon - 1], dtype=np.float32).reshape(len(starts), -1)
    return x, y


def series_scaler(features: list[str], length: int, center: Any, scale: Any) -> Any:
    """A series' rows (a table, or raw windows) -> scaled float32 windows of ``length`` rows: the transform training
    learned (``prepare_timeseries``) and the one a run keeps (``data_drift.learned_preprocessing``)."""
    import numpy as np

    center, scale = np.asarray(center), np.asarray(scale)

    def transform(raw: Any) -> Any:
        return ((windows_to_predict(raw, features, length) - center) / scale).astype(np.float32)

    return transform


def windows_to_predict(raw: Any, features: list[str], length: int, where: str = "") -> Any:
    """New data for a time-series model -> raw windows (n, ``length``, features) as float64.

    A table (a DataFrame holding the feature columns, in any order among others; or rows of values in feature
    order) becomes every window of ``length`` consecutive rows, stride 1: the last window ends at the table's
    last row, so the last prediction is the forecast after it. Missing values take the previous value, as in
    training. Windows already cut ((n, length, features), e.g. a .npy) are taken as they are. Raises
    :class:`DataError` for too few rows, a missing column or windows of another shape.
    """
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    if hasattr(raw, "columns") and hasattr(raw, "to_numpy"):  # a table read from a CSV: columns by name
        missing = [f for f in features if f not in raw.columns]
        if missing:
            raise DataError(f"{where}the input has no column {', '.join(repr(m) for m in missing)}; the model reads "
                            f"windows of the columns {', '.join(features)}.")
        raw = raw[features].apply(lambda c: c.astype("float64")).ffill().bfill().to_numpy()
    values = np.asarray(raw, dtype=np.float64)
    n_features = len(features)
    if values.ndim == 3:
        if values.shape[1:] != (length, n_features):
            raise DataError(f"{where}windows of shape {tuple(values.shape[1:])} were given; the model takes windows "
                            f"of {length} time steps x {n_features} features ({', '.join(features)}).")
        return values
    if values.ndim != 2 or values.shape[1] != n_features:
        raise DataError(f"{where}the model reads rows of {n_features} values ({', '.join(features)}); the input "
                        f"has shape {tuple(values.shape)}.")
    if len(values) < length:
        raise DataError(f"{where}{len(values)} row(s) are too few: the model reads windows of {length} consecutive "
                        f"rows; give at least {length}.")
    return np.ascontiguousarray(sliding_window_view(values, length, axis=0).transpose(0, 2, 1))


def timeseries_columns(spec: DatasetSpec, table: Any, header: bool) -> tuple[list[str], str]:
    """Feature columns and target column of a time-series table (numeric columns only)."""
    from visualnn.services.datasets.columns import analyze_table, closest_column

    window = spec.window()
    infos = analyze_table(table, spec.path, header)
    numeric = [i.name for i in infos if i.kind == "numeric" and not i.all_missing]
    cols = spec.columns()
    numeric = [n for n in numeric if cols.get(n) is None or cols[n].role != "ignore"]
    target = window.target or (spec.targets()[0] if spec.targets() else (numeric[-1] if numeric else None))
    if target is None or target not in table.column_names:
        close = closest_column(target, numeric) if target is not None else None
        hint = f" Did you mean {close!r}?" if close is not None else ""
        raise DataError(f"{spec.path}: time-series target column {target!r} not found; numeric columns: "
                        f"{', '.join(numeric) or 'none'}.{hint}", spec.path)
    features = list(window.features) if window.features else numeric
    missing = [f for f in features if f not in table.column_names]
    if missing:
        raise DataError(f"{spec.path}: time-series feature column {missing[0]!r} not found.", spec.path)
    return features, target


def series_targets(spec: DatasetSpec, table: Any, header: bool, outputs: list[str]) -> tuple[list[str], list[str],
                                                                                             dict[str, str]]:
    """(feature columns, target columns, {output node: column}) of a time series with several target columns.

    With several ``outputs`` each output predicts one column (:func:`visualnn.core.window_parts.
    resolve_window_targets`); with one, the columns ticked as targets form one vector target (the mapping
    is then empty). Raises :class:`DataError` naming the column and the output node for a column missing
    from the file, a non-numeric column, an output without a column, a column without an output, and one
    column mapped to two outputs.
    """
    from visualnn.core.window_parts import column_problems, resolve_window_targets
    from visualnn.services.datasets.columns import analyze_table

    window = spec.window()
    infos = analyze_table(table, spec.path, header)
    kinds = {i.name: ("missing values only" if i.all_missing else i.kind) for i in infos}
    if len(outputs) > 1:
        mapping, problems = resolve_window_targets(window, outputs)
        problems += column_problems(mapping, kinds, spec.path)
        if problems:
            raise DataError(problems[0].message, spec.path)
        targets = list(mapping.values())
    else:
        mapping, targets = {}, list(dict.fromkeys(window.targets or ()))
        listing = ", ".join(n for n, k in kinds.items() if k == "numeric") or "none"
        node = f" of the output {outputs[0]}" if outputs else ""
        for column in targets:
            if kinds.get(column) != "numeric":
                what = "not found" if column not in kinds else f"{kinds[column]}, not numeric"
                raise DataError(f"{spec.path}: time-series target column {column!r}{node} is {what}; the targets "
                                f"are numbers to forecast (numeric columns: {listing}).", spec.path)
    cols = spec.columns()
    numeric = [n for n, k in kinds.items() if k == "numeric" and (cols.get(n) is None or cols[n].role != "ignore")]
    features = list(window.features) if window.features else numeric
    missing = [f for f in features if f not in table.column_names]
    if missing:
        raise DataError(f"{spec.path}: time-series feature column {missing[0]!r} not found.", spec.path)
    return features, targets, mapping


def one_input(inputs: list[str]) -> None:
    """Refuse a model with several Inputs: a time series gives one tensor per sample (its windows)."""
    if len(inputs) > 1:
        raise DataError(f"The model has {len(inputs)} Inputs ({', '.join(inputs)}), but a time series gives one "
                        "tensor per sample (its windows), so it feeds exactly one Input. Keep one Input, or save the "
                        "parts as the arrays of one .npz named after the nodes and choose it in the Data panel.")
    if not inputs:
        raise DataError("The model has no Input node for the time series' windows; add an Input.")

