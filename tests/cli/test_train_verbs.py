"""`visualnn train/evaluate/predict` on a small CSV project and on the bundled tabular example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.services.training_helpers import mlp_graph
from visualnn.cli import main
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord, TrainingConfig

pytestmark = pytest.mark.tf

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
EXAMPLE = EXAMPLES / "tabular"


def _csv_project(folder: Path) -> Path:
    import numpy as np
    import pandas as pd

    from visualnn.core.project.io import save_project

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    labels = np.array(["low", "mid", "high"])[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)]
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(4)])
    df["label"] = labels
    df.to_csv(folder / "data.csv", index=False)
    df.drop(columns=["label"]).head(5).to_csv(folder / "new.csv", index=False)
    project = Project(
        graph=mlp_graph(4, 3),
        name="csv",
        dataset=DatasetSpec("csv", "data.csv", {"columns": {"label": {"role": "target"}},
                                                "split": {"val": 0.2, "test": 0.1}}),
        training=TrainingConfig(epochs=2, batch_size=32),
    )
    path = folder / "p.vnn"
    save_project(project, path)
    return path


def test_train_evaluate_predict_on_a_csv_project(tmp_path: Path, capsys: Any) -> None:
    path = _csv_project(tmp_path)
    assert main(["train", str(path), "--epochs", "2", "--seed", "1"]) == 0
    out = capsys.readouterr()
    assert "Epoch 2/2" in out.err and "finished after 2 epoch(s)" in out.out
    saved = json.loads(path.read_text())
    (run,) = saved["runs"]
    assert run["status"] == "finished" and run["config"]["seed"] == 1 and (tmp_path / run["model_path"]).exists()

    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run_id"] == run["id"] and report["classification"]["class_names"] == ["high", "low", "mid"]
    assert main(["evaluate", str(path)]) == 0
    assert "Confusion matrix" in capsys.readouterr().out

    assert main(["predict", str(path), str(tmp_path / "new.csv"), "--json"]) == 0
    preds = json.loads(capsys.readouterr().out)["predictions"]
    assert len(preds) == 5 and {p["label"] for p in preds} <= {"low", "mid", "high"}

    assert main(["evaluate", str(path), "--run", "nope"]) == 1
    assert "no run 'nope'" in capsys.readouterr().err

    assert main(["train", str(path), "--continue", run["id"], "--epochs", "1", "--json"]) == 0
    cont = json.loads(capsys.readouterr().out)
    assert cont["continued_from"] == run["id"] and cont["epochs_done"] == 3
    assert [r["id"] for r in json.loads(path.read_text())["runs"]] == [run["id"], cont["id"]]


def test_train_gives_the_service_the_loaded_project_and_saves_the_files_own_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any,
) -> None:
    from visualnn.core.project.io import load_project, save_project
    from visualnn.services.training_common import TrainingResult

    path = tmp_path / "p.vnn"
    save_project(Project(graph=mlp_graph(4, 3), name="p", training=TrainingConfig(batch_size=8)), path)
    received: list[Any] = []

    def run_training(req: Any, sink: Any, stop: Any) -> TrainingResult:
        received.append(req)
        return TrainingResult(RunRecord(id="run_1", started="now", epochs_done=1), model=None, data=None)

    monkeypatch.setattr("visualnn.services.training.run_training", run_training)
    assert main(["train", str(path), "--strategy", "mirrored", "--epochs", "1", "--class-weight", "balanced",
                 "--json"]) == 0
    (req,) = received
    assert isinstance(req.project, Project) and req.epochs == 1 and req.base_dir == str(tmp_path)
    assert (req.project.training.strategy, req.project.training.batch_size) == ("mirrored", 8)
    assert req.project.training.class_weight == "balanced"
    saved = load_project(path)
    assert saved.training.strategy == "auto"  # the command line's strategy was for this run only
    assert saved.training.class_weight == "none"  # and so were its class weights
    assert [r.id for r in saved.runs] == ["run_1"] and json.loads(capsys.readouterr().out)["id"] == "run_1"


@pytest.mark.slow
@pytest.mark.skipif(not (EXAMPLE / "tabular.vnn").exists(), reason="bundled tabular example not present")
def test_bundled_tabular_example_reaches_90_percent(tmp_path: Path, capsys: Any) -> None:
    work = tmp_path / "tabular"
    shutil.copytree(EXAMPLE, work)
    path = work / "tabular.vnn"
    assert main(["train", str(path), "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["history"]["val_accuracy"][-1] >= 0.9
    assert main(["evaluate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["accuracy"] >= 0.85
    csv_files = sorted(work.glob("*.csv"))
    assert main(["predict", str(path), str(csv_files[0]), "--json"]) == 0
    preds = json.loads(capsys.readouterr().out)["predictions"]
    assert preds and all(0.0 <= p["confidence"] <= 1.0 for p in preds)


@pytest.mark.slow
@pytest.mark.skipif(not (EXAMPLES / "images" / "images.vnn").exists(), reason="bundled images example not present")
def test_bundled_images_example_trains_and_predicts(tmp_path: Path, capsys: Any) -> None:
    work = tmp_path / "images"
    shutil.copytree(EXAMPLES / "images", work)
    path = work / "images.vnn"
    assert main(["train", str(path), "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["history"]["val_accuracy"][-1] >= 0.7
    folder = next(p for p in sorted((work / "shapes").iterdir()) if p.is_dir())
    images = len(list(folder.iterdir()))
    (folder / "zz_damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")  # one bad file among many
    assert main(["predict", str(path), str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    preds = out["predictions"]
    assert len(preds) == images and "zz_damaged.png" not in {p["file"] for p in preds}  # the others still predicted
    assert any("Skipped 1 unreadable image(s)" in w and "zz_damaged.png" in w for w in out["warnings"])
    assert sum(p["label"] == folder.name for p in preds) >= 0.6 * len(preds)
    # The folder of class folders itself (a held-out set laid out as training reads one): every image, each named
    # with its class folder, so the saved table can be checked against the truth.
    shapes = work / "shapes"
    assert main(["predict", str(path), str(shapes), "-o", str(tmp_path / "all.csv")]) == 0
    import pandas as pd

    saved = pd.read_csv(tmp_path / "all.csv")
    everything = sorted(str(p.relative_to(shapes)) for p in shapes.rglob("*.png") if p.name != "zz_damaged.png")
    assert sorted(saved["file"]) == everything
    truth = saved["file"].str.split("/").str[0]
    assert (saved["predicted"] == truth).mean() >= 0.6


def test_evaluate_without_a_test_split_never_calls_it_test_and_predict_names_bad_columns(
    tmp_path: Path, capsys: Any
) -> None:
    import pandas as pd

    from visualnn.core.dataset import NO_TEST_LABEL
    from visualnn.core.project.io import load_project, save_project

    path = _csv_project(tmp_path)
    project = load_project(path)
    assert project.dataset is not None
    project.set_dataset(project.dataset.with_options(split={"val": 0.2, "test": 0.0}))
    save_project(project, path)
    assert main(["train", str(path), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(path)]) == 0
    text = capsys.readouterr().out
    assert f"on the {NO_TEST_LABEL} (80 samples)" in text
    assert "test" not in text.replace(NO_TEST_LABEL, "")
    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["split"], report["split_label"]) == ("val", NO_TEST_LABEL)

    new = pd.read_csv(tmp_path / "new.csv")
    new.drop(columns=["f2"]).to_csv(tmp_path / "missing.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv: the input has no column 'f2'" in capsys.readouterr().err
    text_col = new.astype({"f1": object})
    text_col.loc[2, "f1"] = "n/a?"
    text_col.to_csv(tmp_path / "text.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "text.csv")]) == 1
    assert "text.csv" in (err := capsys.readouterr().err) and "Row 3, column 'f1': 'n/a?' is not a number" in err
    new.assign(batch=7).to_csv(tmp_path / "extra.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "extra.csv"), "--json"]) == 0
    out = capsys.readouterr()
    assert len(json.loads(out.out)["predictions"]) == 5
    assert "warning: extra.csv: column(s) 'batch' are not features of the model" in out.err


def test_predict_on_an_image_folder_names_each_file(tmp_path: Path, capsys: Any) -> None:
    import numpy as np
    from PIL import Image

    from visualnn.cli.project_verbs import create_project
    from visualnn.core.project.io import save_project

    rng = np.random.default_rng(0)
    for name, level in (("dark", 40), ("light", 210)):
        (tmp_path / "shapes" / name).mkdir(parents=True)
        for i in range(12):
            pixels = np.clip(rng.normal(level, 10, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "shapes" / name / f"{i}.png")
    project = create_project("cnn_small", str(tmp_path / "shapes"))
    project.training = project.training.with_changes(epochs=1, batch_size=8)
    save_project(project, tmp_path / "p.vnn")
    assert main(["train", str(tmp_path / "p.vnn")]) == 0
    (tmp_path / "new").mkdir()
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(tmp_path / "new" / "bright.png")
    Image.fromarray(np.full((24, 40), 30, np.uint8), "L").save(tmp_path / "new" / "dim_big_gray.png")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "p.vnn"), str(tmp_path / "new")]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert [line.split()[0] for line in lines] == ["bright.png", "dim_big_gray.png"]
    assert "dim_big_gray.png (40x24)" in out.err and "converted to rgb" in out.err
    assert main(["predict", str(tmp_path / "p.vnn"), str(tmp_path / "new"), "--json"]) == 0
    preds = json.loads(capsys.readouterr().out)["predictions"]
    assert [p["file"] for p in preds] == ["bright.png", "dim_big_gray.png"]


def test_train_prints_the_flat_loss_hint_and_the_cpu_precision_warning(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import load_project, save_project

    path = _csv_project(tmp_path)
    project = load_project(path)
    project.training = project.training.with_changes(learning_rate=1e-6, device="cpu")
    save_project(project, path)
    assert main(["train", str(path), "--epochs", "5", "--mixed-precision", "mixed_bfloat16"]) == 0
    out = capsys.readouterr()
    assert "warning: Precision mixed_bfloat16 on a CPU is slower than float32" in out.err  # said at the start
    assert "Hint: The loss has barely changed over the last 5 epochs" in out.out
    assert "learning rate (1e-06)" in out.out and "initialisation" in out.out
    assert "Warning: Precision mixed_bfloat16 on a CPU is slower" in out.out  # and kept with the run
    (run,) = load_project(path).runs
    assert run.extra["hints"] and run.extra["warnings"]


def test_an_infinite_loss_is_recorded_as_diverged_and_the_file_loads_again(tmp_path: Path, capsys: Any) -> None:
    import numpy as np
    import pandas as pd

    from visualnn.core.project.io import load_project, save_project

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 4)), columns=[f"f{i}" for i in range(4)])
    df["y"] = df["f0"] * 1e20  # squared errors overflow float32
    df.to_csv(tmp_path / "big.csv", index=False)
    project = Project(graph=mlp_graph(4, 1, activation=None), name="big",
                      dataset=DatasetSpec("csv", "big.csv", {"columns": {"y": {"role": "target"}},
                                                             "split": {"val": 0.2, "test": 0.0}}),
                      training=TrainingConfig(epochs=3, batch_size=32, loss="mean_squared_error", metrics=("mae",)))
    path = tmp_path / "big.vnn"
    save_project(project, path)
    assert main(["train", str(path)]) == 1
    out = capsys.readouterr().out
    assert "diverged after 1 epoch(s)" in out
    assert "Diverged: The loss became infinite at epoch 1" in out and "Lower the learning rate" in out
    (run,) = load_project(path).runs  # the new status loads back
    assert run.status == "diverged" and run.extra["diverged"]["epoch"] == 1


def test_a_price_table_trains_through_its_rescaling_and_evaluate_says_where_each_mae_comes_from(
        tmp_path: Path, capsys: Any) -> None:
    """`visualnn new --data` on prices adds the Rescaling and says why; evaluate prints Keras's float32 MAE and the
    float64 one from the predictions, which differ in their last digits: each line says which it is."""
    from tests.tiny_data import price_csv

    data = price_csv(tmp_path / "houses.csv")
    path = tmp_path / "h.vnn"
    assert main(["new", "-t", "mlp_regressor", "--data", str(data), "-o", str(path)]) == 0
    assert "A Rescaling(scale=156500, offset=454200) after dense_3" in capsys.readouterr().out
    assert main(["train", str(path), "--epochs", "10", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    keras_mae = float(out.split("  mae ")[1].split()[0])
    assert "  from the predictions, in float64: MAE " in out
    assert keras_mae < 0.2 * 156_500  # 0.06 of a spread: it learnt the prices (without the Rescaling: about one)


def test_new_on_imbalanced_data_watches_the_rare_class_and_names_the_class_weights(tmp_path: Path, capsys: Any) -> None:
    from tests.tiny_data import fraud_csv
    from visualnn.core.project.io import load_project

    path = tmp_path / "f.vnn"
    assert main(["new", "-t", "mlp_classifier", "--data", str(fraud_csv(tmp_path / "fraud.csv")), "-o", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("Class 'yes' is 11% of the samples, so precision and recall are watched besides accuracy. For a model "
            "that finds more 'yes' samples (and raises more false alarms), set the training's class_weight to balanced "
            "(Training panel, Fit: Class weights).") in out
    training = load_project(path).training
    assert training.metrics == ("accuracy", "precision", "recall") and training.class_weight == "none"


def test_new_names_a_rare_class_among_three_and_leaves_balanced_classes_alone(tmp_path: Path, capsys: Any) -> None:
    rows = ["x1,x2,label"] + [f"{i % 7},{i % 5},{'cat' if i % 20 < 12 else 'dog' if i % 20 < 19 else 'eel'}"
                               for i in range(400)]
    (tmp_path / "three.csv").write_text("\n".join(rows) + "\n")
    assert main(["new", "-t", "mlp_classifier", "--data", str(tmp_path / "three.csv"), "-o", str(tmp_path / "t.vnn")]) == 0
    out = capsys.readouterr().out
    assert ("Class 'eel' (5% of the samples) is rare: accuracy can stay high while the model never answers it. The "
            "Evaluation tab's per-class table shows how many it finds, and balanced class weights (Training panel, Fit: "
            "Class weights) make each class count as much in the loss as the others.") in out
    assert main(["new", "-t", "mlp_classifier", "--data", str(EXAMPLE / "penguins.csv"), "-o", str(tmp_path / "p.vnn")]) == 0
    assert "is rare" not in capsys.readouterr().out  # 20 % of three classes is not rare


def test_predictions_saved_from_the_cli_keep_the_ignored_id_beside_each_prediction(tmp_path: Path, capsys: Any) -> None:
    import numpy as np
    import pandas as pd

    from tests.tiny_data import churn_csv

    data = churn_csv(tmp_path / "churn.csv")
    path = tmp_path / "churn.vnn"
    assert main(["new", "-t", "mlp_classifier", "--data", str(data), "-o", str(path)]) == 0
    assert main(["train", str(path), "--epochs", "1"]) == 0
    new = pd.read_csv(data).drop(columns=["churn"]).head(7)
    new.to_csv(tmp_path / "new.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(path), str(tmp_path / "new.csv"), "-o", str(tmp_path / "preds.csv")]) == 0
    assert capsys.readouterr().out.startswith("Wrote 7 prediction(s) with run ")
    saved = pd.read_csv(tmp_path / "preds.csv")
    assert list(saved.columns) == [*new.columns, "predicted", "confidence", "p(No)", "p(Yes)"]
    assert saved["customer_id"].tolist() == new["customer_id"].tolist()  # not a feature, still there to match rows
    assert np.allclose(saved["p(No)"] + saved["p(Yes)"], 1.0, atol=1e-6)
    assert (saved["confidence"] == saved[["p(No)", "p(Yes)"]].max(axis=1)).all()
    assert main(["predict", str(path), str(tmp_path / "new.csv"), "--json"]) == 0  # the same predictions as printed
    out = json.loads(capsys.readouterr().out)
    printed = out["predictions"]
    assert [p["label"] for p in printed] == saved["predicted"].tolist()
    assert out["row_names"] == {"column": "customer_id", "values": new["customer_id"].tolist()}
    assert main(["predict", str(path), str(tmp_path / "new.csv")]) == 0
    shown = capsys.readouterr()
    assert [line.split()[0] for line in shown.out.splitlines()] == new["customer_id"].tolist()  # named, not numbered
    assert "not features of the model" not in shown.err  # the id and the date were in the training file too


def test_saved_forecasts_of_a_series_stand_beside_the_row_each_window_ends_at(tmp_path: Path, capsys: Any) -> None:
    import pandas as pd

    work = tmp_path / "series"
    shutil.copytree(EXAMPLES / "timeseries", work)
    path = work / "timeseries.vnn"
    assert main(["train", str(path), "--epochs", "1"]) == 0
    length = json.loads(path.read_text())["dataset"]["options"]["window"]["length"]
    recent = pd.read_csv(work / "weather.csv").head(length + 9)
    recent.to_csv(work / "recent.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(path), str(work / "recent.csv"), "-o", str(work / "forecast.csv")]) == 0
    assert "Wrote 10 prediction(s)" in capsys.readouterr().out
    saved = pd.read_csv(work / "forecast.csv")
    assert list(saved.columns) == [*recent.columns, "predicted"]
    pd.testing.assert_frame_equal(saved[recent.columns], recent.iloc[length - 1:].reset_index(drop=True))
