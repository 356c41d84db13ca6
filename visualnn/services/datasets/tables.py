"""Reading delimited text tables (CSV/TSV) into a pyarrow Table, with format detection and clear errors.

No TensorFlow here (the UI preview and ``visualnn data inspect`` use it). pyarrow parses in parallel
and keeps numeric columns compact; pandas is only used for per-column analysis of text columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

from visualnn.core.dataset import DEFAULT_MAX_BYTES, NULL_VALUES, CsvOptions
from visualnn.core.tensors import human_bytes
from visualnn.services.datasets.errors import DataError, Problem, missing_path_error
from visualnn.services.datasets.fast_numbers import read_numbers
from visualnn.services.datasets.file_pieces import head_bytes, piece_cuts, release, table_pool

# Same list in the exported code (core/codegen), so the app and the script agree on what is missing.
_SNIFF_BYTES = 64 * 1024
MAX_COLUMNS = 10_000
"""The most columns a table may have. Parsing and analysing a column costs ~10 KB whatever its length, so a
2 MB file of 200,000 one-letter columns would take 2 GB; wider data belongs in a NumPy array (.npy/.npz)."""
_FIRST_LINE_BYTES = 1 << 20  # pyarrow's block: a first line longer than this is refused by the parser itself
_CANDIDATE_DELIMITERS = ",;\t|"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class CsvFormat:
    """The detected (or given) way to parse a file."""

    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    decimal: str = "."
    # A quoted value holding a newline seen at the start of the file: parse with the slower newline-aware chunker
    # (a later one that breaks the fast parse sends the read back to that chunker).
    newlines_in_values: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what ``DatasetSpec.options["csv"]`` stores)."""
        return {"delimiter": self.delimiter, "encoding": self.encoding, "header": self.header, "decimal": self.decimal}


@dataclass
class TableRead:
    """A parsed table plus how it was parsed and what was noticed."""

    table: Any  # pyarrow.Table
    format: CsvFormat
    problems: list[Problem] = field(default_factory=list)


def check_file(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """Size of ``path`` after checking it exists, is a file, is not empty and is under the limit."""
    if not os.path.exists(path):
        raise missing_path_error(path)
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder; choose a CSV/TSV file (or use an image folder source).", path)
    size = os.path.getsize(path)
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes); choose a file with a header row and data rows.", path)
    if size > max_bytes:
        raise DataError(
            f"{path} is {human_bytes(size)}, over the {human_bytes(max_bytes)} limit for loading into memory. "
            "Use a smaller sample of the file, or raise the limit (options max_bytes) if you have the memory.",
            path,
        )
    return size


SOURCES_READ = ("a CSV/TSV table, a .npy/.npz array file, or an image folder (one sub-folder of images per class, "
                "chosen as the folder above the class folders)")
