"""Start-up paints first: the window's first paint needs only Qt, the canvas and the panels on screen.

The workflow panels behind the other bottom tabs (their modules import pyqtgraph and numpy), the data
source's inspection (pyarrow, pandas), the recovery question, the welcome page and the engine launch
come after the first paint; every panel is still there and reachable, as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QApplication, QTabBar, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.fake_engine import FakeEngine
from tests.ui.startup_probe import HEAVY
from visualnn.core.project import Project
from visualnn.core.recovery import PendingRecovery
from visualnn.ui.app import Session, build_main_window, start_session
from visualnn.ui.document import ProjectDocument
from visualnn.ui.main_window import BOTTOM_TABS, WORKFLOW_DOCKS, MainWindow

ROOT = Path(__file__).resolve().parents[2]


def _fresh_env(tmp_path: Path) -> dict[str, str]:
    """A first launch: empty settings, data and examples folders (the bundled example is copied and opened)."""
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path),
                VISUALNN_DATA_DIR=str(tmp_path / "data"), VISUALNN_EXAMPLES_DIR=str(tmp_path / "examples"),
                PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def test_importing_the_app_loads_no_heavy_module(tmp_path: Path) -> None:
    code = f"import sys, visualnn.ui.app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_fresh_env(tmp_path),
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"importing visualnn.ui.app loads {out.stdout.strip()}"


def test_the_real_start_up_paints_before_any_heavy_module_loads(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "tests.ui.startup_probe"], capture_output=True, text=True,
                         env=_fresh_env(tmp_path), cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    assert report["heavy"] == [], f"loaded before the first paint: {report['heavy']}"
    assert report["nodes"] > 0  # the bundled example is on the canvas in that first paint
    assert report["docks"] == sorted(["palette", "inspector", *BOTTOM_TABS, "insight"])
    assert report["engine"] == "TensorFlow: not started"  # launched once the window is on screen


@pytest.fixture
def sessions(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Session]]:
    """Sessions started as run_app starts them (fake engine) on a first launch; closed afterwards."""
    monkeypatch.setenv("VISUALNN_EXAMPLES_DIR", str(tmp_path / "examples"))
    monkeypatch.setenv("VISUALNN_DATA_DIR", str(tmp_path / "data"))
    started: list[Session] = []
    yield started
    for session in started:
        session.window.document.set_project(Project())
        session.window.close()
        session.close()
        if session.greeting is not None:
            session.greeting.close()


def _start(sessions: list[Session], tmp_path: Path, welcome: bool = False) -> Session:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def later(pending: PendingRecovery, parent: QWidget | None) -> str:
        return "later"

    session = start_session(app, [], FakeEngine(), settings=settings, prompter=later, welcome=welcome)
    sessions.append(session)
    return session


def _panel_classes() -> dict[str, type[QWidget]]:
    from visualnn.ui.code_panel import CodePanel
    from visualnn.ui.training import EvaluationPanel, PredictPanel, RunsPanel, TrainingPanel

    return {"training": TrainingPanel, "evaluation": EvaluationPanel, "predict": PredictPanel, "runs": RunsPanel,
            "code": CodePanel}


def _built(window: MainWindow) -> dict[str, bool]:
    """Which workflow docks hold their real panel (looked at through the docks, which builds nothing)."""
    return {key: isinstance(window.docks[key].widget(), cls) for key, cls in _panel_classes().items()}


def _bottom_tab_bar(window: MainWindow) -> QTabBar:
    return next(bar for bar in window.findChildren(QTabBar)
                if bar.isVisible() and "Training" in [bar.tabText(i) for i in range(bar.count())])


def test_the_workflow_panels_follow_the_first_paint_and_every_panel_is_reachable(
    qtbot: QtBot, tmp_path: Path, sessions: list[Session]
) -> None:
    session = _start(sessions, tmp_path)
    window = session.window
    assert not window.painted and not any(_built(window).values())  # nothing of them before the first paint
    qtbot.waitUntil(lambda: window.painted, timeout=5000)
    qtbot.waitUntil(lambda: all(_built(window).values()), timeout=10000)  # built by themselves, nothing asked
    # View > Panels lists every dock, as before.
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    panels_menu = next(a.menu() for a in view_menu.actions() if a.text() == "&Panels")
    assert [a.text() for a in panels_menu.actions()] == [d.windowTitle() for d in window.docks.values()]
    # Each bottom tab, clicked, shows its panel.
    bar = _bottom_tab_bar(window)
    for key in BOTTOM_TABS:
        dock = window.docks[key]
        index = next(i for i in range(bar.count()) if bar.tabText(i) == dock.windowTitle())
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        qtbot.waitUntil(lambda d=dock: d.widget().isVisible(), timeout=3000)
        if key in WORKFLOW_DOCKS:
            assert isinstance(dock.widget(), _panel_classes()[key])
    # The attributes the rest of the app and the tests use are those same panels.
    assert window.training_panel is window.docks["training"].widget()
    assert window.code_panel is window.docks["code"].widget()
    assert window.training_guard.session is window.training_panel.controller


def test_a_workflow_tab_on_screen_at_start_is_built_before_the_first_paint(
    qtbot: QtBot, settings: QSettings
) -> None:
    window = build_main_window(ProjectDocument(), FakeEngine(), settings).window
    qtbot.addWidget(window)
    window.show_step("Evaluate")  # as a tour step, or a saved layout with the Evaluation tab in front
    assert not any(_built(window).values())  # not shown yet: nothing built

    seen: list[bool] = []

    class AtFirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
            if event.type() == QEvent.Type.Paint and not seen:
                seen.append(_built(window)["evaluation"] and window.docks["evaluation"].widget().isVisible())
            return False

    spy = AtFirstPaint()
    window.view.viewport().installEventFilter(spy)
    window.show()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    window.view.viewport().removeEventFilter(spy)
    assert seen == [True]  # the user never sees an empty Evaluation tab
    window.document.set_project(Project())


def test_the_welcome_page_and_the_data_wait_for_the_first_paint(
    qtbot: QtBot, tmp_path: Path, sessions: list[Session]
) -> None:
    session = _start(sessions, tmp_path, welcome=True)
    window = session.window
    painted_when_read: list[bool] = []
    window.data_panel.inspected.connect(lambda _info: painted_when_read.append(window.painted))
    assert session.greeting is None and window.document.data_pending  # the example's CSV is still to be read
    qtbot.waitUntil(lambda: session.greeting is not None and session.greeting.isVisible(), timeout=5000)
    assert window.painted  # the welcome page came after the window was on screen
    qtbot.waitUntil(lambda: not window.document.data_pending, timeout=20000)
    assert painted_when_read == [True]  # read once, after the first paint
    assert window.document.data_facts is not None and window.document.data_facts.source


def test_a_window_never_painted_still_gets_its_panels(qtbot: QtBot, settings: QSettings) -> None:
    """Shown but never exposed (minimised, another desktop): the work after the first paint runs all the same."""
    from visualnn.ui import main_window

    window = build_main_window(ProjectDocument(), FakeEngine(), settings).window
    qtbot.addWidget(window)
    window.view.viewport().removeEventFilter(window)  # as if no paint event ever came
    window.show()
    with qtbot.waitSignal(window.first_painted, timeout=main_window.FIRST_PAINT_BACKSTOP_MS + 3000):
        pass
    qtbot.waitUntil(lambda: all(_built(window).values()), timeout=10000)
    window.document.set_project(Project())


def test_an_engine_that_died_before_the_panels_were_built_is_offered_a_restart(
    qtbot: QtBot, settings: QSettings
) -> None:
    engine = FakeEngine()
    window = build_main_window(ProjectDocument(), engine, settings).window
    qtbot.addWidget(window)
    window.start_engine()
    engine.die("The training engine exited with code 1.")  # before anything built the workflow panels
    assert not any(_built(window).values())
    panel = window.training_panel  # built now, after the engine has died
    assert panel.restart_button.isVisibleTo(panel)
    assert panel.progress.format() == "Engine stopped"


def test_the_bottom_tabs_keep_their_height_when_the_workflow_panels_arrive(
    qtbot: QtBot, tmp_path: Path, sessions: list[Session]
) -> None:
    from visualnn.ui.main_window import WORKFLOW_MIN_HEIGHT

    session = _start(sessions, tmp_path)
    window = session.window
    window.resize(1400, 880)
    qtbot.waitUntil(lambda: window.painted, timeout=5000)
    at_first_paint = (window.docks["data"].height(), window.view.height())
    qtbot.waitUntil(lambda: all(_built(window).values()), timeout=10000)
    qtbot.wait(50)  # the layout settles
    assert (window.docks["data"].height(), window.view.height()) == at_first_paint  # the canvas does not jump
    tallest = max(window.docks[key].widget().minimumSizeHint().height() for key in WORKFLOW_DOCKS)
    assert tallest <= WORKFLOW_MIN_HEIGHT, f"raise WORKFLOW_MIN_HEIGHT to {tallest}"


def test_the_training_settings_column_is_as_wide_whichever_project_is_open_when_it_is_built(
    qtbot: QtBot, tmp_path: Path, sessions: list[Session]
) -> None:
    """Built after the first paint, the Training panel meets the opened example (its data: a short Validation
    line) instead of the empty project it used to be built with; its settings column keeps the same width."""
    from visualnn.ui.training import TrainingPanel

    empty = TrainingPanel(ProjectDocument(), FakeEngine())
    qtbot.addWidget(empty)
    window = _start(sessions, tmp_path).window  # the bundled example, with its CSV
    assert window.document.project.dataset is not None
    assert window.training_panel.settings_area.minimumWidth() == empty.settings_area.minimumWidth()
