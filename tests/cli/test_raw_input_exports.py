"""Exported models take raw inputs: the CLI journey new -> train -> evaluate -> export-model, then a fresh
Python process that knows nothing of VisualNN feeds the raw CSV rows (strings as in the file) and the raw
PNG pixels to the ``.keras`` (``keras.models.load_model``) and the ``.tflite`` (``ai_edge_litert``), and
gets the test accuracy ``visualnn evaluate`` printed."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main

pytestmark = pytest.mark.tf

CSV_CHECK = r'''
import json, sys
import numpy as np, pandas as pd, keras, tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

folder, rows, names, recipe = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
table = pd.read_csv(f"{folder}/wine.csv").iloc[rows]  # the rows as the file holds them, target column included
truth = np.array([names.index(str(v)) for v in table["target"]])
model = keras.models.load_model(f"{folder}/m.keras")
# The export report's recipe, word for word: the feature columns, and '' for a missing text (pandas reads NaN).
feed = eval(recipe, {"dataframe": table})
keras_pred = model.predict(tf.data.Dataset.from_tensor_slices(feed).batch(16), verbose=0).argmax(1)
spec = json.load(open(f"{folder}/m.inputs.json"))
def words(v, c):
    return 1.0 if str(v).strip().lower() in c["true_words"] else 0.0 if str(v).strip().lower() in c["false_words"] else np.nan
matrix = np.stack([
    table[c["name"]].map(lambda v, c=c: np.nan if pd.isna(v) else c["vocabulary"].index(v) if v in c["vocabulary"]
                         else -1).to_numpy("float32")  # NaN: missing, filled as the app fills it
    if c["kind"] == "categorical" else table[c["name"]].map(lambda v, c=c: words(v, c)).to_numpy("float32")
    if "true_words" in c else table[c["name"]].to_numpy("float32")
    for c in spec["columns"]
], axis=1)
runner = Interpreter(model_path=f"{folder}/m.tflite").get_signature_runner()
lite_pred = next(iter(runner(**{spec["input"]: matrix}).values())).argmax(1)
print(json.dumps({"keras": float(np.mean(keras_pred == truth)), "tflite": float(np.mean(lite_pred == truth))}))
'''

WINE_FEED = ("dict(dataframe[['alcohol', 'acidity', 'colour', 'sugar', 'organic']]"
             ".fillna({'colour': '', 'organic': ''}))")
"""The export report's recipe for the wine table, run as written on the CSV's rows (target column included)."""

IMAGE_CHECK = r'''
import json, sys
import numpy as np, keras
from PIL import Image
from ai_edge_litert.interpreter import Interpreter

folder, files, names = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
model = keras.models.load_model(f"{folder}/m.keras")
runner = Interpreter(model_path=f"{folder}/m.tflite").get_signature_runner()
hits = {"keras": 0, "tflite": 0}
sizes = set()
for path in files:
    pixels = np.asarray(Image.open(path).convert("RGB"))[None]  # raw uint8, the file's own size
    sizes.add(pixels.shape[1:3])
    truth = names.index(path.replace("\\", "/").split("/")[-2])
    hits["keras"] += int(model.predict(pixels, verbose=0).argmax(1)[0] == truth)
    lite = next(iter(runner(image=pixels.astype("float32")).values()))
    hits["tflite"] += int(lite.argmax(1)[0] == truth)
print(json.dumps({k: v / len(files) for k, v in hits.items()} | {"sizes": len(sizes)}))
'''


def _json(capsys: Any) -> dict[str, Any]:
    out = capsys.readouterr().out.strip()
    return dict(json.loads(out[out.index("{"):]))  # one JSON document (evaluate indents it)


def _fresh(script: str, *args: str) -> dict[str, Any]:
    """Run ``script`` in a new interpreter without VisualNN on its path; its last line is JSON."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                          cwd="/", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _split(vnn: Path) -> None:
    """A test split of 15 % (whatever a new project's default is), so ``evaluate`` reports the test split."""
    from visualnn.core.project.io import load_project, save_project

    project = load_project(vnn)
    assert project.dataset is not None
    project.set_dataset(project.dataset.with_options(split={"val": 0.15, "test": 0.15, "seed": 7, "stratify": True}))
    save_project(project, vnn)


def _train_evaluate_export(vnn: Path, capsys: Any, epochs: int, keras_feed: str | None = None) -> dict[str, Any]:
    assert main(["train", str(vnn), "--epochs", str(epochs), "--json"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(vnn), "--json"]) == 0
    evaluation = _json(capsys)
    for name in ("m.keras", "m.tflite"):
        rc = main(["export-model", str(vnn), "-o", str(vnn.parent / name), "--json"])
        report = _json(capsys)["report"]
        assert rc == 0 and report["passed"], report
        assert report["sample_source"].startswith("raw") and "test split" in report["sample_source"]
        assert report["metric"] == "accuracy" and report["metric_app"] == report["metric_export"]
        assert report["feed"], "the report says what the caller must feed"
        if name == "m.keras" and keras_feed is not None:
            assert keras_feed in report["feed"][0], report["feed"]
    return evaluation


