"""Regenerate the README screenshots: run under Xvfb, e.g.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshots.py

Builds the window with the app's composition root (the real TensorFlow engine), opens the bundled
image example, trains it from the Training panel, and saves the window with the canvas, the live
curves and the evaluation to docs/screenshots/, plus the About box with the devices found.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    """Open, train, evaluate and grab the window at each step."""
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp())  # a fresh, first-run-free profile
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from visualnn.ui.app import build_main_window, create_application
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.engine_client import EngineClient

    app: QApplication = create_application(sys.argv)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    engine = EngineClient(app)
    shell = build_main_window(ProjectDocument(), engine, settings)
    window = shell.window
    window.show()
    example = Path(tempfile.mkdtemp()) / "images"
    import shutil

    shutil.copytree(ROOT / "resources" / "examples" / "images", example)
    window.open_path(str(example / "images.vnn"))

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    pump(1.0)
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "model.png"))
    panel = window.training_panel
    window.docks["training"].raise_()
    done: list[object] = []
    panel.training_finished.connect(done.append)
    panel.training_failed.connect(done.append)
    pump(0.5)
    panel.train_button.click()
    deadline = time.monotonic() + 300
    while not done and time.monotonic() < deadline:
        pump(0.2)
    pump(1.0)
    window.grab().save(str(OUT / "training.png"))
    window.docks["evaluation"].raise_()
    pump(8.0)
    window.grab().save(str(OUT / "evaluation.png"))
    about = shell.help.about()
    pump(3.0)  # the engine answers the devices job
    about.grab().save(str(OUT / "about.png"))
    about.close()
    print("trained:", bool(done), "saved to", OUT)
    engine.stop()  # the trained example stays unsaved: nothing of it belongs in the user's files
    return 0 if done else 1


if __name__ == "__main__":
    raise SystemExit(main())
