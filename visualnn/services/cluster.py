"""A supervisor for local test clusters: N worker processes on 127.0.0.1, each with its own ``TF_CONFIG``.

Used by the tests, the benchmark and ``visualnn local-cluster`` to try multi-worker training on one
computer. Every wait is bounded and every process is ended by its PID: MultiWorkerMirroredStrategy
workers catch SIGTERM (TensorFlow's preemption notifier), so :meth:`LocalCluster.stop` escalates to
SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from visualnn.core.distribution import make_tf_config

DEFAULT_GRACE_S = 5.0


class ClusterError(RuntimeError):
    """The local cluster could not start or did not finish in time; the message says which worker."""


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct free TCP ports (all held open together while choosing, so none repeats)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Worker:
    """One worker process of a :class:`LocalCluster`."""

    index: int
    address: str
    process: subprocess.Popen[bytes]
    log_path: str
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return int(self.process.pid)

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def log(self) -> str:
        """Everything the worker has written to stdout/stderr so far."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""


class LocalCluster:
    """Start ``n_workers`` copies of ``command`` with TF_CONFIG for a chief-less cluster on ``host``.

    Use as a context manager so the workers are always stopped::

        with LocalCluster([sys.executable, "-m", "visualnn", "train", "p.vnn", "--strategy", "multiworker"],
                          n_workers=2, log_dir=tmp) as cluster:
            codes = cluster.wait(timeout_s=120)
    """

    def __init__(self, command: Sequence[str], n_workers: int = 2, log_dir: str = ".", host: str = "127.0.0.1",
                 env: Mapping[str, str] | None = None, cwd: str | None = None, grace_s: float = DEFAULT_GRACE_S,
                 ports: Sequence[int] | None = None) -> None:
        if n_workers < 1:
            raise ClusterError(f"A cluster needs at least 1 worker; received {n_workers}.")
        self.command = list(command)
        self.n_workers = n_workers
        self.log_dir = log_dir
        self.host = host
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.grace_s = grace_s
        self.ports = list(ports) if ports is not None else None
        self.workers: list[Worker] = []

    @property
    def addresses(self) -> list[str]:
        """``host:port`` of every worker (worker 0 is the chief)."""
        return [w.address for w in self.workers]

    def start(self) -> LocalCluster:
        """Spawn every worker; output goes to ``<log_dir>/worker-<i>.log``."""
        ports = self.ports or free_ports(self.n_workers, self.host)
        addresses = [f"{self.host}:{p}" for p in ports]
        for i in range(self.n_workers):
            self.start_worker(i, addresses)
        return self

    def start_worker(self, index: int, addresses: Sequence[str]) -> Worker:
        """(Re)start worker ``index`` of the cluster ``addresses``."""
        env = {**self.env, "TF_CONFIG": make_tf_config(list(addresses), index), "PYTHONUNBUFFERED": "1"}
        os.makedirs(self.log_dir, exist_ok=True)
        log_path = os.path.join(self.log_dir, f"worker-{index}.log")
        log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(self.command, env=env, cwd=self.cwd, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        worker = Worker(index, addresses[index], process, log_path, log_file)
        if index < len(self.workers):
            self.workers[index] = worker
        else:
            self.workers.append(worker)
        return worker

    def wait(self, timeout_s: float) -> list[int]:
        """Wait for every worker to exit; returns their exit codes. On timeout, stops all and raises."""
        deadline = time.monotonic() + timeout_s
        for w in self.workers:
            try:
                w.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stop()
                raise ClusterError(f"Worker {w.index} (pid {w.pid}) did not finish within {timeout_s:.0f} s; "
                                   "all workers were stopped.") from None
        return [int(w.process.returncode) for w in self.workers]

    def wait_for_log(self, index: int, text: str, timeout_s: float, poll_s: float = 0.1) -> bool:
        """Wait until worker ``index`` has written ``text`` (False on timeout or if it exited first)."""
        deadline = time.monotonic() + timeout_s
        worker = self.workers[index]
        while time.monotonic() < deadline:
            if text in worker.log():
                return True
            if not worker.alive():
                return text in worker.log()
            time.sleep(poll_s)
        return False

    def kill(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to worker ``index`` by PID (a no-op if it already exited)."""
        worker = self.workers[index]
        if worker.alive():
            try:
                os.kill(worker.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace_s: float | None = None) -> list[int | None]:
        """SIGTERM every live worker, SIGKILL those still alive after the grace period; returns exit codes."""
        grace = self.grace_s if grace_s is None else grace_s
        for w in self.workers:
            self.kill(w.index, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for w in self.workers:
            try:
                w.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for w in self.workers:
            if w.alive():  # MWMS workers ignore SIGTERM
                self.kill(w.index, signal.SIGKILL)
                try:
                    w.process.wait(timeout=10.0)
                except subprocess.TimeoutExpired:
                    pass
            if w.log_file is not None:
                w.log_file.close()
                w.log_file = None
        return [w.process.returncode for w in self.workers]

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
