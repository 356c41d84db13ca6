"""The streaming CSV loader: pieces parsed two at a time, float features kept as float32, the same tensors.

The loader parses a large file in pieces cut at line starts and keeps numeric feature columns as float32 (the
values the model receives), so the table takes half the memory. These tests pin what that must not change:
the tensors equal those made from one whole read, every value of a narrowed column is its float64 value
rounded to float32, an out-of-range value is still reported with its value and row, and a quoted line break
anywhere still loads row for row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visualnn.core.dataset import DatasetSpec
from visualnn.services.datasets import tables
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.sources import load_csv_arrays
from visualnn.services.datasets.tables import read_table
from visualnn.services.datasets.tabular import build_arrays, float32_columns, transform_rows

PIECE = 16 << 10  # small pieces: a few hundred KB of text is cut into dozens of them


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "_PIECE_BYTES", PIECE)


def mixed_csv(path: Path, rows: int = 6000, seed: int = 0) -> Path:
    """Floats at full precision (one GPS-like, one with missing cells), integers, text, yes/no words, a target."""
    rng = np.random.default_rng(seed)
    lines = ["lat,spread,count,city,member,target"]
    cities = ["oslo", "bergen", "tromso, north"]  # a quoted value with the delimiter inside
    for i in range(rows):
        spread = "" if i % 97 == 5 else repr(float(rng.normal() * 1e3))
        city = cities[i % 3]
        city = f'"{city}"' if "," in city else city
        lines.append(f"{47.1 + rng.random() * 1e-4!r},{spread},{int(rng.integers(0, 1 << 30))},{city},"
                     f"{'yes' if i % 2 else 'no'},{i % 3}")
    path.write_text("\n".join(lines) + "\n")
    return path


def spec_for(path: Path, **options: object) -> DatasetSpec:
    base: dict[str, object] = {
        "split": {"val": 0.2, "test": 0.1, "seed": 3},
        "columns": {"city": {"kind": "categorical", "encoding": "onehot"}},
        "task": "multiclass",
    }
    base.update(options)
    return DatasetSpec("csv", str(path), base)


def test_a_file_in_pieces_reads_as_one_whole_read(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    assert path.stat().st_size > 10 * PIECE
    pieces = read_table(str(path), stream=True).table
    whole = read_table(str(path)).table
    assert pieces.schema == whole.schema
    assert pieces.equals(whole)


def test_narrowed_columns_hold_each_value_rounded_to_float32(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    spec = spec_for(path)
    names = ["lat", "spread", "count", "city", "member", "target"]
    assert float32_columns(spec, names) == {"lat", "spread", "count", "member"}  # not the target, not city
    narrowed = read_table(str(path), stream=True, narrow=lambda n: float32_columns(spec, n)).table
    whole = read_table(str(path)).table
    for name in ("lat", "spread"):  # float columns: float32, each value the float64 one rounded
        assert str(narrowed.schema.field(name).type) == "float"
        exact = whole.column(name).to_numpy(zero_copy_only=False)
        np.testing.assert_array_equal(narrowed.column(name).to_numpy(zero_copy_only=False), exact.astype(np.float32))
    assert narrowed.column("spread").null_count == whole.column("spread").null_count > 0
    for name in ("count", "city", "member", "target"):  # other types and kept columns as they were read
        assert narrowed.column(name).equals(whole.column(name))


def test_the_streamed_load_makes_the_tensors_of_a_whole_read(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    spec = spec_for(path, columns={"city": {"kind": "categorical", "encoding": "onehot"}, "spread": {"missing": "median"}})
    streamed = load_csv_arrays(spec)
    whole = build_arrays(spec, read_table(str(path)).table)
    assert streamed.stats["features"] == whole.stats["features"]
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(streamed.x[split], whole.x[split])
        np.testing.assert_array_equal(streamed.y[split], whole.y[split])
        np.testing.assert_array_equal(streamed.positions[split], whole.positions[split])
    assert streamed.x["train"].dtype == np.float32 and not np.isnan(streamed.x["train"]).any()


def test_features_are_rounded_to_float32_before_scaling_in_training_and_predicting(tmp_path: Path) -> None:
    """A GPS-like column (47.1 +- 1e-4): its statistics come from the float32 values, and new rows given at
    predict time go through the same rounding, so the training rows transform to their own tensors."""
    path = mixed_csv(tmp_path / "mixed.csv", rows=400)
    spec = spec_for(path)
    arrays = load_csv_arrays(spec)
    lat = next(p for p in arrays.stats["features"] if p["name"] == "lat")
    column = read_table(str(path)).table.column("lat").to_numpy()
    train = column[arrays.positions["train"]].astype(np.float32).astype(np.float64)
    assert lat["center"] == float(train.mean()) and lat["scale"] == float(train.std())
    frame = read_table(str(path)).table.to_pandas()
    rows = frame.iloc[arrays.positions["val"]][[p["name"] for p in arrays.stats["features"]]]
    np.testing.assert_array_equal(transform_rows(arrays.stats, rows), arrays.x["val"])


def test_a_value_beyond_float32_in_a_later_piece_is_still_reported(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    lines = path.read_text().splitlines()
    lines[5000] = "1e39," + lines[5000].split(",", 1)[1]  # data row 4999, line 5001
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        load_csv_arrays(spec_for(path))
    assert "column 'lat' holds 1e+39" in str(caught.value) and "line 5001" in str(caught.value)


def test_a_quoted_line_break_that_a_cut_would_split_loads_row_for_row(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    lines = path.read_text().splitlines()
    for i in range(3001, 6000, 501):  # data rows 3000, 3501, ...: "oslo" across two lines, past the sniffed start
        lines[i] = lines[i].replace("oslo", '"oslo\nsouth"')
    path.write_text("\n".join(lines) + "\n")
    table = read_table(str(path), stream=True).table
    assert table.num_rows == 6000
    assert table.column("city").to_pylist()[3000] == "oslo\nsouth"
    assert table.equals(read_table(str(path)).table)


def test_a_later_piece_with_text_in_a_number_column_falls_back_to_one_read(tmp_path: Path, small_pieces: None) -> None:
    path = mixed_csv(tmp_path / "mixed.csv")
    lines = path.read_text().splitlines()
    lines[5500] = lines[5500].rsplit(",", 1)[0] + ",2.5"  # the integer target turns float far past the first piece
    path.write_text("\n".join(lines) + "\n")
    table = read_table(str(path), stream=True).table
    assert str(table.schema.field("target").type) == "double" and table.num_rows == 6000


@pytest.mark.parametrize(("text", "inside"), [
    (b'1,"oslo, north",yes\n2,"say ""hi""",no\n', False),  # quoted delimiters and doubled quotes: no break inside
    (b"1,plain,yes\n", False),
    (b'1,"oslo\nsouth",yes\n', True),  # a line break inside a quoted value
    (b'1,"oslo\n', True),  # the piece ends inside the value: a cut there would split it
])
def test_a_piece_with_a_line_break_inside_quotes_is_refused(text: bytes, inside: bool) -> None:
    if inside:
        with pytest.raises(tables._QuotedLineBreak):
            tables._check_quotes(text)
    else:
        tables._check_quotes(text)


@pytest.mark.parametrize("scaling", ["none", "layer"])
def test_unscaled_features_are_the_float32_values_with_missing_cells_filled(tmp_path: Path, scaling: str) -> None:
    """Without scaling the fill-and-scale pass runs only when a cell is missing; either way the tensors are the
    values rounded to float32 (what the whole read gives), missing cells filled."""
    path = mixed_csv(tmp_path / "mixed.csv", rows=600)  # "spread" has missing cells
    for columns in ({"spread": {"role": "ignore"}}, {}):  # no missing cell left / some
        spec = spec_for(path, scaling=scaling, columns={**columns, "city": {"kind": "categorical"}})
        arrays = load_csv_arrays(spec)
        whole = build_arrays(spec, read_table(str(path)).table)
        assert not np.isnan(arrays.x["train"]).any()
        for split in ("train", "val", "test"):
            np.testing.assert_array_equal(arrays.x[split], whole.x[split])
        lat = arrays.feature_names.index("lat")
        column = read_table(str(path)).table.column("lat").to_numpy()
        np.testing.assert_array_equal(arrays.x["val"][:, lat], column[arrays.positions["val"]].astype(np.float32))
