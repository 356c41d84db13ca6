"""Every action in every menu of the main window, triggered once, with no uncaught exception.

The window is started by the composition root (fake engine, answering recovery prompter), so the
app's own error reporter is installed: an exception in any slot both fails the test (pytest-qt
records it) and opens an error dialog, which the walk also counts. Modal dialogs are closed as
they open; file dialogs answer with a path in a temporary folder; nothing opens a browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.fake_engine import FakeEngine
from visualnn.core.commands import SetParam
from visualnn.core.project import Project
from visualnn.core.recovery import PendingRecovery
from visualnn.ui import errors
from visualnn.ui.app import Session, start_session


@dataclass
class Walk:
    """What triggering the menus did."""

    triggered: list[str] = field(default_factory=list)  # "Menu > Action"
    disabled: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # "Menu > Action: DialogClass" for each window it opened
    modal: list[str] = field(default_factory=list)  # modal dialogs closed by the closer
    urls: list[str] = field(default_factory=list)
    out: Path = Path()  # where the patched save dialog puts files


def _label(action: QAction) -> str:
    return action.text().replace("&", "")


class ModalCloser:
    """Rejects any modal dialog that opens (a nested event loop would block the test)."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()

    def _on_tick(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            self.walk.modal.append(type(modal).__name__)
            modal.close()


@pytest.fixture
def walk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Walk]:
    """Stand-ins for the desktop: file dialogs, questions and the browser."""
    out = tmp_path / "out"
    out.mkdir()
    record = Walk(out=out)

    def save_name(parent: Any = None, caption: str = "", start: str = "", *args: Any, **kwargs: Any) -> tuple[str, str]:
        return str(out / os.path.basename(start or "file")), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))  # the user cancels
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, label, items, *a, **k: (items[0], True))
    def open_url(url: object) -> bool:
        record.urls.append(str(url))
        return True

    monkeypatch.setattr(errors, "open_url", open_url)
    closer = ModalCloser(record)
    yield record
    closer.timer.stop()


@pytest.fixture
def session(qtbot: QtBot, tmp_path: Path, walk: Walk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """The app as run_app starts it, with a fake engine and no welcome page."""
    # File > Save writes the opened example and autosave writes recovery files: keep both to this test.
    monkeypatch.setenv("VISUALNN_EXAMPLES_DIR", str(tmp_path / "examples"))
    monkeypatch.setenv("VISUALNN_DATA_DIR", str(tmp_path / "data"))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def later(pending: PendingRecovery, parent: QWidget | None) -> str:
        return "later"

    started = start_session(app, [], FakeEngine(), settings=settings, prompter=later, welcome=False)
    qtbot.waitUntil(lambda: started.recovery_choice is not None, timeout=3000)
    yield started
    started.window.document.set_project(Project())
    started.window.close()
    started.close()


def _top_level_windows(main: QWidget) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not main]


def give_actions_something_to_do(session: Session) -> None:
    """A model with a selected layer and an edit to undo, so edit actions are enabled and act."""
    window = session.window
    document = window.document
    if not document.graph.nodes:
        window.new_from_template("mlp_classifier")
    if not window.scene.selected_ids():
        window.scene.select_ids([next(iter(document.graph.nodes))])
    stack = document.undo_stack
    if not stack.canUndo() and not stack.canRedo():
        dense = next(n for n in document.graph if n.type == "Dense")
        document.push(SetParam(dense.id, "units", int(dense.params["units"]) + 1))


def walk_menus(session: Session, record: Walk, qtbot: QtBot, skip: tuple[str, ...] = ("action_quit",)) -> None:
    """Trigger each action of each menu (submenus included) once, closing whatever windows it opens."""
    window = session.window

    def visit(menu: QMenu, path: str) -> None:
        for action in list(menu.actions()):
            if not shiboken6.isValid(action) or action.isSeparator():
                continue
            name = f"{path} > {_label(action)}"
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                visit(submenu, name)
                continue
            if action.objectName() in skip:
                continue
            give_actions_something_to_do(session)
            if not action.isEnabled():
                record.disabled.append(name)
                continue
            action.trigger()
            qtbot.wait(15)
            record.triggered.append(name)
            for other in _top_level_windows(window):
                record.dialogs.append(f"{name}: {type(other).__name__}")
                other.close()
            qtbot.wait(5)

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            visit(menu, _label(top))


