"""Table -> NumPy tensors: roles, kinds, missing values, scaling (training statistics only), targets.

TF-free. The result is a :class:`TabularArrays` with float32 ``x`` per split, targets encoded for the
detected task, and a JSON-able ``stats`` dict that :func:`transform_rows` reuses at predict time.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.column_groups import ColumnParts
from visualnn.core.dataset import NULL_VALUES, DatasetSpec, boolean_word
from visualnn.core.tensors import detect_task
from visualnn.services.datasets.columns import (
    ColumnInfo,
    analyze_column,
    closest_column,
    in_words,
    numeric_values,
    text_values,
)
from visualnn.services.datasets.errors import DataError, Problem
from visualnn.services.datasets.file_pieces import release
from visualnn.services.datasets.split import SplitIndices, draw_order, split_indices


@dataclass
class TabularArrays:
    """Split tensors and everything needed to describe and repeat the preprocessing."""

    x: dict[str, Any]  # "train"/"val"/"test" -> float32 (n, features)
    y: dict[str, Any]
    feature_names: list[str]  # after one-hot expansion
    task: str
    class_names: list[str]
    n_outputs: int
    stats: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    # Data-row positions in the file (0-based, header excluded) of each split's samples, in order:
    # how the export's parity check finds the raw held-out rows.
    positions: dict[str, Any] = field(default_factory=dict)


def resolve_roles(spec: DatasetSpec, names: list[str]) -> tuple[list[str], list[str]]:
    """Feature and target column names: explicit roles, else the last column is the target."""
    cols = spec.columns()
    for name in cols:
        if name not in names:
            close = closest_column(name, names)
            hint = f" Did you mean {close!r}?" if close is not None else ""
            raise DataError(
                f"{spec.path}: the project sets column {name!r} but the file has no such column "
                f"(columns: {', '.join(names)}).{hint} Fix the name or reset the column roles."
            )
    targets = [n for n in names if cols.get(n) is not None and cols[n].role == "target"]
    if not targets and names:
        targets = [names[-1]]
    features = [n for n in names if n not in targets and (cols.get(n) is None or cols[n].role == "feature")]
    if not features:
        raise DataError(f"{spec.path}: no feature columns remain; set at least one column's role to feature.")
    return features, targets


def float32_columns(spec: DatasetSpec, names: list[str]) -> set[str]:
    """The columns of a table with columns ``names`` whose values only ever reach training as float32.

    Numeric feature values are rounded to float32 before fill and scaling (:func:`as_float32`), so these
    columns may be read as float32 from the start (half the memory, the same tensors). Targets keep their
    exact values (class names are read from them); a column the project makes categorical keeps its text.
    """
    try:
        features, _ = resolve_roles(spec, names)
    except DataError:
        return set()  # the loader reports it with the whole table at hand
    return {n for n in features if spec.column(n).kind in (None, "numeric")}


def as_float32(values: Any) -> Any:
    """Numeric feature values as the model receives them: rounded to float32, held as float64 for the arithmetic.

    The one rounding rule of the tabular recipe: fill values and scaling statistics are computed from, and
    applied to, these values, here, in :func:`transform_rows` and in the exported script alike.
    """
    import numpy as np

    return np.asarray(values, dtype=np.float32).astype(np.float64)


def table_parts(spec: DatasetSpec, names: list[str], inputs: list[str], outputs: list[str]) -> ColumnParts:
    """A model with several Inputs/outputs: the column mapping of the table with columns ``names``.

    Raises :class:`DataError` with every problem (each names the column and the node).
    """
    from visualnn.core.column_groups import column_parts

    features, targets = resolve_roles(spec, names)
    mapping = column_parts(spec.columns(), features, targets, inputs, outputs, spec.path)
    if mapping.problems:
        raise DataError(" ".join(p.message for p in mapping.problems), spec.path)
    return mapping


def _kind(spec: DatasetSpec, info: ColumnInfo) -> str:
    return spec.column(info.name).kind or info.kind


def _missing_strategy(spec: DatasetSpec, name: str, kind: str) -> str:
    strategy = spec.column(name).missing or spec.missing().strategy
    if kind != "numeric" and strategy in ("mean", "median"):
        return "most_frequent"  # averages of categories or booleans are not values of the column
    return strategy


def _is_integral(values: Any) -> bool:
    """Whether every value is a whole number (a cheap look at the first values settles most columns)."""
    import numpy as np

    if not values.size:
        return False
    head = values[:1000]
    if not np.all(head == np.round(head)):
        return False
    return all(bool(np.all(c == np.round(c))) for c in np.array_split(values, max(1, values.size // 65536)))


def _encode_targets(
    spec: DatasetSpec, infos: list[ColumnInfo], columns: list[Any], header: bool
) -> tuple[str, list[str], Any, int]:
    """(task, class_names, raw label codes or values (n, k) float64, n_outputs)."""
    import numpy as np

    path = spec.path
    if len(infos) > 1:
        values = np.stack([numeric_values(i, c, path, header) for i, c in zip(infos, columns, strict=True)], axis=1)
        finite = values[~np.isnan(values).any(axis=1)]
        all_binary = bool(finite.size) and bool(np.isin(finite, (0.0, 1.0)).all())
        task = spec.task() or detect_task("float", 0, len(infos), all_binary)
        return task, ([i.name for i in infos] if task == "multilabel" else []), values, len(infos)
    info, col = infos[0], columns[0]
    kind = _kind(spec, info)
    if kind == "numeric":
        values = numeric_values(info, col, path, header)
        nan = np.isnan(values)
        finite = values[~nan] if nan.any() else values  # no copy when nothing is missing
        del nan
        integral = _is_integral(finite)
        # Counting distinct values (a sort) only matters for whole numbers that may be class labels.
        n_unique = int(np.unique(finite).size) if integral or spec.task() in ("binary", "multiclass") else finite.size
        task = spec.task() or detect_task("int" if integral else "float", n_unique, 1, n_rows=int(finite.size))
        if task == "regression":
            return task, [], values.reshape(-1, 1), 1
        uniq = np.unique(finite)
        names = [str(int(v)) if float(v).is_integer() else str(v) for v in uniq]
        codes = np.where(np.isnan(values), np.nan, np.searchsorted(uniq, np.nan_to_num(values)))
        return task, names, codes.reshape(-1, 1), len(names)
    if kind == "boolean" and info.dtype == "bool":
        values = numeric_values(info, col, path, header)
        return spec.task() or "binary", ["false", "true"], values.reshape(-1, 1), 2
    text = text_values(col)
    present = np.array([v is not None for v in text])
    names = sorted({str(v) for v in text[present]})
    lookup = {n: i for i, n in enumerate(names)}
    codes = np.array([lookup[v] if v is not None else np.nan for v in text], dtype=np.float64)
    task = spec.task() or ("binary" if len(names) <= 2 else "multiclass")
    return task, names, codes.reshape(-1, 1), len(names)


def build_arrays(spec: DatasetSpec, table: Any, header: bool = True) -> TabularArrays:
    """Turn a parsed table into split, preprocessed float32 tensors following ``spec``.

    ``table`` is a pyarrow Table, or a :class:`~visualnn.services.datasets.tables.TableRead` whose
    table is then *consumed*: its rows are released block by block while the tensors fill, so the
    parsed text and the tensors are never both fully in memory.
    """
    import numpy as np
    import pyarrow as pa

    holder = None
    if hasattr(table, "format"):  # a TableRead handed over: take the only reference to its table
        holder, table = table, table.table
        holder.table = None
    path = spec.path
    names = list(table.column_names)
    features, targets = resolve_roles(spec, names)
    problems: list[Problem] = []
    t_infos = [analyze_column(n, table.column(n), path, header, detail=False) for n in targets]
    task, class_names, y_raw, n_outputs = _encode_targets(spec, t_infos, [table.column(n) for n in targets], header)
    classification = task in ("binary", "multiclass")
    if classification and len(class_names) < 2:
        only = class_names[0] if class_names else "nothing"
        raise DataError(
            f"{path}: target column {targets[0]!r} has a single class ({only!r}) in every row; a classifier needs "
            "at least two classes. Choose another target column or add rows of the other classes."
        )
    split = spec.split()
    stratified = split.stratify and classification
    # The split's permutation (for every row: the usual case keeps them all) is drawn on a thread meanwhile.
    drawing = ThreadPoolExecutor(1)
    order = None if stratified else drawing.submit(draw_order, table.num_rows, split.seed)
    drawing.shutdown(wait=False)
    # Rows without a target cannot be trained on; rows with a missing feature under "drop" neither.
    keep = ~np.isnan(y_raw).any(axis=1)
    n_no_target = int((~keep).sum())
    f_infos = {n: analyze_column(n, table.column(n), path, header, detail=False) for n in features}
    def column_values(name: str, part: Any = None) -> Any:
        # Computed on demand, one column (of the table or of one row block) at a time, so a wide
        # table never exists twice in memory.
        if part is not None:
            col = part.column(name)
        elif table is not None:
            col = table.column(name)
        else:  # the whole column again, viewed across the row blocks (no copy)
            col = pa.chunked_array([c for _, b in blocks for c in b.column(name).chunks], type=types[name])
        if _kind(spec, f_infos[name]) == "categorical":
            return text_values(col)
        return numeric_values(f_infos[name], col, path, header)

    rows = kept_rows(spec, features, f_infos, column_values, keep, n_no_target, path, problems)
    n_kept = int(keep.sum())  # keep now also drops rows missing a feature (strategy drop)
    n_dropped = len(keep) - n_kept - n_no_target
    y_all = y_raw if rows is None else y_raw[rows]
    del y_raw, keep
    labels = y_all[:, 0].astype(np.int64) if classification else None
    drawn = order.result() if order is not None else None
    idx = split_indices(n_kept, split.val, split.test, split.seed, labels, stratified, class_names,
                        order=drawn if drawn is not None and len(drawn) == n_kept else None)
    del drawn, order
    del labels
    # Targets first: their temporaries are gone before the feature matrices are filled.
    y = {k: _encode_y(y_all[getattr(idx, k)], task, len(class_names), spec.target_encoding()) for k in ("train", "val", "test")}
    del y_all
    if holder is not None:
        # Targets are encoded and ignored columns unused: drop them before the features are read.
        table = table.select(features)
        release()
    types = {f.name: f.type for f in table.schema}
    blocks = _row_blocks(table)
    table = None  # from here on only `blocks` holds the rows; each block is freed once used
    positions = {k: (getattr(idx, k) if rows is None else rows[getattr(idx, k)]) for k in ("train", "val", "test")}
    plan, x = _fit_and_apply(spec, features, f_infos, column_values, rows, idx, blocks)
    feature_names = [n for p in plan for n in p["columns"]]
    stats = {
        "source": "csv",
        "features": plan,
        "feature_names": feature_names,
        "targets": targets,
        "ignored": [n for n in names if n not in features and n not in targets],  # new rows may hold them: no warning
        "task": task,
        "class_names": class_names,
        "target_encoding": spec.target_encoding(),
        "scaling": spec.scaling(),
        "rows": {"total": int(n_kept + n_dropped + n_no_target), "used": n_kept, "dropped_missing": n_dropped,
                 "dropped_no_target": n_no_target},
        "split": {"train": int(idx.train.size), "val": int(idx.val.size), "test": int(idx.test.size)},
    }
    return TabularArrays(x, y, feature_names, task, class_names, (1 if task == "binary" else len(class_names)) if classification else n_outputs,
                         stats, problems, positions)


def _encode_y(codes: Any, task: str, n_classes: int, encoding: str) -> Any:
    import numpy as np

    if task == "multiclass":
        labels = codes[:, 0].astype(np.int32)
        if encoding == "onehot":
            return np.eye(n_classes, dtype=np.float32)[labels]
        return labels
    return codes.astype(np.float32)


def _row_blocks(table: Any, min_rows: int = 1 << 16) -> list[tuple[int, Any]]:
    """The table as consecutive ``(first row, sub-table)`` blocks of at least ``min_rows`` rows."""
    import pyarrow as pa

    out: list[tuple[int, Any]] = []
    group: list[Any] = []
    start = count = 0
    for batch in table.to_batches():
        group.append(batch)
        count += batch.num_rows
        if count - start >= min_rows:
            out.append((start, pa.Table.from_batches(group, schema=table.schema)))
            group, start = [], count
    if group:
        out.append((start, pa.Table.from_batches(group, schema=table.schema)))
    return out


def _fit_and_apply(
    spec: DatasetSpec, features: list[str], infos: dict[str, ColumnInfo], column_values: Callable[..., Any],
    rows: Any, idx: SplitIndices, blocks: list[tuple[int, Any]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fill the split matrices from the table, fitting each feature on the training rows first, in two passes.

    1. Each feature is fitted on its training rows, read from the table's column in row order: a categorical
       column's vocabulary comes from the whole column, a numeric column's fill and scaling from its training
       values rounded to float32 (:func:`as_float32`), exactly the values the training matrix will hold.
    2. Block of rows by block, the rows are encoded, filled and scaled (a slice of rows at a time, in float64 as
       :func:`_apply_numeric` says) and each split's rows are gathered into its float32 matrix. Each block is
       freed once written, so the table and the matrices are never both whole in memory.

    Split indices are sorted, so the rows of one block land in one contiguous slice of each split's matrix.
    """
    import numpy as np

    full = rows is None  # nothing dropped: index the columns directly (one gather fewer per split)
    # Source row of every output row, per split (sorted, because idx and rows are sorted).
    sources = {k: (getattr(idx, k) if full else rows[getattr(idx, k)]) for k in ("train", "val", "test")}

    def spans(first: int, end: int) -> dict[str, tuple[int, int]]:
        return {k: (int(np.searchsorted(v, first)), int(np.searchsorted(v, end))) for k, v in sources.items()}

    def fit(name: str) -> dict[str, Any]:
        if _kind(spec, infos[name]) == "categorical":
            values = column_values(name)  # the whole column: the vocabulary comes from every row
            return _fit_column(spec, name, infos[name], values[sources["train"]], values if full else values[rows])
        # The training values, block by block straight into the float64 vector the statistics need (the fewer
        # and smaller the temporaries, the less memory the matrices find already taken).
        train = np.empty(sources["train"].size, dtype=np.float64)
        for first, part in blocks:
            lo, hi = spans(first, first + part.num_rows)["train"]
            if hi > lo:
                train[lo:hi] = as_float32(column_values(name, part)[sources["train"][lo:hi] - first])
        return _fit_column(spec, name, infos[name], train, None, rounded=True)

    # NumPy lets go of the GIL in its loops: columns are fitted, and blocks filled, on two threads.
    with ThreadPoolExecutor(min(2, os.cpu_count() or 1)) as threads:
        plan = list(threads.map(fit, features))
        recipes = dict(zip(features, plan, strict=True))
        widths = [len(p["columns"]) for p in plan]
        starts = [0, *itertools.accumulate(widths)][:-1]
        width = sum(widths)
        vectors = _recipe_vectors(plan)
        _fill, center, scale_by = vectors
        # Nothing to scale (scaling none or layer): the rows go in as they are, unless a value is missing.
        scaled = bool(center.any() or (scale_by != 1).any())
        out = {k: np.empty((v.size, width), dtype=np.float32) for k, v in sources.items()}

        def gather(first: int, part: Any) -> None:
            values = np.empty((part.num_rows, width), dtype=np.float32)
            for name, col, block in zip(features, starts, widths, strict=True):
                raw = column_values(name, part)
                recipe = recipes[name]
                values[:, col : col + block] = _apply_column(recipe, raw) if recipe["kind"] == "categorical" else raw[:, None]
            # NaN propagates through min (the values are finite otherwise).
            missing = bool(values.size) and bool(np.isnan(values.min()))
            if scaled or missing:
                wide = values.astype(np.float64)
                _apply_numeric(wide, *vectors, may_miss=missing)
                values[...] = wide
            for k, (lo, hi) in spans(first, first + part.num_rows).items():
                if hi > lo:  # straight into the matrix (mode clip: the positions are in range, and take skips its buffer)
                    np.take(values, sources[k][lo:hi] - first, axis=0, out=out[k][lo:hi], mode="clip")

        blocks.reverse()
        while blocks:
            first, part = blocks.pop()
            sub = [(first + s, part.slice(s, _FILL_ROWS)) for s in range(0, part.num_rows, _FILL_ROWS)]
            list(threads.map(lambda job: gather(*job), sub))
            del part, sub
            release()
    return plan, out


