"""Tables of plain numbers parsed by the compiled reader (``_fast_numbers``), in place of Arrow's parser.

Large tables are often numbers only. Arrow parses every field as text first (finding the
delimiters, then converting each field), then the loader narrows the float features to float32; the compiled
reader does it all in one pass per piece, straight into the column buffers the loader keeps. It reads one
grammar only (``-12``, ``3.25``, ``1e-5``, or an empty field: a missing value; LF or CRLF lines, empty lines
skipped) and gives up on anything else: a quote, a space, a missing-value word (``NA``), another word, a ragged
row, a column with no value at all, an integer column whose values its buffer cannot hold exactly, a float32
value out of range. Then :func:`read_numbers` answers None and the caller
parses the file with Arrow as before, which handles (and reports) all of those.

The table it makes is the table Arrow's streaming read makes: the same column names, int64 for a column of
integers only, float64 for other columns and float32 for those ``narrow`` names, each value the correctly
rounded float64 of its text (narrowed with round to nearest); the tests compare both on generated files.
Without ``narrow`` it is the table of Arrow's whole-file read, which the Data panel's inspection uses.
Without the compiled module (no C compiler at install time) every file is parsed by Arrow.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

from visualnn.services.datasets.file_pieces import head_bytes, piece_cuts, table_pool

if TYPE_CHECKING:
    from visualnn.services.datasets.tables import CsvFormat, Narrow

_ASCII_DIGITS = {"utf-8", "utf-8-sig", "latin-1", "iso-8859-1", "ascii", "cp1252"}
"""Encodings in which a digit, a sign, a point and the delimiter are the ASCII bytes the reader looks for."""


def compiled() -> Any | None:
    """The compiled module, or None where it was not built."""
    import importlib

    try:  # by name: a C extension, which the import graph's tools cannot read
        return importlib.import_module("visualnn.services.datasets._fast_numbers")
    except ImportError:
        return None


def read_numbers(path: str, fmt: CsvFormat, read: Any, parse: Any, convert: Any, narrow: Narrow | None,
                 piece_bytes: int) -> Any | None:
    """``path`` parsed by the compiled reader into a pyarrow Table (see the module), or None when the reader is
    not built or the file is not plain numbers (the caller then parses it with Arrow)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    native = compiled()
    if native is None or fmt.encoding.lower() not in _ASCII_DIGITS or fmt.newlines_in_values:
        return None
    if len(fmt.delimiter) != 1 or len(fmt.decimal) != 1 or fmt.delimiter == fmt.decimal:
        return None
    # Names (and a first look at the types) from Arrow's parse of the first lines: a text column ends it here.
    head = head_bytes(path, 1 + int(fmt.header))
    try:
        first = pcsv.read_csv(io.BytesIO(head), read_options=pcsv.ReadOptions(
            encoding=read.encoding, autogenerate_column_names=read.autogenerate_column_names),
            parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:
        return None
    numeric = (pa.types.is_int64, pa.types.is_float64, pa.types.is_null)  # null: an empty first value
    if first.num_rows != 1 or not all(any(kind(t) for kind in numeric) for t in first.schema.types):
        return None
    try:
        names = first.column_names
    except UnicodeDecodeError:  # a name that is not UTF-8: Arrow's read finds the line and reads it as latin-1
        return None
    start = head.find(b"\n") + 1 if fmt.header else 0  # the header line's bytes (a data row follows it)
    if not fmt.header and head.startswith(b"\xef\xbb\xbf"):
        return None
    keep = set(narrow(names)) if narrow is not None else set()
    kinds = bytes(ord("f") if name in keep else ord("d") for name in names)
    widths = [4 if k == ord("f") else 8 for k in kinds]
    cuts = piece_cuts(path, start, piece_bytes)
    pool = table_pool()
    stop: list[bool] = []

    def piece(i: int) -> tuple[int, bytes, list[Any], list[Any]] | None:
        if stop:
            return None
        with pa.OSFile(path) as fh:  # one file object per read: pieces are read on two threads
            fh.seek(cuts[i])
            data = fh.read_buffer(cuts[i + 1] - cuts[i])
        capacity = native.lines(data)
        # A buffer per column: the loader frees the target's and ignored columns' before it reads the features.
        outs = [pa.allocate_buffer(max(capacity * width, 1), memory_pool=pool) for width in widths]
        valid = [pa.allocate_buffer(capacity // 8 + 1, memory_pool=pool) for _ in widths]
        rows, flags, failed = native.parse(data, fmt.delimiter, fmt.decimal, kinds, outs, valid, capacity)
        if failed:
            stop.append(True)
            return None
        # Only a column with a missing value keeps its bitmap (Arrow's arrays have none otherwise).
        return rows, flags, outs, [v if f & native.MISSING else None for v, f in zip(valid, flags, strict=True)]

    pieces = range(len(cuts) - 1)
    if len(cuts) > 2 and (os.cpu_count() or 1) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as threads:  # the reader lets go of the GIL
            results = list(threads.map(piece, pieces))
    else:
        results = [piece(i) for i in pieces]
    done = [r for r in results if r is not None]
    total = sum(r[0] for r in done)
    if stop or len(done) != len(results) or not total:
        return None
    columns = []
    for j, kind in enumerate(kinds):
        flags = [r[1][j] for r in done]
        typ = pa.float32() if kind == ord("f") else pa.float64()
        chunks = [pa.Array.from_buffers(typ, rows, [valid[j], outs[j].slice(0, rows * widths[j])])
                  for rows, _flags, outs, valid in done if rows]
        if sum(c.null_count for c in chunks) == total:
            return None  # no value at all: Arrow gives such a column the type null
        if not any(f & native.FRACTION for f in flags):  # integers only: Arrow reads them as int64
            if any(f & native.LONG_INT for f in flags):
                return None  # one is not exact in the buffer: Arrow reads the column itself
            chunks = [c.cast(pa.int64(), memory_pool=pool) for c in chunks]
            typ = pa.int64()
        columns.append(pa.chunked_array(chunks, type=typ))
    return pa.Table.from_arrays(columns, names=names)

