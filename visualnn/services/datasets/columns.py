"""Per-column analysis of a table: type, kind, missing and distinct counts, problems (TF-free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.dataset import FALSE_WORDS, TRUE_WORDS
from visualnn.core.tensors import is_identifier
from visualnn.services.datasets.errors import DataError, Problem

FLOAT32_MAX = 3.4028234663852886e38
"""The largest float32: models compute in float32, so a value beyond it becomes infinity (and a column's standard
deviation infinite, which scales every value of the column to zero)."""
_MAX_BAD_ROWS = 5


@dataclass
class ColumnInfo:
    """What the preview table shows above one column."""

    name: str
    dtype: str  # arrow type as text: int64, double, string, bool
    kind: str  # detected: numeric | categorical | boolean
    n_missing: int
    n_unique: int
    n_rows: int
    sample: list[Any] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (row number 1-based, text) in numeric columns
    problems: list[Problem] = field(default_factory=list)
    integral: bool = False  # numeric and every value a whole number
    overflow: tuple[int, float] | None = None  # (row 1-based, value) of the first value beyond float32's range

    @property
    def all_missing(self) -> bool:
        """No value at all."""
        return self.n_missing >= self.n_rows

    @property
    def constant(self) -> bool:
        """One distinct value in every non-missing row."""
        return self.n_unique == 1 and not self.all_missing

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name, "dtype": self.dtype, "kind": self.kind, "missing": self.n_missing,
            "unique": self.n_unique, "rows": self.n_rows, "sample": self.sample,
            "bad_rows": [list(b) for b in self.bad_rows], "problems": [p.to_dict() for p in self.problems],
        }


def _json_value(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.decode("latin-1")
    if isinstance(v, float) and v != v:
        return None
    return v


def row_lines(rows: list[int], header: bool = True) -> str:
    """``"rows 3, 8 (lines 4, 9)"`` for 1-based data rows (lines assume one line per row)."""
    offs = 1 if header else 0
    return f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))} (line{'s' if len(rows) > 1 else ''} " + (
        ", ".join(str(r + offs) for r in rows) + ")"
    )


def in_words(kind: str, info: ColumnInfo) -> bool:
    """Whether a column read as ``kind`` is a yes/no column written as words (yes/no, true/false, ...), which an
    exported model then takes as text (a 0/1 or true/false column it takes as numbers)."""
    return kind == "boolean" and info.dtype in ("string", "large_string")


def identifier_problem(info: ColumnInfo, path: str = "", kind: str | None = None) -> Problem | None:
    """A warning for a categorical (``kind``, else as detected) feature column with a different value in (almost)
    every row: an identifier, a timestamp or free text, whose one-hot columns (or codes) learn the training rows
    and carry over to no new row. None for any other column."""
    present = info.n_rows - info.n_missing
    if not is_identifier(kind or info.kind, info.n_unique, present):
        return None
    where = f"{path}: " if path else ""
    how = "every" if info.n_unique == present else "almost every"
    return Problem("warning", f"{where}column {info.name!r} has a different value in {how} row ({info.n_unique:,} of "
                              f"{present:,}): an identifier, a timestamp or free text? As a feature it becomes "
                              f"{info.n_unique:,} one-hot columns (or as many codes) that cannot carry over to new "
                              "rows; set its role to ignore, or derive numbers from it (the month of a date) before "
                              "loading.")


def analyze_column(name: str, column: Any, path: str = "", header: bool = True, detail: bool = True) -> ColumnInfo:
    """Type, kind, counts and problems of one pyarrow column.

    ``detail=False`` (the loading path) skips the distinct count and whole-number check of numeric
    columns, which cost a hash or a copy per column; constancy is then read from min == max.
    """
    import numpy as np
    import pyarrow as pa

    n = len(column)
    typ = column.type
    dtype = str(typ)
    sample = [_json_value(v) for v in column.slice(0, 5).to_pylist()]
    if pa.types.is_float32(typ):  # a column read as float32: its numbers as written (0.1, not 0.10000000149011612)
        sample = [v if v is None else float(str(np.float32(v))) for v in sample]
    n_missing = column.null_count
    bad: list[tuple[int, str]] = []
    integral = False
    numbers: Any = None  # the values of a float or text column read as numbers (checked against float32's range)
    scan: FloatScan | None = None  # a float column's facts, read in one pass
    present: Any = None  # a number column's present values as one NumPy array (detail only: a copy)
    if pa.types.is_null(typ):
        kind = "numeric"  # an all-empty column: arrow cannot tell its type
    elif pa.types.is_integer(typ) or pa.types.is_floating(typ):
        kind = "numeric"
        if pa.types.is_floating(typ):
            numbers = column
            scan = float_scan(column)
            n_missing += scan.nan_count
            if detail:
                present = column.drop_null().to_numpy()
                finite = present[np.isfinite(present)]
                integral = bool(finite.size) and bool(np.all(finite == np.round(finite)))
        else:
            integral = True
    elif pa.types.is_boolean(typ):
        kind = "boolean"
    else:
        series = column.to_pandas()
        text = series.dropna().astype(str).str.strip()
        lowered = set(text.str.lower().unique())
        if lowered and lowered <= (TRUE_WORDS | FALSE_WORDS):
            kind = "boolean"
        else:
            import pandas as pd

            coerced = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            n_bad = int(coerced.isna().sum())
            # Mostly numbers with a few words: a numeric column with typos or placeholders like "?".
            if text.size and 0 < n_bad <= max(1, text.size // 10) and n_bad < text.size:
                kind = "numeric"
                numbers = pa.array(coerced.reindex(series.index).to_numpy(dtype=np.float64, na_value=np.nan))
                bad_idx = coerced.index[coerced.isna()][:_MAX_BAD_ROWS]
                bad = [(int(i) + 1, str(series.iloc[int(i)])) for i in bad_idx]
            else:
                kind = "categorical"
    if not n or pa.types.is_null(typ):
        n_unique = 0
    elif not detail and kind == "numeric" and not bad and not pa.types.is_string(typ):
        lo, hi = (scan.lo, scan.hi) if scan is not None else _bounds(column)
        # -1 means "more than one, not counted": enough to tell constant columns apart.
        n_unique = 0 if lo is None else (1 if lo == hi else -1)
    elif kind == "numeric" and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        # NumPy's sort: a twelfth of pyarrow.compute.count_distinct's time on 1M floats (7 against 89 ms), and 0.0
        # and -0.0 are one value, as the person reads them.
        n_unique = int(np.unique(present if present is not None else column.drop_null().to_numpy()).size)
    else:
        import pyarrow.compute as pc

        n_unique = int(pc.count_distinct(column.drop_null()).as_py() or 0)
    overflow = scan.overflow if scan is not None else None if numbers is None else _first_overflow(numbers)
    info = ColumnInfo(name, dtype, kind, n_missing, n_unique, n, sample, bad, integral=integral, overflow=overflow)
    where = f"{path}: " if path else ""
    if info.overflow is not None:
        info.problems.append(Problem("warning", overflow_message(info, path, header) + " Training refuses it."))
    if info.all_missing:
        info.problems.append(
            Problem("warning", f"{where}column {name!r} is empty (all {n} rows missing); set its role to ignore.")
        )
    elif info.constant:
        info.problems.append(
            Problem(
                "warning",
                f"{where}column {name!r} has the same value ({sample[0]!r}) in every row; it carries no information "
                "(consider the role ignore).",
            )
        )
    if bad:
        rows = [r for r, _ in bad]
        words = ", ".join(repr(t) for _, t in bad)
        info.problems.append(
            Problem(
                "warning",
                f"{where}column {name!r} looks numeric but {row_lines(rows, header)} contain text ({words}); "
                "fix those cells, mark them missing, or set the column kind to categorical.",
            )
        )
    if n_missing and not info.all_missing:
        info.problems.append(Problem("info", f"{where}column {name!r} has {n_missing} missing value(s) of {n}."))
    return info


@dataclass(frozen=True)
class FloatScan:
    """What one pass over a float column finds: NaN values that are not nulls, the bounds of its present values
    (None when there is none) and its first value beyond float32's range, as :func:`_first_overflow` gives it."""

    nan_count: int
    lo: Any
    hi: Any
    overflow: tuple[int, float] | None


