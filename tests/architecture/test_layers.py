"""The layer rules hold at run time: importing core (and the CLI) pulls in no Qt and no TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "PySide6", "pyqtgraph", "numpy", "pandas")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_core_imports_nothing_heavy() -> None:
    mods = _modules_after(
        "import visualnn.core, visualnn.core.graph, visualnn.core.shapes, visualnn.core.specs as s; s.default_registry()"
    )
    leaked = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert leaked == []


def test_cli_parser_imports_nothing_heavy() -> None:
    mods = _modules_after("from visualnn.cli import build_parser; build_parser()")
    leaked = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert leaked == []
