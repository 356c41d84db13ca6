"""`visualnn train` of a tiny pretrained-backbone project (random weights, 32x32 grayscale images: Keras's minimum
size, the channel repeated to RGB), and the weights message when the file is missing: exit 1, one line, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def backbone_project(folder: Path, weights: str | None) -> Path:
    import numpy as np
    from PIL import Image

    from visualnn.core.project.io import save_project

    rng = np.random.default_rng(0)
    for name, level in (("dark", 50), ("light", 200)):
        (folder / "photos" / name).mkdir(parents=True)
        for i in range(10):
            pixels = np.clip(rng.normal(level, 20, (32, 32)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "L").save(folder / "photos" / name / f"{i}.png")
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [32, 32, 1]}))
    g.add_node(Node("bb", "MobileNetV3Small", {"weights": weights}, name="backbone"))
    g.add_node(Node("head", "Dense", {"units": 2, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "bb"))
    g.connect(Edge.of("bb", "head"))
    data = DatasetSpec("images", "photos", {"image": {"image_size": [32, 32], "color_mode": "grayscale",
                                                      "rescale": "none"}, "split": {"val": 0.2, "test": 0.0}})
    project = Project(g, name="transfer", dataset=data,
                      training=TrainingConfig(loss="sparse_categorical_crossentropy", epochs=1, batch_size=8,
                                              optimizer="sgd"))  # traces in half the time of Adam's update
    path = folder / "transfer.vnn"
    save_project(project, path)
    return path


def test_train_a_tiny_backbone_project(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import load_project

    path = backbone_project(tmp_path, None)
    assert main(["train", str(path)]) == 0, capsys.readouterr().err
    project = load_project(path)
    assert len(project.runs) == 1
    history = project.runs[0].history
    assert len(history["loss"]) == 1 and history["loss"][0] > 0


def test_a_missing_weights_file_stops_train_with_the_node_and_the_fixes(tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / "nowhere.weights.h5"
    path = backbone_project(tmp_path, str(missing))
    assert main(["train", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"backbone: the weights file {missing} does not exist." in err
    assert "None (random weights)" in err and "Traceback" not in err