def float_scan(column: Any) -> FloatScan:
    """:class:`FloatScan` of a float column: each chunk's min and max (NaN propagates through both), and the
    slower per-value passes only for a chunk whose min or max is NaN or beyond float32's range (a clean chunk,
    the usual case, costs two reductions instead of five passes with temporaries)."""
    import numpy as np

    nan_count = start = 0
    lo: Any = None
    hi: Any = None
    overflow: tuple[int, float] | None = None
    for chunk in _chunks(column):
        values = _numpy(chunk)  # nulls become NaN
        if values.size:
            a, b = values.min().item(), values.max().item()
            if a != a or b != b:  # a NaN: count it, then bound the rest
                nan = np.isnan(values)
                nan_count += int(np.count_nonzero(nan)) - chunk.null_count
                present = values[~nan]
                a, b = (present.min().item(), present.max().item()) if present.size else (None, None)
            if a is not None:
                lo, hi = (a if lo is None else min(lo, a)), (b if hi is None else max(hi, b))
                if overflow is None and (b > FLOAT32_MAX or a < -FLOAT32_MAX):
                    overflow = _first_overflow(chunk)
                    overflow = None if overflow is None else (start + overflow[0], overflow[1])
        start += len(chunk)
    return FloatScan(nan_count, lo, hi, overflow)


