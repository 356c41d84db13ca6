"""Starts and supervises the engine process (``python -m visualnn.engine``) and relays its messages as signals.

The window never imports TensorFlow: jobs go to the child over the ``core.protocol`` JSON lines,
and everything it reports comes back through Qt signals on the GUI thread (QProcess is
event-driven, so no reader thread is needed). :meth:`EngineClient.submit` returns a
:class:`JobHandle` whose own signals carry that job's progress and outcome, so a panel never sorts
other panels' messages by job id. A dead engine fails its pending jobs with a message saying what
happened and what to do; :meth:`EngineClient.restart` brings a fresh one.

The engine reports its memory after every job (a ``memory`` message). Once it holds more than
:data:`RECYCLE_FACTOR` times what it held after its first training job (or more than a fixed cap, when one is
set), the client replaces it with a fresh process as soon as no job is pending: between jobs, never during one,
with nothing for the user to see but a line in the log. Jobs submitted meanwhile wait for the new engine.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from visualnn.core.protocol import Control, Job, Message, ProtocolError, decode, encode

log = logging.getLogger(__name__)

_PY_ERROR = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b")
STARTUP_DEADLINE_MS = 180_000  # importing TensorFlow on a cold disk can take a minute or more
RECYCLE_FACTOR = 1.5
"""Recycle the engine between jobs once it holds this many times its memory after its first training job."""
RECYCLE_CAP_MB: float | None = None
"""Recycle the engine between jobs once it holds more than this many MB (None: no fixed cap)."""


class JobHandle(QObject):
    """One submitted engine job: its own progress, result and failure signals, and its controls.

    Exactly one of :attr:`finished` or :attr:`failed` is emitted, once. The handle has no Qt parent:
    the client holds it until the job ends, the submitter for as long as it cares.
    """

    progress = Signal(str, dict)  # kind, data: every message of this job before its end (started, batch, epoch...)
    finished = Signal(dict)  # the result data
    failed = Signal(str)  # a message naming the cause (and the fix, when there is one)

    def __init__(self, client: EngineClient, job_id: str, job_type: str) -> None:
        super().__init__()
        self._client = client
        self._id = job_id
        self._type = job_type
        self._outcome: str | None = None

    @property
    def id(self) -> str:
        """The job id on the wire (``job-3``)."""
        return self._id

    @property
    def type(self) -> str:
        """The job type (``train``, ``evaluate``...)."""
        return self._type

    @property
    def done(self) -> bool:
        """True once :attr:`finished` or :attr:`failed` was emitted."""
        return self._outcome is not None

    @property
    def outcome(self) -> str | None:
        """``finished`` | ``failed``, or None while the job is pending."""
        return self._outcome

    def stop(self) -> None:
        """End the job after its current batch (weights kept); a job not yet started is cancelled."""
        if not self.done:
            self._client.control(self._id, "stop")

    def pause(self) -> None:
        """Hold the job between batches until :meth:`resume`."""
        if not self.done:
            self._client.control(self._id, "pause")

    def resume(self) -> None:
        """Let a paused job go on."""
        if not self.done:
            self._client.control(self._id, "resume")

    def __repr__(self) -> str:
        return f"<JobHandle {self._id} {self._type} {self._outcome or 'pending'}>"

    def _report(self, kind: str, data: dict[str, Any]) -> None:
        if not self.done:
            self.progress.emit(kind, data)

    def _finish(self, result: dict[str, Any]) -> None:
        if not self.done:
            self._outcome = "finished"
            self.finished.emit(result)

    def _fail(self, message: str) -> None:
        if not self.done:
            self._outcome = "failed"
            self.failed.emit(message)


class EngineClient(QObject):
    """The UI's handle on the engine process: submit jobs, steer them, hear their progress.

    A job's progress and outcome reach only the :class:`JobHandle` that :meth:`submit` returns; the
    client's own signals are about the engine itself (its state, ``ready``, its death). ``message_received``
    is a tap on the wire for diagnostics and benchmarks; it is not part of :class:`~visualnn.ui.engine_link.EngineLink`,
    so window code cannot sort jobs by id.
    """

    state_changed = Signal(str)  # starting | ready | dead | stopped
    ready = Signal(dict)  # the engine's "ready" data (versions, handlers)
    message_received = Signal(str, str, dict)  # job id, kind, data: every job message, as it arrives (a wire tap)
    engine_died = Signal(str)  # what happened, in words

    def __init__(self, parent: QObject | None = None, program: str | None = None,
                 args: list[str] | None = None, startup_deadline_ms: int = STARTUP_DEADLINE_MS,
                 recycle_factor: float | None = RECYCLE_FACTOR, recycle_cap_mb: float | None = RECYCLE_CAP_MB) -> None:
        super().__init__(parent)
        self._recycle_factor = recycle_factor
        self._recycle_cap_mb = recycle_cap_mb
        self._baseline_mb: float | None = None  # the engine's memory after its first training job
        self._recycle_due = ""  # why the engine should be replaced at the next moment no job is pending
        self.recycles = 0  # engines replaced for their memory this session (the log says each one)
        self._program = program or sys.executable
        self._args = args if args is not None else ["-m", "visualnn.engine"]
        self._deadline_ms = startup_deadline_ms
        self._proc: QProcess | None = None
        self._state = "stopped"
        self._ids = itertools.count(1)
        self._queue: list[Job] = []  # submitted before the engine was ready
        self._pending: dict[str, JobHandle] = {}  # job id -> handle, until result/error
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._expect_exit = False
        self.info: dict[str, Any] = {}
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._on_deadline_timeout)

    # ------------------------------------------------------------------ lifecycle
    @property
    def state(self) -> str:
        """starting | ready | dead | stopped."""
        return self._state

    @property
    def is_ready(self) -> bool:
        """True once the engine said ``ready`` and is still alive."""
        return self._state == "ready"

    def pid(self) -> int | None:
        """The engine's process id (None when not running)."""
        return int(self._proc.processId()) if self._proc is not None and self._proc.processId() else None

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def start(self) -> None:
        """Start the engine in the background (returns at once; ``ready`` follows)."""
        if self._proc is not None and self._state in ("starting", "ready"):
            return
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        # A lower CPU priority for the engine keeps the window responsive when training saturates the cores.
        env.insert("VISUALNN_ENGINE_NICE", env.value("VISUALNN_ENGINE_NICE", "5"))
        env.insert("TF_CPP_MIN_LOG_LEVEL", env.value("TF_CPP_MIN_LOG_LEVEL", "2"))
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env.insert("PYTHONPATH", os.pathsep.join(p for p in (root, env.value("PYTHONPATH", "")) if p))
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._on_proc_stdout)
        proc.readyReadStandardError.connect(self._on_proc_stderr)
        proc.finished.connect(self._on_proc_finished)
        proc.errorOccurred.connect(self._on_proc_error)
        self._proc = proc
        self._expect_exit = False
        self._baseline_mb, self._recycle_due = None, ""
        self._stderr_tail.clear()
        self._set_state("starting")
        self._deadline.start(self._deadline_ms)
        proc.start(self._program, self._args)

    def stop(self, timeout_ms: int = 5000) -> None:
        """Ask the engine to shut down (killing it after ``timeout_ms``)."""
        if self._proc is None:
            return
        self._shut_down(timeout_ms)
        self._fail_pending("The engine was stopped before the job ended; run it again to get its result.")
        self._set_state("stopped")

    def _shut_down(self, timeout_ms: int) -> None:
        """End the engine process: ``shutdown``, then a kill after ``timeout_ms``."""
        proc = self._proc
        if proc is None:
            return
        self._expect_exit = True
        self._deadline.stop()
        if proc.state() != QProcess.ProcessState.NotRunning:
            proc.write(encode(Control("", "shutdown")).encode())
            proc.closeWriteChannel()
            if not proc.waitForFinished(timeout_ms):
                proc.kill()
                proc.waitForFinished(2000)
        self._proc = None
        proc.deleteLater()

    def restart(self) -> None:
        """Replace the engine with a fresh process (pending jobs fail)."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """Kill the engine abruptly (tests; a hung engine)."""
        if self._proc is not None:
            self._proc.kill()

    # ------------------------------------------------------------------ jobs
    def submit(self, job_type: str, payload: dict[str, Any]) -> JobHandle:
        """Send a job (queued until the engine is ready; the engine is started if needed); returns its handle."""
        job = Job(f"job-{next(self._ids)}", job_type, payload)
        handle = JobHandle(self, job.id, job_type)
        self._pending[job.id] = handle
        if self._state == "ready":
            self._write(encode(job))
        else:
            self._queue.append(job)
            if self._state in ("stopped", "dead"):
                self.start()
        return handle

    def control(self, job_id: str, action: str) -> None:
        """Stop, pause or resume a running job (prefer the job's :class:`JobHandle`)."""
        if self._state == "ready":
            self._write(encode(Control(job_id, action)))
        elif action == "stop":
            self._queue = [j for j in self._queue if j.id != job_id]
            handle = self._pending.pop(job_id, None)
            if handle is not None:
                handle._fail("Cancelled before it started.")

    def busy(self) -> bool:
        """True while any submitted job has not finished."""
        return bool(self._pending)

    def _write(self, line: str) -> None:
        if self._proc is not None:
            self._proc.write(line.encode())

    # ------------------------------------------------------------------ process events
    def _on_proc_stdout(self) -> None:
        proc = self._proc
        if proc is None:
            return
        while proc.canReadLine() and proc is self._proc:  # a recycle may replace the engine mid-loop
            raw = bytes(proc.readLine().data())
            try:
                msg = decode(raw)
            except ProtocolError as exc:
                log.warning("engine wrote a non-protocol line: %s", exc)
                continue
            if isinstance(msg, Message):
                self._dispatch(msg)

    def _dispatch(self, msg: Message) -> None:
        if msg.kind == "memory" and not msg.job_id:
            self._on_memory(msg.data)
            return
        if msg.kind == "ready" and not msg.job_id:
            self._deadline.stop()
            self.info = dict(msg.data)
            self._set_state("ready")
            queued, self._queue = self._queue, []
            for job in queued:
                self._write(encode(job))
            self.ready.emit(dict(msg.data))
            return
        self.message_received.emit(msg.job_id, msg.kind, msg.data)
        if msg.kind not in ("result", "error"):
            handle = self._pending.get(msg.job_id)
            if handle is not None:
                handle._report(msg.kind, msg.data)
            return
        ended = self._pending.pop(msg.job_id, None)
        if ended is None:
            return  # a job already failed here (cancelled, engine replaced) that the engine finished anyway
        if msg.kind == "result":
            ended._finish(msg.data)
        else:
            if msg.data.get("traceback"):
                log.error("engine job %s failed:\n%s", msg.job_id, msg.data["traceback"])
            ended._fail(str(msg.data.get("message") or "The job failed; the engine log has the details."))
        self._recycle_if_due()

    # ------------------------------------------------------------------ memory
    def _on_memory(self, data: dict[str, Any]) -> None:
        """The engine's memory after a job: note the first training job's, and plan a recycle past the limit."""
        try:
            rss = float(data.get("rss_mb") or 0.0)
        except (TypeError, ValueError):
            log.warning("the engine reported an unreadable memory size: %r", data)
            return
        if rss <= 0:
            return
        if self._baseline_mb is None and data.get("job_type") == "train":
            self._baseline_mb = rss
            return
        limits = []
        if self._recycle_factor is not None and self._baseline_mb is not None:
            limits.append((self._baseline_mb * self._recycle_factor,
                           f"{self._recycle_factor:g} x its {self._baseline_mb:.0f} MB after its first training job"))
        if self._recycle_cap_mb is not None:
            limits.append((self._recycle_cap_mb, "the fixed cap"))
        for limit, what in limits:
            if rss > limit:
                self._recycle_due = f"it holds {rss:.0f} MB, more than {limit:.0f} MB ({what})"
                break
        self._recycle_if_due()

    def _recycle_if_due(self) -> None:
        """Replace a grown engine with a fresh one, if one is due and no job is pending (never during a job)."""
        if not self._recycle_due or self._state != "ready" or self._pending or self._queue:
            return
        reason, self._recycle_due = self._recycle_due, ""
        log.info("Restarting the training engine between jobs to give its memory back: %s.", reason)
        self.recycles += 1
        self._shut_down(5000)
        self.start()  # "starting" then "ready"; jobs submitted meanwhile are queued for the new engine

    def _on_proc_stderr(self) -> None:
        if self._proc is None:
            return
        text = bytes(self._proc.readAllStandardError().data()).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip():
                self._stderr_tail.append(line)
                log.debug("engine: %s", line)

    def _on_proc_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._expect_exit or self.sender() is not self._proc:
            return
        self._deadline.stop()
        if status == QProcess.ExitStatus.CrashExit:
            how = "crashed (killed by a signal; out of memory is a common cause)"
        else:
            how = f"exited with code {code}"
        # Only a Python exception line is worth showing; TensorFlow's C++ log noise is not.
        last = next((ln for ln in reversed(self._stderr_tail) if _PY_ERROR.match(ln.strip())), "")
        reason = f"The training engine {how}." + (f" Last error: {last.strip()[:300]}" if last else "")
        self._died(reason)

    def _on_proc_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._expect_exit:
            self._died(f"The training engine could not start ({self._program} {' '.join(self._args)}).")

    def _on_deadline_timeout(self) -> None:
        if self._state == "starting":
            self._expect_exit = True
            if self._proc is not None:
                self._proc.kill()
            self._died(f"The training engine did not start within {self._deadline_ms / 1000:g} s.")

    def _died(self, reason: str) -> None:
        log.error("%s", reason)
        self._proc = None
        self._set_state("dead")
        self._fail_pending(reason + " Your project and earlier runs are safe; restart the engine to continue.")
        self.engine_died.emit(reason)

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        self._queue = []
        for handle in pending.values():
            handle._fail(reason)
