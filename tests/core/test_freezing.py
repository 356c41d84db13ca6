"""Frozen layers in the document: the common ``trainable`` switch, its counts, its commands and the project file."""

from __future__ import annotations

import json

import pytest

from visualnn.core.command_base import CommandError, UndoStack
from visualnn.core.commands import SetParam
from visualnn.core.freezing import FreezeBefore, UnfreezeAll, calls_in_inference_mode, frozen_ids, is_frozen
from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import dumps, parse, project_from_dict, project_to_dict
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import default_registry
from visualnn.core.summary import summary_rows
from visualnn.core.validation import validate


def conv_project() -> Project:
    """Input(8x8x3) -> Conv2D(4) -> BatchNormalization -> Flatten -> Dense(2), plus a side branch into Dense."""
    g = Graph(FUNCTIONAL)
    g.add_node(Node("input_1", "Input", {"shape": [8, 8, 3]}))
    g.add_node(Node("conv2d_1", "Conv2D", {"filters": 4, "kernel_size": [3, 3]}))
    g.add_node(Node("batch_normalization_1", "BatchNormalization", {}))
    g.add_node(Node("flatten_1", "Flatten", {}))
    g.add_node(Node("dense_1", "Dense", {"units": 2, "activation": "softmax"}))
    for a, b in [("input_1", "conv2d_1"), ("conv2d_1", "batch_normalization_1"),
                 ("batch_normalization_1", "flatten_1"), ("flatten_1", "dense_1")]:
        g.connect(Edge.of(a, b))
    return Project(g, name="frozen")


def dump(project: Project) -> str:
    return json.dumps(project.to_dict())


def test_every_layer_but_the_input_has_the_trainable_switch() -> None:
    reg = default_registry()
    assert reg["Input"].common_params == ()
    for spec in reg:
        if spec.type != "Input":
            assert spec.param("trainable").default is True, spec.type


def test_frozen_params_count_as_non_trainable_and_bn_statistics_always_do() -> None:
    p = conv_project()
    before = infer_shapes(p.graph)
    conv = before.nodes["conv2d_1"].params
    bn = before.nodes["batch_normalization_1"].params
    assert conv is not None and bn is not None
    assert (conv.trainable, conv.non_trainable) == (3 * 3 * 3 * 4 + 4, 0)
    assert (bn.trainable, bn.non_trainable) == (8, 8)  # gamma, beta; moving mean and variance
    stack = UndoStack(p)
    stack.push(FreezeBefore("flatten_1"))
    after = infer_shapes(p.graph)
    assert after.nodes["conv2d_1"].params.trainable == 0  # type: ignore[union-attr]
    assert after.nodes["conv2d_1"].params.non_trainable == 112  # type: ignore[union-attr]
    assert after.nodes["batch_normalization_1"].params.non_trainable == 16  # type: ignore[union-attr]
    assert after.total_params == before.total_params
    assert after.trainable_params == before.nodes["dense_1"].params.trainable  # type: ignore[union-attr]
    rows = {r.id: r for r in summary_rows(p.graph, after)}
    assert (rows["conv2d_1"].trainable, rows["conv2d_1"].non_trainable) == (0, 112)
    assert (rows["dense_1"].trainable, rows["dense_1"].non_trainable) == (after.trainable_params, 0)


def test_freeze_before_is_one_undoable_step_that_skips_the_input_and_the_node() -> None:
    p = conv_project()
    original = dump(p)
    stack = UndoStack(p)
    stack.push(FreezeBefore("dense_1"))
    assert frozen_ids(p.graph) == ["conv2d_1", "batch_normalization_1", "flatten_1"]
    assert not is_frozen(p.graph.nodes["dense_1"]) and "trainable" not in p.graph.nodes["input_1"].params
    frozen = dump(p)
    assert stack.undo() and dump(p) == original
    assert stack.redo() and dump(p) == frozen
    assert not stack.undo() or dump(p) == original  # one step: a single undo restores everything


def test_freeze_before_says_when_there_is_nothing_to_freeze() -> None:
    p = conv_project()
    with pytest.raises(CommandError, match="Every layer before conv2d_1 is already frozen"):
        FreezeBefore("conv2d_1").redo(p)  # only the Input is before it


def test_unfreeze_all_undoes_exactly() -> None:
    p = conv_project()
    stack = UndoStack(p)
    stack.push(SetParam("dense_1", "trainable", False))
    stack.push(FreezeBefore("flatten_1"))
    frozen = dump(p)
    stack.push(UnfreezeAll())
    assert frozen_ids(p.graph) == []
    assert stack.undo() and dump(p) == frozen
    with pytest.raises(CommandError, match="No layer is frozen"):
        UnfreezeAll().redo(conv_project())


def test_trainable_round_trips_through_the_project_file_and_old_files_load() -> None:
    p = conv_project()
    UndoStack(p).push(FreezeBefore("flatten_1"))
    loaded = project_from_dict(parse(dumps(project_to_dict(p))))
    assert frozen_ids(loaded.graph) == ["conv2d_1", "batch_normalization_1"]
    assert loaded.to_dict() == p.to_dict()
    old = project_to_dict(conv_project())
    assert all("trainable" not in n["params"] for n in old["graph"]["nodes"])  # unchanged files stay as they were
    assert frozen_ids(project_from_dict(old).graph) == []


def test_a_malformed_trainable_value_is_refused_and_reported() -> None:
    p = conv_project()
    with pytest.raises(CommandError, match="trainable must be true or false"):
        SetParam("conv2d_1", "trainable", "no").redo(p)
    data = project_to_dict(p)
    data["graph"]["nodes"][1]["params"]["trainable"] = "no"
    with pytest.raises(Exception, match=r"graph\.nodes\[1\]\.params\.trainable"):
        project_from_dict(data)
    p.graph.set_param("conv2d_1", "trainable", 3)
    issues = [i for i in validate(p) if i.node_id == "conv2d_1"]
    assert any("trainable" in i.message for i in issues)


def test_only_frozen_bn_and_nested_models_run_in_inference_mode() -> None:
    p = conv_project()
    g = p.graph
    assert not calls_in_inference_mode(g.nodes["batch_normalization_1"])
    UndoStack(p).push(FreezeBefore("dense_1"))
    assert calls_in_inference_mode(g.nodes["batch_normalization_1"])
    assert not calls_in_inference_mode(g.nodes["conv2d_1"])  # frozen, but behaves the same either way


def test_fine_tuning_without_a_frozen_layer_is_a_problem_before_training() -> None:
    p = conv_project()
    p.training = p.training.with_changes(fine_tune=True)
    issues = [i for i in validate(p) if i.code == "fine-tune"]
    assert len(issues) == 1 and "no layer is frozen" in issues[0].message and issues[0].severity == "error"
    UndoStack(p).push(FreezeBefore("dense_1"))
    assert not [i for i in validate(p) if i.code == "fine-tune"]
    p.training = p.training.with_changes(fine_tune_from="nowhere")
    assert "not a layer of the model" in next(i.message for i in validate(p) if i.code == "fine-tune")
