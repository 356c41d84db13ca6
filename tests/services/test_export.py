"""Model export with parity reports: .keras, SavedModel, TFLite float32 and quantized."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def trained() -> tuple[Any, Any, Any]:
    """A small classifier trained for a few epochs on separable data (so classes are meaningful)."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")
    model = keras.Sequential(
        [keras.Input((8,), name="features"), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    return model, x, y


@pytest.mark.parametrize("name", ["model.keras", "saved_model", "model.tflite"])
def test_float32_exports_match_within_1e5(trained: tuple[Any, Any, Any], tmp_path: Path, name: str) -> None:
    from visualnn.services.export import export_model

    model, x, y = trained
    report = export_model(model, tmp_path / name, samples=x[:200], labels=y[:200])
    assert report.passed, report.summary()
    assert report.max_abs_diff <= 1e-5
    assert report.class_agreement == 1.0
    assert report.metric == "accuracy" and report.metric_diff == pytest.approx(0.0, abs=1e-9)
    assert report.size_bytes > 0 and report.samples == 200 and report.sample_source == "dataset"
    assert report.format == {"model.keras": "keras", "saved_model": "savedmodel", "model.tflite": "tflite"}[name]


@pytest.mark.parametrize("quantize", ["dynamic", "float16", "int8"])
def test_quantized_tflite_keeps_class_agreement(trained: tuple[Any, Any, Any], tmp_path: Path, quantize: str) -> None:
    from visualnn.services.export import export_model

    model, x, y = trained
    report = export_model(model, tmp_path / f"q_{quantize}.tflite", samples=x[200:], labels=y[200:], quantize=quantize,
                          representative=x[:200])
    assert report.quantize == quantize
    assert report.class_agreement is not None and report.class_agreement >= 0.98, report.summary()
    assert report.passed
    if quantize == "int8":
        assert report.max_abs_diff > 0  # really quantized: not bit-identical
        assert any("int8" in n for n in report.notes)


def test_multi_input_tflite_matches_inputs_by_name(tmp_path: Path) -> None:
    import keras

    from visualnn.services.export import export_model

    keras.utils.set_random_seed(1)
    a, b = keras.Input((4,), name="alpha"), keras.Input((3,), name="beta")
    # Concatenate beta first: LiteRT then lists the inputs in a different order than Keras.
    merged = keras.layers.Concatenate()([b, a])
    model = keras.Model([a, b], [keras.layers.Dense(5, activation="softmax")(merged), keras.layers.Dense(1)(merged)])
    report = export_model(model, tmp_path / "two.tflite")
    assert report.sample_source == "random"
    assert report.max_abs_diff <= 1e-5, report.summary()


def test_quantization_needs_tflite_and_formats_are_checked(trained: tuple[Any, Any, Any], tmp_path: Path) -> None:
    from visualnn.services.export import ExportError, export_model, format_for

    model, x, _ = trained
    with pytest.raises(ExportError, match="TFLite only"):
        export_model(model, tmp_path / "m.keras", samples=x[:4], quantize="int8")
    with pytest.raises(ExportError, match="'bits'"):
        export_model(model, tmp_path / "m.tflite", samples=x[:4], quantize="bits")
    with pytest.raises(ExportError, match=r"m\.pt.*\.onnx"):  # the message lists the suffixes it knows
        format_for("m.pt")
    assert format_for("m.onnx") == "onnx"
    assert format_for("out_dir") == "savedmodel"


def test_culprit_layer_is_named_from_converter_messages(trained: tuple[Any, Any, Any]) -> None:
    from visualnn.services.export import culprit_layer

    model, _, _ = trained
    dense = model.layers[0].name
    assert culprit_layer(model, f"error: 'tf.Foo' op is neither a custom op nor a flex op at loc('{dense}/MatMul')") == dense
    assert culprit_layer(model, "nothing about layers here") is None


def test_report_is_json_and_readable(trained: tuple[Any, Any, Any], tmp_path: Path) -> None:
    import json

    from visualnn.services.export import export_model

    model, x, y = trained
    report = export_model(model, tmp_path / "m.tflite", samples=x[:50], labels=y[:50])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["format"] == "tflite" and data["passed"] is True and "metric_diff" in data
    text = report.summary()
    assert "PASS" in text and "max |diff|" in text and "agree" in text
