"""The exported script shows the preprocessing as Keras layers (every style) and saves a model taking raw inputs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.services.test_codegen_parity import load_module
from visualnn.cli import main
from visualnn.core.codegen import generate_script

pytestmark = pytest.mark.tf


def test_script_with_preprocessing_takes_raw_rows_and_matches_the_scaled_path(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    from visualnn.core.project.io import load_project
    from visualnn.services.datasets.sources import load_csv_arrays
    from visualnn.services.script_facts import script_facts

    rng = np.random.default_rng(11)
    with open(tmp_path / "wine.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["alcohol", "colour", "sugar", "organic", "target"])
        for i in range(120):
            out.writerow([round(float(rng.normal(12, 2)), 2), ["red", "rose", "white"][int(rng.integers(0, 3))],
                          int(rng.integers(1, 40)), [" Yes", "no ", "yEs", "N"][i % 4],  # yes/no as words, any case, spaces
                          ["a", "b", "c"][int(rng.integers(0, 3))]])
    vnn = tmp_path / "wine.vnn"
    assert main(["new", "--template", "mlp_classifier", "--data", str(tmp_path / "wine.csv"), "--target", "target",
                 "-o", str(vnn)]) == 0
    project = load_project(vnn)
    assert project.dataset is not None
    project.set_dataset(project.dataset.with_options(split={"val": 0.2, "test": 0.2, "seed": 1, "stratify": True}))
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    code = ""
    for style in ("sequential", "functional", "subclass"):
        code = generate_script(project, style=style, facts=facts)
        assert "def with_preprocessing(model):" in code, style
        for layer in ("StringLookup(", "CategoryEncoding(", "Normalization("):
            assert f"keras.layers.{layer}" in code, (style, layer)
        assert "with_preprocessing(model).save(args.output)" in code, style
    module = load_module(code, tmp_path / "wine_script.py")
    _, _, (x_test, _) = module.load_data()
    model = module.build_model()
    raw_model = module.with_preprocessing(model)

    rows = load_csv_arrays(project.dataset.with_path(str(tmp_path / "wine.csv"))).positions["test"]
    table = pd.read_csv(tmp_path / "wine.csv").iloc[rows].drop(columns=["target"])
    assert raw_model.input["organic"].dtype == "string"  # the words go in as the file holds them
    raw = raw_model.predict(tf.data.Dataset.from_tensor_slices(dict(table)).batch(8), verbose=0)
    np.testing.assert_allclose(raw, model.predict(x_test, verbose=0), atol=1e-5)


def test_image_script_wraps_the_model_in_resizing_and_rescaling(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from visualnn.core.project.io import load_project
    from visualnn.services.script_facts import script_facts

    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        (tmp_path / "pics" / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (12, 12, 3)).astype("uint8")).save(tmp_path / "pics" / name / f"{i}.png")
    vnn = tmp_path / "pics.vnn"
    assert main(["new", "--template", "cnn_small", "--data", str(tmp_path / "pics"), "-o", str(vnn)]) == 0
    project = load_project(vnn)
    code = generate_script(project, facts=script_facts(project, str(tmp_path), str(tmp_path)))
    module = load_module(code, tmp_path / "pics_script.py")
    files, _, _ = module.list_images()
    model = module.build_model()
    raw_model = module.with_preprocessing(model)
    pixels = np.asarray(Image.open(files[0]).convert("RGB"))[None]
    scaled = module.load_image(files[0]).numpy()[None] * module.RESCALE[0] + module.RESCALE[1]
    np.testing.assert_allclose(raw_model.predict(pixels, verbose=0), model.predict(scaled, verbose=0), atol=1e-6)


def _styles_take_raw_inputs(project: Any, facts: dict[str, Any]) -> str:
    """Every style's script defines with_preprocessing() with a Normalization layer and saves that model."""
    from tests.services.test_codegen_parity import styles_for

    code = ""
    for style in styles_for(project):
        code = generate_script(project, style=style, facts=facts)
        assert "def with_preprocessing(model):" in code, style
        assert "keras.layers.Normalization(" in code, style
        assert "with_preprocessing(model).save(args.output)" in code, style
    return code