def test_every_menu_action_runs_without_an_uncaught_exception(session: Session, walk: Walk, qtbot: QtBot) -> None:
    window = session.window
    engine = window.engine
    assert isinstance(engine, FakeEngine)
    walk_menus(session, walk, qtbot)

    assert session.errors.reported == []
    assert not [d for d in walk.dialogs if d.endswith("ErrorDialog")] and "ErrorDialog" not in walk.modal
    expected = {
        "File > New", "File > Open…", "File > Import Keras Model…", "File > Save", "File > Save As…",
        "File > Export > Keras Model (.keras)…", "File > Export > TensorFlow SavedModel…",
        "File > Export > TensorFlow Lite (.tflite)…", "File > Export > ONNX (.onnx)…",
        "File > Export > Python Training Script (.py)…",
        "Edit > Cut", "Edit > Copy", "Edit > Duplicate", "Edit > Delete", "Edit > Paste", "Edit > Select All", "Edit > Find Layer…",
        "View > Zoom In", "View > Fit to View", "View > Reset Panel Layout",
        "Model > Auto-Layout", "Help > Layer reference…", "Help > Guided tour", "Help > About VisualNN",
        "Help > Show log", "Help > Keras documentation",
    }
    missing = expected - set(walk.triggered)
    assert not missing, f"not triggered: {sorted(missing)}; disabled: {walk.disabled}"
    for prefix in ("File > New from Template > ", "View > Panels > ", "Edit > Undo", "Edit > Redo"):
        assert any(t.startswith(prefix) for t in walk.triggered), prefix
    # The non-modal windows the Help menu opens, and the export jobs sent to the engine.
    for name, kind in (("Help > About VisualNN", "AboutDialog"), ("Help > Guided tour", "TourDialog"),
                       ("Help > Layer reference…", "ReferenceDialog"),
                       ("Help > Sequential, functional or subclassing: which and why", "ModelStylesDialog")):
        assert f"{name}: {kind}" in walk.dialogs
    # Model exports go to the engine; the script is written on the thread pool (it needs no TensorFlow).
    assert engine.job_types().count("export_model") == 4 and "export_code" not in engine.job_types()
    assert "import_model" not in engine.job_types()  # its file dialog was cancelled: nothing imported
    out = walk.out
    qtbot.waitUntil(lambda: any(p.suffix == ".py" for p in out.iterdir()), timeout=30_000)
    assert (out / "requirements.txt").exists()
    assert "https://keras.io/api/" in walk.urls
    # Quit last: the window closes (the unsaved-changes question is answered Discard) and stops the engine.
    stops = engine.stops
    window.actions_["quit"].trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
    assert engine.stops == stops + 1
    assert session.errors.reported == []
    assert walk.disabled == [], "every action had something to act on"


@pytest.mark.qt_no_exception_capture  # here the failure is deliberate: the walk itself must see it
def test_the_walk_catches_an_action_that_raises(session: Session, walk: Walk, qtbot: QtBot) -> None:
    def broken() -> None:
        raise AttributeError("'str' object has no attribute 'get'")

    action = QAction("Broken", session.window)
    action.triggered.connect(lambda _checked=False: broken())
    session.window.help_menu.addAction(action)
    walk_menus(session, walk, qtbot)
    qtbot.waitUntil(lambda: len(session.errors.reported) == 1, timeout=3000)
    title, message = session.errors.reported[0]
    assert title == "Unexpected error" and "AttributeError in broken" in message
    assert "Help > Broken: ErrorDialog" in walk.dialogs or "ErrorDialog" in walk.modal  # window-modal: the closer got it
