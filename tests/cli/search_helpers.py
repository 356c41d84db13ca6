"""Shared set-up of the search tests: the bundled tabular MLP with 1 epoch, run as a real `visualnn search`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "tabular"
SPACE = ["--space", "dense_1.units=8,16,32", "--space", "dropout_1.rate=0.0..0.5",
         "--space", "training.learning_rate=0.001..0.05:log"]


def tiny_project(folder: Path, epochs: int = 1, **search: Any) -> Path:
    """The penguin MLP example copied into ``folder`` with ``epochs`` epochs (and a search section if given)."""
    shutil.copy(EXAMPLE / "penguins.csv", folder / "penguins.csv")
    data = json.loads((EXAMPLE / "tabular.vnn").read_text())
    data["training"]["epochs"] = epochs
    if search:
        data["search"] = search
    path = folder / "wine.vnn"
    path.write_text(json.dumps(data))
    return path


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m visualnn ARGS` in a fresh process (this worktree's code)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "visualnn", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(ROOT))


def start_cli(*args: str) -> subprocess.Popen[str]:
    """Like :func:`cli`, without waiting."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.Popen([sys.executable, "-m", "visualnn", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(ROOT))


def last_json(text: str) -> dict[str, Any]:
    """The JSON object on the last line of ``text``."""
    data: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return data


def study_trials(url: str, name: str) -> list[Any]:
    """Every trial of a study, read straight from its Optuna storage."""
    import optuna

    from visualnn.services.search_study import open_storage

    return list(optuna.load_study(study_name=name, storage=open_storage(url)).get_trials(deepcopy=False))
