"""Starts the app through its own ``run_app`` (the real start-up path, as ``visualnn`` does) for
tests/ui/test_startup.py, and at the canvas's first paint prints one JSON line: the heavy modules
loaded by then and what the window holds. Then it ends. Usage, from the repository root with a fresh
profile in the environment: ``python -m tests.ui.startup_probe``.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QEvent, QObject

from visualnn.ui.app import Session, run_app

# Modules the first paint must not wait for: the plots' (pyqtgraph, numpy), the data readers'
# (pyarrow, pandas) and the engine's (TensorFlow, Keras; never in the window's process at all).
HEAVY = ("pyqtgraph", "numpy", "pandas", "pyarrow", "tensorflow", "keras")


class FirstPaint(QObject):
    """Reports at the first paint event of the canvas, then quits."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        """Print the report at the first paint; quit on the next loop turn."""
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            window = self.session.window
            print(json.dumps({
                "heavy": sorted(name for name in HEAVY if name in sys.modules),
                "project": window.document.project.name,
                "nodes": len(window.document.graph.nodes),
                "docks": sorted(window.docks),
                "engine": window.engine_label.text(),
            }), flush=True)
            os._exit(0)  # at once: nothing queued for after the paint runs (the engine launch would outlive us)
        return False


def main() -> int:
    """Run the app until the canvas's first paint."""
    spies: list[FirstPaint] = []

    def watch(session: Session) -> None:
        spies.append(FirstPaint(session))
        session.window.view.viewport().installEventFilter(spies[0])
        session.window.document.undo_stack.setClean()  # nothing to save when it quits

    return run_app([], started=watch)  # only when the app quits before any paint


if __name__ == "__main__":
    raise SystemExit(main())
