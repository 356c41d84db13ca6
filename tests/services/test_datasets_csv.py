"""CSV/TSV loading without TensorFlow: format detection, roles, missing values, scaling and bad input."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualnn.core.dataset import DatasetSpec
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.tables import read_table
from visualnn.services.datasets.tabular import build_arrays, transform_rows


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def arrays(path: str, **options: object):  # type: ignore[no-untyped-def]
    spec = DatasetSpec("csv", path, dict(options))
    read = read_table(path, spec.csv(), spec.max_bytes())
    return build_arrays(spec, read.table, read.format.header)


def table_text(n: int = 30) -> str:
    rows = ["a,b,color,label"]
    for i in range(n):
        rows.append(f"{i % 7}.5,{i},{'red' if i % 2 else 'blue'},{'yes' if i % 3 else 'no'}")
    return "\n".join(rows) + "\n"


def test_inspect_reports_columns_tensors_and_task(tmp_path: Path) -> None:
    info = inspect_source(write(tmp_path, "t.csv", table_text()))
    assert [c.name for c in info.columns] == ["a", "b", "color", "label"]
    assert [c.kind for c in info.columns] == ["numeric", "numeric", "categorical", "boolean"]
    assert info.targets == ["label"] and info.features == ["a", "b", "color"]
    assert info.tensors[0].shape == (30, 4)  # a, b and color one-hot (2)
    assert info.task == "binary" and info.suggestion is not None and info.suggestion.units == 1
    assert info.input_shape == (4,)
    assert info.options["columns"]["label"] == {"role": "target"}
    assert info.preview[0] == [0.5, 0, "blue", "no"]


def test_roles_kinds_and_one_hot_width(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", table_text())
    out = arrays(path, columns={"color": {"role": "feature", "encoding": "index"}, "b": {"role": "ignore"}})
    assert out.feature_names == ["a", "color"]
    out = arrays(path)
    assert out.feature_names == ["a", "b", "color=blue", "color=red"]
    assert out.task == "binary" and out.class_names == ["no", "yes"]
    assert out.y["train"].shape[1] == 1 and out.y["train"].dtype == np.float32


def test_scaling_uses_training_statistics_only(tmp_path: Path) -> None:
    rows = ["x,y"] + [f"{i},{i % 2}" for i in range(100)]
    out = arrays(write(tmp_path, "s.csv", "\n".join(rows)), split={"val": 0.3, "seed": 1, "stratify": False})
    train = out.x["train"][:, 0]
    assert abs(float(train.mean())) < 1e-5 and abs(float(train.std()) - 1.0) < 1e-4
    plan = out.stats["features"][0]
    assert plan["center"] != pytest.approx(49.5)  # statistics of the training rows, not of all 100 rows
    minmax = arrays(write(tmp_path, "m.csv", "\n".join(rows)), scaling="minmax")
    assert float(minmax.x["train"].min()) == 0.0 and float(minmax.x["train"].max()) == 1.0


@pytest.mark.parametrize(
    ("strategy", "fill"),
    [("mean", 2.0), ("median", 2.0), ("most_frequent", 1.0), ("constant", -5.0)],
)
def test_missing_value_strategies(tmp_path: Path, strategy: str, fill: float) -> None:
    text = "v,y\n1,a\n1,b\n4,a\n,b\n" + "".join(f"1,{'ab'[i % 2]}\n4,{'ab'[i % 2]}\n" for i in range(0)) + "2,a\n2,b\n"
    path = write(tmp_path, "m.csv", text)
    out = arrays(path, missing={"strategy": strategy, "fill_value": -5}, scaling="none", split={"val": 0.0})
    plan = out.stats["features"][0]
    assert plan["missing_count"] == 1 and plan["missing"] == strategy
    if strategy in ("mean", "median"):
        assert plan["fill"] == pytest.approx({"mean": 2.0, "median": 2.0}[strategy])
    else:
        assert plan["fill"] == fill
    assert not np.isnan(out.x["train"]).any()


def test_drop_strategy_reports_the_count(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "v,y\n1,a\n,b\n3,a\n4,b\n5,a\n6,b\n")
    out = arrays(path, missing={"strategy": "drop"}, split={"val": 0.0})
    assert out.stats["rows"]["dropped_missing"] == 1
    assert any("1 row(s) with missing values were dropped" in p.message for p in out.problems)
    assert out.x["train"].shape == (5, 1)


def test_transform_repeats_training_preprocessing(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", table_text())
    out = arrays(path, split={"val": 0.0, "stratify": False})
    raw = [{"a": 0.5, "b": 0, "color": "blue"}, [1.5, 1, "red"]]
    x = transform_rows(out.stats, raw)
    assert x.shape == (2, 4)
    np.testing.assert_allclose(x[0], out.x["train"][0], rtol=1e-6)
    unseen = transform_rows(out.stats, [{"a": 0.5, "b": 0, "color": "green"}])
    assert unseen[0, 2:].tolist() == [0.0, 0.0]  # an unseen category is all zeros


def test_detects_semicolon_decimal_comma_bom_and_tsv(tmp_path: Path) -> None:
    bom = codecs.BOM_UTF8 + "größe;klasse\n1,5;a\n2,25;b\n3,0;a\n".encode()
    info = inspect_source(write(tmp_path, "eu.csv", bom))
    assert info.format == {"delimiter": ";", "encoding": "utf-8-sig", "header": True, "decimal": ","}
    assert info.columns[0].name == "größe" and info.columns[0].kind == "numeric"
    assert inspect_source(write(tmp_path, "t.tsv", "a\tb\n1\tx\n2\ty\n")).format["delimiter"] == "\t"


def test_no_header_is_detected(tmp_path: Path) -> None:
    info = inspect_source(write(tmp_path, "n.csv", "1,2,a\n3,4,b\n5,6,a\n"))
    assert info.format["header"] is False
    assert [c.name for c in info.columns] == ["column_1", "column_2", "column_3"]


def test_quoted_delimiters_and_embedded_newlines_load(tmp_path: Path) -> None:
    path = write(tmp_path, "q.csv", 'n,text,y\n1,"a, b",x\n2,"multi\nline",y\n3,plain,x\n')
    info = inspect_source(path)
    assert info.n_samples == 3
    assert info.preview[1][1] == "multi\nline" and info.preview[0][1] == "a, b"


def test_latin1_bytes_are_read_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", b"a,name\n1,ok\n2,caf\xe9\n3,x\n")
    info = inspect_source(path)
    assert info.preview[1][1] == "café"
    assert any("not valid UTF-8" in p.message and "line 3" in p.message for p in info.problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty (0 bytes)"),
        ("a,b,c\n", "has a header row (a, b, c) but no data rows"),
        ("a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields but the first row has 3"),
        ("a,b,c\n1,2,3\n4,5,6,7\n", "line 3 has 4 fields but the first row has 3"),
        ("a,a\n1,2\n", "two columns named 'a'"),
    ],
)
def test_bad_tables_raise_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError, match=re.escape(message)) as exc:
        inspect_source(path)
    assert "bad.csv" in str(exc.value)


def test_text_in_a_numeric_column_names_the_rows(tmp_path: Path) -> None:
    rows = ["v,y"] + [f"{i},{'ab'[i % 2]}" for i in range(30)]
    rows[5] = "?,b"
    rows[12] = "unknown,a"
    path = write(tmp_path, "t.csv", "\n".join(rows))
    info = inspect_source(path)
    col = info.columns[0]
    assert col.kind == "numeric" and col.bad_rows == [(5, "?"), (12, "unknown")]
    assert any("rows 5, 12 (lines 6, 13)" in p.message for p in info.problems)
    with pytest.raises(DataError, match=r"column 'v' is numeric but rows 5, 12 \(lines 6, 13\) contain text"):
        arrays(path)


def test_all_missing_and_constant_columns(tmp_path: Path) -> None:
    rows = ["empty,same,v,y"] + [f",7,{i},{'ab'[i % 2]}" for i in range(20)]
    path = write(tmp_path, "c.csv", "\n".join(rows))
    messages = [p.message for p in inspect_source(path).problems]
    assert any("column 'empty' is empty (all 20 rows missing)" in m for m in messages)
    assert any("column 'same' has the same value (7) in every row" in m for m in messages)
    with pytest.raises(DataError, match="feature column 'empty' has no values"):
        arrays(path)
    out = arrays(path, columns={"empty": {"role": "ignore"}})
    assert any("same value" in p.message for p in out.problems)  # constant: a warning, not an error


def test_target_with_one_class_and_classes_too_small_for_the_split(tmp_path: Path) -> None:
    one = write(tmp_path, "one.csv", "v,y\n" + "".join(f"{i},a\n" for i in range(10)))
    with pytest.raises(DataError, match="target column 'y' has a single class \\('a'\\)"):
        arrays(one)
    rare = write(tmp_path, "rare.csv", "v,y\n" + "".join(f"{i},a\n" for i in range(20)) + "99,b\n")
    with pytest.raises(DataError, match="Class 'b' has only 1 sample"):
        arrays(rare, split={"val": 0.2, "stratify": True})


def test_size_limit_refuses_with_the_size(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", table_text(200))
    with pytest.raises(DataError, match=r"big.csv is .* over the 100 B limit"):
        inspect_source(path, {"max_bytes": 100})


def test_missing_path_offers_to_relocate(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist.*Relocate") as exc:
        inspect_source(str(tmp_path / "moved.csv"))
    assert exc.value.relocate


def test_unknown_role_column_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", table_text())
    with pytest.raises(DataError, match="no such column"):
        arrays(path, columns={"nope": {"role": "target"}})


def test_regression_and_multilabel_targets(tmp_path: Path) -> None:
    rows = ["x,price"] + [f"{i},{i * 1.37:.2f}" for i in range(40)]
    out = arrays(write(tmp_path, "r.csv", "\n".join(rows)))
    assert out.task == "regression" and out.y["train"].shape[1] == 1
    rows = ["x,t1,t2"] + [f"{i},{i % 2},{(i // 2) % 2}" for i in range(40)]
    cols = {"t1": {"role": "target"}, "t2": {"role": "target"}}
    out = arrays(write(tmp_path, "ml.csv", "\n".join(rows)), columns=cols)
    assert out.task == "multilabel" and out.y["train"].shape[1] == 2 and out.n_outputs == 2


@given(
    n=st.integers(12, 80),
    n_numeric=st.integers(1, 4),
    n_cats=st.integers(2, 4),
    n_classes=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_well_formed_tables_load_with_the_right_shapes(
    tmp_path: Path, n: int, n_numeric: int, n_cats: int, n_classes: int, seed: int, delimiter: str
) -> None:
    rng = np.random.default_rng(seed)
    header = [f"x{i}" for i in range(n_numeric)] + ["cat", "label"]
    lines = [delimiter.join(header)]
    for i in range(n):
        nums = [f"{v:.4f}" for v in rng.normal(size=n_numeric)]
        # Every category and class appears at least twice, so the vocabulary and a stratified split exist.
        lines.append(delimiter.join([*nums, f"c{i % n_cats}", f"k{i % n_classes}"]))
    path = write(tmp_path, f"r{seed}_{n}.csv", "\n".join(lines) + "\n")
    out = arrays(path, split={"val": 0.25, "seed": seed, "stratify": n >= 4 * n_classes})
    width = n_numeric + n_cats
    assert out.x["train"].shape[1] == width and out.x["val"].shape[1] == width
    assert out.x["train"].shape[0] + out.x["val"].shape[0] + out.x["test"].shape[0] == n
    assert out.x["train"].dtype == np.float32 and not np.isnan(out.x["train"]).any()
    assert out.class_names == [f"k{i}" for i in range(n_classes)]
    y = out.y["train"]
    assert len(y) == out.x["train"].shape[0]
    assert (y.shape[1:] == (1,)) if n_classes == 2 else (y.ndim == 1 and int(y.max()) < n_classes)
    info = inspect_source(path)
    assert info.tensors[0].shape == (n, width)


def test_a_quoted_header_keeps_the_fast_chunker_unless_a_value_holds_a_newline(tmp_path: Path) -> None:
    """pyarrow's own writer quotes the header: that alone must not switch on the slower newline-aware chunker."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from visualnn.services.datasets.tables import detect_format

    written = str(tmp_path / "arrow.csv")
    pcsv.write_csv(pa.table({"a b": [1.5, 2.5], "label": ["x, y", "z"]}), written)
    assert Path(written).read_text().startswith('"a b","label"')
    assert detect_format(written)[0].newlines_in_values is False
    newline = write(tmp_path, "nl.csv", '"n","text"\n1,"one\ntwo"\n2,plain\n')
    assert detect_format(newline)[0].newlines_in_values is True
    assert read_table(newline, stream=True).table.column("text").to_pylist() == ["one\ntwo", "plain"]


