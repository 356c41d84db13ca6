"""The real engine process trains a KerasHub ResNet project (a preset directory made here) and answers a project
whose preset directory is gone with an error naming the node and the fix, then serves the next job."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_hub_train import hub_project
from tests.engine.test_engine_process import _read_until_end
from visualnn.core.protocol import Control, Job, Message, TrainRequest, decode, encode

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def test_the_engine_trains_a_hub_backbone_and_names_a_missing_preset(tmp_path: Path) -> None:
    from visualnn.core.project.io import load_project

    vnn = hub_project(tmp_path)
    project = load_project(vnn)
    proc = subprocess.Popen([sys.executable, "-m", "visualnn.engine"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = decode(proc.stdout.readline())  # type: ignore[union-attr]
        assert isinstance(ready, Message) and ready.kind == "ready"

        def send(obj: Any) -> None:
            proc.stdin.write(encode(obj))  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]

        send(Job("t1", "train", TrainRequest(project=project.to_dict(), base_dir=str(tmp_path)).to_dict()))
        msgs = _read_until_end(proc, "t1")
        assert msgs[-1].kind == "result", msgs[-1].data
        run = msgs[-1].data["run"]
        assert run["status"] == "finished" and len(run["history"]["loss"]) == 2

        shutil.rmtree(tmp_path / "tiny_resnet")
        send(Job("t2", "train", TrainRequest(project=project.to_dict(), base_dir=str(tmp_path)).to_dict()))
        msgs = _read_until_end(proc, "t2")
        assert msgs[-1].kind == "error"
        message = msgs[-1].data["message"]
        assert "backbone: the preset directory" in message and "does not exist" in message, message
        assert "preset folder..." in message

        send(Job("p", "ping", {"x": 1}))
        assert _read_until_end(proc, "p")[-1].kind == "result"
        send(Control("", "shutdown"))
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
