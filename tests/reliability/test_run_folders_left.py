"""Failed, broken or killed training leaves no run folder behind (issue 15: 11 empty ``runs/<id>/`` after 25 kills).

A run trains in a hidden partial folder renamed ``runs/<id>`` once its model is saved; a failure removes it, and
the next training removes partial folders of processes that ended (and empty run folders older versions left).
The kill test with the real ``visualnn train`` is ``test_train_kill.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_train_verbs import _csv_project
from tests.services.training_helpers import blobs, project_dict
from visualnn.core.protocol import TrainRequest
from visualnn.services.training import run_training
from visualnn.services.training_common import TrainingError

pytestmark = pytest.mark.tf


def _entries(base: Path) -> list[str]:
    runs = base / "runs"
    return sorted(os.listdir(runs)) if runs.exists() else []


def test_while_training_the_run_folder_is_hidden_and_appears_whole(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def sink(kind: str, data: dict[str, Any]) -> None:
        if kind == "epoch":
            seen.append(_entries(tmp_path))

    req = TrainRequest(project=project_dict(epochs=2), base_dir=str(tmp_path), inline_data=blobs(64),
                       run_id="run-a").parsed()
    result = run_training(req, sink)
    assert seen and all(len(names) == 1 and names[0].startswith(".run-a.") and names[0].endswith(".partial")
                        for names in seen), seen
    assert _entries(tmp_path) == ["run-a"] and (tmp_path / "runs" / "run-a" / "model.keras").is_file()
    assert result.run.model_path == "runs/run-a/model.keras"


def test_a_model_that_cannot_be_saved_leaves_no_folder_and_says_so(tmp_path: Path, monkeypatch: Any) -> None:
    import keras
    from tensorflow.python.framework import ops

    def disk_full(self: Any, path: str, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"half a model")
        raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(keras.Model, "save", disk_full)
    before = {k for k in ops._gradient_registry._registry if k.startswith("CustomGradient-")}
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data=blobs(64),
                       run_id="run-b").parsed()
    with pytest.raises(TrainingError) as err:
        run_training(req)
    message = str(err.value)
    assert "could not be saved into" in message and str(tmp_path / "runs" / "run-b") in message
    assert "No space left on device" in message and "Free some disk space" in message
    assert _entries(tmp_path) == []
    assert {k for k in ops._gradient_registry._registry if k.startswith("CustomGradient-")} == before


def test_training_removes_what_killed_runs_left(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (runs / f".run-dead.{dead_pid}.0a1b2c3d.partial").mkdir(parents=True)
    (runs / f".run-dead.{dead_pid}.0a1b2c3d.partial" / "best.keras").write_bytes(b"x")
    live = runs / f".run-live.{os.getppid()}.0a1b2c3d.partial"  # another process still writing its run
    live.mkdir()
    (runs / "run-empty-old").mkdir()
    os.utime(runs / "run-empty-old", (time.time() - 600, time.time() - 600))
    (runs / "run-empty-young").mkdir()  # a writer may be about to fill it
    (runs / "run-kept").mkdir()
    (runs / "run-kept" / "model.keras").write_bytes(b"a model")
    os.utime(runs / "run-kept", (time.time() - 600, time.time() - 600))
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data=blobs(64),
                       run_id="run-new").parsed()
    run_training(req)
    assert _entries(tmp_path) == [live.name, "run-empty-young", "run-kept", "run-new"]


def test_a_run_that_cannot_be_recorded_leaves_no_folder(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    from visualnn.cli import main
    from visualnn.core.project import io

    path = _csv_project(tmp_path)
    before = path.read_bytes()

    def disk_full(project: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(io, "save_project", disk_full)
    assert main(["train", str(path), "--epochs", "1"]) == 2  # the project file cannot be written (exit-code contract)
    err = capsys.readouterr().err
    assert "could not be recorded in" in err and "No space left on device" in err and "its model was removed" in err
    assert _entries(tmp_path) == [] and path.read_bytes() == before
