"""Fixtures for the journeys: the app started by the composition root, a person's answers, a real engine.

``launch`` starts the app like ``run_app`` does (``start_session``: error reporter, autosave,
recovery question, welcome page) with isolated settings and user folders, the journey's
:class:`~tests.journeys.user.ScriptedChooser` answering file dialogs, and a recovery prompter that
answers as the journey says. Every journey fails when a failure reached the app's error reporter
(an uncaught exception or a Qt critical message): pytest-qt records uncaught exceptions in slots,
and the teardown checks ``ErrorReporter.reported``.

``tf_engine`` is one real TensorFlow engine process for the whole module (started once, about
10-30 s); windows built on it are torn down without closing them, because closing the main window
stops its engine. A journey that closes its window (as a person does) leaves the engine stopped; the
next journey's ``tf_engine`` starts it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.journeys.user import ScriptedChooser, User
from visualnn.core.project import Project
from visualnn.core.recovery import PendingRecovery
from visualnn.ui.app import Session, start_session
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.recovery_dialog import LATER

Launch = Callable[..., tuple[Session, User]]


def _wait_ready(engine: EngineClient, qapp: QApplication) -> None:
    deadline = time.monotonic() + 240
    while not engine.is_ready and engine.state != "dead" and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.02)
    assert engine.is_ready, f"the TensorFlow engine did not start (state {engine.state})"


@pytest.fixture(scope="module")
def tf_engine_process(qapp: QApplication) -> Iterator[EngineClient]:
    """The real engine process (TensorFlow), started once for the module."""
    engine = EngineClient(qapp)
    engine.start()
    _wait_ready(engine, qapp)
    yield engine
    engine.stop()


@pytest.fixture
def tf_engine(tf_engine_process: EngineClient, qapp: QApplication) -> EngineClient:
    """The module's engine, ready: started again when an earlier journey closed its window (which stops it)."""
    if not tf_engine_process.is_ready:
        tf_engine_process.start()
        _wait_ready(tf_engine_process, qapp)
    return tf_engine_process


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Recovery files, logs and the copied example stay in this test's folder."""
    for name, sub in (("VISUALNN_DATA_DIR", "data"), ("VISUALNN_EXAMPLES_DIR", "examples")):
        monkeypatch.setenv(name, str(tmp_path / "user" / sub))
    return tmp_path / "user"


@pytest.fixture
def launch(qtbot: QtBot, tmp_path: Path, user_dirs: Path) -> Iterator[Launch]:
    """``launch(engine, argv=[], answer="later", welcome=False)``: start the app; returns (session, user).

    Each launch has its own :class:`ScriptedChooser` (``user.chooser``); launches of one test share
    their settings file, as two runs of the app on one computer do.
    """
    started: list[Session] = []
    settings_path = str(tmp_path / "settings.ini")

    def start(engine: EngineLink, argv: list[str] | None = None, answer: str = LATER,
              welcome: bool = False) -> tuple[Session, User]:
        asked: list[PendingRecovery] = []

        def prompter(pending: PendingRecovery, parent: QWidget | None) -> str:
            asked.append(pending)
            return answer

        chooser = ScriptedChooser()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        session = start_session(app, list(argv or []), engine, settings=QSettings(settings_path, QSettings.Format.IniFormat),
                                prompter=prompter, chooser=chooser, welcome=welcome)
        started.append(session)
        qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=5000)
        session.window.resize(1400, 900)
        user = User(session.window, qtbot, chooser)
        user.recovery_questions = asked  # type: ignore[attr-defined]
        return session, user

    yield start
    failures = [f"{title}: {message}" for s in started for title, message in s.errors.reported]
    for session in started:  # a shared engine finishes the window's jobs (an evaluation after a run) first
        engine = session.window.engine
        if isinstance(engine, EngineClient) and engine.is_ready:
            qtbot.waitUntil(lambda e=engine: not e.busy(), timeout=120_000)
    for session in started:
        window = session.window
        try:
            window.document.set_project(Project())  # nothing unsaved: no question on the way out
        except RuntimeError:
            pass  # already deleted (a journey that simulated a crash)
        session.close()
        window.hide()
        window.deleteLater()
    qtbot.wait(10)
    assert not failures, "failures reached the app's error reporter:\n" + "\n".join(failures)
