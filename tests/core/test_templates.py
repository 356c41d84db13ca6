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
    "two_input": 6_145,  # 10*32+32 + 4*(4*32+32*32+32) + 64*16+16 + 16+1
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
        else:
            assert cfg.loss == "mean_squared_error"
