"""The composition root: the window is built from typed parts, each dock holds its real panel, a
panel that cannot be built fails loudly, and start-up asks about crash recovery first, alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.fake_engine import FakeEngine
from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.recovery import PendingRecovery, recovery_path_for, write_recovery
from visualnn.ui import app as app_mod
from visualnn.ui.app import Session, Shell, build_main_window, start_session
from visualnn.ui.code_panel import CodePanel
from visualnn.ui.data_panel import DataPanel
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.insight.panel import InsightPanel
from visualnn.ui.inspector import InspectorPanel
from visualnn.ui.palette import PalettePanel
from visualnn.ui.problems import ProblemsPanel
from visualnn.ui.summary_panel import SummaryPanel
from visualnn.ui.training import EvaluationPanel, PredictPanel, RunsPanel, TrainingPanel
from visualnn.ui.welcome import WelcomeDialog

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 30_000  # start-up queues the recovery question for the first paint: seconds on a loaded machine

EXPECTED_DOCKS: dict[str, type[QWidget]] = {
    "palette": PalettePanel,
    "inspector": InspectorPanel,
    "data": DataPanel,
    "training": TrainingPanel,
    "evaluation": EvaluationPanel,
    "predict": PredictPanel,
    "runs": RunsPanel,
    "code": CodePanel,
    "summary": SummaryPanel,
    "problems": ProblemsPanel,
    "insight": InsightPanel,  # Look inside: activations and explanations
}


def test_each_dock_holds_its_real_panel(shell: Shell, qtbot: QtBot) -> None:
    window = shell.window
    assert set(window.docks) == set(EXPECTED_DOCKS)
    # The workflow panels are built just after the first paint (tests/ui/test_startup.py), by themselves.
    qtbot.waitUntil(lambda: window.painted, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: type(window.docks["code"].widget()) is CodePanel, timeout=10000)
    for key, kind in EXPECTED_DOCKS.items():
        widget = window.docks[key].widget()
        assert type(widget) is kind, f"the {key} dock holds {type(widget).__name__}, not {kind.__name__}"
    assert window.training_panel is window.docks["training"].widget()
    # The export feature's actions are in File > Export, wired to the controller and enabled.
    exports = [a.objectName() for a in window.export_menu.actions()]
    assert exports == [f"action_{k}" for k in app_mod.EXPORT_ACTIONS]
    assert all(shell.export.actions[k] is window.actions_[k] and window.actions_[k].isEnabled() for k in app_mod.EXPORT_ACTIONS)
    # One Help menu with one About.
    about = [a for a in window.help_menu.actions() if "About" in a.text()]
    assert [a.objectName() for a in about] == ["helpAbout"]


def test_a_panel_that_cannot_be_built_stops_the_window(
    qtbot: QtBot, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: DataPanel, *args: object, **kwargs: object) -> None:
        raise RuntimeError("DataPanel: the format box has no entries")

    monkeypatch.setattr(DataPanel, "__init__", broken)
    with pytest.raises(RuntimeError, match="the format box has no entries"):
        build_main_window(ProjectDocument(), FakeEngine(), settings)


def test_a_workflow_panel_that_cannot_be_built_after_the_first_paint_is_reported(
    qtbot: QtBot, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built after the first paint, the workflow panels fail loudly there: the traceback reaches the error
    reporter (an uncaught exception in the event loop; pytest-qt stands in for it here)."""
    def broken(self: RunsPanel, *args: object, **kwargs: object) -> None:
        raise RuntimeError("RunsPanel: the table has no columns")

    monkeypatch.setattr(RunsPanel, "__init__", broken)
    window = build_main_window(ProjectDocument(), FakeEngine(), settings).window
    qtbot.addWidget(window)
    with qtbot.capture_exceptions() as raised:
        window.show()
        qtbot.waitUntil(lambda: bool(raised), timeout=5000)
    assert "the table has no columns" in str(raised[0][1])
    with pytest.raises(RuntimeError, match="the table has no columns"):  # asked again: fails again, never hides
        window.workflow_panels()


