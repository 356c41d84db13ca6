"""Screenshots of the real app for review: the main window and Help > About. Run from the repository
root under a display (``xvfb-run -a``):

    python -m tests.xvfb.screenshot_driver OUT_DIR [PROJECT.vnn] [--real-engine]

The app is started by the composition root like run_app does; the engine is a fake unless
``--real-engine`` starts the TensorFlow one (then About waits for the devices it reports).
Writes OUT_DIR/main_window.png and OUT_DIR/about.png, then quits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QWidget

from tests.ui.fake_engine import FakeEngine
from visualnn import logs
from visualnn.core.recovery import PendingRecovery
from visualnn.ui.about import WAITING, AboutDialog
from visualnn.ui.app import Session, create_application, start_session
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.engine_link import EngineLink


def grab(widget: QWidget) -> QPixmap:
    """What the window server shows (with the frame) when it can, else the widget's own rendering."""
    frame = widget.frameGeometry()
    image = widget.screen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    if image.isNull() or image.width() < 10:
        image = widget.grab()
    return image


class Shots:
    """Takes the screenshots in order once the window is up, then quits."""

    def __init__(self, session: Session, out: Path, deadline_s: float) -> None:
        self.session = session
        self.out = out
        self.deadline = time.monotonic() + deadline_s
        self.about: AboutDialog | None = None
        self.failed = ""

    def main_window(self) -> None:
        """Save the main window with the model fitted, then open About."""
        window = self.session.window
        window.view.show_model()
        self.session.app.processEvents()
        grab(window).save(str(self.out / "main_window.png"))
        dialog = self.session.shell.help.about()
        assert isinstance(dialog, AboutDialog)
        self.about = dialog
        QTimer.singleShot(200, self.about_box)

    def about_box(self) -> None:
        """Save About once the engine rows are filled (or the deadline passed)."""
        assert self.about is not None
        waiting = any(self.about.value(k) in WAITING for k in ("tensorflow", "keras", "devices"))
        if waiting and time.monotonic() < self.deadline:
            QTimer.singleShot(200, self.about_box)
            return
        if waiting:
            self.failed = "the engine did not report in time: " + self.about.report()
        self.about.raise_()
        self.session.app.processEvents()
        grab(self.about).save(str(self.out / "about.png"))
        print(self.about.report(), flush=True)
        self.session.app.quit()


def main(argv: list[str]) -> int:
    """Start the app, take the screenshots, quit (exit 1 when About never got the engine's answer)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("project", nargs="?")
    parser.add_argument("--real-engine", action="store_true")
    parser.add_argument("--delay-ms", type=int, default=1500)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    def later(pending: PendingRecovery, parent: QWidget | None) -> str:
        return "later"

    app = create_application([])
    logs.setup_logging("visualnn")
    engine: EngineLink = EngineClient(app) if args.real_engine else FakeEngine()
    session = start_session(app, [args.project] if args.project else [], engine, prompter=later, welcome=False)
    session.window.resize(1400, 880)
    session.window.first_painted.connect(session.window.start_engine)  # as run_app does
    shots = Shots(session, args.out, deadline_s=240 if args.real_engine else 10)
    QTimer.singleShot(args.delay_ms, shots.main_window)
    code = int(app.exec())
    engine.stop()
    session.close()
    if shots.failed:
        print(shots.failed, file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
