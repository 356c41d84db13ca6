"""The KerasHub ResNet node against keras_hub itself: exact weight counts of every built-in preset and of a preset
directory (read from its config.json without TensorFlow), output shapes, the ImageConverter's preprocessing as
layers (raw pixels in), .keras and TFLite, and each bad preset as a message naming the node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.services.hub_helpers import TINY, hub_graph, tiny_preset
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import default_registry
from visualnn.core.specs.builtin.hub import PRESET_FACTS, PRESETS

pytestmark = pytest.mark.tf


def counts(model: Any) -> tuple[int, int]:
    return (sum(int(np.prod(w.shape)) for w in model.trainable_weights),
            sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_builtin_preset_has_keras_hubs_exact_weight_count(name: str) -> None:
    import keras_hub

    backbone = keras_hub.models.ResNetBackbone(**PRESETS[name])
    facts = PRESET_FACTS[name]
    assert counts(backbone) == (facts.trainable, facts.non_trainable)
    assert backbone.output_shape[-1] == facts.channels
    for size in (32, 33, 97, 224):
        assert backbone.compute_output_shape((1, size, size, 3))[1] == facts.spatial(size), size


def test_a_preset_directory_is_read_without_tensorflow_and_matches_the_built_node(tmp_path: Path) -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    preset = tiny_preset(tmp_path / "tiny", block_type="bottleneck_block", use_pre_activation=True)
    graph = hub_graph(str(preset), [40, 40, 3])
    report = infer_shapes(graph, default_registry())
    assert report.nodes["bb"].output == (None, 16 * 4)
    shown = report.nodes["bb"].params
    model = build_model(graph)
    backbone = model.get_layer("backbone")
    assert isinstance(backbone, keras.Model)
    assert (shown.trainable, shown.non_trainable) == counts(backbone)
    graph.nodes["bb"].params["pooling"] = None
    assert infer_shapes(graph, default_registry()).nodes["bb"].output == (None, 5, 5, 64)
    assert build_model(graph).output_shape == (None, 5, 5, 64)


def test_the_model_on_raw_pixels_equals_keras_hubs_image_converter_and_backbone(tmp_path: Path) -> None:
    import keras_hub

    from visualnn.core.specs.builtin.pretrained import IMAGENET_MEAN, IMAGENET_STD
    from visualnn.services.keras_builder import build_model

    preset = tiny_preset(tmp_path / "tiny")
    model = build_model(hub_graph(str(preset), [48, 48, 3], pooling=None))
    # The ResNet presets' ImageConverter: pixels * scale + offset with scale = 1 / (255 * std), offset = -mean / std.
    converter = keras_hub.layers.ResNetImageConverter(
        image_size=None, scale=[1 / (255 * s) for s in IMAGENET_STD],
        offset=[-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)])
    backbone = keras_hub.models.Backbone.from_preset(str(preset))
    pixels = np.random.default_rng(1).uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    expected = np.asarray(backbone(converter(pixels)))
    np.testing.assert_allclose(np.asarray(model(pixels)), expected, rtol=1e-4, atol=1e-4)


def test_the_model_saves_and_loads_as_keras_and_exports_to_tflite(tmp_path: Path) -> None:
    import keras
    import tensorflow as tf

    from visualnn.services.keras_builder import build_model

    preset = tiny_preset(tmp_path / "tiny")
    model = build_model(hub_graph(str(preset), [32, 32, 3], classes=3))
    pixels = np.random.default_rng(2).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(pixels)), np.asarray(model(pixels)), rtol=1e-5, atol=1e-6)
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    interpreter = tf.lite.Interpreter(model_content=tflite)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], [2, 32, 32, 3])
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], pixels)
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(out["index"]), np.asarray(model(pixels)), atol=1e-4)


def refused(graph: Any) -> str:
    from visualnn.services.keras_builder import BuildError, build_model

    with pytest.raises(BuildError) as caught:
        build_model(graph)
    message = str(caught.value)
    assert message.startswith("backbone: ") and "Traceback" not in message
    return message


def test_a_missing_preset_directory_names_the_node(tmp_path: Path) -> None:
    from visualnn.services.hub_presets import BackboneError, preset_params

    with pytest.raises(BackboneError, match=r"^backbone: the preset directory .*nowhere does not exist"):
        preset_params(tmp_path / "nowhere", "backbone")
    preset = tiny_preset(tmp_path / "tiny")
    graph = hub_graph(str(preset), [32, 32, 3])
    moved = tmp_path / "moved"
    preset.rename(moved)
    assert "does not exist" in refused(graph)


def test_a_preset_of_another_model_names_the_node_and_what_it_is(tmp_path: Path) -> None:
    import json

    from visualnn.services.hub_presets import BackboneError, read_preset_facts

    preset = tiny_preset(tmp_path / "tiny")
    config = json.loads((preset / "config.json").read_text())
    config["registered_name"] = "keras_hub>MiTBackbone"
    (preset / "config.json").write_text(json.dumps(config))
    with pytest.raises(BackboneError, match="is a KerasHub preset of keras_hub>MiTBackbone, not of a ResNet"):
        read_preset_facts(preset, "backbone")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BackboneError, match="is not a KerasHub preset directory"):
        read_preset_facts(empty, "backbone")


def test_a_corrupt_weights_file_names_the_node_and_the_file(tmp_path: Path) -> None:
    preset = tiny_preset(tmp_path / "tiny")
    graph = hub_graph(str(preset), [32, 32, 3])
    (preset / "model.weights.h5").write_bytes(b"not hdf5 at all")
    message = refused(graph)
    assert "model.weights.h5 is damaged" in message and "preset folder..." in message


def test_a_changed_preset_directory_asks_to_choose_it_again(tmp_path: Path) -> None:
    preset = tiny_preset(tmp_path / "tiny")
    graph = hub_graph(str(preset), [32, 32, 3])
    tiny_preset(preset, stackwise_num_filters=[64, 32])
    assert "holds another ResNet than when it was chosen" in refused(graph)


def test_a_builtin_preset_offline_says_it_needs_the_network_or_a_directory(tmp_path: Path, monkeypatch: Any) -> None:
    from visualnn.services.hub_presets import BackboneError, check_preset

    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(BackboneError) as caught:
        check_preset("backbone", {"preset": "resnet_18_imagenet"}, reachable=lambda: False)
    message = str(caught.value)
    assert message.startswith("backbone: the KerasHub preset resnet_18_imagenet is not on this computer")
    assert "need the network once" in message and "local preset directory" in message
    assert str(tmp_path / "empty-cache") in message
    cached = tmp_path / "empty-cache" / "models/keras/resnetv1/keras/resnet_18_imagenet/3"
    cached.mkdir(parents=True)
    (cached / "config.json").write_text("{}")
    check_preset("backbone", {"preset": "resnet_18_imagenet"}, reachable=lambda: False)  # cached: no network needed


def test_an_unknown_name_without_facts_is_a_shape_error_naming_the_fix() -> None:
    graph = hub_graph("resnet_999", [32, 32, 3])
    error = infer_shapes(graph, default_registry()).errors["bb"]
    assert "not a built-in KerasHub ResNet preset" in error and "preset folder..." in error


def test_tiny_config_is_what_the_helper_builds() -> None:
    from visualnn.core.specs.builtin.hub import resnet_facts

    assert resnet_facts(TINY).channels == 16 and resnet_facts(TINY).downsampling == 8


def test_without_keras_hub_the_build_names_the_node_and_the_install_command(tmp_path: Path, monkeypatch: Any) -> None:
    import sys

    preset = tiny_preset(tmp_path / "tiny")
    graph = hub_graph(str(preset), [32, 32, 3])
    monkeypatch.setitem(sys.modules, "keras_hub", None)  # an environment without KerasHub
    message = refused(graph)
    assert 'pip install "visualnn[hub]"' in message


def test_keras_hub_is_imported_only_when_a_hub_node_is_built() -> None:
    import subprocess
    import sys

    code = ("import sys; from visualnn.services import keras_builder, hub_presets; "
            "from visualnn.core.specs import default_registry; default_registry(); "
            "print('keras_hub' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_download_that_fails_inside_keras_hub_says_it_needs_the_network_or_a_directory() -> None:
    from visualnn.services.hub_presets import build_failure

    error = ConnectionError("HTTPSConnectionPool(host='api.kaggle.com', port=443): Failed to resolve 'api.kaggle.com'")
    message = build_failure("backbone", {"preset": "resnet_50_imagenet"}, error)
    assert message.startswith("backbone: the KerasHub preset resnet_50_imagenet is not on this computer")
    assert "local preset directory" in message and "Failed to resolve" in message
    other = build_failure("backbone", {"preset": "/data/p"}, ValueError("bad shape"))
    assert other.startswith("backbone: KerasHub could not load the preset directory /data/p. KerasHub said: bad shape")
