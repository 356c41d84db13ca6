"""Start-up benchmark driver for bench/bench_ui.py: starts the app the way run_app does and prints
``painted SECONDS`` (from process start) at the first paint of the canvas, then quits.

Run from the repository root: ``python bench/startup_driver.py [PROJECT.vnn]``. The engine is the
real client, not started (as in the app, it starts 300 ms after the window is up, so it is no part
of the time to first paint); a pending crash recovery is left for later instead of asking.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before any import: the figure includes importing Qt and the app

import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from visualnn import logs  # noqa: E402
from visualnn.core.recovery import PendingRecovery  # noqa: E402
from visualnn.ui.app import create_application, start_session  # noqa: E402
from visualnn.ui.engine_client import EngineClient  # noqa: E402


class FirstPaint(QObject):
    """Prints the time of the first paint event it sees, then quits the app."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.app = app

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        """Report the first paint and quit on the next loop turn."""
        if event.type() == QEvent.Type.Paint:
            print(f"painted {time.perf_counter() - T0:.3f}", flush=True)
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.app.quit)
        return False


def main(argv: list[str]) -> int:
    """Start, wait for the canvas's first paint, quit."""

    def later(pending: PendingRecovery, parent: QWidget | None) -> str:
        return "later"

    app = create_application(argv)
    logs.setup_logging("visualnn")
    engine = EngineClient(app)
    session = start_session(app, argv, engine, prompter=later, welcome=False)
    spy = FirstPaint(app)
    session.window.view.viewport().installEventFilter(spy)
    code = int(app.exec())
    session.window.document.undo_stack.setClean()  # nothing to save: quit without the close prompt
    session.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
