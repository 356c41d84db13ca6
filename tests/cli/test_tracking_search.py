"""`visualnn search --mlflow URI` with TensorBoard switched on: the study is one parent MLflow run with a nested
run per trial (its sampled values among its parameters, its epochs equal to the trial's run record), a resumed
search nests its trials under the same parent, and each trial writes TensorBoard event files into its own folder
(``runs/search-<study>/trial-<N>``), read back with TensorFlow's event reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import last_json, tiny_project
from tests.cli.test_tracking_cli import metric_history, mlflow_runs
from visualnn.cli import main

pytestmark = [pytest.mark.tf, pytest.mark.slow]
SPACE = ["--space", "dense_1.units=8,16", "--space", "training.learning_rate=0.001..0.05:log"]


def _epoch_losses(folder: Path) -> list[float]:
    """The ``epoch_loss`` values of the TensorBoard event files under ``folder`` (by step)."""
    import tensorflow as tf

    rows: list[tuple[int, float]] = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == "epoch_loss":
                    rows.append((event.step, float(tf.make_ndarray(value.tensor))))
    return [v for _, v in sorted(rows)]


def test_search_logs_a_parent_run_with_a_nested_run_per_trial_and_tensorboard_per_trial(
        tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path, epochs=2)
    data = json.loads(path.read_text())
    data["training"]["tensorboard"] = True
    path.write_text(json.dumps(data))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["search", str(path), *SPACE, "--pruner", "none", "--mlflow", uri, "--mlflow-experiment", "exp", "--json"]
    assert main([*args, "--trials", "2"]) == 0
    out = last_json(capsys.readouterr().out)
    assert [t["number"] for t in out["trials"]] == [0, 1]

    runs = mlflow_runs(uri, "exp")
    parents = [r for r in runs if r.data.tags.get("visualnn.role") == "study"]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.data.tags["visualnn.study"] == "wine" and parent.info.status == "FINISHED"
    assert parent.data.params["space.dense_1.units"] == "8,16"
    assert parent.data.params["space.training.learning_rate"] == "0.001..0.05:log"
    assert parent.data.params["search.objective"] == "val_loss"
    assert parent.data.metrics["best_val_loss"] == pytest.approx(out["best"]["value"])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.tags["visualnn.trial"] for r in children) == ["0", "1"]

    records = {r["extra"]["search"]["trial"]: r for r in json.loads(path.read_text())["runs"]}
    for child in children:
        record = records[int(child.data.tags["visualnn.trial"])]
        assert child.info.run_name == record["id"]
        assert record["extra"]["mlflow"]["run_id"] == child.info.run_id
        sampled = record["extra"]["search"]["params"]
        assert child.data.params["dense_1.units"] == str(sampled["dense_1.units"])
        assert float(child.data.params["training.learning_rate"]) == pytest.approx(sampled["training.learning_rate"])
        assert metric_history(uri, child.info.run_id, "val_loss") == [
            (i + 1, pytest.approx(v)) for i, v in enumerate(record["history"]["val_loss"])]

        # TensorBoard: the trial's own folder, the same losses as its record
        logs = tmp_path / record["extra"]["search"]["tensorboard"]
        assert logs == tmp_path / "runs" / "search-wine" / f"trial-{record['extra']['search']['trial']}"
        assert _epoch_losses(logs / "train") == pytest.approx(record["history"]["loss"], rel=1e-5)
        assert len(_epoch_losses(logs / "validation")) == 2

    # resumed: the third trial nests under the same parent
    assert main([*args, "--trials", "3"]) == 0
    capsys.readouterr()
    runs = mlflow_runs(uri, "exp")
    assert len([r for r in runs if r.data.tags.get("visualnn.role") == "study"]) == 1
    assert sorted(r.data.tags["visualnn.trial"] for r in runs
                  if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id) == ["0", "1", "2"]