def test_quoted_newlines_after_the_sniffed_start_still_load_row_for_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file large enough to be parsed in pieces, with multi-line quoted values only past its start."""
    from visualnn.services.datasets import tables
    from visualnn.services.datasets.tables import detect_format

    monkeypatch.setattr(tables, "_PIECE_BYTES", 32 << 10)
    rows = ["n,text,y"] + [f"{i},plain {i},{i % 3}" for i in range(6000)]
    size, i = sum(map(len, rows)), 6000
    while size < 8 * tables._PIECE_BYTES:
        rows += [f'{i},"first {i}\nsecond {i}",{i % 3}', f"{i + 1},plain {i + 1},{(i + 1) % 3}"]
        size += len(rows[-1]) + len(rows[-2])
        i += 2
    path = write(tmp_path, "late.csv", "\n".join(rows) + "\n")
    assert detect_format(path)[0].newlines_in_values is False  # the sniffed start has none
    table = read_table(path, stream=True).table
    assert table.num_rows == i
    assert table.column("n").to_pylist() == list(range(i))
    texts = table.column("text").to_pylist()
    assert texts[6000] == "first 6000\nsecond 6000" and texts[i - 2] == f"first {i - 2}\nsecond {i - 2}"


def test_a_text_feature_with_a_different_value_in_every_row_is_flagged_unless_ignored(tmp_path: Path) -> None:
    """An id and a date column became 800 one-hot features of a 400-row table without a word."""
    path = tmp_path / "ids.csv"
    rows = [f"C{i:04d},2024-01-{1 + i % 28:02d}T{i % 24:02d}:00,{['a', 'b'][i % 2]},{i % 5},{['x', 'y'][i % 3 == 0]}"
            for i in range(60)]
    path.write_text("customer_id,seen,group,count,label\n" + "\n".join(rows) + "\n")
    said = [p.message for p in inspect_source(str(path)).problems if "different value" in p.message]
    assert len(said) == 2 and said[0].startswith(f"{path}: column 'customer_id' has a different value in every row "
                                                 "(60 of 60): an identifier, a timestamp or free text?")
    assert "'seen'" in said[1] and "set its role to ignore" in said[1]
    ignored = inspect_source(str(path), {"columns": {"customer_id": {"role": "ignore"}, "seen": {"role": "ignore"}}})
    assert not [p for p in ignored.problems if "different value" in p.message]  # 'group' (2 values) never was


def test_new_rows_read_a_yes_no_column_with_every_word_training_read(tmp_path: Path) -> None:
    """Training reads y/n, t/f, yes/no and true/false in any case; prediction used to know only yes/no and true/false,
    so a model trained on a y/n column refused its own training file ("'y' is not a number")."""
    rows = ["x,member,label"] + [f"{i % 5}.5,{['y', 'N', 'T', 'false'][i % 4]},{'a' if i % 3 else 'b'}" for i in range(24)]
    out = arrays(write(tmp_path, "m.csv", "\n".join(rows) + "\n"), split={"val": 0.0, "stratify": False})
    (member,) = [p for p in out.stats["features"] if p["name"] == "member"]
    assert member["kind"] == "boolean" and member["text"] is True  # an exported model takes the words
    x = transform_rows(out.stats, [[0.5, "y"], [0.5, " Yes "], [0.5, "n"], [0.5, "F"], [0.5, "NA"]])
    assert x[:, 1].tolist() == [1.0, 1.0, 0.0, 0.0, member["fill"]]
    np.testing.assert_array_equal(transform_rows(out.stats, [[r.split(",")[0], r.split(",")[1]] for r in rows[1:]]),
                                  out.x["train"])
    with pytest.raises(DataError, match="'maybe' is not a number"):
        transform_rows(out.stats, [[0.5, "maybe"]])
    numbers = arrays(write(tmp_path, "n.csv", "x,flag,label\n" + "".join(f"{i}.5,{i % 2},{'ab'[i % 2]}\n" for i in range(24))),
                     split={"val": 0.0, "stratify": False}, columns={"flag": {"kind": "boolean"}})
    assert "text" not in next(p for p in numbers.stats["features"] if p["name"] == "flag")  # 0/1: numbers in
