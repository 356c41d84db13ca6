"""The rotating log file: where it lives, what it records, and that it rotates."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from visualnn import logs


@pytest.fixture
def log_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "logs"))
    yield tmp_path / "logs"
    logs.teardown_logging()


def test_log_path_follows_the_override(log_env: Path) -> None:
    assert logs.log_path() == log_env / "visualnn.log"
    assert logs.log_path("engine") == log_env / "engine.log"


def test_default_dir_is_the_platform_user_log_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(logs.LOG_DIR_ENV, raising=False)
    assert logs.log_dir() == Path(platformdirs.user_log_dir("VisualNN", appauthor=False))


def test_setup_writes_messages_and_is_idempotent(log_env: Path) -> None:
    first = logs.setup_logging("visualnn")
    second = logs.setup_logging("visualnn")
    assert first == second == log_env / "visualnn.log"
    logging.getLogger("visualnn.test").warning("Dense units must be positive; received -3.")
    for h in logging.getLogger().handlers:
        h.flush()
    text = first.read_text(encoding="utf-8")
    assert "Dense units must be positive; received -3." in text
    assert "WARNING" in text and "visualnn.test" in text
    # One handler only, although set-up ran twice: each message appears once.
    assert text.count("Dense units must be positive") == 1
    assert "received -3" in logs.tail("visualnn", 5)


def test_the_file_rotates(log_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    monkeypatch.setattr(logs, "BACKUP_COUNT", 2)
    path = logs.setup_logging("rotating")
    assert path is not None
    log = logging.getLogger("visualnn.rot")
    for i in range(200):
        log.info("line %04d %s", i, "x" * 40)
    files = sorted(p.name for p in log_env.iterdir())
    assert files == ["rotating.log", "rotating.log.1", "rotating.log.2"]
    assert path.stat().st_size <= 2_000
    assert "line 0199" in path.read_text(encoding="utf-8")


def test_unwritable_dir_falls_back_to_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(blocker / "logs"))
    try:
        assert logs.setup_logging("visualnn") is None
    finally:
        logs.teardown_logging()


def test_uncaught_exceptions_reach_the_log(tmp_path: Path) -> None:
    code = (
        "from visualnn import logs\n"
        "logs.setup_logging('visualnn'); logs.install_excepthook()\n"
        "raise RuntimeError('engine died while loading data.csv')\n"
    )
    env = {"VISUALNN_LOG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    text = (tmp_path / "visualnn.log").read_text(encoding="utf-8")
    assert "CRITICAL" in text and "RuntimeError: engine died while loading data.csv" in text
    assert "Traceback" in text


def test_the_excepthook_logs_then_hands_on_to_the_previous_hook_and_the_reporter(
    log_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs.setup_logging("visualnn")
    seen: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(f"previous {value}"))

    def report(kind: type[BaseException], value: BaseException, tb: object) -> None:
        seen.append(f"report {value}")
        raise RuntimeError("the dialog could not open")  # a failing reporter never escapes the hook

    uninstall = logs.install_excepthook(report)
    try:
        try:
            raise KeyError("species")
        except KeyError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        uninstall()
    assert seen == ["previous 'species'", "report 'species'"]
    for h in logging.getLogger().handlers:
        h.flush()
    text = logs.log_path().read_text(encoding="utf-8")
    assert "KeyError: 'species'" in text and "Traceback" in text
    assert "could not report the uncaught KeyError" in text and "the dialog could not open" in text


def test_uninstall_restores_the_previous_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    def mine(kind: type[BaseException], value: BaseException, tb: object) -> None:
        return None

    monkeypatch.setattr(sys, "excepthook", mine)
    before = threading.excepthook
    uninstall = logs.install_excepthook()
    assert sys.excepthook is not mine and threading.excepthook is not before
    uninstall()
    assert sys.excepthook is mine and threading.excepthook is before
