"""Open a run's TensorBoard logs: ``python -m tensorboard.main`` as a child process, then the browser.

TensorBoard imports TensorFlow, so it never runs in the window's process: :class:`TensorBoardLauncher`
starts it with the window's own Python on a free local port, reads the address it prints, and opens
that in the browser. The processes are stopped when the window closes. What starts a process is a
:class:`ProcessRunner` (a ``QProcess`` here); tests hand in a stand-in.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)

READY_TIMEOUT_MS = 60_000  # TensorBoard imports TensorFlow before it answers: seconds, not milliseconds
_URL = re.compile(r"TensorBoard \S+ at (https?://\S+)")
_PORT_BUSY = ("could not bind to port", "already in use", "Address already in use")
_MISSING = ("No module named tensorboard", "No module named 'tensorboard'")
INSTALL_FIX = f"Install it into the app's environment with: {sys.executable} -m pip install tensorboard"


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tensorboard_installed() -> bool:
    """Whether this Python can run ``tensorboard`` (looked up, not imported: it would pull in TensorFlow)."""
    return importlib.util.find_spec("tensorboard") is not None


class ProcessRunner(QObject):
    """One child process: ``output`` for each piece of its merged stdout/stderr, ``ended`` with its exit code."""

    output = Signal(str)
    ended = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc = QProcess(self)
        self._proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("TF_CPP_MIN_LOG_LEVEL", env.value("TF_CPP_MIN_LOG_LEVEL", "2"))
        self._proc.setProcessEnvironment(env)
        self._proc.readyReadStandardOutput.connect(self._on_proc_ready_read)
        self._proc.finished.connect(self._on_proc_finished)
        self._proc.errorOccurred.connect(self._on_proc_error)

    def start(self, program: str, args: list[str]) -> None:
        """Start ``program args`` (returns at once)."""
        self._proc.start(program, args)

    def running(self) -> bool:
        """True while the process runs."""
        return self._proc.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Terminate the process, killing it when it does not end within 3 s."""
        if not self.running():
            return
        self._proc.terminate()
        if not self._proc.waitForFinished(3000):
            self._proc.kill()
            self._proc.waitForFinished(2000)

    def _on_proc_ready_read(self) -> None:
        self.output.emit(bytes(self._proc.readAllStandardOutput().data()).decode("utf-8", "replace"))

    def _on_proc_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self.ended.emit(int(code))

    def _on_proc_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.output.emit(f"could not start {self._proc.program()}: {self._proc.errorString()}")
            self.ended.emit(-1)


@dataclass
class _Board:
    """One TensorBoard process serving one run's logs."""

    run_id: str
    logdir: str
    port: int
    runner: ProcessRunner
    text: str = ""
    url: str = ""
    retries: int = 1  # a port taken between choosing it and binding it: one more try on another port


