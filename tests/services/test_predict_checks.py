"""Bad input to predict gets a message naming the column or the file (TF-free checks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from visualnn.services.datasets.errors import DataError
from visualnn.services.predict_checks import check_images, check_rows

STATS = {
    "source": "csv",
    "targets": ["label"],
    "features": [
        {"name": "alcohol", "kind": "numeric", "missing": "mean", "columns": ["alcohol"]},
        {"name": "colour", "kind": "categorical", "missing": "most_frequent", "encoding": "onehot",
         "categories": ["red", "white"], "columns": ["colour=red", "colour=white"]},
    ],
}


def test_missing_column_is_named_and_extra_columns_and_unseen_categories_are_warned() -> None:
    with pytest.raises(DataError, match=r"new.csv: the input has no column 'colour'; the model was trained on the "
                                        r"columns alcohol, colour"):
        check_rows(STATS, pd.DataFrame({"alcohol": [1.0]}), "new.csv: ")
    rows = pd.DataFrame({"alcohol": [1.0, 2.0], "colour": ["red", "rosé"], "label": ["a", "b"], "vintage": [1, 2]})
    warnings = check_rows(STATS, rows)
    assert any("column(s) 'vintage' are not features" in w for w in warnings)  # the target is not "extra"
    assert any("column 'colour': 'rosé' not seen in training" in w for w in warnings)
    assert check_rows(STATS, [{"alcohol": 1.0, "colour": "white"}]) == []
    with pytest.raises(DataError, match=r"Row 2 has 1 value\(s\); the model takes 2 feature\(s\), in this order: "
                                        r"alcohol, colour"):
        check_rows(STATS, [[1.0, "red"], [2.0]])


def test_images_of_another_size_or_mode_are_named_and_broken_files_refused(tmp_path: Path) -> None:
    stats = {"source": "images", "image_size": [8, 8], "color_mode": "rgb"}
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "ok.png")
    Image.fromarray(np.zeros((5, 9), np.uint8), "L").save(tmp_path / "small_gray.png")
    _, warnings = check_images([str(tmp_path / "ok.png"), str(tmp_path / "small_gray.png")], stats, str(tmp_path))
    assert warnings == [
        "1 image(s) are not 8x8 (width x height) as in training and were resized: small_gray.png (9x5).",
        "1 image(s) were converted to rgb as in training: small_gray.png (L).",
    ]
    good = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"cut.png is a truncated PNG"):
        check_images([str(tmp_path / "cut.png")], stats, str(tmp_path))
    with pytest.raises(DataError, match="holds no images"):
        check_images([], stats, str(tmp_path))


def test_missing_values_are_no_unseen_category_and_markers_read_as_missing_like_the_training_file() -> None:
    from visualnn.services.datasets.tabular import is_missing, raw_columns

    rows = pd.DataFrame({"alcohol": [1.0, np.nan], "colour": [np.nan, "NA"]})  # pandas reads '' as NaN
    assert check_rows(STATS, rows) == []
    assert check_rows(STATS, [{"alcohol": "-", "colour": None}, {"alcohol": 2.0, "colour": pd.NA}]) == []
    assert [is_missing(v) for v in ["", "NA", "null", "-", "none", np.float32("nan"), pd.NA, None]] == [True] * 8
    assert [is_missing(v) for v in ["0", "red", 0.0, 0, "n.a."]] == [False] * 5
    columns = raw_columns(STATS, [{"alcohol": "NA", "colour": "-"}, {"alcohol": "2,5", "colour": "red"}])
    assert np.isnan(columns["alcohol"][0]) and columns["alcohol"][1] == 2.5
    assert list(columns["colour"]) == [None, "red"]


def test_a_folders_unreadable_images_are_skipped_and_named_unless_none_can_be_read(tmp_path: Path) -> None:
    good = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(good)
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    (tmp_path / "c.jpg").write_bytes(b"plain text")
    paths = [str(tmp_path / n) for n in ("a.png", "b.png", "c.jpg")]
    kept, warnings = check_images(paths, {"source": "images"}, str(tmp_path))
    assert kept == [str(good)]
    assert len(warnings) == 1 and warnings[0].startswith("Skipped 2 unreadable image(s)")
    assert "b.png is a truncated PNG" in warnings[0] and "c.jpg" in warnings[0]
    with pytest.raises(DataError, match=r"No image in .* can be read: b.png"):
        check_images(paths[1:], {"source": "images"}, str(tmp_path))
