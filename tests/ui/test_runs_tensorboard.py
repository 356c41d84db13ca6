"""The Runs panel opens a run's TensorBoard logs: a separate TensorBoard process, its address, the browser."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMenu

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.ui import theme
from visualnn.ui.app import Shell
from visualnn.ui.training.tensorboard import ProcessRunner, TensorBoardLauncher

BUSY = "ERROR: TensorBoard could not bind to port {port}, it was already in use\n"


class StandInRunner(ProcessRunner):
    """Acts out TensorBoard: prints what ``script`` says (``{port}`` filled in), then keeps running or ends."""

    def __init__(self, script: list[str | int], log: list[StandInRunner]) -> None:
        super().__init__()
        self.script = script
        self.args: list[str] = []
        self.program = ""
        self.alive = False
        self.stopped = False
        log.append(self)

    def start(self, program: str, args: list[str]) -> None:
        self.program, self.args, self.alive = program, list(args), True
        QTimer.singleShot(0, self._play)

    def _play(self) -> None:
        port = self.args[self.args.index("--port") + 1]
        for step in self.script:
            if isinstance(step, int):
                self.alive = False
                self.ended.emit(step)
                return
            self.output.emit(step.format(port=port))

    def running(self) -> bool:
        return self.alive

    def stop(self) -> None:
        self.alive, self.stopped = False, True


def _runs_panel(shell: Shell, qtbot: Any, tmp_path: Path, scripts: list[list[str | int]],
                logs: bool = True) -> tuple[Any, list[StandInRunner], list[str]]:
    """The window's Runs tab with one run of an unsaved project whose folder holds ``logs/``."""
    window = shell.window
    folder = tmp_path / "runs" / "run-1"
    (folder / "logs" if logs else folder).mkdir(parents=True)
    project = Project(graph=mlp_graph())
    project.add_run(RunRecord("run-1", "2026-01-01T12:00:00", history={"loss": [0.5]}, epochs_done=1,
                              model_path=str(folder / "model.keras")))
    window.document.set_project(project)
    window.docks["runs"].raise_()
    panel = window.runs_panel
    qtbot.waitUntil(panel.isVisible)
    runners: list[StandInRunner] = []
    pending = list(scripts)
    panel.tensorboard.runner_factory = lambda: StandInRunner(pending.pop(0), runners)
    opened: list[str] = []
    panel.tensorboard.open_url = lambda url: opened.append(url.toString()) or True
    return panel, runners, opened


def _click_open(qtbot: Any, panel: Any) -> None:
    from PySide6.QtCore import Qt

    rect = panel.table.visualItemRect(panel.table.item(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.tensorboard_btn.isEnabled()
    qtbot.mouseClick(panel.tensorboard_btn, Qt.MouseButton.LeftButton)


def test_open_in_tensorboard_serves_the_run_logs_shows_the_address_and_stops_with_the_window(
        shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    ready = "TensorBoard 2.21.0 at http://127.0.0.1:{port}/ (Press CTRL+C to quit)\n"
    panel, runners, opened = _runs_panel(shell, qtbot, tmp_path, [["NOTE: https://github.com/x\n", ready]])
    assert not panel.tensorboard_btn.isEnabled()  # no run selected
    _click_open(qtbot, panel)
    [runner] = runners
    logs = str(tmp_path / "runs" / "run-1" / "logs")
    port = runner.args[runner.args.index("--port") + 1]
    assert runner.program == sys.executable  # the app's own Python, never TensorFlow in the window
    assert runner.args == ["-m", "tensorboard.main", "--logdir", logs, "--port", port, "--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}/"
    qtbot.waitUntil(lambda: opened == [url])
    assert url in panel.tensorboard_label.text()
    _click_open(qtbot, panel)  # again: the same TensorBoard, the browser once more
    assert len(runners) == 1 and opened == [url, url]
    shell.window.document.set_project(Project())  # nothing to ask about on close
    shell.window.close()
    assert runner.stopped


def test_tensorboard_errors_reach_the_user_with_the_fix(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    missing = [f"{sys.executable}: No module named tensorboard\n", 1]
    busy = [BUSY, 255]
    panel, runners, opened = _runs_panel(shell, qtbot, tmp_path, [missing, busy, busy])
    _click_open(qtbot, panel)
    qtbot.waitUntil(lambda: "pip install tensorboard" in panel.tensorboard_label.text())
    assert "TensorBoard is not installed" in panel.tensorboard_label.text()
    assert QColor(theme.ERROR).name() in panel.tensorboard_label.styleSheet().lower()
    # A taken port is tried once more on another port, then said.
    _click_open(qtbot, panel)
    qtbot.waitUntil(lambda: "another program is using it" in panel.tensorboard_label.text())
    assert len(runners) == 3 and runners[1].args[5] != runners[2].args[5]
    assert "Press Open in TensorBoard again" in panel.tensorboard_label.text() and opened == []


def test_a_run_without_logs_says_how_to_get_them_from_the_context_menu(shell: Shell, qtbot: Any,
                                                                       tmp_path: Path) -> None:
    panel, runners, _opened = _runs_panel(shell, qtbot, tmp_path, [], logs=False)
    rect = panel.table.visualItemRect(panel.table.item(0, 0))
    panel.table.customContextMenuRequested.emit(rect.center())  # a right click on the row
    menu = panel.findChild(QMenu, "runs_context_menu")
    assert menu is not None and menu.isVisible()
    [action] = menu.actions()
    assert action.text() == "Open in TensorBoard" and action.isEnabled()
    action.trigger()
    menu.close()
    text = panel.tensorboard_label.text()
    assert "Run run-1 has no TensorBoard logs" in text and "'TensorBoard logs in the run folder'" in text
    assert runners == []


def test_the_real_tensorboard_answers_on_localhost(qtbot: Any, tmp_path: Path) -> None:
    """No stand-in: ``python -m tensorboard.main`` starts on a free port and serves HTTP; stopping ends it."""
    (tmp_path / "logs").mkdir()
    opened: list[QUrl] = []
    launcher = TensorBoardLauncher(open_url=lambda url: opened.append(url) or True, ready_timeout_ms=90_000)
    failures: list[str] = []
    launcher.failed.connect(failures.append)
    with qtbot.waitSignal(launcher.opened, timeout=90_000) as blocker:
        launcher.open("run-1", str(tmp_path / "logs"))
    run_id, url = blocker.args
    assert run_id == "run-1" and url.startswith("http://127.0.0.1:") and failures == []
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200 and b"TensorBoard" in response.read()
    assert launcher.url("run-1") == url and [u.toString() for u in opened] == [url]
    launcher.stop_all()
    assert launcher.url("run-1") == ""
    QApplication.processEvents()
    try:  # the process is gone: nothing answers on its port any more
        urllib.request.urlopen(url, timeout=5)
    except OSError:
        pass
    else:
        raise AssertionError(f"TensorBoard still answers at {url} after stop_all()")
