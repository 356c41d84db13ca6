"""The verbs that load TensorFlow keep its C++ start-up lines (written before its logging starts, so
TF_CPP_MIN_LOG_LEVEL cannot silence them) off the terminal and in the CLI's log; other lines still show."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tiny_data import fraud_csv
from visualnn.cli.tf_start import is_start_up_line

ROOT = Path(__file__).resolve().parents[2]

# As TensorFlow 2.21 writes them on a machine without a GPU (the pids and times vary).
START_UP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796120903.472645   20217 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1796120903.472949   20217 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1796120013.288355    7284 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX_VNNI FMA, in other operations, "
    "rebuild TensorFlow with the appropriate compiler flags.",
]


def test_the_start_up_lines_are_told_from_everything_else() -> None:
    assert all(is_start_up_line(line) for line in START_UP)
    for other in ("Preparing data on /CPU:0…", "Epoch 1/1  accuracy 0.58  loss 0.66",
                  "error: data.csv line 3: expected 7 columns, found 6",
                  "/x/keras/src/models/functional.py:106: UserWarning: When providing `inputs` as a dict",
                  "I0000 is not a log line", ""):
        assert not is_start_up_line(other), other


def test_a_failed_import_shows_everything_it_wrote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from visualnn.cli import tf_start

    monkeypatch.setenv("VISUALNN_LOG_DIR", str(tmp_path))
    out = io.StringIO()
    tf_start._pass_on("\n".join([*START_UP[:2], "ImportError: libcudnn.so.9 missing"]), out, everything=True)
    assert out.getvalue().splitlines() == [*START_UP[:2], "ImportError: libcudnn.so.9 missing"]
    out = io.StringIO()
    tf_start._pass_on("\n".join([*START_UP, "a Python warning"]), out, everything=False)
    assert out.getvalue() == "a Python warning\n"
    assert (tmp_path / "cli.log").read_text(encoding="utf-8").splitlines() == ["TensorFlow's start-up lines:", *START_UP]


@pytest.mark.tf
def test_train_keeps_tensorflows_start_up_lines_off_the_terminal_and_in_the_log(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), VISUALNN_LOG_DIR=str(tmp_path / "logs"), CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    cli = [sys.executable, "-m", "visualnn.cli"]
    project = tmp_path / "f.vnn"
    made = subprocess.run([*cli, "new", "-t", "mlp_classifier", "--data", str(fraud_csv(tmp_path / "fraud.csv")),
                           "-o", str(project)], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    done = subprocess.run([*cli, "train", str(project), "--epochs", "1"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if is_start_up_line(line)], done.stderr
    assert done.stderr.splitlines()[0] == "Preparing data on /CPU:0…"  # what the verb says is all there is
    log = (tmp_path / "logs" / "cli.log").read_text(encoding="utf-8")
    assert "TensorFlow's start-up lines:" in log and "oneDNN custom operations" in log

    shown = subprocess.run([*cli, "evaluate", str(project)], env={**env, "VISUALNN_TF_STARTUP_LOG": "show"},
                           capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and "oneDNN custom operations" in shown.stderr  # as TensorFlow wrote them