_FILL_ROWS = 16384
"""Rows encoded, scaled and gathered at once while the split matrices fill."""


def _fit_column(spec: DatasetSpec, name: str, info: ColumnInfo, train: Any, everything: Any,
                rounded: bool = False) -> dict[str, Any]:
    """The JSON-able recipe for one column, with statistics from the training rows only.

    ``rounded``: ``train`` is already :func:`as_float32` of the values, a float64 vector this function may overwrite.
    """
    import numpy as np

    kind = _kind(spec, info)
    strategy = _missing_strategy(spec, name, kind)
    plan: dict[str, Any] = {"name": name, "kind": kind, "missing": strategy, "missing_count": int(info.n_missing)}
    if in_words(kind, info):
        plan["text"] = True  # an exported model takes the words
    if kind == "categorical":
        from collections import Counter

        present = [str(v) for v in train if v is not None]
        # The vocabulary comes from every row (so shapes do not depend on the split); fill values
        # and any statistics come from the training rows only.
        cats = sorted({str(v) for v in everything if v is not None})
        counts = Counter(present)
        plan["categories"] = cats
        plan["fill"] = counts.most_common(1)[0][0] if counts else (cats[0] if cats else "")
        if strategy == "constant":
            plan["fill"] = str(spec.missing().fill_value)
        plan["encoding"] = spec.column(name).encoding
        plan["columns"] = [f"{name}={c}" for c in cats] if plan["encoding"] == "onehot" else [name]
        return plan
    train = train if rounded else as_float32(train)  # a private float64 copy (overwritten by _mean_std below)
    total = np.add.reduce(train)  # NaN exactly when a value is missing (the values are within float32's range)
    has_nan = bool(np.isnan(total))
    finite = train[~np.isnan(train)] if has_nan else train  # copies only when values are missing
    fill = 0.0
    if finite.size:
        if strategy == "mean":
            fill = float(finite.mean(dtype=np.float64)) if has_nan else float(total / finite.size)
        elif strategy == "median":
            fill = float(np.median(finite))
        elif strategy == "most_frequent":
            uniq, freq = np.unique(finite, return_counts=True)
            fill = float(uniq[np.argmax(freq)])
    if strategy == "constant":
        try:
            fill = float(spec.missing().fill_value)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"The constant fill value for numeric column {name!r} must be a number; "
                f"received {spec.missing().fill_value!r}."
            ) from exc
    plan["fill"] = fill
    scaling = spec.scaling() if kind == "numeric" else "none"
    filled = np.where(np.isnan(train), fill, train) if has_nan else train
    center, scale = 0.0, 1.0
    if scaling in ("standardize", "layer") and filled.size:
        center, scale = _mean_std(filled, None if has_nan else total)
    elif scaling == "minmax" and filled.size:
        center, scale = float(filled.min()), float(filled.max() - filled.min())
    if not (np.isfinite(center) and np.isfinite(scale) and np.isfinite(fill)):  # values are within float32's range
        raise DataError(f"{spec.path}: the statistics of column {name!r} are not finite (centre {center:g}, scale "
                        f"{scale:g}, fill {fill:g}); check the column for extreme values.", spec.path)
    plan["scaling"] = scaling
    # "layer" keeps raw values and hands mean/variance to a keras Normalization layer instead.
    plan["center"], plan["scale"] = center, (scale if scale > 0 else 1.0)
    plan["columns"] = [name]
    return plan


