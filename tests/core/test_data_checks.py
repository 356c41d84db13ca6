"""The model checked against the data's facts: Input shape and rank, rank at each Dense, output units/activation,
and the one-click fixes that repair them (undoable exactly)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from visualnn.core.command_base import CommandError, UndoStack
from visualnn.core.compile_options import DataFacts, FeatureColumn, output_layer
from visualnn.core.data_checks import check_data, check_identifier_columns, target_rescaling
from visualnn.core.dataset import DatasetSpec
from visualnn.core.fixes import fix_command, fix_label
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.templates import template
from visualnn.core.validation import validate

DIGITS = DataFacts("classification", n_classes=10, input_kind="images", input_shape=(16, 16, 1), target_shape=(),
                   source="digits_png")
IRIS = DataFacts("classification", n_classes=3, input_shape=(4,), target_shape=(), source="flowers.csv")


def _mlp_on(shape: list[int]) -> Project:
    """The MLP template with its Input set to ``shape`` and nothing else adapted (what `new --data` used to write)."""
    project = template("mlp_classifier").build()
    project.graph.set_param("input_1", "shape", shape)
    project.graph.set_param("dense_3", "units", 10)
    return project


def _codes(project: Project, facts: DataFacts | None) -> list[str]:
    return [i.code for i in validate(project, facts=facts)]


def test_dense_on_images_is_an_error_naming_the_dense_layer_and_the_fix() -> None:
    project = _mlp_on([16, 16, 1])
    assert _codes(project, None) == []  # without the data the model looks fine: this is failure 3
    (issue,) = [i for i in validate(project, facts=DIGITS) if i.is_error]
    assert issue.code == "dense-rank" and issue.node_id == "dense_1"
    assert "dense_1 (Dense) receives (None, 16, 16, 1), rank 4 (samples, height, width, channels)" in issue.message
    assert "outputs (None, 16, 16, 10) while digits_png has one label per sample" in issue.message
    assert issue.fix == "Add a Flatten (or GlobalAveragePooling2D) before dense_1."
    assert issue.action == {"insert": "Flatten", "before": "dense_1"}
    assert fix_label(issue.action) == "Fix: insert Flatten before dense_1"


def test_the_insert_fix_puts_a_flatten_before_the_dense_and_undoes_exactly() -> None:
    project = _mlp_on([16, 16, 1])
    before = project.to_dict()
    stack = UndoStack(project)
    stack.push(fix_command({"insert": "Flatten", "before": "dense_1"}, project))
    graph = project.graph
    assert graph.chain_order() == ["input_1", "flatten_1", "dense_1", "dropout_1", "dense_2", "dense_3"]
    assert graph.nodes["flatten_1"].pos[1] < graph.nodes["dense_1"].pos[1]  # the layers below moved down a row
    assert validate(project, facts=DIGITS) == []
    assert infer_shapes(graph).output("dense_3") == (None, 10)
    stack.undo()
    assert project.to_dict() == before


def test_video_suggests_3d_pooling_and_sequences_1d() -> None:
    video = DataFacts("classification", 3, input_kind="video", input_shape=(4, 8, 8, 3), target_shape=(), source="v.npz")
    (issue,) = check_data(_mlp_on([4, 8, 8, 3]).graph, infer_shapes(_mlp_on([4, 8, 8, 3]).graph), video)
    assert "rank 5 (samples, frames, height, width, channels)" in issue.message
    assert "GlobalAveragePooling3D" in issue.message
    seq = DataFacts("regression", input_kind="sequence", input_shape=(30, 8), target_shape=(1,), source="s.csv")
    graph = _mlp_on([30, 8]).graph
    (issue,) = check_data(graph, infer_shapes(graph), seq)
    assert "GlobalAveragePooling1D" in issue.message and "has 1 target value(s) per sample" in issue.message


def test_per_step_targets_allow_a_high_rank_output() -> None:
    facts = DataFacts("regression", input_kind="sequence", input_shape=(30, 8), target_shape=(30, 10))
    graph = _mlp_on([30, 8]).graph
    assert check_data(graph, infer_shapes(graph), facts) == []


def test_an_output_layer_that_is_not_dense_gets_the_rank_error_without_a_click_fix() -> None:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [16, 16, 1]}))
    g.add_node(Node("conv", "Conv2D", {"filters": 10, "kernel_size": [3, 3], "activation": "softmax"}))
    g.connect(Edge.of("input_1", "conv"))
    (issue,) = check_data(g, infer_shapes(g), DIGITS)
    assert issue.code == "output-rank" and issue.node_id == "conv" and issue.fix is None
    assert "conv outputs (None, 14, 14, 10)" in issue.message and "Add a Flatten or GlobalAveragePooling2D" in issue.message


def test_input_shape_and_rank_against_the_data() -> None:
    project = template("mlp_classifier").build()  # Input [4]
    (issue,) = [i for i in validate(project, facts=DIGITS) if i.code == "input-data-shape"]
    assert issue.node_id == "input_1"
    assert ("input_1 takes batches of rank 2 (samples, features) (None, 4), but digits_png gives rank 4 "
            "(samples, height, width, channels) (None, 16, 16, 1)") in issue.message
    assert issue.action == {"node": "input_1", "param": "shape", "value": [16, 16, 1]}
    wide = DataFacts("classification", 3, input_shape=(13,), target_shape=(), source="wine.csv")
    (issue,) = [i for i in validate(project, facts=wide) if i.code == "input-data-shape"]
    assert "input_1 declares (None, 4), but each batch of wine.csv is (None, 13)" in issue.message
    project.graph.set_param("input_1", "shape", [None])
    assert "input-data-shape" not in _codes(project, wide)  # None accepts any size


def test_two_inputs_for_one_tensor_of_data() -> None:
    codes = _codes(template("two_input").build(), IRIS)
    assert "parts-need-npz" in codes  # named parts come from an .npz, one array per Input and output


def test_raw_scores_on_a_three_class_target_name_units_and_activation() -> None:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    g.add_node(Node("dense_1", "Dense", {"units": 32, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": 32}))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    project = Project(g)
    assert [i for i in validate(project) if i.is_error] == []
    issues = {i.code: i for i in validate(project, facts=IRIS)}
    units, act = issues["output-units"], issues["output-activation"]
    assert units.is_error and "the output has 32 units but the data has 3 classes" in units.message
    assert units.action == {"node": "dense_2", "param": "units", "value": 3}
    assert act.is_error and "no activation" in act.message and "softmax" in act.message
    assert act.action == {"node": "dense_2", "param": "activation", "value": "softmax"}
    regression = DataFacts("regression", label_format="float", target_shape=(2,))
    project.graph.set_param("dense_2", "activation", None)
    project.set_training(project.training.with_changes(loss="mean_squared_error", metrics=["mae"]))
    assert [i.message for i in validate(project, facts=regression)] == [
        "dense_2: the output has 32 units but each sample has 2 target value(s). Set units to 2."]


PRICES = DataFacts("regression", input_shape=(8,), target_shape=(1,), source="houses.csv", targets=("price",),
                   target_stats=(427_612.3, 157_901.8))


def _regressor() -> Project:
    project = template("mlp_regressor").build()
    project.graph.set_param("input_1", "shape", [8])
    return project


def test_target_rescaling_is_proposed_only_for_targets_far_from_unit_scale() -> None:
    assert target_rescaling(427_612.3, 157_901.8) == {"scale": 157_900.0, "offset": 427_600.0}
    assert target_rescaling(0.00436, 0.00162) == {"scale": 0.00162, "offset": 0.00436}  # a spread drowned by a fresh one
    assert target_rescaling(1450.0, 539.0) == {"scale": 539.0, "offset": 1450.0}
    assert target_rescaling(12.03, 4.765) is None  # the weather series trained as well without one
    assert target_rescaling(0.5, 0.29) is None
    assert target_rescaling(5e5, 0.0) is None  # a constant target: nothing to scale by
    assert target_rescaling(float("nan"), 1.0) is None


def test_a_regression_output_far_from_its_target_is_warned_with_a_fix_that_adds_a_rescaling() -> None:
    project = _regressor()
    (issue,) = [i for i in validate(project, facts=PRICES)]
    assert issue.code == "target-scale" and issue.node_id == "dense_3" and not issue.is_error
    assert "the target 'price' of houses.csv averages 4.276e+05 with a spread of 1.579e+05 (training rows)" in issue.message
    assert issue.fix is not None and issue.fix.startswith("Add a Rescaling(scale=157900, offset=427600) after dense_3")
    assert issue.action == {"append": "Rescaling", "after": "dense_3", "params": {"scale": 157_900.0, "offset": 427_600.0}}
    assert fix_label(issue.action) == "Fix: add Rescaling(scale=157900, offset=427600) after dense_3"

    before = project.to_dict()
    stack = UndoStack(project)
    stack.push(fix_command(issue.action, project))
    graph = project.graph
    assert graph.chain_order() == ["input_1", "dense_1", "dense_2", "dense_3", "rescaling_1"]
    assert graph.nodes["rescaling_1"].params == {"scale": 157_900.0, "offset": 427_600.0}
    assert graph.nodes["rescaling_1"].pos[1] > graph.nodes["dense_3"].pos[1]
    assert infer_shapes(graph).output("rescaling_1") == (None, 1)
    assert validate(project, facts=PRICES) == []  # the Rescaling is the output now: nothing left to say
    stack.undo()
    assert project.to_dict() == before


def test_the_output_checks_look_through_the_rescaling_to_the_dense_before_it() -> None:
    project = _regressor()
    stack = UndoStack(project)
    stack.push(fix_command({"append": "Rescaling", "after": "dense_3", "params": {"scale": 2.0, "offset": 1.0}}, project))
    assert output_layer(project.graph) == ("dense_3", None, 1)  # Dense's default: linear
    project.graph.set_param("dense_3", "units", 3)  # three numbers for a one-value target: still caught
    assert "output-units" in _codes(project, PRICES)


def test_no_rescaling_is_asked_of_bounded_outputs_classifiers_or_a_layer_that_already_feeds_another() -> None:
    project = _regressor()
    project.graph.set_param("dense_3", "activation", "sigmoid")
    assert "target-scale" not in _codes(project, PRICES)  # the activation is the user's choice of range
    assert "target-scale" not in _codes(_regressor(), replace(PRICES, task="classification", n_classes=2))
    assert "target-scale" not in _codes(_regressor(), replace(PRICES, target_stats=None))
    with pytest.raises(CommandError, match="dense_2 already feeds another layer; add the Rescaling by hand"):
        fix_command({"append": "Rescaling", "after": "dense_2", "params": {}}, _regressor())
    with pytest.raises(CommandError, match="There is no layer 'dense_9'"):
        fix_command({"append": "Rescaling", "after": "dense_9", "params": {}}, _regressor())


# --------------------------------------------------------------------------- identifier columns
def _table_facts(*columns: FeatureColumn) -> DataFacts:
    return DataFacts("classification", n_classes=2, input_shape=(4,), target_shape=(), source="churn.csv",
                     source_kind="csv", columns=columns)


def test_a_column_with_a_different_value_in_almost_every_row_is_flagged_with_its_fix() -> None:
    facts = _table_facts(FeatureColumn("customer_id", "categorical", 200, 0, 200),
                         FeatureColumn("note", "categorical", 95, 100, 200),  # 95 of 100 present: almost every row
                         FeatureColumn("plan", "categorical", 3, 0, 200),
                         FeatureColumn("fee", "numeric", 200, 0, 200),  # distinct numbers are what numbers are
                         FeatureColumn("code", "categorical", 94, 100, 200),  # 94 of 100: a usable category
                         FeatureColumn("tiny", "categorical", 19, 0, 19))  # too few rows to tell
    issues = check_identifier_columns(facts)
    assert [(i.code, i.severity, i.fix) for i in issues] == [
        ("identifier-column", "warning", {"column": "customer_id", "role": "ignore"}),
        ("identifier-column", "warning", {"column": "note", "role": "ignore"})]
    assert "'customer_id' of churn.csv has a different value in every row (200 of 200)" in issues[0].message
    assert "almost every row (95 of 100)" in issues[1].message
    assert check_identifier_columns(replace(facts, source_kind="timeseries")) == []


def test_the_identifier_fix_ignores_the_column_and_undoes_exactly() -> None:
    project = _mlp_on([4])
    project.set_dataset(DatasetSpec("csv", "churn.csv", {"columns": {"plan": {"role": "feature", "kind": "categorical"}}}))
    before = project.dataset.to_dict()
    issue = next(i for i in validate(project, facts=_table_facts(FeatureColumn("customer_id", "categorical", 200, 0, 200)))
                 if i.code == "identifier-column")
    assert fix_label(issue.action) == "Fix: set column 'customer_id' role = ignore"
    stack = UndoStack(project)
    stack.push(fix_command(issue.action, project))
    assert project.dataset.column("customer_id").role == "ignore"
    assert project.dataset.column("plan").kind == "categorical"  # the other columns' settings stay
    stack.undo()
    assert project.dataset.to_dict() == before
    project.set_dataset(None)
    with pytest.raises(CommandError, match="no table with a column 'customer_id'"):
        fix_command(issue.action, project)
