"""An image whose header and end are intact but whose data is damaged passes the folder scan's byte checks; training
and evaluation then stop on it and name it with the fix (the pipelines used to drop such files without a word)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.augment_helpers import write_folder
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest, TrainRequest
from visualnn.core.training_config import TrainingConfig
from visualnn.services.datasets.images import check_image

pytestmark = pytest.mark.tf


def _damage(path: Path) -> None:
    """Scramble the start of the PNG's pixel data (IDAT); the signature, the header and the IEND end stay."""
    data = bytearray(path.read_bytes())
    start = data.index(b"IDAT") + 4
    for i in range(start, start + 24):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _project(folder: Path) -> Project:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [12, 16, 3]}))
    g.add_node(Node("flatten", "Flatten", {}))
    g.add_node(Node("out", "Dense", {"units": 1, "activation": "sigmoid"}))
    g.connect(Edge.of("input_1", "flatten"))
    g.connect(Edge.of("flatten", "out"))
    options = {"image": {"image_size": [12, 16], "rescale": "0_1", "color_mode": "rgb"},
               "split": {"val": 0.25, "test": 0.25, "seed": 1}}
    return Project(g, "damaged", DatasetSpec("images", folder.name, options),
                   TrainingConfig(loss="binary_crossentropy", metrics=["accuracy"], epochs=1, batch_size=4))


def test_training_and_evaluation_stop_on_a_damaged_image_and_name_it(tmp_path: Path) -> None:
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    folder = write_folder(tmp_path / "pictures", per_class=8)
    project = _project(folder)
    trained = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))  # every file decodes: trains
    assert trained.run.status == "finished"
    project.runs.append(trained.run)

    bad = folder / "dogs" / "dogs_3.png"
    _damage(bad)
    assert check_image(str(bad))[1] is None  # the scan's byte checks let it through
    for run in (lambda: run_training(TrainRequest(project=project, base_dir=str(tmp_path))),
                lambda: run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path), split="train"))):
        with pytest.raises(TrainingError) as caught:
            run()
        message = str(caught.value)
        assert "1 image file(s) could not be decoded" in message, message
        assert str(bad) in message and "save each again in an image editor" in message, message
        assert "dogs_2.png" not in message  # only the damaged file is named


def test_an_image_and_table_run_names_the_damaged_image(tmp_path: Path) -> None:
    """Images with a table of per-image values (the key column names each image): the same stop, the same naming."""
    from tests.services.image_table_helpers import image_project, write_images
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    write_images(str(tmp_path), n=24)
    bad = tmp_path / "images" / "dark" / "img005.png"
    _damage(bad)
    assert check_image(str(bad))[1] is None
    with pytest.raises(TrainingError) as caught:
        run_training(TrainRequest(project=image_project(), base_dir=str(tmp_path)))
    message = str(caught.value)
    assert "1 image file(s) could not be decoded" in message, message
    assert str(bad) in message and "img003.png" not in message, message
