"""Start-up benchmark driver for bench/bench_ui.py: starts the app through its own ``run_app`` (the
real path: logging, error reporter, first project, autosave; the crash-recovery question, the welcome
page, the data inspection and the engine launch are queued for the window's first paint) and prints
``painted SECONDS`` (from process start) at the first paint of the canvas, then ends at once.

Run from the repository root: ``python bench/startup_driver.py [PROJECT.vnn]``. Give it a fresh
profile (bench_ui.py sets XDG_CONFIG_HOME, VISUALNN_DATA_DIR, VISUALNN_EXAMPLES_DIR) to time a first
launch: the bundled example is copied and opened and the welcome page shown.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before any import: the figure includes importing Qt and the app

import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PySide6.QtCore import QEvent, QObject  # noqa: E402

from visualnn.ui.app import Session, run_app  # noqa: E402


class FirstPaint(QObject):
    """Prints the time of the first paint event it sees, then ends the process."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        """Report the first paint and end the process at once: what start-up queued for after the first paint
        (the engine launch: a TensorFlow import in a child process that would outlive this one) never runs."""
        if event.type() == QEvent.Type.Paint:
            print(f"painted {time.perf_counter() - T0:.3f}", flush=True)
            os._exit(0)
        return False


SPY = FirstPaint()


def watch(session: Session) -> None:
    """Watch the canvas for its first paint; nothing to save when the app quits."""
    session.window.view.viewport().installEventFilter(SPY)
    session.window.document.undo_stack.setClean()


def main(argv: list[str]) -> int:
    """Start the app as `visualnn` does; the canvas's first paint ends the process (run_app returns only
    when the app quits before any paint)."""
    code = run_app(argv, started=watch)
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
