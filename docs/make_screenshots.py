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
from typing import Any

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
    decided = _threshold_shot(window, pump)
    print("trained:", bool(done), "threshold:", decided, "saved to", OUT)
    engine.stop()  # the trained example stays unsaved: nothing of it belongs in the user's files
    return 0 if done and decided else 1


def _threshold_shot(window: object, pump: object) -> bool:
    """A yes/no table with a rare class (a fraud in nine rows): trained, evaluated on the validation split, and a
    lower decision threshold tried in the Evaluation tab (threshold.png)."""
    import subprocess

    folder = Path(tempfile.mkdtemp())
    sys.path.insert(0, str(ROOT))
    from tests.tiny_data import fraud_csv

    data = fraud_csv(folder / "fraud.csv")
    cli = [sys.executable, "-m", "visualnn"]
    made = subprocess.run([*cli, "new", "-t", "mlp_classifier", "--data", str(data), "-o", str(folder / "fraud.vnn")],
                          capture_output=True, text=True, cwd=ROOT)
    trained = subprocess.run([*cli, "train", str(folder / "fraud.vnn"), "--epochs", "15"], capture_output=True,
                             text=True, cwd=ROOT)
    if made.returncode or trained.returncode:
        print(made.stderr, trained.stderr)
        return False
    w: Any = window
    wait: Any = pump
    w.open_path(str(folder / "fraud.vnn"), ask=False)  # the image example stays unsaved, as above
    wait(1.0)
    panel = w.evaluation_panel
    w.docks["evaluation"].raise_()
    panel.split_combo.setCurrentText("val")  # a threshold is chosen on the validation split
    panel.evaluate()
    deadline = time.monotonic() + 120
    while (panel.report is None or panel.report.get("split") != "val") and time.monotonic() < deadline:
        wait(0.2)
    if panel.report is None:
        return False
    panel.threshold_box.set_threshold(0.2)
    wait(1.0)
    w.grab().save(str(OUT / "threshold.png"))
    return True


if __name__ == "__main__":
    raise SystemExit(main())
