"""A time series with two target columns trains, evaluates (a regression report per output), predicts from raw
windows and exports models that take raw windows, through the services (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.series_helpers import LENGTH, series_project, write_series
from visualnn.core.project import Project
from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    from visualnn.services.training import run_training

    folder = tmp_path_factory.mktemp("series")
    write_series(str(folder))
    project = series_project()
    events: list[tuple[str, Any]] = []
    result = run_training(TrainRequest(project=project, base_dir=str(folder)), lambda k, d: events.append((k, d)))
    project.add_run(result.run)
    assert not [d for k, d in events if k == "log" and d.get("level") == "error"]
    return project, folder


def test_training_and_evaluation_report_each_output(trained: tuple[Project, Path]) -> None:
    from visualnn.services.evaluation import run_evaluation

    project, folder = trained
    run = project.runs[-1]
    assert run.status == "finished"
    for key in ("loss", "temp_loss", "hum_loss", "temp_mae", "hum_mae", "val_loss", "val_hum_mae"):
        assert len(run.history[key]) == 2, key
    report = run_evaluation(EvaluateRequest(project=project, base_dir=str(folder)))
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["temp", "hum"]
    for name in ("temp", "hum"):
        entry = report["outputs"][name]
        assert entry["task"] == "regression" and set(entry["metrics"]) == {"loss", "mae"}
        assert entry["n_samples"] == report["n_samples"] == 24 - LENGTH - 2 + 1
        assert entry["regression"]["mae"] == pytest.approx(entry["metrics"]["mae"], rel=1e-4)


def test_predict_takes_raw_windows_and_reports_each_output(trained: tuple[Project, Path]) -> None:
    import numpy as np

    from visualnn.services.predict import run_prediction

    project, folder = trained
    rng = np.random.default_rng(0)
    windows = (rng.normal(size=(4, LENGTH, 3)) * [50, 3, 8] + [120, 20, 60]).astype("float32")
    np.save(folder / "windows.npy", windows)
    out = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="windows.npy"))
    assert out["task"] == "multi-output" and list(out["outputs"]) == ["temp", "hum"]
    assert out["tasks"] == {"temp": "regression", "hum": "regression"}
    assert len(out["predictions"]) == 4 and len(out["outputs"]["hum"][0]["values"]) == 1
    np.savez(folder / "windows.npz", window=windows)
    again = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="windows.npz"))
    assert again["outputs"] == out["outputs"]


def test_exports_take_raw_windows_and_match_the_apps_predictions(trained: tuple[Project, Path]) -> None:
    import keras
    import numpy as np

    from visualnn.services.export_project import export_project
    from visualnn.services.predict import run_prediction

    project, folder = trained
    rng = np.random.default_rng(1)
    windows = (rng.normal(size=(5, LENGTH, 3)) * [50, 3, 8] + [120, 20, 60]).astype("float32")
    np.save(folder / "raw.npy", windows)
    app = run_prediction(PredictRequest(project=project, base_dir=str(folder), input_path="raw.npy"))
    report, _ = export_project(project, folder / "m.keras", str(folder))
    assert report.passed and report.sample_source.startswith("raw samples"), report.summary()
    temp, hum = keras.saving.load_model(folder / "m.keras").predict(windows, verbose=0)
    assert np.allclose(temp, [row["values"] for row in app["outputs"]["temp"]], atol=1e-4)
    assert np.allclose(hum, [row["values"] for row in app["outputs"]["hum"]], atol=1e-4)
    tflite, _ = export_project(project, folder / "m.tflite", str(folder))
    assert tflite.passed and tflite.max_abs_diff < 1e-4, tflite.summary()
