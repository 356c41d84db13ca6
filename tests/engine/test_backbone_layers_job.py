"""The engine's ``backbone_layers`` job: exactly the layers, shapes and weight counts Keras builds for a family,
the grayscale and preprocessing layers the node adds in front, the cache, and payloads it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from visualnn.core.backbone_layers import JOB_TYPE, BackboneLayersRequest, LayerTable
from visualnn.core.specs.builtin.pretrained import FAMILY_BY_NAME
from visualnn.engine import JobContext, handler_for, handler_types

pytestmark = [pytest.mark.tf]


def _run(payload: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    import visualnn.engine.handlers_backbone  # noqa: F401  (registers the handler, as the engine does at start-up)

    said: list[tuple[str, dict[str, Any]]] = []
    handler = handler_for(JOB_TYPE)
    assert handler is not None and JOB_TYPE in handler_types()
    return handler(JobContext("job-1", payload, lambda kind, data: said.append((kind, data)))), said


def _count(variables: list[Any]) -> int:
    import numpy as np

    return int(sum(np.prod(v.shape) for v in variables))


def test_the_table_is_exactly_keras_s_mobilenetv3small() -> None:
    import keras

    request = BackboneLayersRequest("MobileNetV3Small", (32, 32, 3), "avg")
    result, said = _run(request.to_dict())
    table = LayerTable.from_dict(result)
    reference = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), include_top=False, weights=None,
                                                    pooling="avg")
    expected = [layer for layer in reference.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert [x.type for x in table.layers] == [type(layer).__name__ for layer in expected]
    assert [x.output_shape for x in table.layers] == [tuple(layer.output.shape) for layer in expected]
    assert [x.trainable_params for x in table.layers] == [_count(layer.trainable_weights) for layer in expected]
    assert [x.non_trainable_params for x in table.layers] == [_count(layer.non_trainable_weights) for layer in expected]
    # Keras names most layers itself (conv, expanded_conv_project_bn...); the auto-numbered ones differ per build.
    named = [(x.name, layer.name) for x, layer in zip(table.layers, expected, strict=True) if x.name == layer.name]
    assert len(named) > len(expected) * 0.6, "the layers' names are not Keras's"
    family = FAMILY_BY_NAME["MobileNetV3Small"]
    assert (table.trainable_params, table.non_trainable_params) == (family.trainable, family.non_trainable)
    assert (table.trainable_params, table.non_trainable_params) == (_count(reference.trainable_weights),
                                                                    _count(reference.non_trainable_weights))
    assert table.layers[-1].output_shape == (None, 576)
    assert said and "MobileNetV3Small" in said[0][1]["text"]
    from visualnn.services.backbone_layers import layer_table

    # Kept per family, shape, pooling and top: the second ask builds nothing (the very same table comes back).
    assert layer_table(request) is layer_table(BackboneLayersRequest("MobileNetV3Small", (32, 32, 3), "avg"))
    again, _ = _run(request.to_dict())
    assert again == result


def test_grayscale_and_preprocessing_layers_come_first() -> None:
    result, _ = _run(BackboneLayersRequest("MobileNetV2", (32, 32, 1), None).to_dict())
    table = LayerTable.from_dict(result)
    # The channel repeated to RGB, then preprocess_input's [-1, 1] scaling, then the network (no pooling: a map).
    assert [x.type for x in table.layers[:2]] == ["UpSampling2D", "Rescaling"]
    assert table.layers[0].output_shape == (None, 32, 32, 3)
    assert table.layers[-1].output_shape == (None, 1, 1, 1280)
    family = FAMILY_BY_NAME["MobileNetV2"]
    assert (table.trainable_params, table.non_trainable_params) == (family.trainable, family.non_trainable)


@pytest.mark.parametrize(("payload", "field"), [
    ({"family": "Dense", "input_shape": [32, 32, 3], "pooling": "avg"}, "family"),
    ({"family": "MobileNetV3Small", "input_shape": [32, 32], "pooling": "avg"}, "input_shape"),
    ({"family": "MobileNetV3Small", "input_shape": [32, 32, 3], "pooling": "mean"}, "pooling"),
])
def test_a_malformed_payload_fails_naming_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        _run(payload)
