"""The compiled reader of plain-number tables makes the table Arrow's streaming read makes, or stands aside.

``fast_numbers.read_numbers`` parses files of plain numbers in place of Arrow. Nothing downstream may tell the
difference: every test here reads a file both ways (the compiled reader, then Arrow alone) and compares the
tables column for column, types included. Generated files cover the grammar it reads (signs, leading zeros,
exponents, 17-digit values, integers, missing values, CRLF and empty lines, other delimiters, a decimal comma,
files cut into many pieces); files it must not read (quotes, spaces, NA, words, ragged rows, values that do not
fit a float32 column or integers that do not fit their buffer) must give Arrow's table too, and the tests
check which of the two made it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualnn.core.dataset import CsvOptions, DatasetSpec
from visualnn.services.datasets import fast_numbers, tables
from visualnn.services.datasets.sources import load_csv_arrays
from visualnn.services.datasets.tables import read_table

NUMBER = r"-?[0-9]{1,22}(\.[0-9]{1,22})?([eE][+-]?[0-9]{1,3})?"
"""The grammar the reader takes (fields of more than 19 digits, or far exponents, go through strtod)."""


def test_the_compiled_reader_is_built() -> None:
    assert fast_numbers.compiled() is not None, (
        "visualnn/services/datasets/_fast_numbers.c is not built: install with a C compiler (pip install -e .)")


@contextmanager
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Record, for each read, whether the compiled reader made the table."""
    made: list[bool] = []
    real = fast_numbers.read_numbers

    def spy(*args: Any, **kwargs: Any) -> Any:
        table = real(*args, **kwargs)
        made.append(table is not None)
        return table

    with monkeypatch.context() as patch:
        patch.setattr(tables, "read_numbers", spy)
        yield made


def both(path: Path, narrow: set[str] | None = None, piece: int = 64) -> tuple[Any, Any, bool]:
    """(the compiled reader's table, Arrow's table, whether the compiled reader made the first)."""
    def keep(names: list[str]) -> set[str]:
        return set(names) & narrow if narrow is not None else set()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "_PIECE_BYTES", piece)
        with watched(patch) as made:
            fast = read_table(str(path), stream=True, narrow=keep).table
        patch.setattr(fast_numbers, "compiled", lambda: None)
        arrow = read_table(str(path), stream=True, narrow=keep).table
    return fast, arrow, made == [True]


def assert_same(fast: Any, arrow: Any) -> None:
    """Equal names, types and values. A float32 column may stand for Arrow's float64 one (Arrow's streaming read
    gives up narrowing when a later piece turns an integer column to floats): its values are then Arrow's rounded."""
    assert fast.column_names == arrow.column_names
    for name in fast.column_names:
        ours, theirs = fast.column(name), arrow.column(name)
        if pa.types.is_float32(ours.type) and pa.types.is_float64(theirs.type):
            theirs = theirs.cast(pa.float32())
        assert ours.type == theirs.type, name
        assert ours.equals(theirs), name
        if pa.types.is_floating(ours.type) or pa.types.is_integer(ours.type):
            assert values(ours) == values(theirs), name  # bit for bit (-0.0 is not 0.0), 0 under a missing value


def values(column: Any) -> bytes:
    """The bytes of a numeric column's values, missing ones included (what a reader of the buffers sees)."""
    whole = pa.concat_arrays(column.chunks) if column.num_chunks else pa.array([], column.type)
    width = whole.type.bit_width // 8
    return whole.buffers()[1].to_pybytes()[whole.offset * width : (whole.offset + len(whole)) * width]


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))  # "\udc80" writes the byte 0x80
    return path


def test_a_large_numbers_file_is_read_by_the_compiled_reader_as_arrow_reads_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = [",".join([f"{v:.6f}" for v in rng.normal(size=5)] + [str(int(rng.integers(-50, 50))),
                     repr(float(rng.normal() * 1e5))]) for _ in range(3000)]
    path = write(tmp_path / "n.csv", '"a","b","c","d","e","count","wide"\n' + "\n".join(rows) + "\n")
    fast, arrow, compiled = both(path, narrow={"a", "b", "c", "count"}, piece=4096)
    assert compiled
    assert [str(t) for t in fast.schema.types] == ["float", "float", "float", "double", "double", "int64", "double"]
    assert fast.column("a").num_chunks > 10  # read in many pieces
    assert_same(fast, arrow)


