"""A real window under Xvfb: the app starts on the example project; screenshots of the main window
and of Help > About are saved under test-artifacts/ for review (not compared pixel by pixel).

Run with ``xvfb-run -a .venv/bin/pytest tests/xvfb``; skipped when there is no X display.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (run under xvfb-run)"),
]


def _example() -> list[str]:
    path = ROOT / "resources" / "examples" / "tabular" / "tabular.vnn"
    return [str(path)] if path.exists() else []  # without it the app opens a template


def _not_blank(path: Path, width: int, height: int) -> None:
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert image.width() >= width and image.height() >= height, (image.width(), image.height())
    # Not a blank frame: many distinct colours across a sample grid.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 19)}
    assert len(colours) > 20


def test_app_window_and_about_screenshots(tmp_path: Any) -> None:
    for name in ("main_window.png", "about.png"):
        (ARTIFACTS / name).unlink(missing_ok=True)
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="xcb",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        VISUALNN_DATA_DIR=str(tmp_path / "data"),
    )
    out = subprocess.run(
        [sys.executable, "-m", "tests.xvfb.screenshot_driver", str(ARTIFACTS), *_example()],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    _not_blank(ARTIFACTS / "main_window.png", 800, 500)
    _not_blank(ARTIFACTS / "about.png", 300, 200)
    # The About box shows the versions and the devices the engine reported.
    assert "TensorFlow: 2.21.0" in out.stdout and "Devices: CPU · Xeon" in out.stdout
