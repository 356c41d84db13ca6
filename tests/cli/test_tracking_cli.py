"""`visualnn train --mlflow URI`: the run is logged to MLflow (a local file: or sqlite: store) and read back with
MLflow's own client: the parameters, each epoch's figures equal to the run record's history, the test figures
and the model file. A store that cannot be opened, or MLflow missing, is refused before anything trains."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import tiny_project
from visualnn.cli import main
from visualnn.core.tracking import NOT_LOGGED

pytestmark = [pytest.mark.tf]


def mlflow_runs(uri: str, experiment: str) -> list[Any]:
    """Every run of ``experiment`` in the store at ``uri``, read with MLflow's client."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r} in {uri}"
    return list(client.search_runs([found.experiment_id]))


def metric_history(uri: str, run_id: str, name: str) -> list[tuple[int, float]]:
    """(step, value) of one metric of an MLflow run, by step."""
    from mlflow.tracking import MlflowClient

    rows = MlflowClient(tracking_uri=uri).get_metric_history(run_id, name)
    return sorted((m.step, m.value) for m in rows)


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_train_logs_params_epochs_test_figures_and_model(tmp_path: Path, capsys: Any, store: str) -> None:
    from mlflow.tracking import MlflowClient

    path = tiny_project(tmp_path, epochs=2)
    uri = f"file:{tmp_path / 'mlruns'}" if store == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["train", str(path), "--mlflow", uri, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)

    runs = mlflow_runs(uri, "wine")  # the experiment is named after the project file
    assert len(runs) == 1
    logged = runs[0]
    assert logged.info.status == "FINISHED" and logged.info.run_name == record["id"]
    assert record["extra"]["mlflow"] == {"uri": uri, "experiment": "wine", "run_id": logged.info.run_id}
    params = logged.data.params
    assert params["training.epochs"] == "2" and params["training.optimizer"] == "adam"
    assert params["training.learning_rate"] == json.dumps(record["config"]["learning_rate"])
    units = next(n for n in record["graph"]["nodes"] if n["id"] == "dense_1")["params"]["units"]
    assert params["dense_1.units"] == str(units) and params["dense_1.type"] == "Dense"

    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(record["history"])
    assert metric_history(uri, logged.info.run_id, "lr") == []  # the run record's learning rate is not a metric
    for name, values in record["history"].items():  # step = the epoch, counted from 1
        if name in NOT_LOGGED:
            continue
        assert metric_history(uri, logged.info.run_id, name) == [(i + 1, pytest.approx(v))
                                                                for i, v in enumerate(values)]
    tests = {k: v for k, v in record["metrics"].items() if k.startswith("test_")}
    assert tests and {k: logged.data.metrics[k] for k in tests} == pytest.approx(tests)
    artifacts = [a.path for a in MlflowClient(tracking_uri=uri).list_artifacts(logged.info.run_id, "model")]
    assert artifacts == ["model/model.keras"]
    if store == "sqlite":  # the model sits beside the database, never in the working folder (MLflow's ./mlruns)
        assert len(list((tmp_path / "mlartifacts").rglob("model.keras"))) == 1
        assert not Path("mlruns").exists() and not Path("mlartifacts").exists()


def test_a_store_that_cannot_be_opened_stops_before_training(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    uri = f"sqlite:///{blocker / 'mlflow.db'}"
    assert main(["train", str(path), "--mlflow", uri]) == 2
    err = capsys.readouterr().err
    assert uri in err and "Preferences or --mlflow" in err
    assert json.loads(path.read_text())["runs"] == []  # nothing trained, nothing recorded
    assert not (tmp_path / "runs").exists()


def test_mlflow_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from visualnn.services.tracking import MlflowTracker, TrackingError

    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # importing it now raises ImportError
    with pytest.raises(TrackingError, match=r"pip install 'visualnn\[mlflow\]'") as caught:
        MlflowTracker("sqlite:////tmp/never.db", "wine")
    assert "sqlite:////tmp/never.db" in str(caught.value)


def test_search_refuses_a_store_that_cannot_be_opened_before_any_trial(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    uri = f"sqlite:///{blocker / 'mlflow.db'}"
    code = main(["search", str(path), "--space", "dense_1.units=8,16", "--trials", "1", "--mlflow", uri])
    assert code == 2
    assert uri in capsys.readouterr().err
    assert json.loads(path.read_text())["runs"] == []  # no trial ran
