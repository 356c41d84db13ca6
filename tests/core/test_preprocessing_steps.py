"""The preprocessing steps the canvas shows in front of the Input, named from the data's facts (no Qt, no TF)."""

from __future__ import annotations

import pytest

from visualnn.core.compile_options import DataFacts, FeatureColumn
from visualnn.core.dataset import DatasetSpec
from visualnn.core.preprocessing_steps import preprocessing_steps

WINE = DataFacts("classification", 3, columns=(
    FeatureColumn("alcohol", "numeric", 120), FeatureColumn("acid", "numeric", 80, n_missing=2),
    FeatureColumn("colour", "categorical", 4), FeatureColumn("organic", "boolean", 2),
    FeatureColumn("grade", "numeric", 5)), input_shape=(10,))


def _texts(spec: DatasetSpec, facts: DataFacts) -> list[str]:
    return [step.text for step in preprocessing_steps(spec, facts)]


def test_a_table_fills_gaps_encodes_text_columns_and_normalizes_the_numeric_ones() -> None:
    spec = DatasetSpec("csv", "wine.csv", {})
    assert _texts(spec, WINE) == ["Fill missing values (1 column)", "StringLookup+CategoryEncoding: colour (4 values)",
                                  "Normalization (3 features)"]  # booleans are not scaled
    steps = preprocessing_steps(spec, WINE)
    assert "acid" in steps[0].tooltip and "all zeros" in steps[1].tooltip
    # The project's column options win over detection: grade as categories, colour as an index.
    spec = spec.with_column("grade", kind="categorical").with_column("colour", encoding="index")
    assert _texts(spec.with_options(scaling="minmax"), WINE) == [
        "Fill missing values (1 column)", "StringLookup: colour (4 values, as an index)",
        "StringLookup+CategoryEncoding: grade (5 values)", "Normalization (2 features, min-max)"]


@pytest.mark.parametrize("scaling", ["none", "layer"])
def test_unscaled_tables_get_no_normalization(scaling: str) -> None:
    facts = DataFacts("regression", columns=(FeatureColumn("x", "numeric", 9), FeatureColumn("y", "numeric", 9)))
    assert _texts(DatasetSpec("csv", "t.csv", {"scaling": scaling}), facts) == []


def test_images_are_resized_and_rescaled_as_the_options_say() -> None:
    facts = DataFacts("classification", 10, input_kind="images", input_shape=(32, 32, 3))
    spec = DatasetSpec("images", "pics", {"image": {"image_size": [32, 32]}})
    assert _texts(spec, facts) == ["Resizing 32x32", "Rescaling 1/255"]
    assert _texts(DatasetSpec("images", "pics", {"image": {"image_size": [28, 20], "rescale": "-1_1"}}), facts) == [
        "Resizing 28x20", "Rescaling 1/127.5 - 1"]
    assert _texts(DatasetSpec("images", "pics", {"image": {"image_size": [8, 8], "rescale": "none"}}), facts) == [
        "Resizing 8x8"]


def test_arrays_pixels_tables_and_other_ranks() -> None:
    pixels = DataFacts("classification", 10, input_kind="images", input_shape=(28, 28, 1), input_dtype="uint8")
    assert _texts(DatasetSpec("numpy", "d.npz", {"scaling": "none"}), pixels) == ["Normalization (uint8 pixels / 255)"]
    table = DataFacts("regression", input_shape=(5,), input_dtype="float64")
    assert _texts(DatasetSpec("numpy", "d.npz", {}), table) == ["Normalization (5 features)"]
    assert _texts(DatasetSpec("numpy", "d.npz", {"scaling": "layer"}), table) == []
    video = DataFacts("classification", 3, input_kind="video", input_shape=(4, 8, 8, 3), input_dtype="float32")
    assert _texts(DatasetSpec("numpy", "v.npz", {}), video) == ["Normalization (one mean and variance)"]


def test_time_series_normalize_each_feature_unless_told_not_to() -> None:
    facts = DataFacts("regression", input_kind="sequence", input_shape=(24, 2))
    assert _texts(DatasetSpec("timeseries", "w.csv", {}), facts) == ["Normalization (2 features)"]
    assert _texts(DatasetSpec("timeseries", "w.csv", {"scaling": "minmax"}), facts) == [
        "Normalization (2 features, min-max)"]
    assert _texts(DatasetSpec("timeseries", "w.csv", {"scaling": "none"}), facts) == []
