"""An MLflow store that fails after training started costs the MLflow copy, not the run: the run is returned
with its model, the user gets a warning naming the store, and the record keeps why (``extra["mlflow"]["error"]``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import tiny_project
from visualnn.core.project.io import load_project
from visualnn.core.protocol import TrainRequest
from visualnn.services.training import run_training

pytestmark = [pytest.mark.tf]


def test_a_store_gone_during_training_leaves_the_run_and_says_so(tmp_path: Path) -> None:
    path = tiny_project(tmp_path, epochs=1)
    store = tmp_path / "mlruns"
    uri = f"file:{store}"
    said: list[tuple[str, dict[str, Any]]] = []

    def sink(kind: str, data: dict[str, Any]) -> None:
        said.append((kind, data))
        if kind == "epoch":  # the store's folder is deleted (and made a file) while the model trains
            shutil.rmtree(store)
            store.write_text("not a folder any more")

    req = TrainRequest(project=load_project(str(path)), base_dir=str(tmp_path), mlflow_uri=uri,
                       mlflow_experiment="wine")
    result = run_training(req, sink)
    run = result.run
    assert run.status == "finished" and run.model_path and os.path.exists(tmp_path / run.model_path)
    note = run.extra["mlflow"]
    assert note["uri"] == uri and "run_id" not in note and uri in note["error"]
    warnings = [d["text"] for k, d in said if k == "log" and d.get("level") == "warning"]
    assert any("not logged to MLflow" in w and uri in w for w in warnings)