"""What a data source can be: said when a file is none of them."""

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"\x89HDF\r\n\x1a\n", "an HDF5 file (such as a Keras .h5 model)"),
    (b"\x93NUMPY", "a NumPy array file"), (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"),
)
_UTF_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),  # before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def not_a_table(path: str, head: bytes) -> str | None:
    """Why the file starting with ``head`` cannot be read as a delimited text table (None when it may be one):
    an image, a model or another binary file, or text in UTF-16/UTF-32."""
    for bom, name in _UTF_BOMS:
        if head.startswith(bom):
            return _wide_text(path, name)
    kind = next((what for magic, what in _SIGNATURES if head.startswith(magic)), None)
    if kind is None and head.startswith(b"PK\x03\x04"):
        kind = "a Keras model (.keras archive)" if path.lower().endswith(".keras") else "a zip archive"
    if kind is None and head.startswith(b"BM") and len(head) > 14 and b"\x00" in head[:14]:
        kind = "a BMP image"
    if kind is None and (b"\x00" in head[:1024] or head.count(0) > len(head) // 100):
        sample = head[: len(head) - len(head) % 2]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if min(even, odd) == 0 and max(even, odd) > len(sample) // 5:  # every other byte a NUL: UTF-16 text
            return _wide_text(path, "UTF-16")
        kind = "a binary file (it holds NUL bytes)"
    if kind is None:
        return None
    advice = f"Data sources are {SOURCES_READ}."
    if "Keras" in kind or "HDF5" in kind:
        advice += " To open a model, import it (File > Import Keras Model…, or visualnn import-model)."
    elif kind.endswith("image"):
        advice += " For images, choose the folder that holds the class folders."
    return f"{path} is {kind}, not a text table. {advice}"


def _wide_text(path: str, encoding: str) -> str:
    return (f"{path} is {encoding} text, which is not read here: tables are read as UTF-8 (or latin-1). Save it as "
            f"UTF-8 (in Excel: Save As > CSV UTF-8; or iconv -f {encoding} -t UTF-8) and choose it again.")


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def detect_format(path: str, given: CsvOptions | None = None) -> tuple[CsvFormat, list[Problem]]:
    """Guess delimiter, encoding (BOM, UTF-8 or latin-1), header and decimal comma from the start of the file."""
    given = given or CsvOptions()
    problems: list[Problem] = []
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    why = not_a_table(path, head)
    if why is not None:
        raise DataError(why, path)
    encoding = given.encoding
    if encoding is None:
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        else:
            encoding = "utf-8"
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                # A cut multi-byte character at the end of the sample is not an error.
                if exc.start < len(head) - 4:
                    encoding = "latin-1"
                    problems.append(_latin1_warning(path, _line_of_offset(head, exc.start)))
    text = head.decode(encoding, errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    delimiter = given.delimiter or _sniff_delimiter(path, lines)
    header = given.header if given.header is not None else _sniff_header(lines, delimiter)
    decimal = given.decimal or _sniff_decimal(lines[1 if header else 0 :], delimiter)
    return CsvFormat(delimiter, encoding, header, decimal, _quoted_newline(text, delimiter)), problems


def _quoted_newline(text: str, delimiter: str) -> bool:
    """Whether a quoted value of ``text`` (the start of a file) holds a line break; quoted headers alone do not."""
    if '"' not in text:
        return False
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return any("\n" in value or "\r" in value for row in rows for value in row)
    except csv.Error:
        return True  # unreadable quoting: take the careful chunker


def _latin1_warning(path: str, line: int) -> Problem:
    return Problem(
        "warning",
        f"{path} is not valid UTF-8 (first bad byte on line {line}); it was read as latin-1. "
        "Save it as UTF-8 if accented characters look wrong.",
    )


def _sniff_delimiter(path: str, lines: list[str]) -> str:
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=_CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        # Fall back to the candidate that splits the first line into the most fields consistently.
        counts = {d: lines[0].count(d) for d in _CANDIDATE_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _sniff_header(lines: list[str], delimiter: str) -> bool:
    if len(lines) < 2:
        return True
    first = _split(lines[0], delimiter)
    rest = [_split(ln, delimiter) for ln in lines[1:10]]
    first_numeric = sum(bool(_NUMBER.match(v)) for v in first)
    rest_numeric = max((sum(bool(_NUMBER.match(v)) for v in row) for row in rest), default=0)
    # A header has no numbers where data rows do; an all-text table keeps the header default.
    return not (first_numeric > 0 and first_numeric >= rest_numeric)


def _sniff_decimal(lines: list[str], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    values = [v.strip() for ln in lines[:20] for v in _split(ln, delimiter)]
    return "," if any(_DECIMAL_COMMA.match(v) for v in values) else "."


def read_table(
    path: str,
    given: CsvOptions | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int | None = None,
    stream: bool = False,
    narrow: Narrow | None = None,
) -> TableRead:
    """Parse ``path`` into a pyarrow Table; raises :class:`DataError` naming file and line on bad input.

    ``stream=True`` parses piece by piece (low peak memory, for loading); column types are then
    inferred from the first piece, and if a later piece disagrees the file is parsed again whole.
    ``narrow`` (streaming only) names, from the column names, the float columns to keep as float32: each
    piece's are cast as soon as it is parsed, so the table takes half the memory. A narrowed column holds
    exactly ``float64 value -> float32`` (round to nearest); one with a value beyond float32's range is
    read again unnarrowed (its overflow is then reported as usual).
    """
    import pyarrow as pa

    check_file(path, max_bytes)
    fmt, problems = detect_format(path, given)
    _check_width(path, fmt)
    if stream and max_rows is None:
        for _ in range(3):
            try:
                return _read(path, fmt, problems, None, stream=True, narrow=narrow)
            except _QuotedLineBreak:
                fmt = replace(fmt, newlines_in_values=True)  # past the sniffed start: the careful chunker
            except _Wide:
                narrow = None
            except (DataError, pa.ArrowInvalid, UnicodeDecodeError):  # a name not in the encoding given: below
                break
    # After a streamed read gave up, the compiled reader has already declined this file: Arrow reads it whole.
    numbers = not (stream and max_rows is None)
    if not fmt.newlines_in_values:
        try:
            return _read(path, fmt, problems, max_rows, stream=False, numbers=numbers)
        except DataError:
            # A quoted newline past the sniffed start can split a row at a block boundary: parse again carefully.
            fmt = replace(fmt, newlines_in_values=True)
    return _read(path, fmt, problems, max_rows, stream=False, numbers=numbers)


def _read(path: str, fmt: CsvFormat, problems: list[Problem], max_rows: int | None, stream: bool,
          narrow: Narrow | None = None, numbers: bool = True) -> TableRead:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    source: Any = path
    if max_rows is not None:
        source = io.BytesIO(head_bytes(path, max_rows + 1 + int(fmt.header)))
    arrow_encoding = "utf8" if fmt.encoding in ("utf-8", "utf-8-sig") else fmt.encoding
    # Streaming: 2 MiB blocks (Arrow's default is 1 MiB) give the loader half the chunks to walk.
    read = pcsv.ReadOptions(encoding=arrow_encoding, autogenerate_column_names=not fmt.header,
                            **({"block_size": 2 << 20} if stream else {}))
    # Quoted newlines need the slower chunker; a file without them at its start rarely has them later.
    parse = pcsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=fmt.newlines_in_values)
    convert = pcsv.ConvertOptions(
        decimal_point=fmt.decimal, null_values=list(NULL_VALUES), strings_can_be_null=True, quoted_strings_can_be_null=True,
    )
    try:
        if stream:
            # Piece by piece (or block by block) keeps the parser's peak memory near two pieces (read_csv holds
            # the whole text at once); types after the first piece must then match the first piece's, else
            # ArrowInvalid sends the caller back to read_csv.
            # A file of plain numbers goes to the compiled reader (None: anything else, or it is not built).
            table = read_numbers(path, fmt, read, parse, convert, narrow, _PIECE_BYTES)
            if table is None:
                reader = _stream if fmt.newlines_in_values else _pieces
                table = reader(path, read, parse, convert, narrow)
            release()  # the parser's scratch memory (NumPy allocates elsewhere)
        else:
            # The whole file: a file of plain numbers goes to the compiled reader too (its pieces, not the whole text).
            whole = numbers and max_rows is None
            table = read_numbers(path, fmt, read, parse, convert, None, _PIECE_BYTES) if whole else None
            if table is None:
                table = pcsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        if stream:
            raise
        if max_rows is not None and "Expected" in str(exc):
            raise DataError(_ragged_message(path, fmt) or f"{path}: {exc}", path) from exc
        raise DataError(_ragged_message(path, fmt) or f"{path} could not be parsed as a table: {exc}", path) from exc
    if max_rows is not None:
        table = table.slice(0, max_rows)
    if not fmt.header:
        table = table.rename_columns([f"column_{i + 1}" for i in range(table.num_columns)])
    try:
        table.column_names  # noqa: B018  (pyarrow decodes the names here)
        readable_names = True
    except UnicodeDecodeError:  # invalid UTF-8 in the header, read as UTF-8 because the options say so
        readable_names = False
    if fmt.encoding.startswith("utf-8") and (not readable_names or any(pa.types.is_binary(f.type) for f in table.schema)):
        # Invalid UTF-8 inside a text column or a name: find the first bad byte, then read again as latin-1.
        line = _first_bad_utf8_line(path)
        given2 = CsvOptions(fmt.delimiter, "latin-1", fmt.header, fmt.decimal)
        again = read_table(path, given2, os.path.getsize(path), max_rows)
        again.problems.insert(0, _latin1_warning(path, line))
        return again
    if table.num_columns == 0:
        raise DataError(f"{path} has no columns; check that it is a delimited text file.", path)
    if table.num_rows == 0:
        names = ", ".join(table.column_names[:10])
        raise DataError(f"{path} has a header row ({names}) but no data rows; add rows of data.", path)
    _check_names(path, table.column_names)
    return TableRead(table, fmt, problems)


def _check_width(path: str, fmt: CsvFormat) -> None:
    """Refuse a first line of more than :data:`MAX_COLUMNS` fields, counted before the parser allocates them."""
    with open(path, "rb") as fh:
        head = fh.read(_FIRST_LINE_BYTES)
    line = head.decode(fmt.encoding, errors="replace").split("\n", 1)[0]
    fields = 1 + re.sub(r'"[^"]*"', "", line).count(fmt.delimiter)  # delimiters inside quotes do not count
    if fields > MAX_COLUMNS:
        what = "header" if fmt.header else "first row"
        raise DataError(f"{path}: its {what} has {fields:,} columns, more than the {MAX_COLUMNS:,} a table may have "
                        "(each column is analysed and listed in the Data panel). Keep the columns you need, or save "
                        "the features as a NumPy array (.npy/.npz), which has no such limit.", path)


_PIECE_BYTES = 4 << 20
"""Files without quoted line breaks are parsed in pieces of about this size, two at a time; each piece is parsed,
narrowed and let go before the next, so the parser's memory stays near two pieces whatever the file's size."""


class _QuotedLineBreak(Exception):
    """A piece holds a line break inside a quoted value: the file cannot be cut at line starts."""


def _check_quotes(text: Any) -> None:
    """Raise :class:`_QuotedLineBreak` when a line break of ``text`` (a piece starting outside quotes) lies inside
    a quoted value, or the piece ends inside one (a cut there would fall inside the value).

    Quote characters toggle in and out of a quoted value (a doubled quote toggles twice), so a line break is
    inside one exactly when an odd number of quotes precede it in the piece. Costs a pass only where a piece
    holds a quote at all.
    """
    import numpy as np

    data = np.frombuffer(text, dtype=np.uint8)
    quotes = data == ord('"')
    if not quotes.any():
        return
    inside = np.cumsum(quotes, dtype=np.int8) & 1  # int8 wraps around, which keeps the parity
    if inside[-1] or inside[data == ord("\n")].any():
        raise _QuotedLineBreak


class _Wide(Exception):
    """A column asked to be narrowed to float32 holds a value beyond float32's range (read it again unnarrowed)."""


Narrow = Callable[[list[str]], Collection[str]]
"""Given the column names, the float columns whose values may be kept as float32 (see :func:`read_table`)."""


def _kept(table: Any, names: Collection[str]) -> Any:
    """``table`` copied into :func:`table_pool`, its float64 columns named in ``names`` cast to float32 on the way
    (round to nearest, as NumPy casts). Every kept column moves: one left among the parser's scratch pages (a
    float64 target, a text column) would pin them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from visualnn.services.datasets.columns import float_scan

    pool = table_pool()
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name in names and pa.types.is_float64(column.type):
            # NumPy's min and max of the buffers: a twentieth of pyarrow.compute.min_max's time on 1M x 20.
            if float_scan(column).overflow is not None:
                raise _Wide(name)  # inf after the cast would hide the value the overflow message names
            column = pc.cast(column, pa.float32(), memory_pool=pool)
        else:
            column = pa.concat_arrays(column.chunks, memory_pool=pool) if column.num_chunks else column
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _pieces(path: str, read: Any, parse: Any, convert: Any, narrow: Narrow | None) -> Any:
    """Parse ``path`` (no line breaks inside values) in pieces cut at line starts, two on two threads.

    The first piece infers the column types; the others take its names and types, so a value that does not fit
    them raises ``ArrowInvalid`` (the caller then parses the whole file at once). Each piece's columns named by
    ``narrow`` are narrowed to float32 (into :func:`table_pool`) as soon as it is parsed.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    cuts = piece_cuts(path, 0, _PIECE_BYTES)
    several = len(cuts) > 2 and (os.cpu_count() or 1) > 1

    def text(i: int) -> Any:
        with pa.OSFile(path) as fh:  # one file object per read: pieces are read on two threads
            fh.seek(cuts[i])
            return fh.read_buffer(cuts[i + 1] - cuts[i])

    # The first piece on the calling thread alone: parsed on Arrow's threads, its scratch stayed in their heaps,
    # where no release reaches it (peak 1.99-2.04x the output bytes on 1M x 20, against 1.83-1.87x).
    options = pcsv.ReadOptions(encoding=read.encoding, autogenerate_column_names=read.autogenerate_column_names,
                               use_threads=not several)
    head = text(0)
    if len(cuts) > 2:
        _check_quotes(head)
    first = pcsv.read_csv(head, read_options=options, parse_options=parse, convert_options=convert)
    del head
    names = first.column_names
    keep = set(narrow(names)) if narrow is not None else set()
    types = {f.name: f.type for f in first.schema}
    tables = [_kept(first, keep)]
    del first
    rest = pcsv.ReadOptions(encoding=read.encoding, column_names=names, use_threads=not several)
    typed = pcsv.ConvertOptions(
        decimal_point=convert.decimal_point, null_values=convert.null_values, column_types=types,
        strings_can_be_null=convert.strings_can_be_null, quoted_strings_can_be_null=convert.quoted_strings_can_be_null,
    )

    def piece(i: int) -> Any:
        data = text(i)
        _check_quotes(data)
        out = _kept(pcsv.read_csv(data, read_options=rest, parse_options=parse, convert_options=typed), keep)
        del data
        # This thread's scratch: mimalloc would cache ever more of it. Each release costs page faults (6-8 % of the
        # load on 1M x 20), but without them the peak read 2.06-2.09x in half the runs (1.83x otherwise).
        if i % 4 == 0:
            pa.default_memory_pool().release_unused()
        return out

    if several:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as threads:  # the parser lets go of the GIL
            tables += threads.map(piece, range(1, len(cuts) - 1))
    else:
        tables += [piece(i) for i in range(1, len(cuts) - 1)]
    return pa.concat_tables(tables)


def _stream(path: str, read: Any, parse: Any, convert: Any, narrow: Narrow | None) -> Any:
    """Parse ``path`` (line breaks inside quoted values possible) block by block with one streaming reader."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert) as reader:
        schema = reader.schema
        keep = set(narrow(schema.names)) if narrow is not None else set()
        tables = [_kept(pa.Table.from_batches([b], schema=schema), keep) for b in reader]
    return pa.concat_tables(tables) if tables else _kept(schema.empty_table(), keep)


def _check_names(path: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{path} has two columns named {name!r}; rename one of them in the header.", path)
        seen.add(name)


def _first_bad_utf8_line(path: str) -> int:
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _line_of_offset(raw, exc.start)
    return 1


def _ragged_message(path: str, fmt: CsvFormat) -> str | None:
    """Name the first line whose field count differs from the header (exact, with quoted newlines)."""
    with open(path, encoding=fmt.encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=fmt.delimiter)
        expected: int | None = None
        try:
            for row in reader:
                if not row:
                    continue
                if expected is None:
                    expected = len(row)
                    continue
                if len(row) != expected:
                    return (
                        f"{path} line {reader.line_num} has {len(row)} fields but the first row has {expected} "
                        f"(ragged rows); fix that line or check the delimiter {fmt.delimiter!r}."
                    )
        except csv.Error as exc:  # a value longer than csv's field limit: mostly a quote that is never closed
            return (f"{path} line {reader.line_num}: {exc}; a value that long usually means an opening quote (\") "
                    "without its closing quote, which makes the rest of the file one value. Close the quote, or "
                    f"check the delimiter {fmt.delimiter!r}.")
    return None
