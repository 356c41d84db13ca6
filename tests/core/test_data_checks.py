"""The model checked against the data's facts: Input shape and rank, rank at each Dense, output units/activation,
and the one-click fixes that repair them (undoable exactly)."""

from __future__ import annotations

from visualnn.core.command_base import UndoStack
from visualnn.core.compile_options import DataFacts
from visualnn.core.data_checks import check_data
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
