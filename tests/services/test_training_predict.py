"""Prediction applies the training preprocessing: raw CSV rows with large offsets are still classified right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.training_helpers import mlp_graph
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.protocol import PredictRequest, TrainRequest
from visualnn.core.training_config import TrainingConfig

pytestmark = pytest.mark.tf


def test_raw_rows_are_preprocessed_like_training(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    rng = np.random.default_rng(0)
    z = rng.normal(size=(600, 4))
    labels = np.array(["a", "b", "c"])[(z[:, 0] > 0).astype(int) + (z[:, 1] > 0).astype(int)]
    # Raw columns far from zero mean / unit scale: without the training standardisation the net would be lost.
    df = pd.DataFrame({"f0": z[:, 0] * 50 + 1000, "f1": z[:, 1] * 0.01 - 7, "f2": z[:, 2], "f3": z[:, 3] * 300})
    df["label"] = labels
    df.to_csv(tmp_path / "data.csv", index=False)
    project = Project(graph=mlp_graph(4, 3, hidden=32), dataset=DatasetSpec(
        "csv", "data.csv", {"columns": {"label": {"role": "target"}}, "scaling": "standardize",
                            "split": {"val": 0.2, "test": 0.0}}),
        training=TrainingConfig(epochs=15, batch_size=32, learning_rate=0.01))
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    assert result.run.history["val_accuracy"][-1] >= 0.85
    project.add_run(result.run)

    rows = df.drop(columns=["label"]).head(200).to_dict(orient="records")
    out = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), rows=rows))
    predicted = [p["label"] for p in out["predictions"]]
    accuracy = float(np.mean(np.asarray(predicted) == labels[:200]))
    assert accuracy >= 0.85

    # The same samples without preprocessing give different (and worse) outputs: the transform mattered.
    raw = result.model.predict(df.drop(columns=["label"]).head(200).to_numpy("float32"), verbose=0)
    raw_accuracy = float(np.mean(np.asarray(["a", "b", "c"])[raw.argmax(axis=1)] == labels[:200]))
    assert raw_accuracy < accuracy


def test_a_file_in_the_training_files_format_predicts_what_the_app_computed_for_its_rows(tmp_path: Path) -> None:
    """Semicolons, decimal commas and missing-value markers ('', 'NA', '-'): the file to predict is read as the
    training file was, so its rows give exactly the outputs of the app's own tensors for those rows."""
    import numpy as np
    import pandas as pd

    from visualnn.services.datasets.sources import load_csv_arrays
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    rng = np.random.default_rng(1)
    n = 300
    city = rng.choice(["Paris", "Lyon", "Nice"], n).astype(object)
    city[::7] = None  # written as an empty field
    age = np.array([f"{v:.1f}".replace(".", ",") for v in rng.normal(40, 12, n)], dtype=object)  # text: by hand
    age[3::11] = "-"  # the app's missing-value markers, not numbers
    df = pd.DataFrame({"age": age, "income": rng.normal(5e4, 1e4, n).round(2), "city": city,
                       "label": rng.choice(["hi", "lo"], n)})
    df.loc[5::13, "city"] = "NA"
    df.to_csv(tmp_path / "data.csv", sep=";", decimal=",", index=False)
    assert ";" in (tmp_path / "data.csv").read_text().splitlines()[1] and "," in df.to_csv(sep=";", decimal=",")
    spec = DatasetSpec("csv", "data.csv", {"columns": {"label": {"role": "target"}}, "split": {"val": 0.2}})
    project = Project(graph=mlp_graph(5, 2, hidden=8), dataset=spec, training=TrainingConfig(epochs=1, batch_size=64))
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    project.add_run(result.run)

    arrays = load_csv_arrays(DatasetSpec("csv", str(tmp_path / "data.csv"), spec.options))
    rows = arrays.positions["train"][:40]
    assert df["city"].iloc[rows].isna().any() and (df["city"].iloc[rows] == "NA").any() and (df["age"].iloc[rows] == "-").any()
    df.drop(columns="label").iloc[rows].to_csv(tmp_path / "new.csv", sep=";", decimal=",", index=False)

    out = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="new.csv"))
    assert not [w for w in out.get("warnings", []) if "not seen in training" in w]  # a missing city is no category
    got = np.array([[p["probabilities"][c] for c in result.run.extra["class_names"]] for p in out["predictions"]])
    want = result.model.predict(arrays.x["train"][:40], verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_rows_of_a_time_series_predict_every_window_as_the_app_windowed_them(tmp_path: Path) -> None:
    """A CSV of rows went in as one window as long as the file (any length ran); each window of the model's
    length is now predicted, and the windows the app made from the same rows get the same outputs."""
    import numpy as np
    import pandas as pd

    from tests.services.series_helpers import LENGTH, series_graph, write_series
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError
    from visualnn.services.training_data import load_data

    write_series(str(tmp_path), rows=200)
    spec = DatasetSpec("timeseries", "series.csv", {"window": {"length": LENGTH, "horizon": 2, "target": "temp"},
                                                    "split": {"val": 0.2, "test": 0.2}})
    project = Project(graph=series_graph(outputs=("temp",)), dataset=spec,
                      training=TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=1, batch_size=16))
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    project.add_run(result.run)
    data = load_data(spec, str(tmp_path), 16, 1, None, shuffle=False)
    start, stop = data.stats["split"]["test"]
    table = pd.read_csv(tmp_path / "series.csv")
    table.iloc[start:stop].to_csv(tmp_path / "recent.csv", index=False)  # time, temp, hum and the text column site

    out = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="recent.csv"))
    got = np.array([p["values"] for p in out["predictions"]])
    assert len(got) == (stop - start) - LENGTH + 1  # every window, the last ending at the file's last row
    want = result.model.predict(data.test, verbose=0)  # the app's test windows: those with a target 2 steps on
    np.testing.assert_allclose(got[: len(want)], want, rtol=1e-5, atol=1e-6)

    table.head(LENGTH - 1).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(TrainingError, match=f"^Cannot predict: short.csv: {LENGTH - 1} row\\(s\\) are too few"):
        run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="short.csv"))

    # The training file changes afterwards: the run kept its scaling, so the same rows predict the same forecasts.
    assert result.run.extra["preprocessing"]["window"]["length"] == LENGTH
    table.assign(temp=table["temp"] * 2 + 5, hum=table["hum"] - 10).to_csv(tmp_path / "series.csv", index=False)
    again = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path), input_path="recent.csv"))
    assert again["predictions"] == out["predictions"] and not again["warnings"]
    assert again["window_length"] == LENGTH


