"""`visualnn export-code --search`: a standalone Optuna script with the project's space, sampler, pruner and
seed, which runs on the tiny penguin data without VisualNN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import tiny_project
from visualnn.cli import main

pytestmark = [pytest.mark.tf, pytest.mark.slow]

SPACE = [
    {"target": "dense_1.units", "kind": "choice", "choices": [8, 16]},
    {"target": "dense_1.activation", "kind": "choice", "choices": ["relu", "tanh"]},
    {"target": "dropout_1.rate", "kind": "float", "low": 0.0, "high": 0.5},
    {"target": "training.learning_rate", "kind": "float", "low": 0.001, "high": 0.05, "log": True},
    {"target": "dropout_1.@optional", "kind": "optional"},
    {"target": "dense_2.@repeat", "kind": "repeat", "low": 1, "high": 2},
]


def test_exported_search_script_runs_the_same_search(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path, space=SPACE, sampler="random", seed=7, pruner="none", metric="val_accuracy")
    out = tmp_path / "server" / "search.py"
    assert main(["export-code", str(path), "--search", "-o", str(out),
                 "--space", "training.optimizer=adam,sgd", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    text = out.read_text()
    for line in ("SAMPLER = 'random'", "PRUNER = 'none'", "SEARCH_SEED = 7", "OBJECTIVE = 'val_accuracy'",
                 "DIRECTIONS = ['maximize']", 'units=P["dense_1.units"]', 'rate=P["dropout_1.rate"]',
                 'learning_rate = P["training.learning_rate"]', "MODEL_VARIANTS = {"):
        assert line in text, line
    assert "optuna==" in (out.parent / "requirements.txt").read_text()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no VisualNN on the path: standalone
    done = subprocess.run([sys.executable, str(out), "--trials", "3"], capture_output=True, text=True,
                          cwd=str(tmp_path), env={**env, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
                          timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = [line for line in done.stdout.splitlines() if line.startswith("trial ")]
    assert len(trials) == 3 and all(": complete" in t for t in trials)
    assert "dense_2.@repeat" in trials[0] and "training.optimizer" in trials[0]
    assert "best: trial" in done.stdout
    assert (out.parent / "wine.search.db").exists()  # the study beside the script


def test_a_parameter_the_script_cannot_search_is_named(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path, space=SPACE[:1])
    code = main(["export-code", str(path), "--search", "-o", str(tmp_path / "s.py"),
                 "--space", "training.loss=sparse_categorical_crossentropy,categorical_crossentropy", "--json"])
    assert code == 1
    message = json.loads(capsys.readouterr().out)["error"]
    assert "training.loss cannot be searched by the exported script" in message
    assert main(["export-code", str(path), "--search", "-o", str(tmp_path / "s.py"),
                 "--space", "dense_1.units=0..4", "--json"]) == 1
    assert "dense_1.units: 0 is not allowed" in json.loads(capsys.readouterr().out)["error"]
