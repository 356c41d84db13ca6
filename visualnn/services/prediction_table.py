"""Predictions as a table a person carries away: each sample as they gave it, then what the model said (TF-free).

``visualnn predict --output FILE.csv`` and the Predict tab's *Save predictions…* write the same table:

* which sample each row is: a CSV's own columns as they were read (an id column the model ignores included, so
  every prediction can be matched to its customer, order or sensor; for a time series, the row each window ends
  at), an image's file, or the sample's number;
* then, for each output (named ``<output>: ...`` when the model has several), the predicted class, its
  probability and one ``p(<class>)`` column per class; or the predicted value(s).
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.dataset import CsvOptions
from visualnn.services.datasets.errors import DataError


def table_csv(spec: Any) -> CsvOptions | None:
    """How the training table was read (delimiter, decimal mark, encoding, header), for reading a CSV of new rows
    alike; None when the project's data is not a table."""
    return spec.csv() if spec is not None and spec.kind == "csv" else None


def row_names(raw: Any, spec: Any) -> dict[str, Any] | None:
    """What names each row of a CSV to predict: its first column that the model ignores and that holds a different,
    present value in every row (a customer or order id), as ``{"column", "values"}``; None when it has none (the
    rows are then numbered). The Predict tab and ``visualnn predict`` show it beside each prediction."""
    if spec is None or spec.kind != "csv" or not hasattr(raw, "columns"):
        return None
    roles = spec.columns()
    for name in raw.columns:
        options = roles.get(str(name))
        if options is None or options.role != "ignore":
            continue
        values = raw[name]
        if len(values) and bool(values.notna().all()) and bool(values.is_unique):
            return {"column": str(name), "values": [str(v) for v in values]}
    return None


def prediction_columns(result: dict[str, Any], order: list[str] | None = None) -> list[tuple[str, list[Any]]]:
    """The prediction part of the table: (header, one value per sample) for each output, in ``order`` (the model's
    output names; default: the result's)."""
    outputs = result.get("outputs") or {}
    if len(outputs) > 1:
        tasks = result.get("tasks") or {}
        names = [n for n in order or () if n in outputs] + [str(n) for n in outputs if n not in (order or ())]
        return [(f"{name}: {head}", values) for name in names
                for head, values in _output_columns(outputs[name], str(tasks.get(name) or ""))]
    return _output_columns(list(result.get("predictions") or []), str(result.get("task") or ""))


def _output_columns(rows: list[dict[str, Any]], task: str) -> list[tuple[str, list[Any]]]:
    if not rows:
        return []
    if "label" not in rows[0] or task == "regression":
        width = len(rows[0].get("values") or [])
        if width == 1:
            return [("predicted", [r["values"][0] for r in rows])]
        return [(f"predicted[{i}]", [r["values"][i] for r in rows]) for i in range(width)]
    classes = list(rows[0].get("probabilities") or {})
    return [("predicted", [r["label"] for r in rows]), ("confidence", [r["confidence"] for r in rows]),
            *((f"p({name})", [r["probabilities"][name] for r in rows]) for name in classes)]


def sample_columns(result: dict[str, Any], source: str | None, csv: CsvOptions | None) -> list[tuple[str, list[Any]]]:
    """Which sample each prediction is: a CSV's columns as read, the image files, or the samples' numbers."""
    n = _count(result)
    if source and source.lower().endswith((".csv", ".tsv", ".txt")) and not os.path.isdir(source):
        from visualnn.services.datasets.tables import read_table

        table = read_table(source, csv).table  # read as prediction read it: the same rows, in the same order
        length = int(result.get("window_length") or 0)
        if length and table.num_rows - length + 1 == n:  # a series: each window named by the row it ends at
            table = table.slice(length - 1)
        if table.num_rows != n:
            raise DataError(f"{source} holds {table.num_rows:,} rows but there are {n:,} predictions: the file changed "
                            "since it was predicted. Predict it again, then save.", source)
        return [(name, table.column(name).to_pylist()) for name in table.column_names]
    files = result.get("files") or [r.get("file") for r in result.get("predictions") or [] if isinstance(r, dict)]
    if files and len(files) == n and all(f is not None for f in files):
        return [("file", [str(f) for f in files])]
    return [("sample", list(range(n)))]


def _count(result: dict[str, Any]) -> int:
    outputs = result.get("outputs") or {}
    if len(outputs) > 1:
        return len(next(iter(outputs.values())))
    return len(result.get("predictions") or [])


def prediction_table(result: dict[str, Any], source: str | None = None, csv: CsvOptions | None = None,
                     order: list[str] | None = None) -> Any:
    """The whole table as a pandas DataFrame: the sample columns, then the prediction columns (a prediction column
    whose header an input column already has is marked ``(model)``)."""
    import numpy as np
    import pandas as pd

    samples = sample_columns(result, source, csv)
    taken = {name for name, _ in samples}
    predicted: list[tuple[str, Any]] = []
    for head, values in prediction_columns(result, order):
        while head in taken:
            head = f"{head} (model)"
        taken.add(head)
        # The model computes in float32: its figures are written as float32 (0.9301583, not 0.9301583096385002).
        numbers = bool(values) and all(isinstance(v, float) for v in values)
        predicted.append((head, np.asarray(values, dtype=np.float32) if numbers else values))
    return pd.DataFrame(dict(samples + predicted))


def write_predictions(path: str, result: dict[str, Any], source: str | None = None, csv: CsvOptions | None = None,
                      order: list[str] | None = None) -> int:
    """Write :func:`prediction_table` to ``path`` as CSV (written beside, then moved into place); the rows written."""
    table = prediction_table(result, source, csv, order)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OSError(f"Cannot save the predictions to {path}: the folder {folder} does not exist; choose another.")
    part = f"{path}.part"
    try:
        table.to_csv(part, index=False)
        os.replace(part, path)
    except OSError as exc:
        raise OSError(f"Cannot save the predictions to {path}: {exc.strerror or exc}; choose another file or "
                      "folder.") from exc
    finally:
        if os.path.exists(part):
            os.remove(part)
    return len(table)


__all__ = ["prediction_columns", "prediction_table", "sample_columns", "table_csv", "write_predictions"]