def test_a_whole_read_of_plain_numbers_is_the_compiled_readers_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Data panel's inspection (and `visualnn data inspect`) reads the whole file without narrowing: Arrow's
    read_csv table, from the compiled reader; the preview of the first rows stays Arrow's own read."""
    rng = np.random.default_rng(5)
    rows = [f"{rng.normal():.6f},{int(rng.integers(0, 9))},{'' if i % 11 == 0 else repr(float(rng.normal()))}"
            for i in range(4000)]
    path = write(tmp_path / "w.csv", "a,b,c\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(tables, "_PIECE_BYTES", 8192)
    with watched(monkeypatch) as made:
        fast = read_table(str(path)).table
        assert read_table(str(path), max_rows=5).table.num_rows == 5
    assert made == [True]  # the whole read only
    with monkeypatch.context() as patch:
        patch.setattr(fast_numbers, "compiled", lambda: None)
        arrow = read_table(str(path)).table
    assert [str(t) for t in fast.schema.types] == ["double", "int64", "double"] and fast.column("c").null_count
    assert_same(fast, arrow)


@pytest.mark.parametrize(
    ("text", "delimiter_note"),
    [
        ("x,y\r\n1.5,2\r\n\r\n-0.25,3\r\n", "CRLF lines and an empty one"),
        ("x;y\n1,5;2\n-0,25;3\n", "a decimal comma"),
        ("x\ty\n1e5\t-7\n2.5E-3\t0008\n", "tabs, exponents, leading zeros"),
        ("x,y\n1,2\n\n\n3,4", "empty lines, no line break at the end"),
        ("1.5,2\n3.5,4\n", "no header"),
        ("\ufeffx,y\n1,2\n3.5,4\n", "a byte-order mark before the header"),
        ("x,y\n-0,-0.0\n0,0.0\n", "negative zeros"),
        ("x,y,z\n1.5,,7\n,2,\n3.25,4,5\n,,\n", "missing values (empty fields), a row of them"),
        ("x,y\n,1\n2.5,2\n", "a missing value in the first row"),
        ("x\n0.1000000000000000055511151231257827\n123456789012345678901234\n", "more than 19 digits"),
        ("x\n1e-320\n", "a subnormal value (strtod sets ERANGE: Arrow's table)"),
        ("x\n1e30\n9.999999999999999e22\n1e23\n-3e-40\n", "powers of ten beyond the exact table"),
    ],
)
def test_plain_number_files_of_every_shape(tmp_path: Path, text: str, delimiter_note: str) -> None:
    fast, arrow, compiled = both(write(tmp_path / "t.csv", text), narrow={"x"})
    assert compiled or "Arrow's table" in delimiter_note
    assert_same(fast, arrow)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('x,y\n1,"2"\n', "a quoted value"),
        ("x,y\n1, 2\n", "a space"),
        ("x,y\n1,\n2,\n", "a column with no value at all"),
        ("x,y\n1,NA\n2,3\n", "a missing-value word"),
        ("x,y\n1,2\n3,red\n", "a word past the first row"),
        ("x,y\n1,2\n3,4,5\n", "a ragged row"),
        ("x,y\n1.,2\n", "a point without digits after it"),
        ("x,y\n.5,2\n", "a point without digits before it"),
        ("x,y\n+5,2\n", "a plus sign"),
        ("x,y\ninf,2\n", "infinity"),
        ("x,y\n1e39,2\n", "beyond float32 in a float32 column"),
        ("x,y\n16777217,2\n", "an integer float32 cannot hold, in a column of integers"),
        ("x,y\n1,9007199254740993\n", "an integer float64 cannot hold"),
    ],
)
def test_anything_else_is_left_to_arrow(tmp_path: Path, text: str, why: str) -> None:
    path = write(tmp_path / "t.csv", text)
    try:
        arrow_table = read_table(str(path)).table  # what Arrow makes of it (some of these it refuses)
    except Exception as exc:  # noqa: BLE001  (the streamed read must then refuse it the same way)
        with pytest.raises(type(exc)):
            both(path, narrow={"x"})
        return
    fast, arrow, compiled = both(path, narrow={"x"})
    assert not compiled, why
    assert_same(fast, arrow)
    assert fast.num_rows == arrow_table.num_rows


