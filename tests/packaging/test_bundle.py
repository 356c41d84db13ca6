"""Build the PyInstaller bundle and start it offscreen (opt-in: VISUALNN_PACKAGING_TEST=1).

The build takes many minutes and gigabytes (TensorFlow), so it only runs on request:
``VISUALNN_PACKAGING_TEST=1 .venv/bin/pytest -q tests/packaging/test_bundle.py``.
Set ``VISUALNN_BUNDLE=dist/visualnn`` to test an existing bundle without rebuilding it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "tabular" / "tabular.vnn"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("VISUALNN_PACKAGING_TEST") != "1",
        reason="builds the PyInstaller bundle (slow); set VISUALNN_PACKAGING_TEST=1 to run",
    ),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    existing = os.environ.get("VISUALNN_BUNDLE")
    if existing:
        path = Path(existing)
        assert path.is_dir(), f"VISUALNN_BUNDLE={existing} is not a folder; build it with packaging/build.sh."
        return path
    pytest.importorskip("PyInstaller")
    done = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), "--python", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return ROOT / "dist" / "visualnn"


def _run(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = bundle / ("visualnn-cli.exe" if sys.platform == "win32" else "visualnn")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=600)


def test_bundle_reports_its_version(bundle: Path) -> None:
    from visualnn import __version__

    done = _run(bundle, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"VisualNN {__version__}"


def test_bundle_summarises_the_example_project(bundle: Path) -> None:
    assert EXAMPLE.is_file(), f"the bundled example {EXAMPLE} is missing"
    done = _run(bundle, "summary", str(EXAMPLE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "params" in done.stdout.lower() or "param" in done.stdout.lower()


def test_bundle_contains_the_examples_and_icon(bundle: Path) -> None:
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    assert (internal / "packaging" / "icons" / "visualnn.svg").is_file()
    assert any((internal / "resources" / "examples").rglob("*.vnn"))