def _mean_std(values: Any, total: Any = None) -> tuple[float, float]:
    """``values.mean()`` and ``values.std()`` of a float64 vector, bit for bit as NumPy computes them (the same
    pairwise sums over the same arrays) in three passes instead of six; ``values`` is overwritten. ``total``: its
    sum (``numpy.add.reduce``) when already known."""
    import numpy as np

    n = values.size
    mean = (np.add.reduce(values) if total is None else total) / n
    np.subtract(values, mean, out=values)
    np.multiply(values, values, out=values)
    return float(mean), float(np.sqrt(np.add.reduce(values) / n))


def _apply_column(plan: dict[str, Any], raw: Any) -> Any:
    """Apply one column's recipe to raw values (training rows, validation rows or new rows to predict)."""
    import numpy as np

    if plan["kind"] == "categorical":
        cats = plan["categories"]
        lookup = {c: i for i, c in enumerate(cats)}
        codes = np.array([lookup.get(plan["fill"] if v is None else str(v), -1) for v in raw], dtype=np.int64)
        if plan["encoding"] == "onehot":
            out = np.zeros((len(raw), len(cats)), dtype=np.float32)
            ok = codes >= 0  # unseen categories stay all zeros
            out[np.flatnonzero(ok), codes[ok]] = 1.0
            return out
        return codes.astype(np.float32).reshape(-1, 1)
    values = as_float32(raw).reshape(-1, 1)  # a private float64 copy, changed in place below
    _apply_numeric(values, *_recipe_vectors([plan]))
    return values  # the float32 cast happens when it is stored in the output matrix