def _first_overflow(numbers: Any) -> tuple[int, float] | None:
    """(row 1-based, value) of the first value of a float column whose magnitude is beyond float32's (inf too).

    Read from the Arrow buffers (no ``pyarrow.compute`` import on the numeric path); NaN and missing values
    compare as false. Integer columns cannot overflow float32 (int64 stays below 9.3e18).
    """
    import numpy as np

    start = 0
    for chunk in _chunks(numbers):
        values = _numpy(chunk)
        if values.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                over = np.abs(values) > FLOAT32_MAX
            if over.any():
                i = int(np.argmax(over))
                return start + i + 1, float(values[i])
        start += len(chunk)
    return None


def overflow_message(info: ColumnInfo, path: str, header: bool = True) -> str:
    """What is wrong with a column holding a value beyond float32's range, and the fix (``info.overflow`` set)."""
    assert info.overflow is not None
    row, value = info.overflow
    where = f"{path}: " if path else ""
    return (f"{where}column {info.name!r} holds {value:g} on {row_lines([row], header)}, beyond the range of the "
            f"float32 numbers a model computes with (±{FLOAT32_MAX:.1e}): it would become infinite and scaling would "
            "turn the whole column into zeros. Fix the cell (a typo or a placeholder?), leave it empty to treat it "
            "as missing, set the column's role to ignore, or rescale the column (e.g. log or other units).")


def _chunks(column: Any) -> list[Any]:
    return list(column.chunks) if hasattr(column, "chunks") else [column]


def _numpy(chunk: Any) -> Any:
    """An integer or float Arrow array as NumPy (a view without nulls; else a float copy, nulls as NaN).

    Read from the Arrow buffers directly: pyarrow's own ``to_numpy`` imports pandas (about a second).
    """
    import numpy as np
    import pyarrow as pa

    typ = chunk.type
    kind = "f" if pa.types.is_floating(typ) else ("i" if pa.types.is_signed_integer(typ) else "u")
    dtype = np.dtype(f"{kind}{typ.bit_width // 8}")
    n, off = len(chunk), chunk.offset
    validity, data = chunk.buffers()[:2]
    values = np.frombuffer(data, dtype=dtype, count=off + n)[off:] if n else np.empty(0, dtype)
    if not chunk.null_count:
        return values
    valid = np.unpackbits(np.frombuffer(validity, np.uint8), count=off + n, bitorder="little")[off:].view(bool)
    out = values.astype(np.float64 if kind != "f" else dtype)
    out[~valid] = np.nan
    return out


