"""A backbone classifier exports to .keras, SavedModel and TFLite (float32, float16, dynamic, int8) and passes the
parity report on raw 0-255 images; its int8 TFLite file at 224x224 stays under 2.5 MB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visualnn.core.graph import Edge, Graph, Node

pytestmark = [pytest.mark.tf, pytest.mark.slow]

SIZE = 32  # the smallest image Keras builds these networks for: the parity tests stay quick on a CPU


def classifier(size: int, classes: int, family: str = "MobileNetV3Small") -> Graph:
    """Input(size, size, 3) -> <family>(weights None) -> Dense(classes, softmax)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [size, size, 3]}))
    g.add_node(Node("bb", family, {"weights": None}, name="backbone"))
    g.add_node(Node("head", "Dense", {"units": classes, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "bb"))
    g.connect(Edge.of("bb", "head"))
    return g


def raw_images(n: int, size: int, seed: int) -> tuple[Any, Any]:
    """Raw 0-255 pixels whose class is their brightest colour channel (easy to learn, so classes mean something)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0, 90, (n, size, size, 3))
    x[np.arange(n), :, :, y] += 160
    return x.astype("float32"), y


@pytest.fixture(scope="module")
def trained() -> tuple[Any, Any, Any]:
    import keras

    from visualnn.services.keras_builder import build_model

    keras.utils.set_random_seed(0)
    model = build_model(classifier(SIZE, 3))
    x, y = raw_images(192, SIZE, 0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    # MobileNetV3's BatchNormalization keeps its statistics with momentum 0.999: after 18 steps they are still
    # the initial ones and inference predicts one class, which would make "classes agree" say nothing. One
    # training-mode pass with momentum 0 sets them to the data's (what many more steps would converge to).
    norms = [layer for layer in model.get_layer("backbone").layers[-1].layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(x[:96], training=True)
    for layer in norms:
        layer.momentum = 0.999
    return model, x, y


@pytest.mark.parametrize(("name", "quantize"), [("m.keras", "none"), ("saved", "none"), ("m.tflite", "none"),
                                                ("f16.tflite", "float16"), ("dyn.tflite", "dynamic"),
                                                ("i8.tflite", "int8")])
def test_every_format_passes_parity_on_raw_images(trained: tuple[Any, Any, Any], tmp_path: Path, name: str,
                                                  quantize: str) -> None:
    from visualnn.services.export import export_model

    model, x, _ = trained
    test_x, test_y = raw_images(64, SIZE, 1)
    report = export_model(model, tmp_path / name, samples=test_x, labels=test_y, quantize=quantize,
                          representative=x[:64])
    assert report.passed, report.summary()
    assert report.sample_source == "dataset" and report.samples == 64
    if quantize == "none":
        assert report.class_agreement == 1.0
    assert report.metric == "accuracy" and report.metric_app is not None and report.metric_app > 0.9, report.summary()
    assert len(set(model.predict(test_x, verbose=0).argmax(-1).tolist())) == 3  # agreement on three classes


def test_int8_tflite_of_a_mobilenetv3small_classifier_at_224_is_under_2_5_mb(tmp_path: Path) -> None:
    import keras

    from visualnn.services.export import export_model
    from visualnn.services.keras_builder import build_model

    keras.utils.set_random_seed(0)
    model = build_model(classifier(224, 10))
    x, _ = raw_images(16, 224, 2)
    report = export_model(model, tmp_path / "small.tflite", samples=x[:8], quantize="int8", representative=x[8:])
    assert report.size_bytes == (tmp_path / "small.tflite").stat().st_size
    assert report.size_bytes < 2.5 * 1024 * 1024, report.summary()
    assert report.size_bytes > 0.5 * 1024 * 1024  # the backbone's ~0.95 M weights really are in it, one byte each


def test_a_grayscale_backbone_model_exports_to_tflite_with_the_channel_repeat_inside(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.services.export import export_model
    from visualnn.services.keras_builder import build_model

    g = classifier(SIZE, 3)
    g.set_param("input_1", "shape", [SIZE, SIZE, 1])
    model = build_model(g)
    x = np.random.default_rng(3).uniform(0, 255, (16, SIZE, SIZE, 1)).astype("float32")
    report = export_model(model, tmp_path / "gray.tflite", samples=x)
    assert report.passed and report.max_abs_diff <= 1e-5, report.summary()
