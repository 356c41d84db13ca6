"""`visualnn train` of a tiny KerasHub ResNet project (a preset directory made here, 32x32 RGB images, raw pixels)
and the exported script in all three styles: same per-epoch losses, `keras_hub.models.Backbone.from_preset` in
the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.hub_helpers import hub_graph, tiny_preset
from tests.services.script_parity import app_and_styles_histories, assert_same_losses
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def hub_project(folder: Path, trainable: bool = True) -> Path:
    import numpy as np
    from PIL import Image

    from visualnn.core.project.io import save_project

    rng = np.random.default_rng(0)
    for name, level in (("dark", 60), ("light", 190)):
        (folder / "photos" / name).mkdir(parents=True)
        for i in range(12):
            pixels = np.clip(rng.normal(level, 25, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "RGB").save(folder / "photos" / name / f"{i}.png")
    preset = tiny_preset(folder / "tiny_resnet")
    graph = hub_graph(str(preset), [32, 32, 3], classes=2, trainable=trainable)
    data = DatasetSpec("images", "photos", {"image": {"image_size": [32, 32], "rescale": "none"},
                                            "split": {"val": 0.25, "test": 0.0}})
    project = Project(graph, name="hub_transfer", dataset=data,
                      training=TrainingConfig(loss="sparse_categorical_crossentropy", epochs=2, batch_size=8))
    path = folder / "hub.vnn"
    save_project(project, path)
    return path


def test_train_and_every_exported_style_reproduce_the_losses(tmp_path: Path) -> None:
    vnn = hub_project(tmp_path)
    app, scripts = app_and_styles_histories(vnn, ["sequential", "functional", "subclass"])
    for style, history in scripts.items():
        assert_same_losses(app, history, ["loss", "val_loss"], epochs=2)
        code = (tmp_path / f"train_{style}.py").read_text()
        assert "import keras_hub" in code
        call = f'keras_hub.models.Backbone.from_preset(preset="{tmp_path / "tiny_resnet"}"'
        assert call in "".join(code.split())  # the formatter may wrap the long path onto its own line


def test_a_frozen_hub_backbone_trains_only_its_head_in_the_app_and_the_script(tmp_path: Path) -> None:
    vnn = hub_project(tmp_path, trainable=False)
    app, scripts = app_and_styles_histories(vnn, ["functional"])
    assert_same_losses(app, scripts["functional"], ["loss"], epochs=2)
    assert "training=False" in (tmp_path / "train.py").read_text()
