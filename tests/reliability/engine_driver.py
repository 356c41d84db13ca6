"""The real engine process driven over its protocol, synchronously (the soak test and bench/bench_engine_memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from visualnn.core.protocol import Control, Job, Message, TrainRequest, decode, encode


def vm_rss_mb(pid: int) -> float:
    """The process's resident memory in MB, from ``/proc/<pid>/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"/proc/{pid}/status has no VmRSS line")


class Engine:
    """``python -m visualnn.engine`` as the app starts it, spoken to over its protocol."""

    def __init__(self, threads: int | None = 1) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if threads is not None:
            env["VISUALNN_ENGINE_THREADS"] = str(threads)
        self.proc = subprocess.Popen([sys.executable, "-m", "visualnn.engine"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        ready = self._read()
        assert ready.kind == "ready", ready
        self.pid = int(ready.data["pid"])

    def _read(self) -> Message:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the engine ended (exit code {self.proc.poll()})"
        msg = decode(line)
        assert isinstance(msg, Message)
        return msg

    def send(self, obj: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(obj))
        self.proc.stdin.flush()

    def train(self, job_id: str, request: TrainRequest[dict[str, Any]], stop: bool) -> dict[str, Any]:
        """One train job, stopped after its first batch when ``stop`` (as a user's Stop); returns the run record."""
        self.send(Job(job_id, "train", request.to_dict()))
        while True:
            msg = self._read()
            if msg.job_id != job_id:
                continue
            if msg.kind == "batch" and stop:
                self.send(Control(job_id, "stop"))
                stop = False
            if msg.kind == "error":
                raise AssertionError(f"train job {job_id} failed: {msg.data.get('message')}")
            if msg.kind == "result":
                return dict(msg.data["run"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send(Control("", "shutdown"))
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
