"""An image folder plus a CSV of per-image features/targets keyed by file name, as named parts (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.image_table_helpers import flat_score_setup, image_graph, image_project, image_spec, write_images
from visualnn.core.model_io import input_names, output_names
from visualnn.services.datasets import prepare
from visualnn.services.datasets.errors import DataError
from visualnn.services.training_data import graph_shapes


def _prepare(folder: Path, spec: Any = None, graph: Any = None) -> Any:
    graph = graph or image_graph()
    return prepare(spec or image_spec(), str(folder), inputs=input_names(graph), outputs=output_names(graph),
                   shapes=graph_shapes(graph))


def test_images_and_their_rows_are_zipped_into_named_parts_with_one_split(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    write_images(str(tmp_path))
    data = _prepare(tmp_path)
    assert [(p.name, p.role, p.shape) for p in data.parts] == [
        ("image", "input", (8, 8, 3)), ("meta", "input", (1,)), ("class", "target", (1,)), ("score", "target", (1,))]
    assert data.parts[2].task == "binary" and data.parts[2].class_names == ("bright", "dark")
    assert data.parts[3].task == "regression"
    assert (data.n_train, data.n_val) == (32, 8)
    table = pd.read_csv(tmp_path / "meta.csv").set_index("file")
    seen = 0
    for x, y in data.val:
        assert set(x) == {"image", "meta"} and set(y) == {"class", "score"}
        assert x["image"].shape[1:] == (8, 8, 3) and float(np.max(x["image"])) <= 1.0
        for img, klass, score in zip(x["image"].numpy(), y["class"].numpy(), y["score"].numpy(), strict=True):
            bright = float(img.mean()) > 0.5
            assert int(klass[0]) == (0 if bright else 1)  # class names sorted: bright=0, dark=1
            # The score belongs to this very image: its row (size, score) has score = 2 size + 1 for bright ones.
            match = table[np.isclose(table["score"], float(score[0]), atol=1e-4)]
            assert len(match) == 1 and match.index[0].startswith("bright" if bright else "dark")
            seen += 1
    assert seen == 8
    # Stratified by the first classification output (class): 4 of each class in validation.
    labels = np.concatenate([y["class"].numpy()[:, 0] for _, y in data.val])
    assert sorted(labels.tolist()) == [0] * 4 + [1] * 4
    meta = data.stats["parts"][1]
    assert meta["columns"] == ["size"] and data.stats["key"] == "file"


def test_file_names_as_keys_and_a_detected_key_column(tmp_path: Path) -> None:
    write_images(str(tmp_path), key_style="name")
    data = _prepare(tmp_path, image_spec(key=None))
    assert data.stats["key"] == "file" and data.n_train + data.n_val == 40


def _edit_csv(folder: Path, fn: Any) -> None:
    import pandas as pd

    frame = pd.read_csv(folder / "meta.csv")
    fn(frame).to_csv(folder / "meta.csv", index=False)


@pytest.mark.parametrize(("edit", "spec", "graph", "words"), [
    (lambda f: f.iloc[1:], None, None, ["1 image(s)", "have no row", "bright/img000.png"]),
    (lambda f: f.assign(file=f["file"].where(f.index != 3, "dark/missing.png")), None, None,
     ["row 5", "'dark/missing.png'", "name no image", "key column 'file'"]),
    (lambda f: f.assign(file=f["file"].where(f.index != 2, f["file"][0])), None, None,
     ["rows 2 and 4", "bright/img000.png", "exactly one row"]),
    (None, {"key": "name"}, None, ["key column 'name' is not in the table", "file, size, score"]),
    (lambda f: f.assign(file="x"), None, None, ["no column names the images", "bright/img000.png"]),
    (None, {"table": "nope.csv"}, None, ["nope.csv"]),
    (None, None, image_graph(image_shape=(16, 16, 3)), ["Input image declares shape [16, 16, 3]", "[8, 8, 3]"]),
    (None, {"input": "pixels"}, None, ["Input 'pixels'", "its Inputs: image, meta"]),
    (lambda f: f.rename(columns={"size": "width"}), None, None, ["column(s) 'size'", "no such column"]),
])
def test_bad_inputs_are_refused_naming_the_file_row_column_or_node(tmp_path: Path, edit: Any, spec: Any, graph: Any,
                                                                     words: list[str]) -> None:
    write_images(str(tmp_path))
    if edit is not None:
        _edit_csv(tmp_path, edit)
    with pytest.raises(DataError) as err:
        _prepare(tmp_path, image_spec(**(spec or {})), graph)
    for word in words:
        assert word in str(err.value), str(err.value)


def test_a_feature_group_naming_a_missing_input_is_refused(tmp_path: Path) -> None:
    write_images(str(tmp_path))
    spec = image_spec().with_column("size", input="extra")
    with pytest.raises(DataError, match=r"'size'.*Input 'extra'.*its Inputs: meta"):
        _prepare(tmp_path, spec)


def test_train_and_evaluate_report_each_output_and_predict_says_what_it_needs(tmp_path: Path) -> None:
    from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    write_images(str(tmp_path))
    project = image_project()
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    project.add_run(result.run)
    history = result.run.history
    assert result.run.status == "finished"
    assert {"loss", "class_loss", "score_loss", "val_score_mae"} <= set(history), sorted(history)
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path)))
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["class", "score"]
    assert report["outputs"]["class"]["task"] == "binary" and report["outputs"]["score"]["task"] == "regression"
    assert len(report["outputs"]["class"]["classification"]["confusion"]) == 2
    assert len(report["outputs"]["score"]["regression"]["true"]) == 8
    with pytest.raises(TrainingError, match=r"images together with their table rows.*CSV with a column 'file'.*size"):
        run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="images"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from visualnn.core.protocol import TrainRequest
    from visualnn.services.training import run_training

    folder = tmp_path_factory.mktemp("image_table")
    write_images(str(folder))
    project = image_project()
    result = run_training(TrainRequest(project=project, base_dir=str(folder)))
    project.add_run(result.run)
    return project, folder


def _new_rows(folder: Path) -> Any:
    """8 images copied to ``new/pics`` and ``new/rows.csv`` naming them relative to ``new`` (different sizes)."""
    import shutil

    import pandas as pd

    table = pd.read_csv(folder / "meta.csv").iloc[:8]
    (folder / "new" / "pics").mkdir(parents=True, exist_ok=True)
    names = []
    for i, key in enumerate(table["file"]):
        name = f"pics/new{i}.png"
        shutil.copy(folder / "images" / key, folder / "new" / name)
        names.append(name)
    rows = pd.DataFrame({"file": names, "size": table["size"].to_numpy() * 3.0, "note": "x"})
    rows.to_csv(folder / "new" / "rows.csv", index=False)
    return rows


def _app_outputs(data: Any, model: Any, frame: Any) -> Any:
    """The run's model on ``frame`` preprocessed by the very pipeline training used (its validation split)."""
    import numpy as np

    x, _ = next(iter(data.val))
    out = model.predict(x, verbose=0)
    assert [str(p) for p in frame["file"]] == data.raw_samples("val", 8)["file"].tolist()
    return [np.asarray(v) for v in (out.values() if isinstance(out, dict) else out)]


