"""Declared dependencies cover what the app runs: TensorFlow 2.21 no longer brings TensorBoard along."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirements() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    out = {}
    for dep in deps:
        name = re.match(r"[A-Za-z0-9_.-]+", dep)
        assert name, dep
        out[name.group(0).lower()] = dep[name.end():].strip()
    return out


def test_tensorboard_is_a_dependency_and_the_installed_one_fits() -> None:
    """The TensorBoard callback (keras) and the Runs panel's viewer (``-m tensorboard.main``) both need it."""
    reqs = _requirements()
    assert "tensorboard" in reqs, "pyproject.toml must list tensorboard: the TensorBoard option crashes without it"
    installed = tuple(int(p) for p in version("tensorboard").split(".")[:2])
    low = re.search(r">=\s*(\d+)\.(\d+)", reqs["tensorboard"])
    assert low and installed >= (int(low.group(1)), int(low.group(2)))
