"""Backbone weights: a file made here loads; other networks' files, damaged files, missing files and missing
ImageNet weights offline are messages naming the node, the file and the fixes. Nothing is ever downloaded."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.services.test_backbones_keras import lone_backbone
from visualnn.core.specs import default_registry

pytestmark = pytest.mark.tf

SIZE = [32, 32, 3]


def saved_weights(tmp_path: Path, family: str, name: str = "mine.weights.h5") -> Path:
    """``save_weights`` of a freshly built application with the node's own settings."""
    import keras

    app = getattr(keras.applications, family)(input_shape=(32, 32, 3), include_top=False, weights=None,
                                              pooling="avg")
    path = tmp_path / name
    app.save_weights(path)
    return path


def test_a_weights_file_of_the_same_network_is_loaded(tmp_path: Path) -> None:
    import keras

    from visualnn.services.keras_builder import build_model

    path = saved_weights(tmp_path, "MobileNetV3Small")
    reference = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), include_top=False,
                                                                weights=None, pooling="avg")
    reference.load_weights(path)
    model = build_model(lone_backbone("MobileNetV3Small", SIZE, weights=str(path)))
    app = model.get_layer("backbone").layers[-1]
    for mine, theirs in zip(app.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


def test_a_weights_file_of_another_network_names_the_node_and_the_file(tmp_path: Path) -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    path = saved_weights(tmp_path, "MobileNetV2", "v2.weights.h5")
    with pytest.raises(BuildError) as refused:
        build_model(lone_backbone("MobileNetV3Small", SIZE, weights=str(path)))
    message = str(refused.value)
    assert message.startswith(f"backbone: the weights file {path} does not fit MobileNetV3Small")
    assert "weights from file..." in message and "None (random weights)" in message
    assert "Traceback" not in message


def test_a_damaged_weights_file_names_the_node_and_the_file(tmp_path: Path) -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    path = tmp_path / "broken.weights.h5"
    path.write_bytes(b"not an hdf5 file at all" * 10)
    with pytest.raises(BuildError) as refused:
        build_model(lone_backbone("MobileNetV3Small", SIZE, weights=str(path)))
    assert str(refused.value).startswith(f"backbone: the weights file {path} is damaged or not an HDF5 (.h5) file")
    truncated = tmp_path / "cut.weights.h5"
    truncated.write_bytes(saved_weights(tmp_path, "MobileNetV3Small").read_bytes()[:4096])
    with pytest.raises(BuildError) as cut:
        build_model(lone_backbone("MobileNetV3Small", SIZE, weights=str(truncated)))
    assert str(cut.value).startswith(f"backbone: the weights file {truncated} does not fit MobileNetV3Small")


def test_a_missing_weights_file_names_it(tmp_path: Path) -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    with pytest.raises(BuildError, match=r"^backbone: the weights file .*gone\.weights\.h5 does not exist\. Fixes:"):
        build_model(lone_backbone("MobileNetV3Small", SIZE, weights=str(tmp_path / "gone.weights.h5")))


def _call(family: str, **params: object) -> object:
    spec = default_registry()[family]
    return spec.call_for(spec.resolved({"weights": "imagenet", **params}), [(None, 96, 96, 3)])


def test_imagenet_weights_missing_offline_name_the_file_the_folder_and_the_fixes(tmp_path: Path) -> None:
    from visualnn.services.backbones import BackboneError, check_weights

    asked: list[bool] = []

    def offline() -> bool:
        asked.append(True)
        return False

    with pytest.raises(BackboneError) as refused:
        check_weights("backbone", "MobileNetV2", _call("MobileNetV2"), tmp_path, offline)  # type: ignore[arg-type]
    message = str(refused.value)
    assert message.startswith("backbone: the ImageNet weights of MobileNetV2 are not on this computer")
    assert f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5 in the folder {tmp_path}" in message
    assert "'weights from file...'" in message and "None (random weights)" in message and asked == [True]
    # Once the file is in Keras's cache, nothing is asked of the network.
    (tmp_path / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5").write_bytes(b"x")
    check_weights("backbone", "MobileNetV2", _call("MobileNetV2"), tmp_path, offline)  # type: ignore[arg-type]
    assert asked == [True]


def test_the_network_probe_gives_up_within_its_time() -> None:
    from visualnn.services.backbones import server_reachable

    start = time.monotonic()
    assert server_reachable("visualnn-weights.invalid", 1.0) is False
    assert time.monotonic() - start < 3.0


def test_keras_cache_dir_is_the_models_folder_of_keras_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from visualnn.services.backbones import keras_cache_dir

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_cache_dir() == tmp_path / "models"