def test_predict_takes_a_csv_naming_images_and_reports_each_output_per_image(trained: tuple[Any, Path]) -> None:
    import numpy as np
    import pandas as pd

    from visualnn.core.protocol import PredictRequest
    from visualnn.services.export_project import model_for
    from visualnn.services.predict import run_prediction
    from visualnn.services.training_data import load_data

    project, folder = trained
    rows = _new_rows(folder)
    out = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="new/rows.csv"))
    assert out["task"] == "multi-output" and list(out["outputs"]) == ["class", "score"]
    assert out["files"] == rows["file"].tolist() and out["inputs"] == ["image", "meta"]
    assert all(r["label"] in ("bright", "dark") for r in out["outputs"]["class"])
    assert len(out["outputs"]["score"]) == 8 and set(out["predictions"][0]) == {"class", "score"}
    assert any("'note'" in w and "left out" in w for w in out["warnings"]), out["warnings"]
    # Same preprocessing as training: the validation split's raw rows, written as a CSV with paths relative to
    # its folder, predict exactly what the model gives on the training pipeline's batches.
    model = model_for(project, project.runs[-1], str(folder))
    data = load_data(project.dataset, str(folder), 8, 1, None, shuffle=False, inputs=["image", "meta"],
                     outputs=["class", "score"], shapes={"image": (8, 8, 3), "meta": (1,)})
    val = data.raw_samples("val", 8)
    frame = pd.DataFrame({"file": [str(Path(p).relative_to(folder)) for p in val["file"]], "size": val["size"]})
    frame.to_csv(folder / "val_rows.csv", index=False)
    got = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="val_rows.csv"))
    klass, score = _app_outputs(data, model, val)
    probs = np.array([[r["probabilities"]["dark"]] for r in got["outputs"]["class"]])
    assert np.allclose(probs, klass, atol=1e-5)
    assert np.allclose([r["values"] for r in got["outputs"]["score"]], score, atol=1e-5)


