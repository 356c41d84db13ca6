"""Training and a hyperparameter search share the one engine: while one runs, the other's start buttons are
disabled with a tooltip saying why (and a start from code is refused with the same sentence), each Stop stops its
own job; closing the window while a search runs asks first (the real close path, the guard's prompter answering)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from tests.ui import search_fakes as fake
from tests.ui.canvas_helpers import chain
from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.core.search_settings import SearchConfig
from visualnn.core.search_space import parse_assignment
from visualnn.ui.app import Shell
from visualnn.ui.training import close_guard, search_close_guard
from visualnn.ui.training.search_close_guard import RunningSearch

SPACE = (parse_assignment("dense_1.units=8,32,64"),)


@pytest.fixture
def fake_engine() -> FakeEngine:
    """Train jobs act out their run folder and record (``finish_training``); search jobs are driven by hand."""
    return FakeEngine(trains=True)


@pytest.fixture(autouse=True)
def _never_block(shell: Shell) -> None:
    """No real question box may open when a test fails midway and the fixture closes the window."""
    shell.window.training_guard.prompter = lambda *a: close_guard.DISCARD
    shell.window.search_guard.prompter = lambda *a: search_close_guard.STOP


class Answers:
    """A search prompter that answers as told and remembers what it was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[RunningSearch] = []

    def __call__(self, question: RunningSearch, parent: QWidget | None) -> str:
        self.asked.append(question)
        return self.answers.pop(0)


def _project(tmp_path: Path, trials: int | None = 20) -> Project:
    project = chain()
    project.set_search(SearchConfig(space=SPACE, metric="val_accuracy", study="chain_study", trials=trials,
                                    timeout_s=None if trials else 3600.0))
    project.path = str(tmp_path / "chain.vnn")
    return project


def _start_search(shell: Shell, engine: FakeEngine, qtbot: Any) -> str:
    view = shell.window.runs_panel.search
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    job = fake.search_job(engine)
    fake.study_started(engine, job, "chain_study", "val_accuracy", "maximize")
    return job


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_train_waits_while_a_search_runs_and_search_waits_while_training(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    window.document.set_project(_project(tmp_path))
    training, view = window.training_panel, window.runs_panel.search
    train_tip, search_tip = training.train_button.toolTip(), view.search_btn.toolTip()
    assert training.train_button.isEnabled() and view.search_btn.isEnabled()

    job = _start_search(shell, fake_engine, qtbot)
    fake.trial_started(fake_engine, job, 4, {"dense_1.units": 32})
    assert not training.train_button.isEnabled()
    assert training.train_button.toolTip() == ("A hyperparameter search is using the engine (trial 5 of 20). Stop it "
                                               "in Runs › Search, or wait for it to end, then train.")
    assert training.status.text() == training.train_button.toolTip()  # not "Press Train to start."
    _click(qtbot, training.train_button)
    assert fake_engine.job_types().count("train") == 0
    # A start from anywhere else (a menu, a shortcut) is refused with the same sentence, sending nothing.
    assert training.start_training() is None
    assert "search is using the engine (trial 5 of 20)" in training.hints.text()
    assert fake_engine.job_types().count("train") == 0
    # The search view's Stop stops the search job; the trial is recorded, then the search's result ends it.
    _click(qtbot, view.stop_btn)
    assert fake_engine.controls == [(job, "stop")]
    assert not training.train_button.isEnabled()  # still running until the engine says it has ended
    fake.trial_finished(fake_engine, job, window.document.project, "chain_study", 4, {"dense_1.units": 32},
                        "failed", None)
    fake_engine.finish(job, {"study": "chain_study", "trials": [], "ended": "stopped"})
    assert training.train_button.isEnabled() and training.train_button.toolTip() == train_tip
    assert training.status.text() == "Press Train to start." and training.hints.text() == ""  # nothing stale
    assert training.continue_button.toolTip() != training.train_button.toolTip()

    _click(qtbot, training.train_button)
    train_job, job_type, _payload = fake_engine.jobs[-1]
    assert job_type == "train" and training.controller.running
    assert not view.search_btn.isEnabled()
    assert view.search_btn.toolTip() == ("Training is using the engine. Stop it in the Training tab, or wait for the "
                                         "run to end, then search.")
    assert view.controller.start() is None
    assert not view.error.isHidden() and view.error.text().startswith("Training is using the engine.")
    assert fake_engine.job_types().count("search") == 1
    # The Training tab's Stop stops the train job (the fake engine ends it on the next loop turn, as stopped).
    _click(qtbot, training.stop_button)
    assert fake_engine.controls[-1] == (train_job, "stop")
    qtbot.waitUntil(lambda: not training.controller.running, timeout=3000)
    assert view.search_btn.isEnabled() and view.search_btn.toolTip() == search_tip
    _click(qtbot, view.search_btn)
    assert fake_engine.job_types().count("search") == 2


def test_closing_the_window_during_a_search_asks_then_stops_it_and_closes(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = shell.window
    window.document.set_project(_project(tmp_path))
    prompter = Answers(search_close_guard.CANCEL, search_close_guard.STOP)
    window.search_guard.prompter = prompter
    job = _start_search(shell, fake_engine, qtbot)
    fake.trial_finished(fake_engine, job, window.document.project, "chain_study", 3, {"dense_1.units": 8},
                        "complete", 0.8)
    fake.trial_started(fake_engine, job, 4, {"dense_1.units": 32})

    assert not window.close()  # Cancel: the search goes on, the window stays
    assert window.isVisible() and fake_engine.controls == [] and window.runs_panel.search.controller.running
    question = prompter.asked[0]
    assert question.question == "A search is running (trial 5 of 20). Stop it and close VisualNN?"
    assert question.details == ("The finished trials are kept in sqlite:///x.search.db (study chain_study); you can "
                                "resume the search later by pressing Search.")

    unsaved: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *a: unsaved.append(text) or QMessageBox.StandardButton.Discard)
    assert not window.close()  # Stop: the close waits for the search to end
    assert fake_engine.controls == [(job, "stop")] and window.isVisible()
    assert "once it has stopped" in window.statusBar().currentMessage()
    fake.trial_finished(fake_engine, job, window.document.project, "chain_study", 4, {"dense_1.units": 32},
                        "failed", None)
    fake_engine.finish(job, {"study": "chain_study", "trials": [], "ended": "stopped"})
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert [r.id for r in window.document.project.runs] == ["trial-3", "trial-4"]  # recorded before it closed
    assert len(unsaved) == 1  # then the usual unsaved-changes question (the trials are runs of the project)
    assert fake_engine.stops == 1


def test_a_search_with_a_time_budget_only_and_no_trial_yet_says_so(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    window.document.set_project(_project(tmp_path, trials=None))
    prompter = Answers(search_close_guard.CANCEL, search_close_guard.CANCEL)
    window.search_guard.prompter = prompter
    job = _start_search(shell, fake_engine, qtbot)
    window.actions_["new"].trigger()
    assert prompter.asked[-1].question == "A search is running (starting). Stop it and start a new project?"
    fake.trial_started(fake_engine, job, 7, {"dense_1.units": 8})
    window.actions_["new"].trigger()
    assert prompter.asked[-1].question == "A search is running (trial 8). Stop it and start a new project?"
    assert window.document.path == str(tmp_path / "chain.vnn") and fake_engine.controls == []
    fake_engine.finish(job, {"study": "chain_study", "trials": [], "ended": "stopped"})