def test_the_engine_wiring_is_plain(shell: Shell, fake_engine: FakeEngine) -> None:
    window = shell.window
    window.start_engine()
    assert fake_engine.starts == 1
    assert window.engine_label.text() == "TensorFlow 2.21.0 · CPU · GPU 0: NVIDIA H200 (139 GB)"
    fake_engine.die("The training engine crashed (out of memory).")
    assert window.engine_label.text() == "TensorFlow engine stopped"
    assert "out of memory" in window.statusBar().currentMessage()


def test_a_window_built_on_a_running_engine_says_which_it_is(qtbot: Any, settings: Any) -> None:
    engine = FakeEngine()
    engine.start()  # ready before the window exists: its ready signal went by unseen
    window = build_main_window(ProjectDocument(), engine, settings).window
    qtbot.addWidget(window)
    assert window.engine_label.text() == "TensorFlow 2.21.0 · CPU · GPU 0: NVIDIA H200 (139 GB)"  # not "not started"


def test_the_real_engine_client_is_an_engine_link() -> None:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient(program="/nonexistent/engine")  # never started
    assert isinstance(client, EngineLink)
    assert isinstance(FakeEngine(), EngineLink)


def test_no_feature_is_loaded_by_module_name_and_nothing_is_executed_from_text() -> None:
    offenders = []
    for path in sorted((ROOT / "visualnn").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                # Builtins only: QDialog.exec() / QApplication.exec() are Qt's event loops.
                builtin = func.id if isinstance(func, ast.Name) else ""
                attr = func.attr if isinstance(func, ast.Attribute) else ""
                by_name = "ui" in path.parts and (builtin == "__import__" or attr == "import_module")
                if builtin in ("exec", "eval", "compile") or by_name:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {builtin or attr}()")
    assert offenders == []


def test_the_test_hooks_are_gone_from_the_app() -> None:
    hooks = ("VISUALNN_TEST_SCRIPT", "VISUALNN_RECOVERY_ANSWER", "VISUALNN_SCREENSHOT", "VISUALNN_STARTUP_BENCH")
    found = [
        f"{path.relative_to(ROOT)}: {hook}"
        for path in sorted((ROOT / "visualnn").rglob("*.py"))
        for hook in hooks
        if hook in path.read_text(encoding="utf-8")
    ]
    assert found == []


# ----------------------------------------------------------------------------- start-up order
def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def _saved_project(tmp_path: Path) -> Path:
    project = Project(name="crashed")
    project.graph.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    project.graph.add_node(Node("dense_1", "Dense", {"units": 8}, (0, 100)))
    project.graph.connect(Edge.of("input_1", "dense_1"))
    path = tmp_path / "crashed.vnn"
    save_project(project, path)
    edited: dict[str, Any] = project.to_dict()
    edited["graph"]["nodes"][1]["params"]["units"] = 99
    write_recovery(recovery_path_for(path), edited, str(path), pid=_dead_pid())
    return path


class Prompter:
    """Answers the recovery question, noting which other dialogs were open when it was asked."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[PendingRecovery] = []
        self.open_dialogs: list[str] = []

    def __call__(self, pending: PendingRecovery, parent: QWidget | None) -> str:
        self.asked.append(pending)
        self.open_dialogs = [
            type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible() and w is not parent
        ]
        return self.answer


@pytest.fixture
def start(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Session]]:
    """Start sessions the way run_app does (fake engine, answering prompter); close them afterwards."""
    monkeypatch.setenv("VISUALNN_EXAMPLES_DIR", str(tmp_path / "examples"))  # the first launch copies one here
    monkeypatch.setenv("VISUALNN_DATA_DIR", str(tmp_path / "data"))  # this test's recovery files only
    sessions: list[Session] = []
    yield sessions
    for session in sessions:
        session.window.document.set_project(Project())
        session.window.close()
        session.close()
        if session.greeting is not None:
            session.greeting.close()


def _start(sessions: list[Session], argv: list[str], settings: QSettings, prompter: Prompter) -> Session:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = start_session(app, argv, FakeEngine(), settings=settings, prompter=prompter)
    sessions.append(session)
    return session


@pytest.mark.parametrize("answer", ["restore", "discard", "later"])
def test_recovery_is_asked_first_and_alone(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, start: list[Session], answer: str
) -> None:
    path = _saved_project(tmp_path)
    prompter = Prompter(answer)
    # Started with no file: the app reopens the last project, which has a crashed session's changes.
    settings.setValue("launched_before", True)
    settings.setValue("recent_files", [str(path)])
    session = _start(start, [], settings, prompter)
    qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=WAIT_MS)
    assert len(prompter.asked) == 1 and prompter.open_dialogs == []  # nothing over or under the question
    units = session.window.document.graph.node("dense_1").params["units"]
    if answer == "restore":
        assert units == 99 and session.greeting is None  # back at work: no welcome page on top
    else:
        assert units == 8
        assert isinstance(session.greeting, WelcomeDialog) and session.greeting.isVisible()
    assert recovery_path_for(path).exists() == (answer != "discard")


def test_without_a_crash_the_welcome_page_opens(
    qtbot: QtBot, settings: QSettings, start: list[Session]
) -> None:
    prompter = Prompter("restore")
    session = _start(start, [], settings, prompter)
    qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=WAIT_MS)
    assert session.recovery_choice == "none" and prompter.asked == []
    assert isinstance(session.greeting, WelcomeDialog)
    assert session.window.document.graph.nodes, "the first launch opens the example project"


def test_a_recovery_that_cannot_be_restored_is_an_error_dialog_not_a_log_line(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, start: list[Session]
) -> None:
    path = _saved_project(tmp_path)
    broken = Project(name="crashed").to_dict()
    broken["training"]["epochs"] = "ten"  # the loader refuses it
    write_recovery(recovery_path_for(path), broken, str(path), pid=_dead_pid())
    session = _start(start, [str(path)], settings, Prompter("restore"))
    qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=WAIT_MS)
    assert session.recovery_choice == "failed" and session.greeting is None
    from visualnn.ui.errors import ErrorDialog

    shown = session.window.findChild(ErrorDialog)
    assert isinstance(shown, ErrorDialog) and shown.windowTitle() == "Cannot restore the autosaved changes"
    assert "training.epochs" in shown.message.text() and str(recovery_path_for(path)) in shown.message.text()
    assert session.window.document.path == str(path) and not session.window.document.is_dirty
    shown.close()


def test_a_failed_restore_is_not_asked_again_at_the_next_launch(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, start: list[Session]
) -> None:
    path = _saved_project(tmp_path)
    broken = Project(name="crashed").to_dict()
    broken["training"]["epochs"] = "ten"
    write_recovery(recovery_path_for(path), broken, str(path), pid=_dead_pid())
    first = Prompter("restore")
    session = _start(start, [str(path)], settings, first)
    qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=WAIT_MS)
    from visualnn.ui.errors import ErrorDialog

    shown = session.window.findChild(ErrorDialog)
    assert isinstance(shown, ErrorDialog)
    kept = f"{recovery_path_for(path)}.failed"
    assert f"moved to {kept}" in shown.message.text() and "rename it back" in shown.message.text()
    shown.close()
    session.window.close()
    # The next launch opens the project without the question (issue 12, item 1c: it came back every time).
    again = Prompter("restore")
    second = _start(start, [str(path)], settings, again)
    qtbot.waitUntil(lambda: second.recovery_choice is not None, timeout=WAIT_MS)
    assert second.recovery_choice == "none" and again.asked == [] and len(first.asked) == 1
    assert Path(kept).exists() and not recovery_path_for(path).exists()
