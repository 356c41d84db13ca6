"""Named parts from a CSV: column groups feed the Inputs, one target column per output (TF-free arrays).

For a model with several Inputs or outputs (:mod:`visualnn.core.model_io`) each feature column belongs
to the Input its column options name (:func:`visualnn.core.column_groups.column_parts`), and each output
is compared with its one target column. Every group is encoded exactly as the single-input CSV encodes its
features (:mod:`visualnn.services.datasets.tabular`: column kinds, one-hot/index, missing values, scaling
with the training split's statistics) and each target on its own (task and class names per column). All
parts share one split, stratified by the first classification output, as ``.npz`` named parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.services.datasets.errors import DataError, Problem

if TYPE_CHECKING:
    from visualnn.services.datasets.prepared import PreparedData

CLASSIFICATION = ("binary", "multiclass")
SPLITS = ("train", "val", "test")


def _label_format(task: str, enc: Any) -> str:
    if task == "regression":
        return "float"
    if task == "multiclass" and enc.ndim == 2:
        return "onehot"
    return "int"


def prepare_csv_parts(spec: DatasetSpec, pipe: PipelineOptions, seed: int, inputs: list[str],
                      outputs: list[str]) -> PreparedData:
    """A CSV as named parts -> dict pipelines ``({input: x}, {output: y})`` (one output: ``y`` bare)."""
    from visualnn.services.datasets.prepared import from_parts
    from visualnn.services.datasets.tables import read_table
    from visualnn.services.datasets.tabular import table_parts

    path = spec.path
    read = read_table(path, spec.csv(), spec.max_bytes())
    table, header = read.table, read.format.header
    mapping = table_parts(spec, list(table.column_names), inputs, outputs)
    problems: list[Problem] = list(read.problems)
    enc = encode_table(spec, path, table, header, mapping, inputs, outputs, problems)
    x, y, parts, stats_parts, plan, idx = enc.x, enc.y, enc.parts, enc.stats_parts, enc.plan, enc.idx
    if len(outputs) == 1:  # one output: Keras compares it with a bare target array, as a single-output model
        y = {k: y[k][outputs[0]] for k in SPLITS}
    first = enc.encoded[outputs[0]]
    stats: dict[str, Any] = {
        "source": "csv", "csv": read.format.to_dict(), "task": first[0], "class_names": first[1],
        "inputs": list(inputs), "outputs": list(outputs), "parts": stats_parts, "features": plan,
        "feature_names": [n for p in plan for n in p["columns"]], "targets": [mapping.targets[n] for n in outputs],
        "ignored": [n for n in table.column_names if n not in enc.features and n not in mapping.targets.values()],
        "target_encoding": spec.target_encoding(), "scaling": spec.scaling(),
        "label_format": stats_parts[len(inputs)]["label_format"],
        "rows": enc.rows_stats(),
        "split": {k: int(getattr(idx, k).size) for k in SPLITS},
    }
    features = enc.features
    positions = enc.positions

    def transform(raw: Any) -> dict[str, Any]:
        """New rows (DataFrame, list of dicts) -> one encoded array per Input, as the model takes them."""
        return rows_to_parts(stats, raw)

    def raw_rows(split_name: str, count: int) -> Any:
        """The split's first ``count`` rows as the file holds them (feature columns only, a DataFrame)."""
        again = read_table(path, spec.csv(), spec.max_bytes()).table
        return again.select(features).take(positions[split_name][: max(0, count)]).to_pandas()

    return from_parts(x, y, parts, stats=stats, pipe=pipe, seed=seed, transform=transform,
                      target_encoding=spec.target_encoding(), kinds=dict.fromkeys(inputs, "vector"),
                      raw_samples=raw_rows, problems=problems)


@dataclass
class TableEncoding:
    """A table's named parts, encoded and split: what :func:`encode_table` returns.

    ``x[split][input]`` and ``y[split][output]`` are the arrays, ``parts``/``stats_parts`` one entry per table
    Input and per output (in that order), ``plan`` every feature column's recipe, ``idx`` the split over the
    kept rows and ``positions[split]`` the table row of each of the split's samples.
    """

    x: dict[str, dict[str, Any]]
    y: dict[str, dict[str, Any]]
    parts: list[Any]
    stats_parts: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    idx: Any
    positions: dict[str, Any]
    encoded: dict[str, tuple[str, list[str], Any]]
    features: list[str]
    n_kept: int
    n_dropped: int
    n_no_target: int

    def rows_stats(self) -> dict[str, int]:
        """Rows of the table: total, used, dropped for missing values, dropped for a missing target."""
        return {"total": int(self.n_kept + self.n_dropped + self.n_no_target), "used": self.n_kept,
                "dropped_missing": self.n_dropped, "dropped_no_target": self.n_no_target}


