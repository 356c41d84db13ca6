"""A KerasHub ResNet classifier (a tiny preset directory made here) exports through the app's export service to
.keras, SavedModel and TFLite (float32, dynamic) and passes the parity report on raw 0-255 images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.hub_helpers import hub_graph, tiny_preset
from tests.services.test_backbones_export import SIZE, raw_images

pytestmark = [pytest.mark.tf, pytest.mark.slow]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    import keras

    from visualnn.services.keras_builder import build_model

    preset = tiny_preset(tmp_path_factory.mktemp("hub") / "tiny")
    keras.utils.set_random_seed(0)
    model = build_model(hub_graph(str(preset), [SIZE, SIZE, 3], classes=3))
    x, y = raw_images(192, SIZE, 0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    return model, x


@pytest.mark.parametrize(("name", "quantize"), [("m.keras", "none"), ("saved", "none"), ("m.tflite", "none"),
                                                ("dyn.tflite", "dynamic")])
def test_every_format_passes_parity_on_raw_images(trained: tuple[Any, Any], tmp_path: Path, name: str,
                                                  quantize: str) -> None:
    from visualnn.services.export import export_model

    model, x = trained
    test_x, test_y = raw_images(64, SIZE, 1)
    report = export_model(model, tmp_path / name, samples=test_x, labels=test_y, quantize=quantize,
                          representative=x[:64])
    assert report.passed, report.summary()
    assert report.sample_source == "dataset" and report.samples == 64
    if quantize == "none":
        assert report.class_agreement == 1.0
    assert len(set(model.predict(test_x, verbose=0).argmax(-1).tolist())) > 1, "one class predicted: parity says nothing"