@pytest.mark.parametrize("pixels", [True, False])
def test_numpy_script_saves_a_model_that_takes_the_arrays_as_the_file_holds_them(tmp_path: Path, pixels: bool) -> None:
    import keras
    import numpy as np

    from visualnn.core.dataset import DatasetSpec
    from visualnn.core.templates import TEMPLATES
    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    rng = np.random.default_rng(5)
    # Pixels: uint8 0..255 (rescaled by 255); a table: per-feature min-max with offsets far from 0.
    x = rng.integers(0, 256, (60, 28, 28, 1)).astype("uint8") if pixels else rng.normal(50, 9, (60, 4)) * [1, 2, 3, 4]
    np.savez(tmp_path / "arrays.npz", x=x, y=rng.integers(0, 3, 60))
    project = TEMPLATES["cnn_small" if pixels else "mlp_classifier"].build()
    project.dataset = DatasetSpec("numpy", "arrays.npz", {"split": {"val": 0.25, "test": 0.25, "seed": 3},
                                                          "scaling": "minmax"})
    project.training = project.training.with_changes(epochs=1, batch_size=16)
    code = _styles_take_raw_inputs(project, script_facts(project, str(tmp_path), str(tmp_path)))
    module = load_module(code, tmp_path / f"np_raw_{pixels}.py")
    history = module.main(["--output", str(tmp_path / "saved.keras")])
    _, _, (x_test, _) = module.load_data()
    raw = prepare(project.dataset, str(tmp_path)).raw_samples("test", 1000)
    assert raw.dtype == x.dtype and len(raw) == len(x_test) > 10
    saved = keras.models.load_model(tmp_path / "saved.keras")
    assert any(isinstance(layer, keras.layers.Normalization) for layer in saved.layers)
    expected = history.model.predict(x_test, verbose=0)
    np.testing.assert_allclose(saved.predict(raw.astype("float32"), verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(module.with_preprocessing(history.model).predict(raw.astype("float32"), verbose=0),
                               expected, atol=1e-5)


def test_timeseries_script_saves_a_model_that_takes_raw_windows(tmp_path: Path) -> None:
    import numpy as np

    from tests.services.test_codegen_parity import _example
    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    project, folder = _example("timeseries", tmp_path)
    code = _styles_take_raw_inputs(project, script_facts(project, str(folder), str(folder)))
    module = load_module(code, folder / "series_raw.py")
    _, _, (x_test, _) = module.load_data()
    model = module.build_model()
    raw = prepare(project.dataset, str(folder)).raw_samples("test", 10_000)
    assert raw.shape == x_test.shape and not np.allclose(raw, x_test)  # temperatures, humidity as in the file
    np.testing.assert_allclose(module.with_preprocessing(model).predict(raw.astype("float32"), verbose=0),
                               model.predict(x_test, verbose=0), atol=1e-5)


def test_the_scripts_raw_inputs_are_named_as_the_apps_export_names_them(tmp_path: Path) -> None:
    """Unnamed Inputs made Keras warn once per column when the script saved its model ("all keys in the dict must
    match the names of the corresponding tensors"); each is now named as the app's exported model names it."""
    import warnings

    import numpy as np

    from visualnn.core.project.io import load_project
    from visualnn.services.datasets.sources import load_csv_arrays
    from visualnn.services.preprocessing import raw_model
    from visualnn.services.script_facts import script_facts

    rng = np.random.default_rng(3)
    with open(tmp_path / "wine.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["alcohol", "sugar (g/l)", "colour/hue", "target"])
        for _ in range(60):
            out.writerow([round(float(rng.normal(12, 2)), 2), int(rng.integers(1, 40)),
                          ["red", "white"][int(rng.integers(0, 2))], ["a", "b"][int(rng.integers(0, 2))]])
    vnn = tmp_path / "wine.vnn"
    assert main(["new", "--template", "mlp_classifier", "--data", str(tmp_path / "wine.csv"), "--target", "target",
                 "-o", str(vnn)]) == 0
    project = load_project(vnn)
    assert project.dataset is not None
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert [f.get("input") for f in facts["features"]] == [None, "sugar__g_l", "colour_hue"]
    module = load_module(generate_script(project, style="functional", facts=facts), tmp_path / "wine_script.py")
    module.load_data()  # fits the recipes with_preprocessing() reads
    model = module.build_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        script_model = module.with_preprocessing(model)
    said = " ".join(str(w.message) for w in caught)
    assert "'alcohol'" not in said  # a plain column name is the Input's name: nothing to warn about
    app_model = raw_model(model, load_csv_arrays(project.dataset.with_path(str(tmp_path / "wine.csv"))).stats,
                          "keras").model
    assert sorted(t.name for t in script_model.inputs) == sorted(t.name for t in app_model.inputs) == [
        "alcohol", "colour_hue", "sugar__g_l"]
