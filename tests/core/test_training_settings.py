"""The settings table: every field and every allowed value round-trips through a project file.

No Qt, no TensorFlow: the Keras side of the same table is tested in tests/services/test_compile_parity.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, load_project, save_project
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import CALLBACKS, LOSSES, METRICS, callback_calls, compile_calls
from visualnn.core.training_settings import (
    BOOL,
    CHOICE,
    FIELD_BY_NAME,
    FIELDS,
    FLOAT,
    INT,
    INT_LIST,
    MULTI,
    OUTPUTS,
    SettingField,
    applies,
    monitor_choices,
)


def value_strategy(f: SettingField) -> st.SearchStrategy[Any]:
    """Every value the table allows for ``f`` (the same rules the loader and the form read)."""
    if f.kind == BOOL:
        return st.booleans()
    if f.kind == INT:
        return st.integers(int(f.minimum if f.minimum is not None else -1000),
                           int(min(f.maximum if f.maximum is not None else 10**6, 10**6)))
    if f.kind == FLOAT:
        floats = st.floats(f.minimum, f.maximum, exclude_min=f.open_min, exclude_max=f.open_max,
                           allow_nan=False, allow_infinity=False)
        return st.none() | floats if f.nullable else floats
    if f.kind == CHOICE:
        return st.sampled_from(f.choices)
    if f.kind == MULTI:
        return st.lists(st.sampled_from(f.choices), unique=True, max_size=len(f.choices))
    if f.kind == INT_LIST:
        return st.lists(st.integers(0, 7), unique=True, max_size=3)
    if f.kind == OUTPUTS:
        row = st.fixed_dictionaries({
            "loss": st.sampled_from([o.id for o in LOSSES]),
            "weight": st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False),
            "metrics": st.lists(st.sampled_from([o.id for o in METRICS]), unique=True, max_size=3),
        })
        return st.dictionaries(st.sampled_from(("kind", "score", "output_2")), row, max_size=3)
    if f.name == "device":
        return st.sampled_from(("auto", "cpu", "gpu:0", "gpu:1", "GPU:2"))
    if not f.suggestions:  # free text (a layer name): any non-blank name, or nothing when optional
        names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
        return st.none() | names if f.nullable else names
    return st.sampled_from(f.suggestions)


@st.composite
def configs(draw: st.DrawFn) -> TrainingConfig:
    """A training config whose every field holds a value the table allows (cross-field rules aside)."""
    return TrainingConfig.from_dict({f.name: draw(value_strategy(f)) for f in FIELDS})


def test_the_table_covers_every_setting_once() -> None:
    names = [f.name for f in FIELDS]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(TrainingConfig))
    assert len(set(names)) == len(names)
    for f in FIELDS:
        assert f.label and f.doc.endswith((".", ")")), f.name
        assert f.problem(_json(getattr(TrainingConfig(), f.name))) is None, f"default of {f.name} is not allowed"


def test_precision_is_text_and_older_files_with_a_bool_still_open(tmp_path: Path) -> None:
    """The first symptom: the Precision box wrote "none" and the loader accepted only true/false."""
    project = TEMPLATES["mlp_classifier"].build()
    project.set_training(project.training.with_changes(mixed_precision="none", epochs=3))
    path = tmp_path / "p.vnn"
    save_project(project, path)
    assert json.loads(path.read_text())["training"]["mixed_precision"] == "none"
    assert load_project(path).training == project.training
    for old, new in ((False, "none"), (True, "mixed_float16")):
        raw = json.loads(path.read_text())
        raw["training"]["mixed_precision"] = old
        path.write_text(json.dumps(raw))
        assert load_project(path).training.mixed_precision == new


@pytest.mark.parametrize(("field", "value", "words"), [
    ("mixed_precision", 3, "must be text"),
    ("epochs", "ten", "must be a whole number"),
    ("learning_rate", True, "must be a number"),
    ("metrics", "accuracy", "must be a list of names"),
    ("gpus", [0, -1], "whole numbers >= 0"),
])
def test_wrong_types_are_refused_with_the_json_path(tmp_path: Path, field: str, value: Any, words: str) -> None:
    path = tmp_path / "p.vnn"
    save_project(TEMPLATES["mlp_classifier"].build(), path)
    raw = json.loads(path.read_text())
    raw["training"][field] = value
    path.write_text(json.dumps(raw))
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert f"training.{field}" in str(info.value) and words in str(info.value)


def test_out_of_range_values_load_and_are_named_before_training(tmp_path: Path) -> None:
    cfg = TrainingConfig(learning_rate=20.0, mixed_precision="float8", loss="made_up", early_stopping=True,
                         monitor="val_r2")
    text = " ".join(cfg.problems())
    for words in ("Learning rate must be > 0 and <= 10; received 20.0. Try 0.001.",
                  "Precision must be one of none, mixed_float16, mixed_bfloat16; received 'float8'",
                  "Loss must be one of", "Monitor 'val_r2' is not reported by this run, yet early stopping watch"):
        assert words in text


def test_keras_names_of_metrics_become_catalog_ids() -> None:
    cfg = TrainingConfig.from_dict({"metrics": ["mean_absolute_error", "acc"], "optimizer": "Adam", "loss": "mse"})
    assert cfg.metrics == ("mae", "accuracy") and cfg.optimizer == "adam" and cfg.loss == "mean_squared_error"
    assert TEMPLATES["mlp_regressor"].build().training.problems() == []


def test_fields_apply_only_with_the_option_that_reads_them() -> None:
    adam, sgd = TrainingConfig(optimizer="adam"), TrainingConfig(optimizer="sgd")
    assert not applies("momentum", adam) and applies("momentum", sgd) and applies("nesterov", sgd)
    assert not applies("decay_steps", adam) and applies("decay_steps", adam.with_changes(schedule="cosine"))
    assert not applies("patience", adam) and applies("patience", adam.with_changes(early_stopping=True))
    assert applies("monitor", adam.with_changes(schedule="plateau"))
    assert applies("learning_rate", adam) and applies("epochs", adam)


def test_top_k_follows_the_label_format() -> None:
    """The second symptom: one-hot labels trained with TopKCategoricalAccuracy but exported the sparse one."""
    for loss, keras_class in (("categorical_crossentropy", "TopKCategoricalAccuracy"),
                              ("sparse_categorical_crossentropy", "SparseTopKCategoricalAccuracy")):
        (metric,) = compile_calls(TrainingConfig(loss=loss, metrics=("top_k_accuracy",))).metrics
        assert not isinstance(metric, str) and metric.class_path == f"keras.metrics.{keras_class}"


def test_every_metric_and_callback_builds_a_call() -> None:
    cfg = TrainingConfig(metrics=tuple(m.id for m in METRICS))
    assert len(compile_calls(cfg).metrics) == len(METRICS)
    every = TrainingConfig(**{o.id: True for o in CALLBACKS}, schedule="plateau")
    paths = [c.class_path.rsplit(".", 1)[1] for c in callback_calls(every, "val_loss", "best.keras", "logs")]
    assert paths == ["TerminateOnNaN", "EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "TensorBoard"]
    assert monitor_choices(("accuracy",)) == ("val_loss", "val_accuracy", "loss", "accuracy")


@settings(max_examples=150, deadline=None)
@given(cfg=configs())
def test_every_allowed_value_survives_save_and_load(tmp_path_factory: pytest.TempPathFactory,
                                                    cfg: TrainingConfig) -> None:
    project = Project(TEMPLATES["mlp_classifier"].build().graph, "Settings", None, cfg, [])
    path = tmp_path_factory.mktemp("settings") / "p.vnn"
    save_project(project, path)
    loaded = load_project(path).training
    assert loaded == cfg
    assert all(FIELD_BY_NAME[name].problem(_json(getattr(loaded, name))) is None for name in FIELD_BY_NAME)
    calls = compile_calls(loaded)  # every allowed choice builds
    assert calls.optimizer.class_path.startswith("keras.optimizers.")


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def test_mixed_precision_on_a_cpu_is_a_warning_not_a_problem() -> None:
    from visualnn.core.training_settings import setting_warnings

    cfg = TrainingConfig(mixed_precision="mixed_float16")
    assert cfg.problems() == []  # it trains; it is only slower
    assert setting_warnings(cfg, 0)["mixed_precision"].startswith("Precision mixed_float16 on a CPU is slower")
    assert setting_warnings(cfg, 1) == {}  # a GPU: what mixed precision is for
    assert setting_warnings(cfg, None) == {}  # devices not known yet: only an explicit cpu counts
    assert "mixed_precision" in setting_warnings(cfg.with_changes(device="cpu"), None)
    assert "mixed_precision" in setting_warnings(cfg.with_changes(mixed_precision="mixed_bfloat16"), 0)
    assert setting_warnings(TrainingConfig(device="cpu"), 0) == {}
