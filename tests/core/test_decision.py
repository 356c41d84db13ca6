"""The decision threshold of yes/no outputs (visualnn.core.decision): its rule, its checks, where a run keeps it,
the counts a report carries to try others, and the undoable edit that keeps one."""

from __future__ import annotations

import random

import pytest

from visualnn.core.commands import CommandError, UndoStack
from visualnn.core.decision import (
    DEFAULT_THRESHOLD,
    EXTRA_KEY,
    STEPS,
    accuracy_of,
    best_f1,
    confusion_at,
    decide,
    describe,
    grid,
    is_binary,
    kept_thresholds,
    latest_threshold,
    parse_threshold,
    per_class_report,
    threshold_for,
    threshold_problem,
    with_threshold,
)
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.core.run_commands import SetRunThreshold
from visualnn.core.training_config import RunRecord


def _curve(labels: list[int], scores: list[float]) -> dict[str, list[int]]:
    """Counts at every grid threshold, by brute force (the service counts them with sorted arrays)."""
    out: dict[str, list[int]] = {"tn": [], "fp": [], "fn": [], "tp": []}
    for t in grid():
        pred = [decide(p, t) for p in scores]
        out["tp"].append(sum(1 for y, q in zip(labels, pred, strict=True) if y == 1 and q == 1))
        out["fp"].append(sum(1 for y, q in zip(labels, pred, strict=True) if y == 0 and q == 1))
        out["fn"].append(sum(1 for y, q in zip(labels, pred, strict=True) if y == 1 and q == 0))
        out["tn"].append(sum(1 for y, q in zip(labels, pred, strict=True) if y == 0 and q == 0))
    return out


def test_the_rule_is_strictly_above_as_keras_decides_at_one_half() -> None:
    assert decide(0.5, 0.5) == 0 and decide(0.5001, 0.5) == 1 and decide(0.31, 0.3) == 1 and decide(0.3, 0.3) == 0
    assert describe(0.3, ["no", "yes"]) == "'yes' when p('yes') > 0.3, else 'no'"
    assert describe(0.5, []) == "'1' when p('1') > 0.5, else '0'"
    assert is_binary("binary", 2) and is_binary("multiclass", 2)
    assert not is_binary("multiclass", 3) and not is_binary("regression", 0) and not is_binary("multilabel", 2)


@pytest.mark.parametrize("value", [0.0, 1.0, -0.2, 1.5, float("nan"), float("inf"), True, "0.3", None])
def test_a_threshold_is_a_number_strictly_between_zero_and_one(value: object) -> None:
    assert threshold_problem(value) is not None
    assert threshold_problem(0.01) is None and threshold_problem(0.99) is None and threshold_problem(1) is not None


def test_the_command_line_reads_a_threshold_or_says_why_not() -> None:
    assert parse_threshold("0.25") == 0.25
    with pytest.raises(ValueError, match="not 'high'"):
        parse_threshold("high")
    with pytest.raises(ValueError, match="every sample in one class"):
        parse_threshold("1")


def test_a_run_keeps_thresholds_by_output_and_the_default_keeps_none() -> None:
    extra = {"task": "binary"}
    kept = with_threshold(extra, "dense_3", 0.3)
    assert kept == {"task": "binary", EXTRA_KEY: {"dense_3": 0.3}} and extra == {"task": "binary"}  # a copy
    assert threshold_for(kept, "dense_3") == 0.3 and threshold_for(kept, "other") == DEFAULT_THRESHOLD
    assert threshold_for(kept, "dense_3", given=0.7) == 0.7  # a one-off choice wins
    assert with_threshold(kept, "dense_3", None) == {"task": "binary"}
    assert with_threshold(kept, "dense_3", DEFAULT_THRESHOLD) == {"task": "binary"}
    with pytest.raises(ValueError, match="between 0 and 1"):
        with_threshold(extra, "dense_3", 2.0)
    # A hand-edited file with values that are not thresholds decides at the default.
    assert kept_thresholds({EXTRA_KEY: {"a": "x", "b": 0.0, "c": 0.4}}) == {"c": 0.4}
    assert kept_thresholds({EXTRA_KEY: [0.3]}) == {}


