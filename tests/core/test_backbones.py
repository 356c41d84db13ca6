"""Pretrained backbone nodes without TensorFlow: palette, shapes, weight counts, messages and generated code.

The counts and shapes here are the table's; ``tests/services/test_backbones_keras.py`` holds them against Keras.
"""

from __future__ import annotations

import ast

import pytest

from visualnn.core.codegen.model_code import STYLES, model_definition
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import KerasCall, ShapeError, default_registry
from visualnn.core.specs.builtin.pretrained import FAMILIES, GRAYSCALE, family_of
from visualnn.core.validation import ERROR, validate

FAMILY_NAMES = [f.name for f in FAMILIES]

# Output spatial size for 33/63/97/101-pixel images, read off Keras (weights=None, include_top=False).
KERAS_SIZES = {
    "MobileNetV3Small": (2, 2, 4, 4),
    "MobileNetV2": (2, 2, 4, 4),
    "EfficientNetV2B0": (2, 2, 4, 4),
    "ResNet50V2": (2, 2, 4, 4),
    "ConvNeXtTiny": (1, 1, 3, 3),
    "DenseNet121": (1, 2, 3, 3),
}


def backbone_graph(family: str, shape: list[int | None], mode: str = "functional", **params: object) -> Graph:
    """Input(shape) -> <family>(params) -> Dense(3)."""
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": shape}))
    g.add_node(Node("bb", family, {"weights": None, **params}, name="backbone"))
    g.add_node(Node("head", "Dense", {"units": 3, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "bb"))
    g.connect(Edge.of("bb", "head"))
    return g


def test_every_family_is_in_the_palette_under_pretrained_from_one_factory() -> None:
    groups = default_registry().by_category()
    assert [s.type for s in groups["pretrained"]] == [*FAMILY_NAMES, "KerasHubResNet"]  # KerasHub: test_hub_node.py
    assert {"MobileNetV3Small", "MobileNetV3Large", "MobileNetV2", "EfficientNetV2B0", "EfficientNetV2B3",
            "ResNet50V2", "ConvNeXtTiny", "DenseNet121"} <= set(FAMILY_NAMES)
    for spec in groups["pretrained"][:-1]:
        assert [p.name for p in spec.params] == ["weights", "include_top", "pooling", "classes"]
        assert spec.defaults()["include_top"] is False and spec.defaults()["weights"] == "imagenet"
        assert spec.shaped_call is not None and spec.url.startswith("https://keras.io/api/applications/")


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_counts_and_pooled_shape_come_from_the_table(family: str) -> None:
    fam = family_of(family)
    assert fam is not None
    report = infer_shapes(backbone_graph(family, [96, 96, 3]))
    info = report.nodes["bb"]
    assert info.error is None and info.output == (None, fam.channels)
    assert info.params is not None and (info.params.trainable, info.params.non_trainable) == (
        fam.trainable, fam.non_trainable)


def test_known_counts_of_keras_applications() -> None:
    """A few totals as keras.io's applications table prints them (include_top=False, 3 channels)."""
    totals = {f.name: f.trainable + f.non_trainable for f in FAMILIES}
    assert totals["MobileNetV3Small"] == 939_120
    assert totals["MobileNetV2"] == 2_257_984
    assert totals["ResNet50V2"] == 23_564_800
    assert totals["DenseNet121"] == 7_037_504


@pytest.mark.parametrize("family", sorted(KERAS_SIZES))
def test_feature_map_size_follows_keras_rounding(family: str) -> None:
    for size, expected in zip((33, 63, 97, 101), KERAS_SIZES[family], strict=True):
        report = infer_shapes(backbone_graph(family, [size, size + 2 if size == 97 else size, 3], pooling=None))
        out = report.nodes["bb"].output
        assert out is not None and out[1] == expected, (family, size, out)


def test_include_top_gives_the_class_count_and_the_head_weights() -> None:
    fam = family_of("MobileNetV3Small")
    assert fam is not None
    report = infer_shapes(backbone_graph("MobileNetV3Small", [224, 224, 3], include_top=True, classes=10))
    info = report.nodes["bb"]
    assert info.output == (None, 10)
    assert info.params is not None and info.params.trainable == 1_528_106 and info.params.non_trainable == 12_112


def test_input_below_the_minimum_is_refused_naming_the_family_and_its_minimum() -> None:
    issues = validate(backbone_graph("EfficientNetV2B0", [31, 64, 3]))
    errors = [i for i in issues if i.severity == ERROR and i.node_id == "bb"]
    assert len(errors) == 1
    message = errors[0].message
    assert message.startswith("backbone: EfficientNetV2B0 needs images of at least 32x32 pixels; received 31x64.")
    assert "Resizing" in message and errors[0].fix is not None and errors[0].fix.startswith("Add a Resizing")
    assert infer_shapes(backbone_graph("EfficientNetV2B0", [32, 32, 3])).nodes["bb"].error is None


@pytest.mark.parametrize(
    ("shape", "params", "words"),
    [
        ([64, 64, 3], {"include_top": True, "classes": 5, "weights": "imagenet"},
         "predicts ImageNet's 1000 classes, not 5. Set include_top off and add a Dense(5)"),
        ([96, 96, 3], {"include_top": True, "weights": "imagenet"}, "needs 224x224 images; received 96x96"),
        ([None, None, 3], {"include_top": True}, "needs a fixed image size"),
        ([64, 64, 2], {}, "RGB images (3 channels) or grayscale ones (1 channel, repeated to 3); received 2 channels"),
        ([64, 3], {}, "needs images (samples, height, width, channels)"),
        ([64, 64, 3], {"weights": "model.pkl"}, "is not a Keras weights file"),
        ([64, 64, 3], {"weights": ""}, "must be \"imagenet\", None (random weights) or the path"),
    ],
)
def test_bad_settings_are_node_errors_in_words(shape: list[int | None], params: dict[str, object], words: str) -> None:
    issues = validate(backbone_graph("ResNet50V2", shape, **params))
    messages = [i.message for i in issues if i.severity == ERROR and i.node_id == "bb"]
    assert messages and messages[0].startswith("backbone: ") and words in messages[0], messages


def test_include_top_with_imagenet_at_the_imagenet_size_is_fine() -> None:
    report = infer_shapes(backbone_graph("ResNet50V2", [224, 224, 3], include_top=True, weights="imagenet"))
    assert report.nodes["bb"].error is None and report.nodes["bb"].output == (None, 1000)


def test_grayscale_input_is_converted_and_the_node_says_so() -> None:
    graph = backbone_graph("MobileNetV2", [64, 64, 1])
    issues = validate(graph)
    assert not [i for i in issues if i.severity == ERROR]
    notes = [i for i in issues if i.code == GRAYSCALE]
    assert len(notes) == 1 and notes[0].node_id == "bb"
    assert "1 channel (grayscale)" in notes[0].message and "repeated 3 times" in notes[0].message
    assert not [i for i in validate(backbone_graph("MobileNetV2", [64, 64, 3])) if i.code == GRAYSCALE]


def _app_call(family: str, channels: int) -> KerasCall:
    spec = default_registry()[family]
    call = spec.call_for(spec.resolved({"weights": None}), [(None, 40, 48, channels)])
    assert call.class_path == "keras.Sequential"
    return call


def test_the_call_puts_preprocess_input_in_front_of_the_application() -> None:
    layers = _app_call("MobileNetV2", 3).kwargs["layers"]
    assert [c.class_path for c in layers] == ["keras.layers.Rescaling", "keras.applications.MobileNetV2"]
    assert layers[0].kwargs == {"scale": 1 / 127.5, "offset": -1.0}
    assert layers[1].kwargs == {"input_shape": (40, 48, 3), "include_top": False, "weights": None, "pooling": "avg"}
    dense = [c.class_path for c in _app_call("DenseNet121", 1).kwargs["layers"]]
    assert dense == ["keras.layers.UpSampling2D", "keras.layers.Rescaling",
                     "keras.applications.DenseNet121"]
    # Families that rescale inside themselves get nothing in front (their preprocess_input does nothing).
    for family in ("MobileNetV3Small", "EfficientNetV2B2", "ConvNeXtTiny"):
        assert [c.class_path for c in _app_call(family, 3).kwargs["layers"]] == [f"keras.applications.{family}"]


@pytest.mark.parametrize("style", STYLES)
def test_every_code_style_writes_the_backbone_with_its_preprocessing(style: str) -> None:
    graph = backbone_graph("ResNet50V2", [64, 64, 1], mode=SEQUENTIAL if style == "sequential" else "functional")
    code = "\n".join(model_definition(graph, "transfer", style))
    ast.parse(code)
    flat = "".join(code.split())  # the printer wraps long calls; compare without whitespace
    for piece in ("keras.applications.ResNet50V2(", "input_shape=(64, 64, 3)", "weights=None", 'pooling="avg"',
                  "keras.layers.Rescaling(scale=0.00784313725490196, offset=-1.0)",
                  'keras.layers.UpSampling2D(size=(1, 3), data_format="channels_first")', 'name="backbone"'):
        assert "".join(piece.split()) in flat, (style, piece)


def test_a_weights_path_is_written_as_a_string_literal() -> None:
    hostile = 'w"); import os; ("x.weights.h5'
    code = "\n".join(model_definition(backbone_graph("MobileNetV3Small", [64, 64, 3], weights=hostile), "p",
                                      "functional"))
    tree = ast.parse(code)
    assert hostile in {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert "import os" not in {getattr(n, "id", "") for n in ast.walk(tree)}


def test_imagenet_file_names_match_keras() -> None:
    by = {f.name: f for f in FAMILIES}
    assert by["MobileNetV3Small"].imagenet_file(False) == "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    assert by["MobileNetV2"].imagenet_file(False, 96) == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"
    assert by["MobileNetV2"].imagenet_file(True, 100) == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"
    assert by["EfficientNetV2B3"].imagenet_file(False) == "efficientnetv2-b3_notop.h5"
    assert by["ConvNeXtTiny"].imagenet_file(True) == "convnext_tiny.h5"
    assert by["DenseNet121"].imagenet_file(False) == "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"


def test_the_shape_rule_raises_shape_errors_only() -> None:
    spec = default_registry()["ConvNeXtTiny"]
    with pytest.raises(ShapeError):
        spec.infer(spec.resolved({}), [(None, 8, 8, 3)])


def test_image_data_rescaled_before_a_backbone_is_a_warning_naming_it() -> None:
    from visualnn.core.backbone_checks import RESCALED_PIXELS
    from visualnn.core.dataset import DatasetSpec
    from visualnn.core.project import Project

    def project(rescale: str) -> Project:
        data = DatasetSpec("images", "photos", {"image": {"image_size": [64, 64], "rescale": rescale}})
        return Project(backbone_graph("MobileNetV3Small", [64, 64, 3]), name="p", dataset=data)

    (issue,) = [i for i in validate(project("0_1")) if i.code == RESCALED_PIXELS]
    assert issue.node_id == "bb" and issue.severity == "warning"
    assert issue.message.startswith("backbone: MobileNetV3Small takes raw 0-255 pixels")
    assert "rescales them to 0..1" in issue.message and "Set Rescale to none in the Data panel." in issue.message
    assert not [i for i in validate(project("none")) if i.code == RESCALED_PIXELS]


def test_include_top_as_the_output_with_another_class_count_than_the_data() -> None:
    from visualnn.core.backbone_checks import TOP_CLASSES
    from visualnn.core.compile_options import DataFacts
    from visualnn.core.project import Project

    facts = DataFacts("classification", n_classes=5, input_kind="images", input_shape=(224, 224, 3), target_shape=(),
                      source="flowers")

    def top(weights: str | None) -> Project:
        g = Graph()
        g.add_node(Node("input_1", "Input", {"shape": [224, 224, 3]}))
        g.add_node(Node("bb", "MobileNetV3Small", {"weights": weights, "include_top": True}, name="backbone"))
        g.connect(Edge.of("input_1", "bb"))
        return Project(g, name="p")

    (imagenet,) = [i for i in validate(top("imagenet"), facts=facts) if i.code == TOP_CLASSES]
    assert imagenet.is_error and imagenet.node_id == "bb" and imagenet.action is None
    assert imagenet.message.startswith("backbone: MobileNetV3Small with include_top predicts 1000 classes, but "
                                       "flowers has 5; its ImageNet weights only come with 1000 classes")
    (random,) = [i for i in validate(top(None), facts=facts) if i.code == TOP_CLASSES]
    assert random.action == {"node": "bb", "param": "classes", "value": 5} and "set classes to 5" in random.message


def test_the_pretrained_templates_are_valid_and_start_from_imagenet() -> None:
    from visualnn.core.templates import template

    for name, family in (("pretrained_mobilenetv3", "MobileNetV3Small"), ("pretrained_efficientnetv2",
                                                                           "EfficientNetV2B0")):
        project = template(name).build()
        assert validate(project) == []
        types = [project.graph.nodes[n].type for n in project.graph.topological_order()]
        assert types == ["Input", "Resizing", family, "Dropout", "Dense"]
        backbone = next(n for n in project.graph if n.type == family)
        assert backbone.params["weights"] == "imagenet" and backbone.label == "backbone"
