"""The exported script shows the preprocessing as Keras layers (every style) and saves a model taking raw inputs."""

from __future__ import annotations

import csv
from pathlib import Path

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
        out.writerow(["alcohol", "colour", "sugar", "target"])
        for _ in range(120):
            out.writerow([round(float(rng.normal(12, 2)), 2), ["red", "rose", "white"][int(rng.integers(0, 3))],
                          int(rng.integers(1, 40)), ["a", "b", "c"][int(rng.integers(0, 3))]])
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
