"""The exported script for an image folder with a per-image table (issue 14): the same tensors, the same losses.

The script lists the images as the app does, pairs each with its table row by the key column, encodes the
table's column groups and targets with the CSV pieces, and feeds ``from_tensor_slices`` a dict of the image
paths and the table arrays (decoded in a ``map``); it trains to the app's per-epoch losses in the functional
and subclass styles (and the sequential style for a one-Input, one-output model), and saves a model that
takes raw pixels and raw columns.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.services.image_table_helpers import flat_score_setup, image_project, write_images
from tests.services.script_parity import app_and_styles_histories, assert_same_losses
from tests.services.test_codegen_multi_io import load_module
from visualnn.core.codegen import generate_script
from visualnn.core.project import Project

pytestmark = pytest.mark.tf


def _app_split(project: Project, folder: Path, split: str) -> list[Any]:
    """The app's samples of one split, unbatched (validation keeps the split's order)."""
    from visualnn.core.model_io import input_names, output_names
    from visualnn.services.datasets import prepare
    from visualnn.services.training_data import graph_shapes

    assert project.dataset is not None
    data = prepare(project.dataset, str(folder), 8, 1, inputs=input_names(project.graph),
                   outputs=output_names(project.graph), shapes=graph_shapes(project.graph))
    return list(getattr(data, split).unbatch().as_numpy_iterator())


def _flat_project(folder: Path) -> Project:
    """image [8,8,3] -> Flatten -> score (Dense 1): one Input, one output, a flat folder keyed by file name."""
    from visualnn.core.training_config import TrainingConfig

    _keys, g, spec = flat_score_setup(str(folder), n=24)
    cfg = TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=2, batch_size=8, seed=1,
                         deterministic=True, device="cpu")
    return Project(g, "flat", spec, cfg)


def test_the_script_reads_the_images_and_their_rows_as_the_app_does(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.services.script_facts import script_facts

    write_images(str(tmp_path), n=24)
    project = image_project()
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert facts is not None
    assert (facts["path"], facts["table"], facts["key"], facts["image_input"], facts["class_output"]) == (
        "images", "meta.csv", "file", "image", "class")
    assert [g["name"] for g in facts["inputs"]] == ["meta"]
    assert facts["outputs"] == [{"name": "class", "folders": True, "task": "binary"},
                                {"name": "score", "column": "score", "kind": "numeric", "task": "regression"}]
    module = load_module(generate_script(project, "functional", facts=facts), tmp_path / "table_script.py")
    (x_train, _), (x_val, y_val), (x_test, _) = module.load_data()
    assert set(x_val) == {"image", "meta"} and set(y_val) == {"class", "score"} and len(x_test["image"]) == 0
    assert all(str(p).endswith(".png") for p in x_train["image"])  # paths: the pipeline decodes them
    app = _app_split(project, tmp_path, "val")
    mine = list(module.make_dataset(x_val, y_val, 8, training=False).unbatch().as_numpy_iterator())
    for name in ("image", "meta"):
        np.testing.assert_allclose(np.stack([m[0][name] for m in mine]), np.stack([a[0][name] for a in app]),
                                   atol=1e-6, err_msg=name)
    for name in ("class", "score"):
        np.testing.assert_allclose(np.stack([m[1][name] for m in mine]), np.stack([a[1][name] for a in app]),
                                   atol=1e-6, err_msg=name)
    assert len(x_train["image"]) + len(x_val["image"]) == 24


def test_a_flat_folder_feeding_one_input_and_one_output_reads_the_same_data_in_the_sequential_style(tmp_path: Path) -> None:
    """No class output: every image of the tree, matched by file name; x and y are bare arrays, as in the app."""
    import numpy as np

    from visualnn.services.script_facts import script_facts

    project = _flat_project(tmp_path)
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert facts is not None and facts["class_output"] is None and facts["inputs"] == []
    module = load_module(generate_script(project, "sequential", facts=facts), tmp_path / "flat_script.py")
    _, (x_val, y_val), _ = module.load_data()
    assert isinstance(x_val, np.ndarray) and isinstance(y_val, np.ndarray) and y_val.shape == (len(x_val), 1)
    app = _app_split(project, tmp_path, "val")
    mine = list(module.make_dataset(x_val, y_val, 8, training=False).unbatch().as_numpy_iterator())
    np.testing.assert_allclose(np.stack([m[0] for m in mine]), np.stack([a[0] for a in app]), atol=1e-6)
    np.testing.assert_allclose(y_val, np.stack([a[1] for a in app]), atol=1e-6)


@pytest.mark.slow
def test_export_code_trains_the_same_model_from_the_same_images_and_table_to_the_apps_losses(tmp_path: Path) -> None:
    """Functional and subclass scripts against one app training; the functional script's saved model takes raw
    pixels and raw columns."""
    import keras
    import numpy as np
    import pandas as pd
    from PIL import Image

    from visualnn.core.project.io import save_project

    write_images(str(tmp_path), n=32)
    project = image_project()
    project.training = replace(project.training, epochs=2)
    save_project(project, tmp_path / "images.vnn")
    app, scripts = app_and_styles_histories(tmp_path / "images.vnn", ["functional", "subclass"])
    for script in scripts.values():
        assert_same_losses(app, script, ("loss", "class_loss", "score_loss", "val_loss", "val_class_loss",
                                         "val_score_loss", "class_accuracy", "score_mae"))
    # Loading a subclassed model needs the script's class imported; the functional save shows the layers.
    saved = keras.models.load_model(tmp_path / "script_functional.keras")
    rows = pd.read_csv(tmp_path / "meta.csv").head(4)
    pixels = np.stack([np.asarray(Image.open(tmp_path / "images" / f)) for f in rows["file"]]).astype("float32")
    klass, score = saved.predict({"image": pixels, "size": rows["size"].to_numpy("float32")}, verbose=0)
    assert klass.shape == (4, 1) and score.shape == (4, 1)
