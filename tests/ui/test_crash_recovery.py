"""Crash recovery with a real app process: edit, autosave, ``kill -9``, relaunch, restore or discard.

Each launch is ``python -m tests.ui.crash_driver`` offscreen: the app as the composition root builds
it (autosave, recovery, logging), with a fake engine and a recovery prompter that answers as told,
so no modal dialog blocks. The driver makes the edits and reports what the app sees as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.recovery import read_recovery, recovery_path_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")]

ROOT = Path(__file__).resolve().parents[2]


def _project() -> Project:
    p = Project(name="crash")
    p.graph.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    p.graph.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 100)))
    p.graph.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 200)))
    p.graph.connect(Edge.of("input_1", "dense_1"))
    p.graph.connect(Edge.of("dense_1", "dense_2"))
    return p


class App:
    """One launch of the real app, in its own session so the engine child dies with it."""

    def __init__(self, tmp: Path, project: Path, mode: str, answer: str = "later", *flags: str) -> None:
        self.out = tmp / "out"
        self.out.mkdir(exist_ok=True)
        for name in ("autosaved.json", "report.json"):
            (self.out / name).unlink(missing_ok=True)
        full_env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
            "XDG_CONFIG_HOME": str(tmp / "config"),  # QSettings: no recents/layout from the real user
            "VISUALNN_LOG_DIR": str(tmp / "logs"),
            "VISUALNN_DATA_DIR": str(tmp / "data"),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.crash_driver", mode, answer, str(project), str(self.out), *flags],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "stderr.txt").open("w"),
            start_new_session=True,
        )
        self.tmp = tmp

    def wait_for(self, name: str, timeout: float = 90.0) -> dict[str, object]:
        """The JSON the driver wrote, once it exists."""
        path = self.out / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    return dict(json.loads(path.read_text()))
                except ValueError:
                    pass  # being written
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        stderr = (self.tmp / "stderr.txt").read_text()[-3000:]
        raise AssertionError(f"the app never wrote {name} (exit {self.proc.poll()}); stderr:\n{stderr}")

    def kill9(self) -> None:
        """``kill -9`` the app, then clear anything it started (the engine)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_kill_restart_restore_then_decline(tmp_path: Path) -> None:
    project_path = tmp_path / "crash.vnn"
    save_project(_project(), project_path)
    original = project_path.read_bytes()
    recovery = recovery_path_for(project_path)

    # 1. Edit, wait for the autosave, kill -9.
    first = App(tmp_path, project_path, "edit")
    try:
        saved = first.wait_for("autosaved.json")
    finally:
        first.kill9()
    assert saved["path"] == str(recovery)
    assert project_path.read_bytes() == original, "autosave must never write the user's file"
    rec = read_recovery(recovery)
    assert rec.pid == saved["pid"] and rec.original_path == str(project_path)
    nodes = {n["id"]: n for n in rec.project["graph"]["nodes"]}
    assert nodes["dense_1"]["params"]["units"] == 123 and "dropout_9" in nodes

    # 2. Relaunch: the recovery is found and offered with what changed; restore, then crash again.
    second = App(tmp_path, project_path, "report", "restore")
    try:
        report = second.wait_for("report.json")
    finally:
        second.kill9()
    assert report["choice"] == "restore"
    assert "1 layer added: dropout_9 (Dropout)" in report["offered"]
    assert "1 layer changed: dense_1: units" in report["offered"]
    assert report["units"] == 123 and "dropout_9" in report["nodes"]  # type: ignore[operator]
    assert report["dirty"] is True and report["path"] == str(project_path)
    assert project_path.read_bytes() == original, "restoring must not write the user's file"
    assert recovery.exists(), "a restored but unsaved project keeps its recovery across another crash"

    # 3. Relaunch and decline: the recovery file is deleted, the project is the saved one, clean exit.
    third = App(tmp_path, project_path, "report", "discard", "--quit")
    report = third.wait_for("report.json")
    assert third.proc.wait(timeout=60) == 0
    assert report["choice"] == "discard"
    assert report["units"] == 8 and "dropout_9" not in report["nodes"]  # type: ignore[operator]
    assert report["dirty"] is False
    assert not recovery.exists()
    assert project_path.read_bytes() == original
    assert not list(project_path.parent.glob("*.tmp")) and not list(project_path.parent.glob(".*.tmp"))
    # The app logs what it found and what the user chose (Help > Show log).
    log_text = (tmp_path / "logs" / "visualnn.log").read_text()
    assert "found recovery" in log_text and "restored" in log_text and "discarded recovery" in log_text
