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
    """(x (samples, length, features) float32, y (samples, 1) float32) from one contiguous segment."""
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
    y = np.asarray(target[starts + length + horizon - 1], dtype=np.float32).reshape(-1, 1)
    return x, y


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
