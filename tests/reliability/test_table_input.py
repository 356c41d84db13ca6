"""Files that are not tables, tables in UTF-16, numbers beyond float32, and numeric options out of range:
``visualnn data inspect`` (and training's loaders) say what is wrong and how to fix it, exit 2, no traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from visualnn.cli import main
from visualnn.core.dataset import ArrayOptions, DatasetSpec
from visualnn.services.datasets.arrays import load_arrays
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.tables import read_table
from visualnn.services.datasets.tabular import build_arrays

TABLE = "a,b,label\n" + "".join(f"{i % 5},{(i * 7) % 3},{i % 2}\n" for i in range(40))


def _inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["data", "inspect", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_a_single_image_is_not_read_as_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "cat.png")
    code, err = _inspect(capsys, str(tmp_path / "cat.png"))
    assert code == 2
    assert "cat.png is a PNG image, not a text table" in err
    assert "a CSV/TSV table, a .npy/.npz array file, or an image folder" in err
    assert "choose the folder that holds the class folders" in err


def test_a_keras_model_is_not_read_as_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(tmp_path / "model.keras", "w") as zf:
        zf.writestr("config.json", "{}")
    code, err = _inspect(capsys, str(tmp_path / "model.keras"))
    assert code == 2
    assert "model.keras is a Keras model (.keras archive), not a text table" in err
    assert "visualnn import-model" in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_csv_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(TABLE.encode(encoding))
    code, err = _inspect(capsys, str(path))
    assert code == 2
    assert "ragged" not in err
    wide = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert f"excel.csv is {wide} text" in err and "Save it as UTF-8" in err


def test_a_binary_file_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DataError, match="blob.csv is a binary file"):
        read_table(str(path))


def test_a_value_beyond_float32_is_named_and_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One 1e308 cell made the column's standard deviation infinite: every value of it scaled to zero, silently.
    path = tmp_path / "big.csv"
    lines = TABLE.splitlines()
    lines[4] = "1e308,2,1"  # data row 4, line 5
    path.write_text("\n".join(lines) + "\n")
    code = main(["data", "inspect", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "column 'a' holds 1e+308 on row 4 (line 5)" in out and "float32" in out
    spec = DatasetSpec("csv", str(path))
    with pytest.raises(DataError, match=r"column 'a' holds 1e\+308 on row 4 \(line 5\)"):
        build_arrays(spec, read_table(str(path)).table)
    ignored = spec.with_column("a", role="ignore")
    assert build_arrays(ignored, read_table(str(path)).table).x["train"].shape[1] == 1


def test_infinity_in_a_column_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "inf.csv"
    path.write_text(TABLE.replace("\n2,2,0\n", "\n2,inf,0\n", 1))  # data row 3
    with pytest.raises(DataError, match="column 'b' holds inf on row 3"):
        build_arrays(DatasetSpec("csv", str(path)), read_table(str(path)).table)


def test_a_target_beyond_float32_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("a,price\n" + "".join(f"{i},{i * 1.5}\n" for i in range(30)) + "31,-4e39\n")
    info = inspect_source(str(path))
    assert any("column 'price' holds -4e+39 on row 31" in p.message for p in info.problems)
    with pytest.raises(DataError, match="column 'price' holds -4e\\+39"):
        build_arrays(DatasetSpec("csv", str(path)), read_table(str(path)).table)


def test_an_array_beyond_float32_is_refused_naming_the_index(tmp_path: Path) -> None:
    x = np.ones((20, 3))
    x[7, 2] = 1e308
    np.savez(tmp_path / "a.npz", x=x, y=np.arange(20) % 2)
    with pytest.raises(DataError, match=r"array 'x' holds 1e\+308 at index \[7, 2\] \(sample 7\)"):
        load_arrays(str(tmp_path / "a.npz"), ArrayOptions())
    x[7, 2] = 1e30  # large but representable: fine
    np.savez(tmp_path / "b.npz", x=x, y=np.arange(20) % 2)
    assert load_arrays(str(tmp_path / "b.npz"), ArrayOptions()).x.shape == (20, 3)


@pytest.mark.parametrize("args, wanted", [
    (["--kind", "timeseries", "--window", "0"], "--window: must be at least 1; received 0"),
    (["--kind", "timeseries", "--window", "-3"], "--window: must be at least 1; received -3"),
    (["--kind", "timeseries", "--window", "x"], "--window: must be a whole number; received 'x'"),
    (["--window", "12"], "--window sets the window of a time series, but"),
    (["--image-size", "32", "32"], "--image-size sets the size images are resized to, but"),
    (["--kind", "timeseries", "--options", '{"window": {"stride": 0}}'], "Window stride must be at least 1; received 0"),
    (["--kind", "timeseries", "--options", '{"window": {"horizon": -1}}'],
     "Window horizon must be at least 1; received -1"),
    (["--options", "{not json"], "--options is not valid JSON"),
])
def test_numeric_options_out_of_range_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], wanted: str) -> None:
    path = tmp_path / "series.csv"
    path.write_text("t,value\n" + "".join(f"{i},{i * 0.5}\n" for i in range(60)))
    code = main(["data", "inspect", str(path), *args])  # argparse's own refusals return 2 too
    err = capsys.readouterr().err
    assert code == 2
    assert wanted in err
    assert "Traceback" not in err


def test_image_size_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "inspect", str(tmp_path), "--image-size", "0", "32"]) == 2  # bad usage (exit-code contract)
    assert "--image-size: must be at least 1; received 0" in capsys.readouterr().err
    code, err = _inspect(capsys, str(tmp_path), "--options", json.dumps({"image": {"image_size": [0, 32]}}))
    assert code == 2 and "Image size must be [height, width] of positive ints" in err
