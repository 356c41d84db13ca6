"""The pretrained templates adapted to an image folder (TF-free): Input and head follow the folder, images are
resized to the network's size in the model, and the data keeps raw pixels (Rescale none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_data import digits_pngs
from visualnn.cli.project_verbs import new_project
from visualnn.core.specs.builtin.pretrained import GRAYSCALE


@pytest.mark.parametrize(("name", "family"), [("pretrained_mobilenetv3", "MobileNetV3Small"),
                                              ("pretrained_efficientnetv2", "EfficientNetV2B0")])
def test_a_pretrained_template_adapts_to_an_image_folder(tmp_path: Path, name: str, family: str) -> None:
    folder = digits_pngs(tmp_path, classes=3, per_class=4, size=16)  # grayscale 16x16: resized and repeated
    made = new_project(name, str(folder))
    graph = made.project.graph
    nodes = {n.type: n for n in graph}
    assert nodes["Input"].params["shape"] == [16, 16, 1]
    assert nodes["Resizing"].params["height"] == nodes["Resizing"].params["width"] == 224
    assert nodes["Dense"].params["units"] == 3 and nodes["Dense"].params["activation"] == "softmax"
    assert made.project.dataset is not None and made.project.dataset.image().rescale == "none"
    assert "Rescale set to none: the pretrained network takes raw 0-255 pixels." in made.notes
    assert [i for i in made.issues if i.is_error] == []
    notes = [i for i in made.issues if i.code == GRAYSCALE]
    assert len(notes) == 1 and notes[0].node_id == nodes[family].id
