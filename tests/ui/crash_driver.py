"""Runs the real app for tests/ui/test_crash_recovery.py: the composition root, a fake engine, and a
recovery prompter that answers as told. Usage (from the repository root):

    python -m tests.ui.crash_driver edit|report ANSWER PROJECT OUT_DIR [--quit]

``edit`` changes the project and writes ``autosaved.json`` once the autosave lands (the test then
kills the process with ``kill -9``); ``report`` writes ``report.json`` with what the app shows after
the start-up recovery question was answered with ANSWER, and quits cleanly with ``--quit``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from tests.ui.fake_engine import FakeEngine
from visualnn import logs
from visualnn.core.commands import AddNode, SetParam
from visualnn.core.graph import Node
from visualnn.core.recovery import PendingRecovery
from visualnn.ui.app import Session, create_application, start_session


def _write(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)  # the test polls for the file: it must never see half of it


def edit(session: Session, out: Path) -> None:
    """Change a parameter and add a layer; report where the autosave went."""
    session.autosave.autosaved.connect(
        lambda path: _write(out / "autosaved.json", {"path": path, "pid": os.getpid()})
    )
    document = session.window.document
    document.push(SetParam("dense_1", "units", 123))
    document.push(AddNode(Node("dropout_9", "Dropout", {"rate": 0.25}, (0.0, 300.0))))


def report(session: Session, out: Path, quit_after: bool) -> None:
    """Write what the window shows after the recovery question."""
    document = session.window.document
    choice, pending = session.autosave.last_offer
    _write(out / "report.json", {
        "choice": choice,
        "offered": pending.diff.lines() if pending else [],
        "nodes": list(document.graph.nodes),
        "units": document.graph.node("dense_1").params.get("units"),
        "dirty": document.is_dirty,
        "path": document.path,
        "pid": os.getpid(),
    })
    if quit_after:
        session.app.quit()


def main(argv: list[str]) -> int:
    """Start the app like run_app does, then act out MODE."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("edit", "report"))
    parser.add_argument("answer", choices=("restore", "discard", "later"))
    parser.add_argument("project")
    parser.add_argument("out", type=Path)
    parser.add_argument("--quit", action="store_true")
    args = parser.parse_args(argv)

    def prompter(pending: PendingRecovery, parent: QWidget | None) -> str:
        return str(args.answer)

    app = create_application([])
    logs.setup_logging("visualnn")
    session = start_session(app, [args.project], FakeEngine(), prompter=prompter)
    # After start-up's own deferred step (the recovery question, queued once the window has painted; this
    # slot is connected after start-up's, so its turn comes after the question's), like a user acting then.
    if args.mode == "edit":
        act = lambda: edit(session, args.out)  # noqa: E731
    else:
        act = lambda: report(session, args.out, args.quit)  # noqa: E731
    session.window.first_painted.connect(lambda: QTimer.singleShot(0, act))
    code = int(app.exec())
    session.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
