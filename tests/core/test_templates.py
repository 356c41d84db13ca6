"""Templates: each builds a valid project with the expected parameter count (checked against Keras too)."""

from __future__ import annotations

import json

import pytest

from visualnn.core.project import Project
from visualnn.core.project.io import project_from_dict
from visualnn.core.shapes import infer_shapes
from visualnn.core.templates import TEMPLATES, template
from visualnn.core.validation import validate

# Hand-computed totals (weights + biases per layer), cross-checked with Keras's model.count_params():
EXPECTED_PARAMS = {
    "mlp_classifier": 2_499,  # 4*64+64 + 64*32+32 + 32*3+3
    "mlp_regressor": 4_801,  # 8*64+64 + 64*64+64 + 64+1
    "cnn_small": 34_826,  # 3*3*1*32+32 + 3*3*32*64+64 + 1600*10+10 (the Keras MNIST convnet)
    "vgg_blocks": 591_274,  # 896 + 9248 + 18496 + 36928 + 4096*128+128 + 128*10+10
    "resnet_blocks": 38_218,  # 896 + 4 * 9248 + 32*10+10
    "lstm_classifier": 20_867,  # 4*(8*64+64*64+64) + 64*32+32 + 32*3+3
    "conv1d_regressor": 8_449,  # 3*1*32+32 + 3*32*64+64 + 64*32+32 + 32+1
    "autoencoder": 209_968,  # 784*128+128 + 128*32+32 + 32*128+128 + 128*784+784
    "two_input": 3_268,  # 8*32+32 + 4*(3*16+16*16+16) + 48*32+32 + 32*3+3 + 32+1
    "multi_output": 2_788,  # 8*64+64 + 64*32+32 + 32*3+3 + 32+1
    "pretrained_mobilenetv3": 944_890,  # MobileNetV3Small without top 939,120 (Keras's) + 576*10+10
    "pretrained_efficientnetv2": 5_932_122,  # EfficientNetV2B0 without top 5,919,312 (Keras's) + 1280*10+10
}


def test_all_templates_listed() -> None:
    assert set(TEMPLATES) == set(EXPECTED_PARAMS)
    with pytest.raises(KeyError, match="choose one of mlp_classifier"):
        template("nope")


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_template_is_valid_with_expected_params(name: str) -> None:
    t = TEMPLATES[name]
    project = t.build()
    assert isinstance(project, Project) and project.name == t.title
    assert validate(project) == []
    report = infer_shapes(project.graph)
    assert report.errors == {}
    assert report.total_params == EXPECTED_PARAMS[name]
    # Laid out top to bottom: every edge points downwards on the canvas.
    g = project.graph
    assert all(g.nodes[e.src.node].pos[1] < g.nodes[e.dst.node].pos[1] for e in g.edges)
    # Fresh each time, and JSON round-trips exactly through the project file loader.
    assert t.build() is not project
    data = json.loads(json.dumps(project.to_dict()))
    assert project_from_dict(data).to_dict() == project.to_dict()


def test_training_configs_match_the_task() -> None:
    for t in TEMPLATES.values():
        cfg = t.build().training
        if t.task == "classification":
            assert cfg.loss == "sparse_categorical_crossentropy" and "accuracy" in cfg.metrics
        elif t.task == "binary":
            assert cfg.loss == "binary_crossentropy"
        elif t.task == "multi-output":
            assert [(o.name, o.loss, o.weight, o.metrics) for o in cfg.outputs] == [
                ("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
                ("score", "mean_squared_error", 0.5, ("mae",))]
        else:
            assert cfg.loss == "mean_squared_error"


@pytest.mark.parametrize("name", ["two_input", "multi_output"])
def test_multi_output_templates_name_their_parts(name: str) -> None:
    """The named Inputs and the two heads (kind: 3-way softmax, score: linear) that data parts are keyed by."""
    from visualnn.core.model_io import model_inputs, model_outputs

    graph = template(name).build().graph
    inputs = [(p.name, p.shape) for p in model_inputs(graph)]
    assert inputs == ([("tabular", (8,)), ("sequence", (12, 3))] if name == "two_input" else [("features", (8,))])
    assert [(p.name, p.shape) for p in model_outputs(graph)] == [("kind", (3,)), ("score", (1,))]
    kind, score = (graph.nodes[p.node_id] for p in model_outputs(graph))
    assert kind.params["activation"] == "softmax" and score.params.get("activation") in (None, "linear")


def test_an_output_without_its_own_loss_is_still_flagged_as_extra() -> None:
    """Only outputs the compile settings name are meant; a stray sink keeps its extra-output warning."""
    from dataclasses import replace

    project = template("multi_output").build()
    project.set_training(replace(project.training, outputs=project.training.outputs[1:]))
    assert [i.code for i in validate(project)] == ["extra-output"]