class TensorBoardLauncher(QObject):
    """Starts TensorBoard on a run's logs (one process per run) and opens it in the browser."""

    opened = Signal(str, str)  # run id, URL (shown to the user and opened in the browser)
    failed = Signal(str)  # the message, naming the run or the logs and the fix
    status_changed = Signal(str)

    def __init__(self, parent: QObject | None = None, runner_factory: Callable[[], ProcessRunner] | None = None,
                 open_url: Callable[[QUrl], object] | None = None, python: str | None = None,
                 ready_timeout_ms: int = READY_TIMEOUT_MS) -> None:
        super().__init__(parent)
        # Public seams: what starts a process and what opens the browser (tests answer them).
        self.runner_factory: Callable[[], ProcessRunner] = runner_factory or (lambda: ProcessRunner(self))
        self.open_url: Callable[[QUrl], object] = open_url or QDesktopServices.openUrl
        self._python = python or sys.executable
        self._timeout_ms = ready_timeout_ms
        self._boards: dict[str, _Board] = {}

    def url(self, run_id: str) -> str:
        """The address TensorBoard serves ``run_id``'s logs at ("" when it is not running)."""
        board = self._boards.get(run_id)
        return board.url if board is not None and board.runner.running() else ""

    def open(self, run_id: str, logdir: str) -> None:
        """Show ``logdir`` (a run's ``logs`` folder) in TensorBoard: start it if need be, then open the browser."""
        if not os.path.isdir(logdir):
            self.failed.emit(f"Run {run_id} has no TensorBoard logs ({logdir} does not exist). Switch on "
                             "'TensorBoard logs in the run folder' under Callbacks in the Training tab and train "
                             "again.")
            return
        board = self._boards.get(run_id)
        if board is not None and board.runner.running():
            if board.url:
                self._show(board)
            return  # still starting: it opens the browser itself once it answers
        if self._python == sys.executable and not tensorboard_installed():
            self.failed.emit(f"TensorBoard is not installed, so run {run_id}'s logs cannot be shown. {INSTALL_FIX}")
            return
        self._start(_Board(run_id, logdir, free_port(), self.runner_factory()))

    def stop_all(self) -> None:
        """Stop every TensorBoard this launcher started (the window is closing)."""
        boards, self._boards = list(self._boards.values()), {}
        for board in boards:
            board.runner.blockSignals(True)  # an ending it caused itself is no failure to report
            board.runner.stop()

    def _start(self, board: _Board) -> None:
        self._boards[board.run_id] = board
        board.runner.output.connect(lambda text, b=board: self._on_runner_output(b, text))
        board.runner.ended.connect(lambda code, b=board: self._on_runner_ended(b, code))
        timer = QTimer(board.runner)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda b=board: self._on_ready_timeout(b))
        timer.start(self._timeout_ms)
        self.status_changed.emit(f"Starting TensorBoard for run {board.run_id} on port {board.port}…")
        args = ["-m", "tensorboard.main", "--logdir", board.logdir, "--port", str(board.port), "--host", "127.0.0.1"]
        log.info("starting %s %s", self._python, " ".join(args))
        board.runner.start(self._python, args)

    def _show(self, board: _Board) -> None:
        self.opened.emit(board.run_id, board.url)
        if not self.open_url(QUrl(board.url)):
            self.status_changed.emit(f"TensorBoard shows run {board.run_id} at {board.url} (no browser could be "
                                     "opened: copy the address into one)")

    def _on_runner_output(self, board: _Board, text: str) -> None:
        board.text = (board.text + text)[-20_000:]
        if not board.url and (match := _URL.search(board.text)):
            board.url = match.group(1)
            self._show(board)

    def _on_runner_ended(self, board: _Board, code: int) -> None:
        if self._boards.get(board.run_id) is not board:
            return
        del self._boards[board.run_id]
        text = board.text
        if any(m in text for m in _PORT_BUSY) and board.retries > 0:
            log.info("port %d was taken; TensorBoard tries another", board.port)
            self._start(_Board(board.run_id, board.logdir, free_port(), self.runner_factory(), retries=0))
            return
        if any(m in text for m in _MISSING):
            self.failed.emit(f"TensorBoard is not installed in {self._python}'s environment. "
                             f"Install it with: {self._python} -m pip install tensorboard")
        elif any(m in text for m in _PORT_BUSY):
            self.failed.emit(f"TensorBoard could not use port {board.port}: another program is using it. Press "
                             "Open in TensorBoard again to try another free port.")
        elif board.url:
            self.status_changed.emit(f"TensorBoard for run {board.run_id} ended (exit code {code}).")
        else:
            last = " ".join(line.strip() for line in text.strip().splitlines()[-3:])
            self.failed.emit(f"TensorBoard ended before it showed run {board.run_id}'s logs (exit code {code}): "
                             f"{last or 'it printed nothing'}. The window's log has its output.")
        log.info("tensorboard for %s ended with %d:\n%s", board.run_id, code, text[-4000:])

    def _on_ready_timeout(self, board: _Board) -> None:
        if board.url or self._boards.get(board.run_id) is not board:
            return
        del self._boards[board.run_id]
        board.runner.blockSignals(True)
        board.runner.stop()
        self.failed.emit(f"TensorBoard did not answer within {self._timeout_ms // 1000} s for run {board.run_id}; "
                         "it was stopped. Try again; the window's log has its output.")
        log.warning("tensorboard for %s timed out:\n%s", board.run_id, board.text[-4000:])