def test_a_file_declined_once_is_not_parsed_by_the_compiled_reader_again(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A streamed read the compiled reader declines (an NA near the end) and Arrow's pieces give up on (an integer
    column turns float past the first piece) is read whole by Arrow alone, not parsed by the compiled reader twice."""
    rows = [f"{i},{i % 7}" for i in range(3000)] + ["1.5,2", "NA,3"]
    path = write(tmp_path / "late.csv", "a,b\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(tables, "_PIECE_BYTES", 4096)
    with watched(monkeypatch) as made:
        table = read_table(str(path), stream=True).table
    assert made == [False]
    assert str(table.schema.field("a").type) == "double" and table.num_rows == 3002 and table.column("a").null_count == 1


@pytest.mark.parametrize("stream", [True, False])
def test_a_name_that_is_not_the_given_encoding_is_left_to_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                stream: bool) -> None:
    """UTF-8 asked for, a header name that is not (the byte 0x80): Arrow's read finds the line and reads the file
    as latin-1, with its warning. (The compiled reader raised UnicodeDecodeError on the name, and so did the
    streaming Arrow read before it: training such a file stopped on an internal error.)"""
    path = write(tmp_path / "n.csv", "a,b,\udc80\n1,2,3\n4,5,6\n")
    with watched(monkeypatch) as made:
        read = read_table(str(path), CsvOptions(encoding="utf-8"), stream=stream)
    assert made[0] is False
    assert read.table.column_names == ["a", "b", "\x80"] and read.format.encoding == "latin-1"
    assert "not valid UTF-8 (first bad byte on line 1)" in read.problems[0].message
    with monkeypatch.context() as patch:
        patch.setattr(fast_numbers, "compiled", lambda: None)
        arrow = read_table(str(path), CsvOptions(encoding="utf-8"), stream=stream).table
    assert_same(read.table, arrow)
    if stream:  # what training reads: the table's tensors, with the warning
        arrays = load_csv_arrays(DatasetSpec("csv", str(path), {"csv": {"encoding": "utf-8"}, "split": {"val": 0.0}}))
        assert arrays.feature_names == ["a", "b"] and "not valid UTF-8" in arrays.problems[0].message


@given(st.lists(st.from_regex(NUMBER, fullmatch=True), min_size=1, max_size=30))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_each_value_is_its_text_correctly_rounded(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    path = write(tmp_path_factory.mktemp("v") / "v.csv", "x,y\n" + "".join(f"{t},{t}\n" for t in texts))
    fast, arrow, compiled = both(path, narrow={"x"}, piece=32)
    assert_same(fast, arrow)
    if compiled and pa.types.is_float64(fast.schema.field("y").type):
        exact = np.array([float(t) for t in texts])
        assert fast.column("y").to_numpy().tobytes() == exact.tobytes()
        assert fast.column("x").to_numpy().tobytes() == exact.astype(np.float32).tobytes()


def _table_text(draw: Any) -> tuple[str, set[str]]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    ncols = draw(st.integers(1, 4))
    nrows = draw(st.integers(1, 25))
    kinds = [draw(st.sampled_from(["int", "float", "repr", "mixed"])) for _ in range(ncols)]
    fields = {
        "int": st.integers(-(10**9), 10**9).map(str),
        "float": st.floats(-1e6, 1e6).map(lambda v: f"{v:.4f}"),
        "repr": st.floats(allow_nan=False, allow_infinity=False).map(repr),
        "mixed": st.from_regex(NUMBER, fullmatch=True),
    }
    if draw(st.booleans()):  # a table where about one value in five is missing
        fields = {k: st.integers(0, 4).flatmap(lambda i, f=f: st.just("") if i == 0 else f) for k, f in fields.items()}
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    header = draw(st.booleans())
    lines = [delimiter.join(f"c{j}" for j in range(ncols))] if header else []
    for _ in range(nrows):
        lines.append(delimiter.join(draw(fields[k]) for k in kinds))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    names = [f"c{j}" for j in range(ncols)] if header else [f"column_{j + 1}" for j in range(ncols)]
    narrow = {n for n in names if draw(st.booleans())}
    return text, narrow


@given(st.data())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_tables_read_as_arrow_reads_them(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    text, narrow = _table_text(data.draw)
    path = write(tmp_path_factory.mktemp("g") / "g.csv", text)
    try:
        fast, arrow, _compiled = both(path, narrow=narrow, piece=data.draw(st.sampled_from([16, 64, 1 << 20])))
    except tables.DataError as exc:  # e.g. a first row of numbers sniffed as no header, then a ragged one
        with pytest.MonkeyPatch.context() as patch, pytest.raises(tables.DataError):
            patch.setattr(fast_numbers, "compiled", lambda: None)
            read_table(str(path), stream=True)
        assert str(exc)
        return
    assert_same(fast, arrow)


@given(st.text(alphabet="0123456789-+.eE,\n\r \"x", max_size=120))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_reads_as_arrow_reads_it_or_is_refused_alike(tmp_path_factory: pytest.TempPathFactory,
                                                              body: str) -> None:
    """Arbitrary text after a header (stray quotes, carriage returns, signs, points): the compiled reader gives
    Arrow's table, or stands aside and Arrow's answer (a table or an error) is the only one."""
    path = write(tmp_path_factory.mktemp("a") / "a.csv", "a,b\n" + body)
    try:
        fast, arrow, _compiled = both(path, narrow={"a"}, piece=data_piece(body))
    except Exception as exc:  # noqa: BLE001  (Arrow refuses the file: the same refusal without the compiled reader)
        with pytest.MonkeyPatch.context() as patch, pytest.raises(type(exc)):
            patch.setattr(fast_numbers, "compiled", lambda: None)
            read_table(str(path), stream=True, narrow=lambda names: {"a"} & set(names))
        return
    assert_same(fast, arrow)


def data_piece(body: str) -> int:
    """A piece size that cuts ``body`` into a few pieces."""
    return max(8, len(body) // 3)


def test_the_loader_makes_the_same_tensors_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 6))
    rows = [",".join("" if (i + j) % 37 == 0 else f"{v:.5f}" for j, v in enumerate(row)) + f",{int(row.sum() > 0)}"
            for i, row in enumerate(x)]  # a missing value here and there
    path = write(tmp_path / "d.csv", "a,b,c,d,e,f,label\n" + "\n".join(rows) + "\n")
    spec = DatasetSpec("csv", str(path), {"split": {"val": 0.2, "test": 0.1, "seed": 2},
                                          "columns": {"b": {"missing": "median"}}})
    monkeypatch.setattr(tables, "_PIECE_BYTES", 4096)
    with watched(monkeypatch) as made:
        fast = load_csv_arrays(spec)
    monkeypatch.setattr(fast_numbers, "compiled", lambda: None)
    arrow = load_csv_arrays(spec)
    assert made == [True]
    assert fast.stats["rows"]["dropped_missing"] == 0 and not np.isnan(fast.x["train"]).any()
    assert fast.stats == arrow.stats and fast.task == arrow.task == "binary"
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(fast.x[split], arrow.x[split])
        np.testing.assert_array_equal(fast.y[split], arrow.y[split])


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc (with libasan) to build the sanitized reader")
def test_the_reader_stays_inside_its_buffers_under_address_sanitizer() -> None:
    """scripts/fuzz_fast_numbers.py: random texts through the reader built with AddressSanitizer and
    UndefinedBehaviorSanitizer, every buffer exactly its size; a byte read or written past one fails the run."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_fast_numbers.py"
    done = subprocess.run([sys.executable, str(script), "--cases", "20000", "--seed", "11"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "no sanitizer report" in done.stdout
