"""The KerasHub ResNet node without TensorFlow: shapes and counts from the preset table or the stored facts of a
directory, its errors, the raw-pixels warning and Rescale none on attach, the generated code's import and
from_preset call in every style, and a frozen node called in inference mode."""

from __future__ import annotations

import ast

import pytest

from visualnn.core.backbone_checks import RESCALED_PIXELS, raw_pixel_options
from visualnn.core.codegen import generate_model_code
from visualnn.core.codegen.model_code import STYLES
from visualnn.core.dataset import DatasetSpec
from visualnn.core.freezing import calls_in_inference_mode
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import default_registry
from visualnn.core.specs.builtin.hub import PRESET_FACTS, ResNetFacts, facts_params, resnet_facts
from visualnn.core.validation import validate


def graph(size: list[int], **params: object) -> Graph:
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": size}))
    g.add_node(Node("bb", "KerasHubResNet", dict(params), name="backbone"))
    g.add_node(Node("head", "Dense", {"units": 3, "activation": "softmax"}))
    g.connect(Edge.of("in", "bb"))
    g.connect(Edge.of("bb", "head"))
    return g


@pytest.mark.parametrize(("pooling", "shape"), [("avg", (None, 2048)), ("max", (None, 2048)),
                                                (None, (None, 4, 7, 2048))])
def test_builtin_preset_shapes_and_counts(pooling: str | None, shape: tuple[int | None, ...]) -> None:
    report = infer_shapes(graph([100, 224, 3], preset="resnet_v2_50_imagenet", pooling=pooling), default_registry())
    node = report.nodes["bb"]
    assert node.error is None and node.output == shape
    assert node.params is not None and (node.params.trainable, node.params.non_trainable) == (23_500_352, 45_440)


def test_directory_facts_are_what_the_node_stores() -> None:
    facts = ResNetFacts(trainable=1000, non_trainable=64, channels=16, downsampling=8)
    report = infer_shapes(graph([40, 40, 3], preset="/data/my_preset", pooling=None, **facts_params(facts)),
                          default_registry())
    assert report.nodes["bb"].output == (None, 5, 5, 16)
    assert report.nodes["bb"].params is not None and report.nodes["bb"].params.total == 1064


def test_resnet_facts_refuse_resnet_vd() -> None:
    cfg = {"block_type": "bottleneck_block_vd", "input_conv_filters": [32, 32, 64], "input_conv_kernel_sizes": [3] * 3,
           "stackwise_num_filters": [64], "stackwise_num_blocks": [1], "stackwise_num_strides": [1]}
    with pytest.raises(ValueError, match="not ResNet-vd"):
        resnet_facts(cfg)


@pytest.mark.parametrize(("size", "message"), [([24, 24, 3], "at least 32x32"), ([64, 64, 4], "received 4 channels"),
                                               ([64, 3], "needs images")])
def test_bad_inputs_are_shape_errors(size: list[int], message: str) -> None:
    assert message in infer_shapes(graph(size), default_registry()).errors["bb"]


def test_rescaled_images_warn_and_attach_sets_rescale_none() -> None:
    data = DatasetSpec("images", "photos", {"image": {"image_size": [64, 64], "rescale": "0_1"}})
    project = Project(graph([64, 64, 3]), name="p", dataset=data)
    (issue,) = [i for i in validate(project) if i.code == RESCALED_PIXELS]
    assert issue.message.startswith("backbone: KerasHubResNet takes raw 0-255 pixels")
    options = raw_pixel_options(project.graph, "images", {"image": {"rescale": "0_1"}})
    assert options is not None and options["image"]["rescale"] == "none"


@pytest.mark.parametrize("style", STYLES)
def test_generated_code_imports_keras_hub_and_loads_the_preset(style: str) -> None:
    code = generate_model_code(Project(graph([64, 64, 3], preset="resnet_18_imagenet"), name="hub"), style)
    ast.parse(code)
    assert code.splitlines()[:2] == ["import keras", "import keras_hub"]
    assert 'keras_hub.models.Backbone.from_preset(preset="resnet_18_imagenet")' in code
    assert "keras.layers.GlobalAveragePooling2D()" in code
    plain = Graph()
    plain.add_node(Node("in", "Input", {"shape": [4]}))
    plain.add_node(Node("d", "Dense", {"units": 1}))
    plain.connect(Edge.of("in", "d"))
    assert "keras_hub" not in generate_model_code(Project(plain, name="plain"), style)


def test_a_frozen_hub_node_runs_in_inference_mode() -> None:
    g = graph([64, 64, 3], trainable=False)
    assert calls_in_inference_mode(g.nodes["bb"], default_registry())
    assert "training=False" in generate_model_code(Project(g, name="hub"), "functional")


def test_the_table_has_the_documented_totals() -> None:
    totals = {name: f.trainable + f.non_trainable for name, f in PRESET_FACTS.items()}
    assert totals["resnet_18_imagenet"] == 11_186_112 and totals["resnet_50_imagenet"] == 23_561_152
    assert totals["resnet_152_imagenet"] == 58_295_232


def test_the_exported_requirements_name_keras_hub_only_for_a_hub_model() -> None:
    from visualnn.core.codegen import requirements_txt

    hub = requirements_txt(Project(graph([64, 64, 3]), name="hub"))
    assert "keras-hub" in hub and "tensorflow" in hub
    plain = Graph()
    plain.add_node(Node("in", "Input", {"shape": [4]}))
    assert "keras-hub" not in requirements_txt(Project(plain, name="plain")) and "keras-hub" not in requirements_txt()