def test_counts_at_each_threshold_give_the_confusion_matrix_the_figures_and_the_best_f1() -> None:
    rng = random.Random(4)
    labels = [int(rng.random() < 0.3) for _ in range(300)]
    scores = [min(0.999, max(0.0, 0.35 * y + rng.random() * 0.65)) for y in labels]
    curve = _curve(labels, scores)
    for t in (0.05, 0.3, 0.5, 0.77):
        cm = confusion_at(curve, t)
        pred = [decide(p, t) for p in scores]
        assert cm == [[sum(1 for y, q in zip(labels, pred, strict=True) if y == a and q == b) for b in (0, 1)]
                      for a in (0, 1)]
        assert accuracy_of(cm) == sum(y == q for y, q in zip(labels, pred, strict=True)) / len(labels)
        rows = per_class_report(cm, ["no", "yes"])
        tp, fp, fn = cm[1][1], cm[0][1], cm[1][0]
        assert rows[1]["precision"] == (tp / (tp + fp) if tp + fp else 0.0) and rows[1]["support"] == tp + fn
    f1s = {i / STEPS: 2 * curve["tp"][i] / (2 * curve["tp"][i] + curve["fp"][i] + curve["fn"][i])
           for i in range(1, STEPS) if curve["tp"][i]}
    best = best_f1(curve)
    assert f1s[best] == max(f1s.values())
    assert 0.0 < best < 1.0


def test_the_script_starts_from_the_latest_trained_runs_kept_threshold() -> None:
    runs = [RunRecord("r1", "t", model_path="runs/r1/model.keras", extra={EXTRA_KEY: {"out": 0.2}}),
            RunRecord("r2", "t", model_path="runs/r2/model.keras", extra={EXTRA_KEY: {"out": 0.35}}),
            RunRecord("r3", "t", status="diverged", model_path="runs/r3/model.keras")]
    assert latest_threshold(runs, "out") == (0.35, "r2")
    assert latest_threshold(runs, "other") == (DEFAULT_THRESHOLD, None)
    assert latest_threshold([*runs, RunRecord("r4", "t", model_path="m")], "out") == (DEFAULT_THRESHOLD, None)
    assert latest_threshold([], "out") == (DEFAULT_THRESHOLD, None)


def test_keeping_a_threshold_is_one_undoable_edit_that_the_project_file_keeps(tmp_path: object) -> None:
    import pathlib

    folder = pathlib.Path(str(tmp_path))
    project = Project(runs=[RunRecord("r1", "2026-12-01T10:00:00", model_path="runs/r1/model.keras",
                                      extra={"task": "binary", "class_names": ["no", "yes"]})])
    changes: list[int] = []
    project.runs_changed.connect(lambda: changes.append(1))
    stack = UndoStack(project)
    stack.push(SetRunThreshold("r1", "dense_3", 0.25))
    assert project.runs[0].extra[EXTRA_KEY] == {"dense_3": 0.25} and changes == [1]
    save_project(project, folder / "p.vnn")
    assert load_project(folder / "p.vnn").runs[0].extra[EXTRA_KEY] == {"dense_3": 0.25}
    assert stack.undo()
    assert EXTRA_KEY not in project.runs[0].extra and project.runs[0].extra["class_names"] == ["no", "yes"]
    with pytest.raises(CommandError, match="no run 'gone'"):
        SetRunThreshold("gone", "dense_3", 0.3).redo(project)
    with pytest.raises(CommandError, match="between 0 and 1"):
        SetRunThreshold("r1", "dense_3", 1.2).redo(project)
    assert EXTRA_KEY not in project.runs[0].extra  # a refused edit changes nothing