def test_csv_with_a_text_column_exports_models_that_take_the_raw_rows(tmp_path: Path, capsys: Any) -> None:
    import numpy as np

    from visualnn.core.project.io import load_project
    from visualnn.services.datasets.sources import load_csv_arrays

    rng = np.random.default_rng(3)
    colours = ["red", "rose", "white"]
    with open(tmp_path / "wine.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["alcohol", "acidity", "colour", "sugar", "organic", "target"])
        for i in range(300):
            k = int(rng.integers(0, 3))
            colour = colours[k] if rng.random() < 0.8 else colours[int(rng.integers(0, 3))]
            # Raw values far from 0 +- 1: a model that needs scaled inputs gets them wrong. 'organic' is a yes/no
            # column written as words (in several spellings, some with spaces around; one row left empty), which the
            # exported models take as such. Every tenth row misses its colour or its yes/no word: some land in the test
            # split.
            words = ["Yes", " y", "yEs", "TRUE "] if k == 2 else ["No", "n ", " nO", "false"]
            organic = "" if i % 10 == 5 else words[i % 4]
            out.writerow([round(11 + 1.5 * k + rng.normal(0, 0.3), 2), round(30 + 8 * k + rng.normal(0, 2), 1),
                          "" if i % 10 == 0 else colour, int(rng.integers(1, 40)), organic, f"class_{k}"])
    vnn = tmp_path / "wine.vnn"
    assert main(["new", "--template", "mlp_classifier", "--data", str(tmp_path / "wine.csv"), "--target", "target",
                 "-o", str(vnn)]) == 0
    _split(vnn)
    evaluation = _train_evaluate_export(vnn, capsys, epochs=3,
                                        keras_feed=WINE_FEED)
    accuracy = evaluation["classification"]["accuracy"]
    assert accuracy > 0.7, "three classes: clearly above chance"
    spec = json.loads((tmp_path / "m.inputs.json").read_text())
    assert [c["name"] for c in spec["columns"]] == ["alcohol", "acidity", "colour", "sugar", "organic"]
    assert spec["columns"][2]["vocabulary"] == colours
    assert spec["columns"][4]["true_words"] == ["t", "true", "y", "yes"]

    project = load_project(vnn)
    assert project.dataset is not None
    rows = load_csv_arrays(project.dataset.with_path(str(tmp_path / "wine.csv"))).positions["test"]
    assert len(rows) == evaluation["n_samples"]
    fresh = _fresh(CSV_CHECK, str(tmp_path), json.dumps([int(r) for r in rows]),
                   json.dumps(evaluation["classification"]["class_names"]), WINE_FEED)
    assert fresh["keras"] == pytest.approx(accuracy, abs=0.01)
    assert fresh["tflite"] == pytest.approx(accuracy, abs=0.01)


def test_image_folder_exports_models_that_take_raw_pixels_of_any_size(tmp_path: Path, capsys: Any) -> None:
    import numpy as np
    from PIL import Image

    from visualnn.core.project.io import load_project
    from visualnn.services.datasets import prepare

    rng = np.random.default_rng(5)
    names = ["blue", "green", "red"]
    for k, name in enumerate(names):
        (tmp_path / "shapes" / name).mkdir(parents=True)
        for i in range(50):
            size = (16, 16) if i % 5 else (24, 20)  # most 16x16 (the image size), some larger: resized inside
            pixels = rng.integers(0, 90, (*size, 3))
            pixels[..., k] += 150
            Image.fromarray(pixels.astype("uint8")).save(tmp_path / "shapes" / name / f"{i:02d}.png")
    vnn = tmp_path / "shapes.vnn"
    assert main(["new", "--template", "cnn_small", "--data", str(tmp_path / "shapes"), "-o", str(vnn)]) == 0
    _split(vnn)
    evaluation = _train_evaluate_export(vnn, capsys, epochs=3)
    accuracy = evaluation["classification"]["accuracy"]
    assert accuracy > 0.7

    project = load_project(vnn)
    assert project.dataset is not None and project.dataset.image().image_size == (16, 16)
    data = prepare(project.dataset, str(tmp_path))
    assert data.raw_samples is not None
    files = data.raw_samples("test", 10_000)
    assert len(files) == evaluation["n_samples"]
    fresh = _fresh(IMAGE_CHECK, str(tmp_path), json.dumps(files), json.dumps(names))
    assert fresh["sizes"] == 2  # both sizes were fed as they are
    assert fresh["keras"] == pytest.approx(accuracy, abs=0.01)
    assert fresh["tflite"] == pytest.approx(accuracy, abs=0.01)
