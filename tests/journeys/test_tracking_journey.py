"""Journey: MLflow tracking set in the preferences reaches the real engine.

With the real TensorFlow engine: the penguin MLP project opened from the command line -> Edit > Preferences…,
an SQLite tracking URI typed, OK -> Train. The run the window records says where it was logged, and MLflow's own
client finds it there: named by the run id, in the experiment named after the project file, its loss per epoch
equal to the record's, its model file attached.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.cli.search_helpers import tiny_project
from tests.cli.test_tracking_cli import metric_history, mlflow_runs
from tests.journeys.conftest import Launch
from tests.journeys.steps import train_to_the_end
from visualnn.ui.engine_client import EngineClient

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def test_preferences_uri_logs_the_windows_run(launch: Launch, tf_engine: EngineClient, tmp_path: Path,
                                              qtbot: QtBot) -> None:
    from mlflow.tracking import MlflowClient

    path = tiny_project(tmp_path, epochs=2)
    session, user = launch(tf_engine, argv=[str(path)])
    window = session.window
    assert window.document.path == str(path)
    user.menu("Edit", "Preferences…")
    dialog = session.shell.preferences.dialog if session.shell.preferences else None
    assert dialog is not None and dialog.isVisible()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    user.type_into(dialog.mlflow_uri, uri, enter=False)
    user.click("OK", dialog)
    assert not dialog.isVisible()

    run = train_to_the_end(user)
    assert run.status == "finished"
    note = run.extra.get("mlflow")
    assert note is not None and note.get("uri") == uri and "error" not in note, note
    [logged] = mlflow_runs(uri, "wine")
    assert logged.info.run_id == note["run_id"] and logged.info.run_name == run.id
    assert metric_history(uri, logged.info.run_id, "loss") == [(i + 1, pytest.approx(v))
                                                               for i, v in enumerate(run.history["loss"])]
    assert [a.path for a in MlflowClient(tracking_uri=uri).list_artifacts(logged.info.run_id, "model")] == [
        "model/model.keras"]