def _bounds(column: Any) -> tuple[Any, Any]:
    """(min, max) of a numeric column's present values, NaN skipped; (None, None) when there is none."""
    import numpy as np
    import pyarrow as pa

    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        import pyarrow.compute as pc

        bounds = pc.min_max(column).as_py()
        return bounds["min"], bounds["max"]
    lo: Any = None
    hi: Any = None
    for chunk in _chunks(column):
        if len(chunk) == chunk.null_count:
            continue
        values = _numpy(chunk)
        if values.dtype.kind == "f":
            values = values[~np.isnan(values)] if np.isnan(values).any() else values
        if not values.size:
            continue
        a, b = values.min().item(), values.max().item()
        lo, hi = (a if lo is None else min(lo, a)), (b if hi is None else max(hi, b))
    return lo, hi


def column_numpy(column: Any, dtype: Any = None) -> Any:
    """A numeric column (Array or ChunkedArray, nulls as NaN for floats) as one NumPy array."""
    import numpy as np

    parts = [_numpy(c) for c in _chunks(column)]
    if not parts:
        return np.empty(0, dtype=dtype or np.float64)
    if len(parts) == 1:
        return parts[0] if dtype is None else parts[0].astype(dtype, copy=False)
    return np.concatenate(parts) if dtype is None else np.concatenate(parts).astype(dtype, copy=False)


def analyze_table(table: Any, path: str = "", header: bool = True) -> list[ColumnInfo]:
    """:func:`analyze_column` for every column."""
    return [analyze_column(name, table.column(name), path, header) for name in table.column_names]


def numeric_values(info: ColumnInfo, column: Any, path: str, header: bool = True) -> Any:
    """The column as float NumPy (missing = NaN; float32 stays float32); text in a numeric column is an error."""
    import numpy as np
    import pyarrow as pa

    typ = column.type
    if info.overflow is not None and info.kind == "numeric":
        raise DataError(overflow_message(info, path, header), path)
    if pa.types.is_floating(typ):
        # float32 columns stay float32 (statistics are accumulated in float64 by the callers); nulls read as NaN.
        return column_numpy(column)
    if pa.types.is_integer(typ):
        return column_numpy(column.cast(pa.float64()))
    if pa.types.is_null(typ):
        return np.full(len(column), np.nan)
    if pa.types.is_boolean(typ):
        import pyarrow.compute as pc

        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    import pandas as pd

    series = column.to_pandas()
    lowered = series.astype("string").str.strip().str.lower()
    if info.kind == "boolean":
        out = np.full(len(series), np.nan)
        out[lowered.isin(TRUE_WORDS).to_numpy(dtype=bool)] = 1.0
        out[lowered.isin(FALSE_WORDS).to_numpy(dtype=bool)] = 0.0
        return out
    coerced = pd.to_numeric(series.astype("string").str.strip().str.replace(",", ".", regex=False), errors="coerce")
    bad = series.notna().to_numpy() & coerced.isna().to_numpy()
    if bad.any():
        rows = [int(i) + 1 for i in np.flatnonzero(bad)[:_MAX_BAD_ROWS]]
        words = ", ".join(repr(str(series.iloc[r - 1])) for r in rows)
        raise DataError(
            f"{path}: column {info.name!r} is numeric but {row_lines(rows, header)} contain text ({words}); "
            "fix those cells, leave them empty to treat them as missing, or set the column kind to categorical.",
            path,
        )
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


def text_values(column: Any) -> Any:
    """The column as a NumPy object array of strings (missing = None)."""
    import numpy as np

    values = column.to_pylist()
    return np.array([None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values], dtype=object)


def closest_column(name: str, names: list[str]) -> str | None:
    """The column ``name`` most likely meant (same letters in another case, else the closest spelling), or None."""
    import difflib

    folded = {n.casefold(): n for n in names}
    if name.casefold() in folded:
        return folded[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None
