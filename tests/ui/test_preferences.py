"""Edit > Preferences… in the real window: the MLflow tracking URI and experiment typed there land in the next
train and search jobs the window sends (the experiment defaulting to the project file's name); a relative store
is refused, named, and nothing is saved; clearing the URI stops the logging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.services.training_helpers import mlp_graph
from tests.ui.fake_engine import FakeEngine
from tests.ui.test_search_view import _search_view, _searched_project
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell
from visualnn.ui.preferences import MLFLOW_URI_KEY, PreferencesDialog


def _open_preferences(shell: Shell, qtbot: Any) -> PreferencesDialog:
    assert shell.preferences is not None
    assert shell.preferences.action in shell.window.edit_menu.actions()
    shell.preferences.action.trigger()
    dialog = shell.preferences.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _type(qtbot: Any, field: Any, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(field, text)


def _ok(qtbot: Any, dialog: PreferencesDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def _train(shell: Shell, qtbot: Any, fake_engine: FakeEngine) -> dict[str, Any]:
    window = shell.window
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    before = fake_engine.job_types().count("train")
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert fake_engine.job_types().count("train") == before + 1
    job_id, _, payload = next(job for job in reversed(fake_engine.jobs) if job[1] == "train")
    fake_engine.finish_training(job_id)
    return payload


def test_the_preference_lands_in_train_and_search_jobs(shell: Shell, fake_engine: FakeEngine, qtbot: Any,
                                                       tmp_path: Path) -> None:
    window = shell.window
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=2)))
    window.document.save(str(tmp_path / "wine.vnn"))
    assert _train(shell, qtbot, fake_engine)["mlflow_uri"] == ""  # no preference yet: no MLflow

    dialog = _open_preferences(shell, qtbot)
    _type(qtbot, dialog.mlflow_uri, "sqlite:///mlflow.db")  # relative: the engine runs in another folder
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "sqlite:///mlflow.db" in dialog.error.text() and "absolute path" in dialog.error.text()
    assert not window.settings.value(MLFLOW_URI_KEY)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    _type(qtbot, dialog.mlflow_uri, uri)
    _ok(qtbot, dialog)
    assert not dialog.isVisible() and window.settings.value(MLFLOW_URI_KEY) == uri

    payload = _train(shell, qtbot, fake_engine)
    assert payload["mlflow_uri"] == uri and payload["mlflow_experiment"] == "wine"  # the project file's name

    dialog = _open_preferences(shell, qtbot)
    assert dialog.mlflow_uri.text() == uri  # shown again as saved
    _type(qtbot, dialog.mlflow_experiment, "penguins")
    _ok(qtbot, dialog)
    project = _searched_project(tmp_path)
    view = _search_view(shell, qtbot, project)
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    _, job_type, payload = fake_engine.jobs[-1]
    assert job_type == "search" and payload["mlflow_uri"] == uri and payload["mlflow_experiment"] == "penguins"
    qtbot.mouseClick(view.stop_btn, Qt.MouseButton.LeftButton)


def test_clearing_the_uri_stops_logging(shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    window.settings.setValue(MLFLOW_URI_KEY, f"file:{tmp_path / 'mlruns'}")
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=2)))
    assert _train(shell, qtbot, fake_engine)["mlflow_experiment"] == "untitled"  # an unsaved project
    dialog = _open_preferences(shell, qtbot)
    _type(qtbot, dialog.mlflow_uri, "")
    _ok(qtbot, dialog)
    assert _train(shell, qtbot, fake_engine)["mlflow_uri"] == ""