def _recipe_vectors(plan: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    """(fill, center, scale) per output column of ``plan``'s columns; 0, 0, 1 where there is nothing to do
    (categorical codes, unscaled numbers): ``x - 0`` and ``x / 1`` are ``x`` exactly."""
    import numpy as np

    fill, center, scale = [], [], []
    for p in plan:
        width = len(p["columns"])
        numeric = p["kind"] != "categorical"
        scaled = numeric and p["scaling"] in ("standardize", "minmax")
        fill += [float(p["fill"]) if numeric else 0.0] * width
        center += [float(p["center"]) if scaled else 0.0] * width
        scale += [float(p["scale"]) if scaled else 1.0] * width
    return np.array(fill), np.array(center), np.array(scale)


def _apply_numeric(values: Any, fill: Any, center: Any, scale: Any, may_miss: bool = True) -> None:
    """Fill and scale the columns of ``values`` (float64 (n, w), already rounded by :func:`as_float32`) in place.

    The numeric recipe, in one place: a missing value takes the column's fill, then ``(x - center) / scale``.
    ``may_miss=False``: the caller knows no value is missing (the look for one is skipped).
    """
    import numpy as np

    # One pass finds the columns with a missing value (inf - inf only costs a look at that column).
    for j in np.flatnonzero(np.isnan(values.sum(axis=0))) if may_miss else ():
        column = values[:, j]
        column[np.isnan(column)] = fill[j]
    values -= center
    values /= scale


def raw_columns(stats: dict[str, Any], rows: Any) -> dict[str, Any]:
    """New rows (DataFrame, list of dicts, or list of lists in feature order) -> one raw column per feature.

    Numeric and boolean columns become float64 arrays (missing = NaN; a boolean's true words = 1, false words = 0),
    categorical columns object arrays of strings (missing = None), as :func:`transform_rows` reads them.
    """
    import numpy as np

    plan = stats["features"]
    names = [p["name"] for p in plan]
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict(orient="records")
    records = [r if isinstance(r, dict) else dict(zip(names, r, strict=False)) for r in rows]
    out: dict[str, Any] = {}
    for p in plan:
        missing = [i + 1 for i, r in enumerate(records) if p["name"] not in r]
        if missing and p["missing"] == "drop":
            raise DataError(f"Row {missing[0]} has no value for column {p['name']!r}; give every feature a value.")
        raw = [r.get(p["name"]) for r in records]
        if p["kind"] == "categorical":
            out[p["name"]] = np.array([None if is_missing(v) else str(v) for v in raw], dtype=object)
            continue
        vals = []
        for i, v in enumerate(raw):
            if v is None or is_missing(v):  # (None spelled out for the type checker)
                vals.append(np.nan)
                continue
            word = boolean_word(v) if isinstance(v, str) and p["kind"] == "boolean" else None
            if word is not None:  # yes/no, y/n, true/false, t/f: as training read the column
                vals.append(word)
                continue
            try:
                vals.append(float(str(v).replace(",", ".")) if isinstance(v, str) else float(v))
            except ValueError as exc:
                raise DataError(f"Row {i + 1}, column {p['name']!r}: {v!r} is not a number.") from exc
        out[p["name"]] = np.array(vals, dtype=np.float64)
    return out


_NULLS = frozenset(NULL_VALUES)


def is_missing(value: Any) -> bool:
    """Whether one raw value of a new row is missing, as the table reader reads a training file: None, NaN
    (float or NumPy), pandas' NA, or a missing-value marker of :data:`NULL_VALUES` ('', 'NA', 'null', '-', ...)."""
    if isinstance(value, str):
        return value in _NULLS
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the one value unequal to itself
    except TypeError:  # pandas.NA: its comparisons are NA, whose truth is ambiguous
        return True


def transform_rows(stats: dict[str, Any], rows: Any) -> Any:
    """New rows (DataFrame, list of dicts, or list of lists in feature order) -> model-ready float32 x."""
    import numpy as np

    columns = raw_columns(stats, rows)
    n = len(next(iter(columns.values()))) if columns else len(rows)
    blocks = [_apply_column(p, columns[p["name"]]) for p in stats["features"]]
    return np.concatenate(blocks, axis=1).astype(np.float32) if blocks else np.zeros((n, 0), np.float32)


def kept_rows(spec: DatasetSpec, features: list[str], f_infos: dict[str, Any], column_values: Any, keep: Any,
              n_no_target: int, path: str, problems: list[Problem]) -> Any:
    """The rows training keeps: ``keep`` (rows with a target) less rows missing a feature whose strategy is drop.

    Refuses a feature column without values and a table with no row left; notes dropped rows and constant
    columns in ``problems``. Returns None when every row is kept (columns are then indexed directly, without
    a million-entry index array), else the kept row positions.
    """
    import numpy as np

    for name in features:
        info = f_infos[name]
        kind = _kind(spec, info)
        if info.all_missing:
            raise DataError(f"{path}: feature column {name!r} has no values (all {info.n_rows} rows missing); set its "
                            "role to ignore.", path)
        if _missing_strategy(spec, name, kind) == "drop" and info.n_missing:
            values = column_values(name)
            keep &= ~(np.array([v is None for v in values]) if kind == "categorical" else np.isnan(values))
        if info.constant:
            problems.extend(p for p in info.problems if "same value" in p.message)
    n_kept = int(keep.sum())
    n_dropped = len(keep) - n_kept - n_no_target
    if n_no_target:
        problems.append(Problem("info", f"{path}: {n_no_target} row(s) without a target value were dropped."))
    if n_dropped:
        problems.append(Problem("info", f"{path}: {n_dropped} row(s) with missing values were dropped (strategy drop)."))
    if n_kept == 0:
        raise DataError(f"{path}: no rows are left after dropping missing values; choose another strategy.", path)
    return None if n_kept == len(keep) else np.flatnonzero(keep)
