"""Backbone nodes against real Keras: every family's weight counts, output shape and preprocessing.

Each family is built once or twice (weights=None, small images), so this file takes a minute or two.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from tests.core.test_backbones import FAMILY_NAMES
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs.builtin.pretrained import family_of

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def lone_backbone(family: str, shape: list[int | None], **params: object) -> Graph:
    """Input(shape) -> <family>(params): the node is the model's output."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": shape}))
    g.add_node(Node("bb", family, {"weights": None, **params}, name="backbone"))
    g.connect(Edge.of("input_1", "bb"))
    return g


def counts(model: object) -> tuple[int, int]:
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)  # type: ignore[attr-defined]
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)  # type: ignore[attr-defined]
    return trainable, frozen


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_counts_shape_and_preprocessing_equal_keras(family: str) -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    fam = family_of(family)
    assert fam is not None
    graph = lone_backbone(family, [35, 33, 3], pooling=None)
    report = infer_shapes(graph)
    model = build_model(graph)
    assert counts(model) == (report.trainable_params, report.non_trainable_params) == (fam.trainable,
                                                                                      fam.non_trainable)
    assert tuple(model.output_shape) == report.nodes["bb"].output
    # The node takes raw pixels: its output is the application's on keras.applications' preprocess_input.
    app = model.get_layer("backbone").layers[-1]
    assert app.name.lower().startswith(family.lower()[:6]) or family.startswith("EfficientNetV2")
    raw = np.random.default_rng(0).uniform(0, 255, (2, 35, 33, 3)).astype("float32")
    preprocess = importlib.import_module(f"keras.applications.{fam.module}").preprocess_input
    expected = np.asarray(app(preprocess(raw.copy()), training=False))
    got = np.asarray(model(raw, training=False))
    scale = float(np.abs(expected).max()) or 1.0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)
    assert keras.applications is not None


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_include_top_head_weights_equal_keras(family: str) -> None:
    from visualnn.services.keras_builder import build_model

    graph = lone_backbone(family, [32, 32, 3], include_top=True, classes=7)
    report = infer_shapes(graph)
    model = build_model(graph)
    assert counts(model) == (report.trainable_params, report.non_trainable_params)
    assert tuple(model.output_shape) == report.nodes["bb"].output == (None, 7)


def test_grayscale_images_are_repeated_to_rgb_before_the_preprocessing() -> None:
    from keras.applications import mobilenet_v2

    from visualnn.services.keras_builder import build_model

    model = build_model(lone_backbone("MobileNetV2", [40, 40, 1]))
    app = model.get_layer("backbone").layers[-1]
    raw = np.random.default_rng(1).uniform(0, 255, (2, 40, 40, 1)).astype("float32")
    expected = np.asarray(app(mobilenet_v2.preprocess_input(np.repeat(raw, 3, axis=-1)), training=False))
    np.testing.assert_allclose(np.asarray(model(raw, training=False)), expected, rtol=1e-4, atol=1e-5)
    assert counts(model) == (2_223_872, 34_112)  # the repeat adds no weights
