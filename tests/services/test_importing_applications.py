"""Import of models whose functional config records Keras operations (``x + y``, ``x + 3.0``) and of the
keras.applications families that use them (MobileNetV3, EfficientNetV2, ConvNeXt): the imported graph has catalog
nodes where the arithmetic is identical, and, with the archive's weights, predicts what the original predicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visualnn.services.imported_weights import import_weights
from visualnn.services.importing import import_model

pytestmark = pytest.mark.tf


def _perturbed(model: Any, seed: int = 0) -> Any:
    """Every weight moved off its initial value (so a weight loaded into the wrong place shows), variances kept > 0."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        value = np.asarray(v.numpy())
        factor = rng.uniform(0.5, 1.5, value.shape)
        noise = 0.0 if "variance" in v.path else rng.normal(0.0, 0.02, value.shape)
        v.assign((value * factor + noise).astype(value.dtype))
    return model


def _predictions_match(model: Any, path: Path, tmp_path: Path, x: np.ndarray) -> Any:
    import keras

    model.save(path)
    result = import_model(path)
    rebuilt = keras.models.load_model(import_weights(path, result.graph, tmp_path / "imported.keras",
                                                     result.weight_paths))
    expected, got = model.predict(x, verbose=0), rebuilt.predict(x, verbose=0)
    assert float(np.max(np.abs(expected))) > 1e-2, "outputs too small for the comparison to mean anything"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    return result


def test_operations_import_as_catalog_merge_and_rescaling_nodes(tmp_path: Path) -> None:
    import keras

    x = keras.Input((4,), name="x")
    a = keras.layers.Dense(4, name="dense")(x)
    shifted = keras.ops.subtract(keras.ops.multiply(keras.ops.add(a, 3.0), 0.5), 2.0)  # ((a + 3) * 0.5) - 2
    summed = keras.ops.add(shifted, a)
    model = _perturbed(keras.Model(x, keras.layers.Dense(2, name="head")(summed)))
    ops = [e for e in model.get_config()["layers"] if e["module"].startswith("keras.src.ops")]
    assert [e["class_name"] for e in ops] == ["Add", "Multiply", "Subtract", "Add"]  # what the test is about
    result = _predictions_match(model, tmp_path / "ops.keras", tmp_path,
                                np.random.default_rng(1).normal(size=(3, 4)).astype("float32"))
    by_label = {n.label: n for n in result.graph}
    rescalings = [(by_label[e["name"]].type, by_label[e["name"]].params) for e in ops[:3]]
    assert rescalings == [("Rescaling", {"scale": 1.0, "offset": 3.0}), ("Rescaling", {"scale": 0.5, "offset": 0.0}),
                          ("Rescaling", {"scale": 1.0, "offset": -2.0})]
    assert by_label[ops[3]["name"]].type == "Add"
    assert result.generic == [] and result.warnings == []


@pytest.mark.slow
@pytest.mark.parametrize(("family", "size"), [("MobileNetV3Small", 96), ("EfficientNetV2B0", 64),
                                              ("ConvNeXtTiny", 64)])
def test_keras_applications_with_operations_import_and_predict_the_same(
        family: str, size: int, tmp_path: Path) -> None:
    import keras

    model = _perturbed(getattr(keras.applications, family)(weights=None, include_top=False, pooling="avg",
                                                           input_shape=(size, size, 3)))
    x = np.random.default_rng(2).uniform(0, 255, (1, size, size, 3)).astype("float32")
    result = _predictions_match(model, tmp_path / f"{family}.keras", tmp_path, x)
    # What stays generic: the fixed-statistics Normalization (EfficientNetV2, ConvNeXt) and ConvNeXt's private
    # LayerScale; both have a cost rule (tests/core/test_costs.py).
    generic = {json.loads(n.params["config"])["class_name"] for n in result.graph if n.type == "KerasLayer"}
    assert generic == {"MobileNetV3Small": set(), "EfficientNetV2B0": {"Normalization"},
                       "ConvNeXtTiny": {"Normalization", "LayerScale"}}[family]
    assert "KerasMergeLayer" not in {n.type for n in result.graph}