def test_evaluate_predict_and_export_say_when_the_data_changed_since_the_run_trained(tmp_path: Path) -> None:
    """Rows added to the CSV after training: the split and the scaling were drawn again, silently (or the
    predictions failed with 'set the Input shape to the data's shape' when a new category widened the table)."""
    import pandas as pd

    from tests.services.training_helpers import mlp_graph
    from visualnn.core.protocol import EvaluateRequest
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.export_project import export_project
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    rows = pd.DataFrame({"a": range(120), "b": [i % 7 for i in range(120)], "label": ["x", "y", "z"] * 40})
    rows.to_csv(tmp_path / "data.csv", index=False)
    project = Project(graph=mlp_graph(2, 3, hidden=4), dataset=DatasetSpec("csv", "data.csv", {
        "columns": {"label": {"role": "target"}}, "split": {"val": 0.2, "test": 0.2}}),
        training=TrainingConfig(epochs=1, batch_size=32))
    run = run_training(TrainRequest(project=project, base_dir=str(tmp_path))).run
    project.add_run(run)
    request = EvaluateRequest(project=project, base_dir=str(tmp_path))
    assert "warnings" not in run_evaluation(request)
    predict = PredictRequest(project=project, base_dir=str(tmp_path), rows=[[1, 2], [80, 5]])
    before = run_prediction(predict)["predictions"]

    pd.concat([rows, rows.head(30).assign(a=lambda t: t["a"] * 10)]).to_csv(tmp_path / "data.csv", index=False)
    said = f"The data changed since run {run.id} was trained: it had 72/24/24 train/validation/test samples, now 90/30/30"
    assert run_evaluation(request)["warnings"][0].startswith(said)
    # A table's run keeps the preprocessing it learned: new rows are prepared as its training rows were.
    predicted = run_prediction(predict)
    assert predicted["predictions"] == before and not predicted["warnings"]
    report, _ = export_project(project, tmp_path / "m.keras", str(tmp_path))
    assert report.notes[0].startswith(said) and "keeps the preprocessing the run learned" in report.notes[0]
    import keras
    import numpy as np

    exported = keras.saving.load_model(tmp_path / "m.keras")  # takes the raw columns, prepared as the run learned
    raw = exported.predict({"a": np.array([1.0, 80.0]), "b": np.array([2.0, 5.0])}, verbose=0)
    np.testing.assert_allclose(raw, [[p["probabilities"][c] for c in ("x", "y", "z")] for p in before], atol=1e-6)

    logs: list[dict[str, Any]] = []
    run_training(TrainRequest(project=project, base_dir=str(tmp_path), continue_run=run.id, epochs=1),
                 lambda kind, data: logs.append(data) if kind == "log" else None)
    assert any(d["level"] == "warning" and d["text"].startswith(said) for d in logs)  # continuing says it too

    rows.to_csv(tmp_path / "data.csv", index=False)  # the old file back: nothing to say
    assert "warnings" not in run_evaluation(request)


