"""Hostile project and recovery files built in a test's tmp_path: non-finite numbers, deep nesting.

Python's ``json.dumps`` cannot write ``1e999`` or a few thousand nested lists (it recurses), so the
files are written as text: a valid project with one value replaced by raw JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.project.io import dumps, project_to_dict

ROOT = Path(__file__).resolve().parents[2]
MARK = "__RAW__"


def small_project() -> Project:
    """Input -> Dense -> Dropout -> Dense, at ordinary positions."""
    p = Project(name="hostile")
    p.graph.add_node(Node("input_1", "Input", {"shape": [4]}, (0.0, 0.0)))
    p.graph.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0.0, 140.0)))
    p.graph.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (0.0, 280.0)))
    p.graph.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0.0, 420.0)))
    for a, b in (("input_1", "dense_1"), ("dense_1", "dropout_1"), ("dropout_1", "dense_2")):
        p.graph.connect(Edge.of(a, b))
    return p


def nested(levels: int) -> str:
    """JSON text of ``levels`` lists, one inside the other."""
    return "[" * levels + "]" * levels


def with_raw(doc: dict[str, Any], path: list[str | int], raw: str) -> str:
    """``doc`` as JSON text with the value at ``path`` replaced by the raw JSON ``raw`` (e.g. ``1e999``)."""
    data = json.loads(json.dumps(doc))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = MARK
    text = dumps(data)
    assert text.count(json.dumps(MARK)) == 1
    return text.replace(json.dumps(MARK), raw)


def project_text(path: list[str | int], raw: str) -> str:
    """A valid project's file text with one value replaced by raw JSON."""
    return with_raw(project_to_dict(small_project()), path, raw)


def write_project(folder: Path, path: list[str | int], raw: str, name: str = "hostile.vnn") -> Path:
    """Write :func:`project_text` to ``folder/name``."""
    target = folder / name
    target.write_text(project_text(path, raw), encoding="utf-8")
    return target


def run_cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start ``python -m visualnn ARGS`` (this worktree's code); collect it with ``communicate()``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "visualnn", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def dead_pid() -> int:
    """The id of a process that has ended (a crashed session's writer)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)