def encode_table(spec: DatasetSpec, path: str, table: Any, header: bool, mapping: Any, inputs: list[str],
                 outputs: list[str], problems: list[Problem],
                 extra: dict[str, tuple[str, list[str], Any]] | None = None) -> TableEncoding:
    """Encode ``table``'s column groups (one per name of ``inputs``) and target columns, over one shared split.

    ``mapping`` is the :class:`~visualnn.core.column_groups.ColumnParts` of the table. ``outputs`` are every
    output of the model in its order; an output in ``extra`` does not come from a column but is given as
    ``(task, class names, codes)`` with one float code per row (NaN: missing), e.g. an image's class folder.
    The split is stratified by the first classification output (in ``outputs`` order).
    """
    import numpy as np

    from visualnn.services.datasets.columns import analyze_column, numeric_values, text_values
    from visualnn.services.datasets.prepared import DataPart
    from visualnn.services.datasets.split import split_indices
    from visualnn.services.datasets.tabular import (
        _encode_targets,
        _encode_y,
        _fit_and_apply,
        _kind,
        _row_blocks,
        kept_rows,
    )

    extra = dict(extra or {})
    # A task forced in the Data panel describes one target; with several, each output's task is detected.
    own = spec if len(outputs) == 1 else spec.with_options(task=None)
    encoded: dict[str, tuple[str, list[str], Any]] = {}
    keep = np.ones(table.num_rows, dtype=bool)
    for name in outputs:
        if name in extra:
            encoded[name] = extra[name]
            keep &= ~np.isnan(extra[name][2]).any(axis=1)
            continue
        col = mapping.targets[name]
        info = analyze_column(col, table.column(col), path, header, detail=False)
        try:
            task, class_names, codes, _ = _encode_targets(own, [info], [table.column(col)], header)
        except DataError as exc:
            raise DataError(f"{exc} (target column {col!r}, output node {name!r})", path) from exc
        if task in CLASSIFICATION and len(class_names) < 2:
            only = class_names[0] if class_names else "nothing"
            raise DataError(f"{path}: target column {col!r} (output node {name!r}) has a single class ({only!r}) in "
                            "every row; a classifier needs at least two classes. Choose another target column for "
                            f"output {name!r} or add rows of the other classes.", path)
        encoded[name] = (task, class_names, codes)
        keep &= ~np.isnan(codes).any(axis=1)
    n_no_target = int((~keep).sum())
    features = [c for name in inputs for c in mapping.groups[name]]
    f_infos = {n: analyze_column(n, table.column(n), path, header, detail=False) for n in features}

    def column_values(name: str, part: Any = None) -> Any:
        col = (table if part is None else part).column(name)
        if _kind(spec, f_infos[name]) == "categorical":
            return text_values(col)
        return numeric_values(f_infos[name], col, path, header)

    rows = kept_rows(spec, features, f_infos, column_values, keep, n_no_target, path, problems)
    n_kept = int(keep.sum())  # keep now also drops rows missing a feature (strategy drop)
    n_dropped = len(keep) - n_kept - n_no_target
    kept = {name: (codes if rows is None else codes[rows]) for name, (_, _, codes) in encoded.items()}
    split = spec.split()
    first_cls = next((name for name in outputs if encoded[name][0] in CLASSIFICATION), None)
    labels = kept[first_cls][:, 0].astype(np.int64) if first_cls is not None else None
    idx = split_indices(n_kept, split.val, split.test, split.seed, labels, bool(split.stratify and first_cls),
                        encoded[first_cls][1] if first_cls is not None else None)
    y: dict[str, Any] = {k: {} for k in SPLITS}
    for name in outputs:
        task, class_names, _ = encoded[name]
        for k in SPLITS:
            y[k][name] = _encode_y(kept[name][getattr(idx, k)], task, len(class_names), spec.target_encoding())
    positions = {k: (getattr(idx, k) if rows is None else rows[getattr(idx, k)]) for k in SPLITS}
    x: dict[str, dict[str, Any]] = {k: {} for k in SPLITS}
    parts: list[DataPart] = []
    stats_parts: list[dict[str, Any]] = []
    plan: list[dict[str, Any]] = []
    if features:
        plan, x_all = _fit_and_apply(spec, features, f_infos, column_values, rows, idx,
                                     _row_blocks(table.select(features)))
        start = 0
        plans = {p["name"]: p for p in plan}
        for name in inputs:
            cols = mapping.groups[name]
            group = [plans[c] for c in cols]
            width = sum(len(p["columns"]) for p in group)
            for k in SPLITS:
                x[k][name] = np.ascontiguousarray(x_all[k][:, start : start + width])
            start += width
            parts.append(DataPart(name, "input", ", ".join(cols), None, (width,), "float32", columns=tuple(cols)))
            stats_parts.append({"name": name, "role": "input", "columns": list(cols), "features": group,
                                "feature_names": [n for p in group for n in p["columns"]], "shape": [width],
                                "dtype": "float32"})
        del x_all
    for name in outputs:
        task, class_names, _ = encoded[name]
        enc = y["train"][name]
        if name in extra:
            parts.append(DataPart(name, "target", "class folders", None, tuple(int(d) for d in enc.shape[1:]),
                                  str(enc.dtype), task, tuple(class_names)))
            stats_parts.append({"name": name, "role": "target", "folders": True, "shape": list(enc.shape[1:]),
                                "dtype": str(enc.dtype), "task": task, "class_names": class_names,
                                "label_format": _label_format(task, enc)})
            continue
        col = mapping.targets[name]
        parts.append(DataPart(name, "target", col, None, tuple(int(d) for d in enc.shape[1:]), str(enc.dtype), task,
                              tuple(class_names), columns=(col,)))
        stats_parts.append({"name": name, "role": "target", "column": col, "shape": list(enc.shape[1:]),
                            "dtype": str(enc.dtype), "task": task, "class_names": class_names,
                            "label_format": _label_format(task, enc)})
    return TableEncoding(x, y, parts, stats_parts, plan, idx, positions, encoded, features, n_kept, n_dropped,
                         n_no_target)


def rows_to_parts(stats: dict[str, Any], rows: Any) -> dict[str, Any]:
    """Table rows (DataFrame, list of dicts) -> ``{Input name: float32 (n, width)}`` with each group's recipes."""
    from visualnn.services.datasets.tabular import transform_rows

    if isinstance(rows, dict) and not hasattr(rows, "to_dict"):
        raise DataError("This model takes table rows: give a CSV file or rows with one value per feature column.")
    return {str(p["name"]): transform_rows(p, rows) for p in stats["parts"] if p.get("role") == "input"}


__all__ = ["TableEncoding", "encode_table", "prepare_csv_parts", "rows_to_parts"]
