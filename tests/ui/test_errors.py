"""No silent failure: uncaught exceptions (GUI and worker threads) and Qt criticals open an error
dialog that names what failed, with Copy details, and the full traceback goes to the log."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, qCritical, qWarning
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from visualnn import logs
from visualnn.ui.errors import UNEXPECTED, ErrorDialog, ErrorReporter


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "logs"))
    path = logs.setup_logging("visualnn")
    assert path is not None
    yield path
    logs.teardown_logging()


@pytest.fixture
def reporter(qtbot: QtBot) -> Iterator[ErrorReporter]:
    installed = ErrorReporter()
    installed.install()
    yield installed
    installed.uninstall()
    for dialog in list(installed.dialogs):
        dialog.close()


def _log_text() -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return logs.log_path().read_text(encoding="utf-8")


def set_units(value: int) -> None:
    """Stands in for any slot of the app that raises."""
    raise ValueError(f"Dense units must be positive; received {value}.")


@pytest.mark.qt_no_exception_capture  # the exception is the point; the reporter must catch it, not pytest-qt
def test_an_exception_in_a_slot_opens_an_error_dialog_with_copy_details(
    qtbot: QtBot, reporter: ErrorReporter, log_file: Path
) -> None:
    QTimer.singleShot(0, lambda: set_units(-3))
    qtbot.waitUntil(lambda: len(reporter.dialogs) == 1, timeout=3000)
    dialog = reporter.dialogs[0]
    assert isinstance(dialog, ErrorDialog) and dialog.isVisible() and dialog.windowTitle() == UNEXPECTED
    text = dialog.message.text()
    assert "ValueError in set_units (test_errors.py, line" in text  # names what failed, and where
    assert "Dense units must be positive; received -3." in text
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "Dense units must be positive; received -3." in copied
    assert "Traceback (most recent call last)" in copied and "in set_units" in copied
    assert "CRITICAL" in _log_text() and "Traceback" in _log_text() and "received -3" in _log_text()


@pytest.mark.qt_no_exception_capture
def test_a_worker_thread_exception_reaches_the_gui_thread(
    qtbot: QtBot, reporter: ErrorReporter, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter.uninstall()
    # Below ours, a hook that keeps quiet: pytest's own would turn the deliberate failure into a test error.
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    reporter.install()

    def work() -> None:
        raise OSError("cannot read iris.csv: permission denied")

    worker = threading.Thread(target=work, name="loader")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(reporter.dialogs) == 1, timeout=3000)
    dialog = reporter.dialogs[0]
    assert dialog.thread() is QGuiApplication.instance().thread()  # type: ignore[union-attr]
    assert "OSError in work" in dialog.message.text() and "permission denied" in dialog.message.text()
    assert "Uncaught exception in thread loader" in _log_text()


def test_qt_critical_messages_open_a_dialog_and_warnings_go_to_the_log(
    qtbot: QtBot, reporter: ErrorReporter, log_file: Path
) -> None:
    qWarning("QPainter::begin: Paint device returned engine == 0")
    qCritical("QOpenGLContext: failed to create a context")
    qtbot.waitUntil(lambda: len(reporter.dialogs) == 1, timeout=3000)
    assert reporter.dialogs[0].windowTitle() == "Qt error"
    assert "failed to create a context" in reporter.dialogs[0].message.text()
    text = _log_text()
    assert "Paint device returned engine == 0" in text and "failed to create a context" in text


@pytest.mark.qt_no_exception_capture
def test_a_repeating_failure_opens_one_dialog(qtbot: QtBot, reporter: ErrorReporter, log_file: Path) -> None:
    for _ in range(5):
        QTimer.singleShot(0, lambda: set_units(-1))
    qtbot.wait(100)
    assert len(reporter.dialogs) == 1
    assert _log_text().count("received -1.") >= 5  # every occurrence is still logged
    reporter.dialogs[0].close()
    QTimer.singleShot(0, lambda: set_units(-1))
    qtbot.waitUntil(lambda: len([d for d in reporter.dialogs if d.isVisible()]) == 1, timeout=3000)


def test_uninstall_puts_the_previous_hooks_back(qtbot: QtBot) -> None:
    before = sys.excepthook, threading.excepthook
    reporter = ErrorReporter()
    reporter.install()
    assert sys.excepthook is not before[0] and threading.excepthook is not before[1]
    reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
