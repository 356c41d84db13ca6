"""The search space data model: SPEC parsing, validation messages, persistence, applying values (no TF, no Optuna)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from visualnn.core.command_base import CommandError, UndoStack
from visualnn.core.project.io import ProjectFileError, load_project, project_from_dict, save_project
from visualnn.core.search_commands import SetSearch, apply_values, materialize
from visualnn.core.search_settings import (
    SearchConfig,
    config_problems,
    default_storage,
    metric_problems,
    settings_problems,
)
from visualnn.core.search_space import (
    CHOICE,
    FLOAT,
    INT,
    OPTIONAL,
    REPEAT,
    SearchParam,
    SearchSpaceError,
    grid_problems,
    merged,
    parse_assignment,
    resolved,
    space_differences,
    space_problems,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "resources", "examples", "tabular", "tabular.vnn")


@pytest.fixture
def project():  # type: ignore[no-untyped-def]
    return load_project(EXAMPLE)


def space(*texts: str) -> tuple[SearchParam, ...]:
    return tuple(parse_assignment(t) for t in texts)


@pytest.mark.parametrize(("text", "kind", "expect"), [
    ("dense_1.units=16,32,64", CHOICE, {"choices": (16, 32, 64)}),
    ("dense_1.activation=relu, tanh", CHOICE, {"choices": ("relu", "tanh")}),
    ("training.weight_decay=none,0.01", CHOICE, {"choices": (None, 0.01)}),
    ("training.nesterov=true,false", CHOICE, {"choices": (True, False)}),
    ("dropout_1.rate=0.0..0.5", FLOAT, {"low": 0.0, "high": 0.5, "log": False}),
    ("dropout_1.rate=0..0.5", FLOAT, {"low": 0.0, "high": 0.5}),
    ("training.learning_rate=0.0001..0.01:log", FLOAT, {"low": 1e-4, "high": 1e-2, "log": True}),
    ("training.learning_rate=1e-4..1e-2:log", FLOAT, {"low": 1e-4, "log": True}),
    ("dense_1.units=16..128:step=16", INT, {"low": 16, "high": 128, "step": 16}),
    ("dense_2.@repeat=1..3", REPEAT, {"low": 1, "high": 3}),
    ("dropout_1.@optional=yes", OPTIONAL, {}),
    ("dropout_1.@optional", OPTIONAL, {}),
])
def test_spec_syntax(text: str, kind: str, expect: dict[str, object]) -> None:
    param = parse_assignment(text)
    assert param.kind == kind
    for key, value in expect.items():
        assert getattr(param, key) == value, key
    # the text form parses back to the same parameter, and JSON round-trips
    again = parse_assignment(param.describe())
    assert again == param
    assert SearchParam.from_dict(json.loads(json.dumps(param.to_dict()))) == param


@pytest.mark.parametrize(("text", "words"), [
    ("dense_1.units", "TARGET=SPEC"),
    ("units=16", "NODE_ID.PARAM"),
    ("dense_1.units=", "empty"),
    ("dense_1.units=a..3", "low end must be a number"),
    ("dense_1.units=1..3:cube", "unknown range option"),
    ("dense_2.@repeat=1,2", "repeat count is a range"),
])
def test_malformed_spec_is_refused_naming_the_target(text: str, words: str) -> None:
    with pytest.raises(SearchSpaceError, match=words):
        parse_assignment(text)


@pytest.mark.parametrize(("text", "words"), [
    ("training.batch_size=64..16", "training.batch_size: the range 64..16 has low > high; write 16..64"),
    ("training.learning_rate=0.0..0.01:log", "training.learning_rate: a log-scale range must stay above 0"),
    ("dense_9.units=16,32", "dense_9.units: there is no layer 'dense_9'"),
    ("dense_1.filters=16,32", "dense_1.filters: Dense has no parameter 'filters'"),
    ("dense_1.units=0..64", "dense_1.units: 0 is not allowed"),
    ("dropout_1.rate=0.0..1.5", "dropout_1.rate: 1.5 is not allowed"),
    ("dense_1.activation=relu,sparkle", "dense_1.activation: sparkle is not allowed"),
    ("dense_1.units=0.5..2.5", "dense_1.units: Dense units is a whole number"),
    ("training.optimizer=adam,warp", "training.optimizer: warp is not allowed"),
    ("training.monitor=val_loss,loss", "training.monitor: 'monitor' is not a training setting that can be searched"),
    ("training.learning_rate=0.001..0.01:log:step=0.001", "either log-scale or stepped"),
    ("input_1.@optional", "input_1.@optional: only a layer with one input connection"),
    ("dense_2.@repeat=0..3", "repeats 1..16 times"),
    ("training.batch_size=16,16", "repeats a value"),
])
def test_bad_space_is_refused_naming_the_parameter(project, text: str, words: str) -> None:  # type: ignore[no-untyped-def]
    problems = space_problems(space(text), project.graph)
    assert any(words in p for p in problems), problems


def test_empty_space_and_a_good_space(project) -> None:  # type: ignore[no-untyped-def]
    assert "The search space is empty" in space_problems((), project.graph)[0]
    good = space("dense_1.units=16,32,64", "dropout_1.rate=0..0.5", "training.learning_rate=1e-4..1e-2:log",
                 "dense_1.activation=relu,tanh", "training.batch_size=16,32", "dense_2.@repeat=1..2",
                 "dropout_1.@optional", "training.optimizer=adam,sgd")
    assert space_problems(good, project.graph) == []


def test_int_range_over_a_float_parameter_becomes_a_float_range(project) -> None:  # type: ignore[no-untyped-def]
    (param,) = resolved(space("training.learning_rate=0..1"), project.graph)
    assert param.kind == FLOAT and isinstance(param.low, float)


def test_grid_needs_finite_values() -> None:
    ok = space("dense_1.units=16..64:step=16", "dropout_1.rate=0.0..0.5:step=0.25", "dropout_1.@optional")
    assert grid_problems(ok) == []
    assert ok[0].values() == [16, 32, 48, 64] and ok[1].values() == [0.0, 0.25, 0.5]
    bad = grid_problems(space("training.learning_rate=1e-4..1e-2:log"))
    assert bad and bad[0].startswith("training.learning_rate: the grid sampler needs a finite list")


def test_merged_space_replaces_same_target() -> None:
    base = space("dense_1.units=16,32", "dropout_1.rate=0.0..0.5")
    out = merged(base, space("dense_1.units=8..64", "training.batch_size=16,32"))
    assert [p.target for p in out] == ["dense_1.units", "dropout_1.rate", "training.batch_size"]
    assert out[0].kind == INT


def test_space_differences_name_each_parameter() -> None:
    a = space("dense_1.units=16,32", "dropout_1.rate=0.0..0.5")
    b = space("dense_1.units=16,32,64", "training.batch_size=16,32")
    diff = space_differences(a, b)
    assert diff == ["dense_1.units: 16,32 in the study, 16,32,64 now",
                    "dropout_1.rate: searched in the study (0.0..0.5), not in this search",
                    "training.batch_size: searched now (16,32), not in the study"]
    assert space_differences(a, a) == []


def test_contains() -> None:
    units, rate, opt = space("dense_1.units=16,32", "dropout_1.rate=0.0..0.5", "dropout_1.@optional")
    assert units.contains(16) and not units.contains(17) and not units.contains("16")
    assert rate.contains(0.25) and not rate.contains(0.75) and not rate.contains("x")
    assert opt.contains(False) and not opt.contains(0)


# ------------------------------------------------------------------ study settings
def test_metric_must_be_compiled_and_never_test() -> None:
    assert metric_problems("val_accuracy", ["accuracy"]) == []
    assert metric_problems("accuracy", ["acc"]) == []
    assert metric_problems("val_loss", []) == []
    (msg,) = metric_problems("val_auc", ["accuracy"])
    assert "search metric 'val_auc' is not compiled" in msg and "val_loss, val_accuracy" in msg
    (msg,) = metric_problems("test_accuracy", ["accuracy"])
    assert "test split" in msg and "val_accuracy" in msg


def test_settings_problems_name_the_setting() -> None:
    bad = SearchConfig(sampler="bayes", pruner="asha", trials=0, direction="up", second_objective="size")
    text = " ".join(settings_problems(bad, ["accuracy"]))
    for words in ("sampler must be one of tpe, random, grid, cmaes", "pruner must be one of median",
                  "trials must be at least 1", "direction must be minimize or maximize", "second objective"):
        assert words in text
    assert "no budget" in " ".join(settings_problems(SearchConfig(trials=None), []))
    assert settings_problems(SearchConfig(), ["accuracy"]) == []


def test_directions() -> None:
    assert SearchConfig(metric="accuracy").resolved_direction == "maximize"
    assert SearchConfig(metric="val_accuracy").objective == "val_accuracy"
    assert SearchConfig(metric="val_mae").resolved_direction == "minimize"
    assert SearchConfig(metric="val_loss", second_objective="params").directions == ("minimize", "minimize")
    assert SearchConfig(metric="accuracy", direction="minimize").resolved_direction == "minimize"


def test_config_problems_for_grid(project) -> None:  # type: ignore[no-untyped-def]
    cfg = SearchConfig(space=space("training.learning_rate=1e-4..1e-2:log"), sampler="grid")
    assert any("grid sampler" in p for p in config_problems(cfg, project.graph, ["accuracy"]))


def test_default_storage_is_beside_the_project(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = default_storage(str(tmp_path / "wine.vnn"))
    assert url == "sqlite:///" + str(tmp_path / "wine.search.db")


# ------------------------------------------------------------------ persistence
def test_search_section_round_trips_and_old_files_load(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert "search" not in project.to_dict()  # a project that never searched keeps its file as it was
    cfg = SearchConfig(space=space("dense_1.units=16,32,64", "training.learning_rate=1e-4..1e-2:log",
                                   "dropout_1.@optional"), sampler="random", seed=7, pruner="hyperband",
                       trials=12, timeout_s=60.0, metric="val_accuracy", storage="sqlite:///x.db", study="s1",
                       second_objective="params", keep_models=2)
    shutil.copy(os.path.join(os.path.dirname(EXAMPLE), "penguins.csv"), tmp_path)
    UndoStack(project).push(SetSearch(cfg))
    target = tmp_path / "p.vnn"
    save_project(project, target)
    again = load_project(target)
    assert again.search == cfg
    assert again.to_dict() == load_project(target).to_dict()
    data = json.loads(target.read_text())
    assert data["search"]["space"][0] == {"target": "dense_1.units", "kind": "choice", "choices": [16, 32, 64]}
    partial = dict(data, search={"trials": 5})  # fields missing: defaults
    assert project_from_dict(partial).search == SearchConfig(trials=5)


@pytest.mark.parametrize(("search", "words"), [
    ({"trials": "many"}, "search: trials must be a whole number or null"),
    ({"space": [{"target": "dense_1.units", "kind": "cloud"}]}, "search: space: dense_1.units: kind must be one of"),
    ({"space": [{"target": "dense_1.units", "kind": "int", "low": "a", "high": 3}]}, "low must be a number"),
    ({"space": {"dense_1.units": [1]}}, "must be a list"),
])
def test_malformed_search_section_names_the_path(project, search, words) -> None:  # type: ignore[no-untyped-def]
    data = dict(project.to_dict(), search=search)
    with pytest.raises(ProjectFileError, match=words):
        project_from_dict(data, "x.vnn")


def test_set_search_is_undoable(project) -> None:  # type: ignore[no-untyped-def]
    stack = UndoStack(project)
    before = project.to_dict()
    seen = []
    project.search_changed.connect(seen.append)
    stack.push(SetSearch(SearchConfig(trials=3)))
    stack.push(SetSearch(SearchConfig(trials=4)))  # merges
    assert project.search.trials == 4 and len(seen) == 2
    stack.undo()
    assert project.to_dict() == before and not stack.can_undo


# ------------------------------------------------------------------ applying values
def test_apply_values_is_one_undoable_step(project) -> None:  # type: ignore[no-untyped-def]
    stack = UndoStack(project)
    before = project.to_dict()
    values = {"dense_1.units": 16, "dense_1.activation": "tanh", "training.learning_rate": 0.01,
              "training.batch_size": 8, "dropout_1.@optional": False, "dense_2.@repeat": 3}
    stack.push(apply_values(values, "trial 4"))
    g = project.graph
    assert g.nodes["dense_1"].params["units"] == 16 and g.nodes["dense_1"].params["activation"] == "tanh"
    assert project.training.learning_rate == 0.01 and project.training.batch_size == 8
    assert "dropout_1" not in g.nodes
    assert g.chain_order() is not None
    chain = g.chain_order() or []
    assert [g.nodes[n].type for n in chain] == ["Input", "Dense", "Dense", "Dense", "Dense", "Dense"]
    assert [g.nodes[n].params.get("units") for n in chain[2:5]] == [32, 32, 32]
    stack.undo()
    assert project.to_dict() == before
    stack.redo()
    stack.undo()
    assert project.to_dict() == before


@pytest.mark.parametrize(("values", "words"), [
    ({"dense_1.units": 0}, "dense_1 units must be"),
    ({"training.learning_rate": -1.0}, "training.learning_rate"),
    ({"dense_9.units": 3}, "dense_9.units: there is no layer"),
    ({"dropout_1.@optional": "no"}, "dropout_1.@optional: must be true"),
    ({"input_1.@optional": False}, "input_1.@optional: only a layer"),
])
def test_apply_refuses_bad_values_and_leaves_the_project(project, values, words) -> None:  # type: ignore[no-untyped-def]
    before = project.to_dict()
    with pytest.raises(CommandError, match=words):
        UndoStack(project).push(apply_values({"dense_1.units": 8, **values}))
    assert project.to_dict() == before


def test_materialize_leaves_the_project_alone(project) -> None:  # type: ignore[no-untyped-def]
    before = project.to_dict()
    trial = materialize(project, {"dense_1.units": 8, "dropout_1.@optional": False})
    assert trial.graph.nodes["dense_1"].params["units"] == 8 and "dropout_1" not in trial.graph.nodes
    assert project.to_dict() == before


def test_core_search_imports_neither_tf_nor_optuna() -> None:
    code = ("import sys, visualnn.core.search_commands, visualnn.core.search_settings; "
            "bad = [m for m in ('tensorflow', 'keras', 'optuna', 'PySide6', 'numpy') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})


def test_a_training_choice_named_none_is_that_option_not_json_null() -> None:
    """`--space training.class_weight=none,balanced` was refused ("none ... must not be empty"): none parsed as null."""
    from visualnn.core.search_space import parse_assignment, space_problems
    from visualnn.core.templates import template

    graph = template("mlp_classifier").build().graph
    for text, choices in (("training.class_weight=none,balanced", ("none", "balanced")),
                          ("training.mixed_precision=None,mixed_float16", ("none", "mixed_float16"))):
        param = parse_assignment(text)
        assert param.choices == choices and space_problems((param,), graph) == []
    assert parse_assignment("dense_1.activation=none,relu").choices == (None, "relu")  # a layer's None stays None
