"""Fixtures for the window tests: a fake engine, isolated settings, the window built by the composition root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from tests.ui.engine_fakes import started_client
from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.ui.app import Shell, build_main_window
from visualnn.ui.document import ProjectDocument


@pytest.fixture
def fake_engine() -> FakeEngine:
    """An engine client that starts no process."""
    return FakeEngine()


@pytest.fixture
def client(qtbot: object) -> Iterator[Any]:
    """An EngineClient of the stand-in engine process (the real protocol, no TensorFlow), already ready."""
    c = started_client(qtbot)
    yield c
    c.stop()


@pytest.fixture
def discard_unsaved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer "Discard" to the unsaved-changes question (a module opting in: ``pytest.mark.usefixtures``)."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a temporary ini file (no recents or layout from the real user)."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def shell(qtbot: object, fake_engine: FakeEngine, settings: QSettings) -> Iterator[Shell]:
    """The main window as the app builds it (export and help menus attached), shown."""
    built = build_main_window(ProjectDocument(), fake_engine, settings)
    built.window.show()
    yield built
    # Discard edits first, so teardown never blocks on the unsaved-changes prompt.
    built.window.document.set_project(Project())
    built.window.close()
    built.window.deleteLater()
