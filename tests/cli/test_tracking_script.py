"""The exported script's `--mlflow URI` and `--tensorboard DIR`: run on the penguin MLP, it logs the same
parameter and metric names as `visualnn train --mlflow` (read back with MLflow's client), a step per epoch, and
its model file; TensorBoard event files land in DIR. Without the flag it runs where mlflow cannot be imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import ROOT, tiny_project
from tests.cli.test_tracking_cli import metric_history, mlflow_runs
from visualnn.cli import main

pytestmark = [pytest.mark.tf, pytest.mark.slow]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
WITHOUT_MLFLOW = "import runpy, sys; sys.modules['mlflow'] = None; sys.argv = ['train.py', *sys.argv[1:]]; " \
                 "runpy.run_path('train.py', run_name='__main__')"


def _script(tmp_path: Path, *args: str, mlflow: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "train.py", *args] if mlflow else [sys.executable, "-c", WITHOUT_MLFLOW, *args]
    return subprocess.run(cmd, cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)


def test_the_script_logs_what_the_app_logs(tmp_path: Path, capsys: Any) -> None:
    from mlflow.tracking import MlflowClient

    path = tiny_project(tmp_path, epochs=2)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["train", str(path), "--mlflow", uri, "--mlflow-experiment", "app", "--json"]) == 0
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py")]) == 0
    capsys.readouterr()
    done = _script(tmp_path, "--mlflow", uri, "--mlflow-experiment", "script", "--tensorboard", "tb",
                   "--output", "trained.keras")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Logged to MLflow, experiment script" in done.stdout

    [app] = mlflow_runs(uri, "app")
    [script] = mlflow_runs(uri, "script")
    assert set(script.data.metrics) == set(app.data.metrics)  # loss, accuracy, val_*, test_*
    assert {"test_loss", "test_accuracy", "val_loss"} <= set(script.data.metrics)
    assert set(script.data.params) == set(app.data.params)
    for name in ("training.optimizer", "training.learning_rate", "training.epochs", "dense_1.units"):
        assert script.data.params[name] == app.data.params[name], name
    assert [step for step, _ in metric_history(uri, script.info.run_id, "val_loss")] == [1, 2]
    artifacts = [a.path for a in MlflowClient(tracking_uri=uri).list_artifacts(script.info.run_id, "model")]
    assert artifacts == ["model/trained.keras"]
    assert len(list((tmp_path / "mlartifacts").rglob("trained.keras"))) == 1  # beside the database
    assert list((tmp_path / "tb" / "train").glob("events.out.tfevents.*"))
    assert list((tmp_path / "tb" / "validation").glob("events.out.tfevents.*"))


def test_the_script_runs_without_mlflow_and_says_what_to_install_when_asked(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path, epochs=1)
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py")]) == 0
    capsys.readouterr()
    asked = _script(tmp_path, "--mlflow", f"sqlite:///{tmp_path / 'm.db'}", mlflow=False)
    assert asked.returncode != 0 and "pip install mlflow-skinny" in asked.stderr
    assert 'Model: "' not in asked.stdout  # refused before the model is built (model.summary()), not after training
    plain = _script(tmp_path, "--epochs", "1", mlflow=False)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert 'Model: "' in plain.stdout and "Saved the trained model" in plain.stdout
    assert (tmp_path / "model.keras").exists()
