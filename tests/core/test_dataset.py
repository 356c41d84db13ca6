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
