"""Runs and the project file stay together (issue 12, items 2, 3 and 10b), driven through the real window.

Save As brings the ``runs/<id>/`` folders beside the new file; closing the window, File > New and File > Open
while training asks what to do with the run and never leaves a model on disk that no project records.
The engine is the in-process :class:`FakeEngine` with ``trains=True``: it writes the run folder as the
engine does and answers a stop with a stopped run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.services.training_helpers import mlp_graph
from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.project.run_folders import RUNS
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.ui.app import Shell, build_main_window
from visualnn.ui.document import ProjectDocument
from visualnn.ui.errors import ErrorDialog
from visualnn.ui.training import close_guard
from visualnn.ui.training.close_guard import RunningTraining


class Answers:
    """A training prompter that answers as told and remembers what it was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[RunningTraining] = []

    def __call__(self, question: RunningTraining, parent: QWidget | None) -> str:
        self.asked.append(question)
        return self.answers.pop(0)


class Desk:
    """Stand-ins for the file dialog and the unsaved-changes question; remembers the questions asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.save_as: list[str] = []
        self.unsaved: list[QMessageBox.StandardButton] = []
        self.questions: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (self.save_as.pop(0), ""))
        monkeypatch.setattr(QMessageBox, "question", self._question)

    def _question(self, parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        self.questions.append(text)
        return self.unsaved.pop(0)


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(trains=True)


@pytest.fixture
def windows(qtbot: QtBot) -> Iterator[list[Shell]]:
    built: list[Shell] = []
    yield built
    for shell in built:
        shell.window.training_guard.prompter = lambda *a: close_guard.DISCARD
        shell.window.document.set_project(Project())
        shell.window.close()
        shell.window.deleteLater()


def _window(windows: list[Shell], engine: FakeEngine, settings: QSettings, prompter: Answers,
            project: Project | None = None, path: Path | None = None) -> Shell:
    document = ProjectDocument(project or Project(graph=mlp_graph(), training=TrainingConfig(epochs=2)))
    shell = build_main_window(document, engine, settings, training_prompter=prompter)
    windows.append(shell)
    if path is not None:
        assert shell.window.open_path(str(path), ask=False)
    shell.window.show()
    return shell


def _train(qtbot: QtBot, shell: Shell, engine: FakeEngine) -> str:
    """Press Train; returns the train job's id (the fake engine has made its run folder)."""
    qtbot.mouseClick(shell.window.training_panel.train_button, Qt.MouseButton.LeftButton)
    job_id, job_type, _payload = engine.jobs[-1]
    assert job_type == "train" and shell.window.training_panel.controller.running
    return job_id


def _saved(tmp_path: Path, name: str = "proj", runs: list[str] = ()) -> Path:  # type: ignore[assignment]
    """A saved project with run folders ``runs/<id>/model.keras`` beside it."""
    folder = tmp_path / name
    folder.mkdir()
    records = []
    for run_id in runs:
        (folder / RUNS / run_id).mkdir(parents=True)
        (folder / RUNS / run_id / "model.keras").write_text(f"model {run_id}")
        (folder / RUNS / run_id / "history.json").write_text("{}")
        records.append(RunRecord(run_id, "2026-01-01T00:00:00", model_path=f"runs/{run_id}/model.keras"))
    path = folder / f"{name}.vnn"
    save_project(Project(graph=mlp_graph(), name=name, training=TrainingConfig(epochs=2), runs=records), path)
    return path