def test_an_arrays_run_keeps_its_scaling_and_predicts_as_it_learned_when_the_file_changes(tmp_path: Path) -> None:
    """An .npz changed after training: predict and export prepared new samples with the file's new statistics (and
    said so) where a table's run kept its own; an array's run now keeps its scaling too."""
    import numpy as np

    from visualnn.services.export_project import export_project
    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    rng = np.random.default_rng(4)
    x = rng.normal(50.0, 10.0, size=(150, 2)).astype(np.float32)
    y = (x[:, 0] > 50.0).astype(np.int64) + (x[:, 1] > 50.0).astype(np.int64)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    project = Project(graph=mlp_graph(2, 3, hidden=4), dataset=DatasetSpec("numpy", "data.npz", {
        "split": {"val": 0.2, "test": 0.2}}), training=TrainingConfig(epochs=1, batch_size=32))
    run = run_training(TrainRequest(project=project, base_dir=str(tmp_path))).run
    project.add_run(run)
    kept = run.extra["preprocessing"]
    assert kept["source"] == "numpy" and len(kept["center"]) == 2 and kept["scaling"] == "standardize"
    np.save(tmp_path / "new.npy", x[:5])
    predict = PredictRequest(project=project, base_dir=str(tmp_path), input_path=str(tmp_path / "new.npy"))
    before = run_prediction(predict)["predictions"]

    np.savez(tmp_path / "data.npz", x=x * 3.0 + 100.0, y=y)  # other statistics now
    predicted = run_prediction(predict)
    assert predicted["predictions"] == before and not predicted["warnings"]  # as the run learned, nothing to say
    report, _ = export_project(project, tmp_path / "m.keras", str(tmp_path))
    assert "keeps the preprocessing the run learned" in report.notes[0]
    import keras

    exported = keras.saving.load_model(tmp_path / "m.keras")  # takes the raw samples, prepared as the run learned
    np.testing.assert_allclose(exported.predict(x[:5], verbose=0),
                               [[p["probabilities"][c] for c in sorted(p["probabilities"])] for p in before], atol=1e-6)
