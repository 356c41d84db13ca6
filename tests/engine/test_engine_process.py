"""The real engine process over the real protocol: ready, ping, train end to end, errors, shutdown."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph, project_dict
from visualnn.core.protocol import Control, Job, Message, TrainRequest, decode, encode

pytestmark = pytest.mark.tf


def _read_until_end(proc: Any, job_id: str) -> list[Message]:
    out: list[Message] = []
    for line in proc.stdout:
        msg = decode(line)
        assert isinstance(msg, Message)
        if not msg.job_id:  # engine-level (the memory report after each job)
            continue
        out.append(msg)
        if msg.job_id == job_id and msg.kind in ("result", "error"):
            break
    return out


def test_engine_serves_jobs_end_to_end(tmp_path: Any) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "visualnn.engine"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = decode(proc.stdout.readline())  # type: ignore[union-attr]
        assert isinstance(ready, Message) and ready.kind == "ready" and "train" in ready.data["handlers"]

        def send(obj: Any) -> None:
            proc.stdin.write(encode(obj))  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]

        send(Job("p", "ping", {"x": 1}))
        msgs = _read_until_end(proc, "p")
        assert msgs[-1].kind == "result" and msgs[-1].data["echo"] == {"x": 1}

        req = TrainRequest(project=project_dict(epochs=2), base_dir=str(tmp_path), inline_data=blobs(200))
        send(Job("t1", "train", req.to_dict()))
        msgs = _read_until_end(proc, "t1")
        kinds = [m.kind for m in msgs]
        assert kinds[0] == "started" and "batch" in kinds and kinds.count("epoch") == 2
        run = msgs[-1].data["run"]
        assert msgs[-1].kind == "result" and run["status"] == "finished" and len(run["history"]["loss"]) == 2
        assert (tmp_path / run["model_path"]).exists()

        bad = TrainRequest(project=project_dict(mlp_graph(n_features=5)),
                           base_dir=str(tmp_path), inline_data=blobs(100))
        send(Job("t2", "train", bad.to_dict()))
        msgs = _read_until_end(proc, "t2")
        assert msgs[-1].kind == "error" and "Training failed" in msgs[-1].data["message"]
        assert "Traceback" in msgs[-1].data["traceback"]

        send(Job("u", "no-such-type", {}))
        msgs = _read_until_end(proc, "u")
        assert msgs[-1].kind == "error" and "no handler for job type 'no-such-type'" in msgs[-1].data["message"]

        send(Control("", "shutdown"))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