@pytest.mark.parametrize(("edit", "words"), [
    (lambda f: f.rename(columns={"file": "path"}), ["rows.csv", "no column 'file'", "path, size, note"]),
    (lambda f: f.drop(columns=["size"]), ["rows.csv", "no column 'size'"]),
    (lambda f: f.assign(file=f["file"].where(f.index != 1, "pics/gone.png")),
     ["rows.csv", "row 3, column 'file'", "'pics/gone.png' is not a file"]),
])
def test_predict_refuses_a_csv_naming_the_file_row_and_column(trained: tuple[Any, Path], edit: Any,
                                                              words: list[str]) -> None:
    from visualnn.core.protocol import PredictRequest
    from visualnn.services.predict import run_prediction
    from visualnn.services.training_common import TrainingError

    project, folder = trained
    rows = _new_rows(folder)
    edit(rows).to_csv(folder / "new" / "rows.csv", index=False)
    with pytest.raises(TrainingError) as err:
        run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="new/rows.csv"))
    for word in words:
        assert word in str(err.value), str(err.value)


def test_the_raw_input_export_takes_pixels_and_columns_and_matches_predict(trained: tuple[Any, Path]) -> None:
    import keras
    import numpy as np
    from PIL import Image

    from visualnn.core.codegen.script import script
    from visualnn.core.protocol import PredictRequest
    from visualnn.services.export_project import export_project
    from visualnn.services.predict import run_prediction
    from visualnn.services.script_facts import script_facts

    project, folder = trained
    assert "def match_rows(files, keys):" in script(project, facts=script_facts(project, str(folder)))
    report, _ = export_project(project, folder / "m.keras", str(folder))
    assert report.passed and report.sample_source == "raw image files of the validation split (this project has no "\
        "test split)", report.summary()
    assert report.max_abs_diff < 1e-5 and "columns of Input 'meta': size" in report.summary()
    rows = _new_rows(folder)
    app = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="new/rows.csv"))
    exported = keras.saving.load_model(folder / "m.keras")
    pixels = np.stack([np.asarray(Image.open(folder / "new" / f)) for f in rows["file"]])  # raw uint8 0..255
    out = exported.predict({"image": pixels.astype("float32"), "size": rows["size"].to_numpy("float32")}, verbose=0)
    klass, score = (out["class"], out["score"]) if isinstance(out, dict) else out
    assert np.allclose(klass[:, 0], [r["probabilities"]["dark"] for r in app["outputs"]["class"]], atol=1e-5)
    assert np.allclose(score, [r["values"] for r in app["outputs"]["score"]], atol=1e-4)
    assert float(pixels.max()) > 100  # raw pixels, not the rescaled 0..1 the trained model takes
    tflite, _ = export_project(project, folder / "m.tflite", str(folder))  # numeric columns: TFLite takes them
    assert tflite.passed and tflite.max_abs_diff < 1e-4, tflite.summary()
    onnx, _ = export_project(project, folder / "m.onnx", str(folder))  # the same raw pixels and columns, by name
    assert onnx.passed and onnx.max_abs_diff < 1e-4 and onnx.sample_source.startswith("raw "), onnx.summary()


def test_a_tflite_export_with_text_columns_is_refused_naming_them() -> None:
    from visualnn.services.preprocessing import raw_model

    stats = {"image_table": True, "source": "images", "features": [
        {"name": "size", "kind": "numeric"}, {"name": "color", "kind": "categorical"}]}
    with pytest.raises(ValueError, match=r"\.tflite .*text column\(s\) 'color'.*Export \.keras"):
        raw_model(None, stats, "tflite")


def test_a_one_input_one_output_model_learns_a_table_target_from_a_flat_folder(tmp_path: Path) -> None:
    """No class output: the folder needs no class sub-folders, and the one output's target is bare."""
    from visualnn.core.protocol import EvaluateRequest, TrainRequest
    from visualnn.core.training_config import TrainingConfig
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.training import run_training

    keys, g, spec = flat_score_setup(str(tmp_path))
    data = _prepare(tmp_path, spec, g)
    assert [(p.name, p.role) for p in data.parts] == [("image", "input"), ("score", "target")]
    assert data.task == "regression" and data.stats["class_output"] is None and len(keys) == 40
    x, y = next(iter(data.train))
    assert x.shape == (8, 8, 8, 3) and y.shape == (8, 1)  # one Input, one output: both bare
    from visualnn.core.project import Project

    cfg = TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=1, batch_size=8, seed=1,
                         deterministic=True, device="cpu")
    project = Project(g, "flat", spec, cfg)
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    project.add_run(result.run)
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(tmp_path)))
    assert report["task"] == "regression" and "mae" in report["metrics"]
