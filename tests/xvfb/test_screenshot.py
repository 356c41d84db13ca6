"""A real window under Xvfb: the app starts on the example project and a screenshot is saved.

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
ARTIFACT = ROOT / "test-artifacts" / "main_window.png"

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (run under xvfb-run)"),
]


def _example() -> list[str]:
    path = ROOT / "resources" / "examples" / "tabular" / "tabular.vnn"
    return [str(path)] if path.exists() else []  # without it the app opens a template


def test_app_window_screenshot(tmp_path: Any) -> None:
    if ARTIFACT.exists():
        ARTIFACT.unlink()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="xcb",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        VISUALNN_SCREENSHOT=str(ARTIFACT),
    )
    out = subprocess.run(
        [sys.executable, "-m", "visualnn", *_example()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert ARTIFACT.exists(), out.stderr[-2000:]
    from PySide6.QtGui import QImage

    image = QImage(str(ARTIFACT))
    assert image.width() >= 800 and image.height() >= 500
    # Not a blank frame: many distinct colours across a sample grid.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 19)}
    assert len(colours) > 20
