"""The suite cannot report green on a broken run: inner pytest runs with the project's conftest exit non-zero.

Each case runs pytest in a subprocess on a tiny throw-away test directory whose ``conftest.py`` is a
copy of ``tests/conftest.py``, so an exit hook there (the old ``os._exit(status)``) is exercised as
it is in the real suite. The inner tests use Qt, as the real suite does, and never import TensorFlow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parent / "conftest.py"

# A Qt test that leaves Python-owned data on the clipboard: the offscreen clipboard used to free it
# after the interpreter had gone (segfault, exit 139), so a clean exit here is part of the fence.
QT_TEST = """
import sys

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication


def test_qt_then_{outcome}():
    app = QGuiApplication.instance() or QGuiApplication([])
    mime = QMimeData()
    mime.setText("layers")
    app.clipboard().setMimeData(mime)
    assert "tensorflow" not in sys.modules
    assert {outcome!r} == "passes"
"""

BROKEN_PLUGINS = {
    "sessionstart": "def pytest_sessionstart(session):\n    raise RuntimeError('broken plugin: sessionstart')\n",
    "configure": "def pytest_configure(config):\n    raise RuntimeError('broken plugin: configure')\n",
    "logreport": "def pytest_runtest_logreport(report):\n    raise RuntimeError('broken plugin: logreport')\n",
    "terminal_summary": (
        "def pytest_terminal_summary(terminalreporter, exitstatus, config):\n"
        "    raise RuntimeError('broken plugin: terminal_summary')\n"
    ),
}


# case -> (outcome of the inner test, broken plugin loaded with -p or None)
CASES: dict[str, tuple[str, str | None]] = {
    "passes": ("passes", None),
    "fails": ("fails", None),
    **{plugin: ("passes", plugin) for plugin in BROKEN_PLUGINS},
}


@dataclass(frozen=True)
class InnerRun:
    """What one inner pytest run left: its exit status and output."""

    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        """The status and the output's tail, for an assertion message."""
        return f"exit status {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def _start(folder: Path, outcome: str, plugin: str | None) -> subprocess.Popen[str]:
    """Start pytest on one Qt test with the project's conftest and an optional broken plugin."""
    folder.mkdir()
    shutil.copyfile(CONFTEST, folder / "conftest.py")
    (folder / "pytest.ini").write_text("[pytest]\n")  # pins rootdir here: no outer config leaks in
    (folder / "test_inner.py").write_text(QT_TEST.format(outcome=outcome))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"]
    if plugin is not None:
        (folder / "broken_plugin.py").write_text(BROKEN_PLUGINS[plugin])
        args[3:3] = ["-p", "broken_plugin"]
    env = dict(os.environ, PYTHONPATH=str(folder), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def inner_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, InnerRun]:
    """All inner runs, started together (each is about a second of pytest start-up)."""
    root = tmp_path_factory.mktemp("fence")
    procs = {name: _start(root / name, outcome, plugin) for name, (outcome, plugin) in CASES.items()}
    runs = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        runs[name] = InnerRun(proc.returncode, stdout, stderr)
    return runs


def test_a_passing_inner_run_exits_zero(inner_runs: dict[str, InnerRun]) -> None:
    """The control: the harness is sound, so the non-zero statuses below come from the faults."""
    run = inner_runs["passes"]
    assert run.returncode == 0, run.explain()
    assert "1 passed" in run.stdout, run.explain()


def test_a_failing_test_exits_non_zero(inner_runs: dict[str, InnerRun]) -> None:
    run = inner_runs["fails"]
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.explain()
    assert "1 failed" in run.stdout, run.explain()


@pytest.mark.parametrize("plugin", sorted(BROKEN_PLUGINS))
def test_a_broken_hook_exits_non_zero(inner_runs: dict[str, InnerRun], plugin: str) -> None:
    """An INTERNALERROR (configure, sessionstart, a report hook) or a crash in the summary is never green."""
    run = inner_runs[plugin]
    assert run.returncode != 0, run.explain()
    assert f"broken plugin: {plugin}" in run.stdout + run.stderr, run.explain()
