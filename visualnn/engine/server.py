"""The engine's main loop: read protocol lines from stdin, run jobs one at a time, write messages.

Only protocol lines reach the real stdout: at start-up the process moves file descriptor 1 aside
for the protocol and points fd 1 at stderr, so anything TensorFlow or a library prints lands in
the log instead of corrupting the stream.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import queue
import sys
import threading
import time
import traceback
from typing import IO, Any

from visualnn.core.protocol import PROTOCOL_VERSION, Control, Job, Message, ProtocolError, decode, encode
from visualnn.engine import HANDLER_MODULES, JobContext, handler_for, handler_types

log = logging.getLogger("visualnn.engine")


class EngineServer:
    """Serves jobs from ``inp`` and writes messages to ``out`` (both text streams)."""

    def __init__(self, inp: IO[str], out: IO[str], tidy: bool = False) -> None:
        """``tidy`` (the engine process): collect the garbage each job leaves, freezing what lives after the first."""
        self.inp = inp
        self.out = out
        self._write_lock = threading.Lock()
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._current: JobContext | None = None
        self._cancelled: set[str] = set()
        self._tidy = tidy
        self._frozen = False

    def send(self, job_id: str, kind: str, data: dict[str, Any]) -> None:
        """Write one message line (thread-safe)."""
        line = encode(Message(job_id, kind, data))
        with self._write_lock:
            self.out.write(line)
            self.out.flush()

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.id in self._cancelled:
                self.send(job.id, "error", {"message": "Cancelled before it started.", "cancelled": True})
                continue
            self._run(job)
            if self._tidy:
                self._collect()
            self._report_memory(job)

    def _collect(self) -> None:
        """Free what the job left in reference cycles (its model and graph: about 8 MB a training run, which
        Python's own collector would free only every few runs) before the engine reports its memory.

        After the first job, everything then alive (TensorFlow, Keras and what they cache) is frozen out of
        the collector's sight, so each later collection walks only what jobs made since: milliseconds rather
        than the half second a full walk of TensorFlow's objects takes.
        """
        t = time.perf_counter()
        gc.collect()
        if not self._frozen:
            gc.freeze()
            self._frozen = True
        log.debug("collected after a job in %.0f ms", (time.perf_counter() - t) * 1000)

    def _report_memory(self, job: Job) -> None:
        """Say how much memory the engine holds now that ``job`` has ended (the client recycles a grown engine)."""
        rss = resident_mb()
        if rss is not None:
            self.send("", "memory", {"rss_mb": round(rss, 1), "after": job.id, "job_type": job.type})

    def _run(self, job: Job) -> None:
        ctx = JobContext(job.id, job.payload, lambda kind, data: self.send(job.id, kind, data))
        self._current = ctx
        handler = handler_for(job.type)
        try:
            if handler is None:
                raise ProtocolError(f"The engine has no handler for job type {job.type!r}; "
                                    f"it serves {', '.join(handler_types())}.")
            self.send(job.id, "started", {"type": job.type})
            result = handler(ctx)
            self.send(job.id, "result", result)
        except Exception as exc:  # a failing job must leave the engine serving the next one
            tb = traceback.format_exc()
            log.error("job %s (%s) failed:\n%s", job.id, job.type, tb)
            self.send(job.id, "error", {"message": str(exc) or type(exc).__name__, "type": type(exc).__name__,
                                        "traceback": tb})
        finally:
            self._current = None

    def _control(self, ctl: Control) -> bool:
        """Apply a control; False when the engine should shut down."""
        if ctl.action == "shutdown":
            return False
        ctx = self._current
        if ctx is None or ctx.job_id != ctl.job_id:
            if ctl.action == "stop":
                self._cancelled.add(ctl.job_id)
            return True
        if ctl.action == "stop":
            ctx.stop.set()
            ctx.pause.clear()
        elif ctl.action == "pause":
            ctx.pause.set()
        elif ctl.action == "resume":
            ctx.pause.clear()
        return True

    def serve(self) -> None:
        """Read lines until EOF or ``shutdown``; jobs run on a worker thread so controls stay live."""
        worker = threading.Thread(target=self._worker, name="engine-worker", daemon=True)
        worker.start()
        for line in self.inp:
            if not line.strip():
                continue
            try:
                obj = decode(line)
            except ProtocolError as exc:
                self.send("", "log", {"level": "warning", "text": str(exc)})
                continue
            if isinstance(obj, Job):
                self._jobs.put(obj)
            elif isinstance(obj, Control):
                if not self._control(obj):
                    break
        ctx = self._current
        if ctx is not None:  # client gone or shutdown: end the running job at its next batch
            ctx.stop.set()
            ctx.pause.clear()
        self._jobs.put(None)
        worker.join(timeout=10)


def resident_mb() -> float | None:
    """This process's resident memory in MB: the current size where ``/proc`` says it (Linux), else the peak
    (``getrusage``: what growth shows as well); None where neither is available (Windows)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux, bytes on macOS
    return float(peak / 2**20 if sys.platform == "darwin" else peak / 2**10)


def _protocol_stream() -> IO[str]:
    """Move the real stdout aside for protocol lines; everything else printed goes to stderr."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def main() -> int:
    """Entry point of ``python -m visualnn.engine``."""
    out = _protocol_stream()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="engine %(levelname)s %(message)s")
    from visualnn import logs

    logs.setup_logging("engine")  # engine.log beside the app's log (separate files: rotation is per process)
    logs.install_excepthook()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    nice = os.environ.get("VISUALNN_ENGINE_NICE", "")
    if nice.strip().lstrip("-").isdigit() and hasattr(os, "nice"):
        os.nice(int(nice))  # set by the GUI: training yields the CPU to the window first
    t0 = time.perf_counter()
    import keras
    import tensorflow as tf

    from visualnn.services.devices import enable_memory_growth

    enable_memory_growth()
    threads = os.environ.get("VISUALNN_ENGINE_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        # Set by the GUI: leave a core to the window so live plots stay smooth while training saturates the CPU.
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    from visualnn.services.devices import describe, list_devices

    try:
        devices = list_devices()
    except Exception:  # device discovery is informative only; the engine serves jobs without it
        log.exception("device discovery failed")
        devices = []
    server = EngineServer(sys.stdin, out, tidy=True)
    server.send("", "ready", {
        "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "handlers": list(handler_types()),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "devices": [d["id"] for d in devices], "device": describe(devices) or "CPU",
        "device_memory_mb": {d["id"]: d.get("memory_mb") for d in devices},  # RAM and GPU memory, for the UI
        "import_s": round(time.perf_counter() - t0, 3),
    })
    server.serve()
    out.flush()
    # TensorFlow's threads can keep a normal exit waiting; the stream is flushed, so leave now.
    os._exit(0)