def _file(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


# ----------------------------------------------------------------------------- item 2 and 10b: Save As
def test_save_as_of_an_untitled_project_moves_its_runs_beside_the_file_and_takes_its_name(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    shell = _window(windows, engine, settings, Answers())
    window = shell.window
    assert window.windowTitle().startswith("Untitled")
    run = engine.finish_training(_train(qtbot, shell, engine))
    session_folder = Path(window.document.project.runs[0].model_path).parent
    assert session_folder.name == run["id"] and (session_folder / "model.keras").exists()
    assert not session_folder.is_relative_to(tmp_path)  # trained while unsaved: in the session folder

    desk.save_as.append(str(tmp_path / "work" / "foo"))
    (tmp_path / "work").mkdir()
    window.actions_["save_as"].trigger()

    saved = tmp_path / "work" / "foo.vnn"
    stored = _file(saved)
    assert stored["runs"][0]["model_path"] == f"runs/{run['id']}/model.keras"
    assert (tmp_path / "work" / "runs" / run["id"] / "model.keras").read_text().startswith("fake model")
    # The session original stays until the app ends (ui.training.snapshot.remove_session_dir): a job sent
    # before the save, such as the evaluation of the run just trained, may still be reading it.
    assert (session_folder / "model.keras").exists()
    assert window.document.project.runs[0].model_path == f"runs/{run['id']}/model.keras"
    # Item 10b: the project is called after its file.
    assert stored["name"] == "foo" and window.document.display_name == "foo"
    assert window.windowTitle() == "foo — VisualNN"


def test_save_as_of_a_saved_project_to_a_new_folder_copies_its_runs(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    original = _saved(tmp_path, "proj", ["run-a", "run-b"])
    shell = _window(windows, engine, settings, Answers(), path=original)
    (tmp_path / "elsewhere").mkdir()
    desk.save_as.append(str(tmp_path / "elsewhere" / "copy.vnn"))
    shell.window.actions_["save_as"].trigger()

    copy = tmp_path / "elsewhere" / "copy.vnn"
    assert [r["model_path"] for r in _file(copy)["runs"]] == ["runs/run-a/model.keras", "runs/run-b/model.keras"]
    for run_id in ("run-a", "run-b"):
        assert (tmp_path / "elsewhere" / "runs" / run_id / "model.keras").read_text() == f"model {run_id}"
        assert (tmp_path / "elsewhere" / "runs" / run_id / "history.json").exists()
        assert (tmp_path / "proj" / "runs" / run_id / "model.keras").exists(), "the old project keeps its runs"
    assert _file(original)["runs"][0]["model_path"] == "runs/run-a/model.keras"
    assert shell.window.document.display_name == "copy"  # named after its old file: follows the new one


def test_a_copy_that_fails_names_the_folder_and_leaves_the_runs_as_they_were(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = _saved(tmp_path, "proj", ["run-a", "run-b"])
    shell = _window(windows, engine, settings, Answers(), path=original)
    real_copytree = shutil.copytree

    def disk_fills_on_run_b(src: str, dst: str, *args: Any, **kwargs: Any) -> Any:
        if os.path.basename(src) == "run-b":
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        return real_copytree(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copytree", disk_fills_on_run_b)
    (tmp_path / "full").mkdir()
    desk.save_as.append(str(tmp_path / "full" / "copy.vnn"))
    shell.window.actions_["save_as"].trigger()

    dialog = shell.window.findChild(ErrorDialog)
    assert isinstance(dialog, ErrorDialog) and dialog.windowTitle() == "Cannot save project"
    text = dialog.message.text()
    assert str(tmp_path / "proj" / "runs" / "run-b") in text and str(tmp_path / "full" / "runs" / "run-b") in text
    assert "No space left on device" in text and "Free some space" in text
    assert not (tmp_path / "full" / "copy.vnn").exists()
    assert sorted(os.listdir(tmp_path / "full" / "runs")) == [], "what was copied before the failure is removed"
    assert (tmp_path / "proj" / "runs" / "run-b" / "model.keras").exists()
    assert shell.window.document.path == str(original)
    dialog.close()


def test_a_run_that_finishes_after_save_as_lands_beside_the_new_file(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    shell = _window(windows, engine, settings, Answers())
    job = _train(qtbot, shell, engine)
    session_folder = Path(engine.run_folder(job))
    desk.save_as.append(str(tmp_path / "net.vnn"))
    shell.window.actions_["save_as"].trigger()  # while it trains, into the session folder
    run = engine.finish_training(job)
    assert shell.window.document.project.runs[0].model_path == f"runs/{run['id']}/model.keras"
    assert (tmp_path / "runs" / run["id"] / "model.keras").exists() and not session_folder.exists()


# ----------------------------------------------------------------------------- item 3: closing while training
def test_closing_a_clean_project_while_it_trains_asks_then_waits_and_keeps_the_run(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    path = _saved(tmp_path)
    prompter = Answers(close_guard.WAIT)
    shell = _window(windows, engine, settings, prompter, path=path)
    window = shell.window
    job = _train(qtbot, shell, engine)
    assert not window.document.is_dirty  # before: a clean project closed with no question at all

    assert not window.close()
    assert [q.action for q in prompter.asked] == ["close VisualNN"] and window.isVisible()
    assert "once training has finished" in window.statusBar().currentMessage()
    desk.unsaved.append(QMessageBox.StandardButton.Save)
    run = engine.finish_training(job)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)

    assert desk.questions and "Save the changes" in desk.questions[0]
    assert [r["id"] for r in _file(path)["runs"]] == [run["id"]]
    assert (path.parent / "runs" / run["id"] / "model.keras").exists()
    assert engine.stops == 1


def test_stop_and_keep_records_the_partial_run_before_closing(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    path = _saved(tmp_path)
    shell = _window(windows, engine, settings, Answers(close_guard.STOP), path=path)
    job = _train(qtbot, shell, engine)
    desk.unsaved.append(QMessageBox.StandardButton.Save)
    assert not shell.window.close()
    assert engine.controls == [(job, "stop")]
    qtbot.waitUntil(lambda: not shell.window.isVisible(), timeout=3000)
    [stored] = _file(path)["runs"]
    assert stored["status"] == "stopped" and stored["model_path"] == f"runs/{stored['id']}/model.keras"
    assert (path.parent / stored["model_path"]).exists()


def test_discard_from_file_new_deletes_the_run_folder_and_records_nothing(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    path = _saved(tmp_path)
    prompter = Answers(close_guard.DISCARD)
    shell = _window(windows, engine, settings, prompter, path=path)
    job = _train(qtbot, shell, engine)
    folder = Path(engine.run_folder(job))
    assert folder.is_dir() and folder.parent == path.parent / "runs"

    shell.window.actions_["new"].trigger()
    assert [q.action for q in prompter.asked] == ["start a new project"]
    qtbot.waitUntil(lambda: shell.window.document.path is None, timeout=3000)
    assert not folder.exists() and os.listdir(path.parent / "runs") == []
    assert _file(path)["runs"] == [] and shell.window.document.project.runs == []
    assert desk.questions == []  # nothing was recorded, so there was nothing to save


def test_cancel_keeps_training_and_the_project(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _saved(tmp_path)
    other = _saved(tmp_path, "other")
    prompter = Answers(close_guard.CANCEL)
    shell = _window(windows, engine, settings, prompter, path=path)
    _train(qtbot, shell, engine)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    shell.window.actions_["open"].trigger()
    assert [q.action for q in prompter.asked] == ["open another project"]
    assert shell.window.document.path == str(path) and shell.window.training_panel.controller.running
    assert engine.controls == [] and not shell.window.training_guard.waiting


def test_discarding_unsaved_changes_deletes_the_runs_they_held(
    qtbot: QtBot, tmp_path: Path, engine: FakeEngine, settings: QSettings, desk: Desk, windows: list[Shell]
) -> None:
    path = _saved(tmp_path, "proj", ["run-kept"])
    shell = _window(windows, engine, settings, Answers(close_guard.WAIT), path=path)
    job = _train(qtbot, shell, engine)
    assert not shell.window.close()
    desk.unsaved.append(QMessageBox.StandardButton.Discard)
    run = engine.finish_training(job)
    qtbot.waitUntil(lambda: not shell.window.isVisible(), timeout=3000)
    assert "deletes the 1 training run not saved yet" in desk.questions[0]
    assert sorted(os.listdir(path.parent / "runs")) == ["run-kept"], f"{run['id']} has no project to record it"
    assert [r["id"] for r in _file(path)["runs"]] == ["run-kept"]


def test_the_app_asks_with_a_question_box_of_four_choices(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def click(label: str) -> Any:
        def exec_(box: QMessageBox) -> int:
            seen.append([b.text() for b in box.buttons()])
            assert "“iris” is still training (Epoch 2/5)" in box.text()
            next(b for b in box.buttons() if b.text() == label).click()
            return 0
        return exec_

    question = RunningTraining("close VisualNN", "iris", "Epoch 2/5")
    for label, answer in [("Wait and keep the run", "wait"), ("Stop and keep the run so far", "stop"),
                          ("Discard the run", "discard"), ("Cancel", "cancel")]:
        monkeypatch.setattr(QMessageBox, "exec", click(label))
        assert close_guard.ask_with_message_box(question, None) == answer
    assert set(seen[0]) == {"Wait and keep the run", "Stop and keep the run so far", "Discard the run", "Cancel"}


def test_the_session_folder_of_unsaved_runs_is_removed_when_the_app_ends(tmp_path: Path) -> None:
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.training import snapshot

    folder = Path(snapshot.job_base_dir(ProjectDocument()))
    (folder / "runs" / "run-1").mkdir(parents=True)
    assert folder.name.startswith("visualnn-unsaved-")
    snapshot.remove_session_dir()
    assert not folder.exists()
    assert Path(snapshot.job_base_dir(ProjectDocument())) != folder  # a later unsaved job gets a fresh one
    snapshot.remove_session_dir()
