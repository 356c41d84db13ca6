"""DatasetSpec: JSON round trip, typed option views with defaults, edits and validation messages."""

from __future__ import annotations

import json

from visualnn.core.dataset import (
    ColumnOptions,
    DatasetSpec,
    PipelineOptions,
    SplitOptions,
)


def test_round_trip_is_plain_json() -> None:
    spec = DatasetSpec("csv", "data/x.csv", {"columns": {"y": {"role": "target"}}, "split": {"val": 0.3}})
    again = DatasetSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again.to_dict() == spec.to_dict()


def test_defaults_when_options_are_empty() -> None:
    spec = DatasetSpec("csv", "x.csv")
    assert spec.split() == SplitOptions(val=0.2, test=0.0, seed=42, stratify=True)
    assert spec.pipeline() == PipelineOptions()
    assert spec.pipeline().shuffle_buffer is None  # None means "number of training examples"
    assert spec.scaling() == "standardize"
    assert spec.missing().strategy == "mean"
    assert spec.column("anything") == ColumnOptions()
    assert spec.targets() == []
    assert spec.validate() == []


def test_typed_views_read_options_and_ignore_unknown_keys() -> None:
    spec = DatasetSpec(
        "images",
        "imgs",
        {"image": {"image_size": [64, 48], "color_mode": "grayscale", "future_key": 1}, "window": {"length": 5}},
    )
    assert spec.image().image_size == (64, 48)
    assert spec.image().channels == 1
    assert spec.window().length == 5 and spec.window().horizon == 1


def test_with_column_and_with_options_return_new_json_specs() -> None:
    spec = DatasetSpec("csv", "x.csv")
    edited = spec.with_column("label", role="target").with_options(split=SplitOptions(val=0.1, test=0.1))
    assert spec.options == {}  # the original is untouched (immutable value)
    assert edited.targets() == ["label"]
    assert edited.options["split"] == {"val": 0.1, "test": 0.1, "seed": 42, "stratify": True}
    json.dumps(edited.to_dict())  # still JSON
    assert edited.with_path("moved/x.csv").path == "moved/x.csv"


def test_validate_names_the_value_and_the_fix() -> None:
    spec = DatasetSpec(
        "csv",
        "x.csv",
        {
            "columns": {"a": {"role": "label"}},
            "split": {"val": 0.6, "test": 0.5},
            "pipeline": {"batch_size": 0},
            "scaling": "zscore",
        },
    )
    messages = spec.validate()
    assert any("Column 'a' role must be one of feature, target, ignore; received 'label'." == m for m in messages)
    assert any("Validation + test fractions must leave data for training" in m for m in messages)
    assert any("Batch size must be at least 1; received 0." == m for m in messages)
    assert any("received 'zscore'" in m for m in messages)
    assert DatasetSpec("parquet", "x").validate()[0].startswith("Dataset kind must be one of")


def test_new_data_gets_70_15_15_unless_too_small_for_a_test_split() -> None:
    from visualnn.core.dataset import MIN_PER_CLASS_FOR_TEST, MIN_SAMPLES_FOR_TEST, suggest_split

    split, note = suggest_split(178, {"0": 59, "1": 71, "2": 48})
    assert (split.val, split.test, split.seed, split.stratify, note) == (0.15, 0.15, 42, True, None)
    split, note = suggest_split(45, {"a": 20, "b": MIN_PER_CLASS_FOR_TEST - 1, "c": 6})
    assert (split.val, split.test, split.stratify) == (0.2, 0.0, True)
    assert note is not None and "class 'c' has only 6 sample(s)" in note and f"at least {MIN_PER_CLASS_FOR_TEST}" in note
    split, note = suggest_split(MIN_SAMPLES_FOR_TEST, None)
    assert (split.val, split.test, split.stratify, note) == (0.15, 0.15, False, None)
    split, note = suggest_split(MIN_SAMPLES_FOR_TEST - 1, None, by_time=True)
    assert split.test == 0.0 and note is not None and "99 time steps" in note


def test_evaluation_names_the_split_it_scored() -> None:
    from visualnn.core.dataset import NO_TEST_LABEL, evaluated_split_label

    assert evaluated_split_label("val", has_test=False) == NO_TEST_LABEL
    assert NO_TEST_LABEL == "validation split (this project has no test split)"
    assert evaluated_split_label("val", has_test=True) == "validation split"
    assert evaluated_split_label("test", has_test=True) == "test split"
    assert evaluated_split_label("train", has_test=False) == "training split"
