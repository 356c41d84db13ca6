"""Issue 15, item 3: project and recovery files nested a few thousand levels deep.

They raised an uncaught RecursionError (a traceback, exit 1) in ``check``, ``summary``, ``train``,
``export-code``, ``evaluate`` and the start-up recovery offer. The JSON door (``core.json_limits``) now
refuses nesting deeper than ``MAX_DEPTH`` with the file, where, and the fix: every verb exits 2, and the
recovery offer reports the damaged file and still offers the good one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.reliability.hostile_files import dead_pid, nested, project_text, run_cli, small_project, write_project
from tests.ui.fake_engine import FakeEngine
from visualnn.core.json_limits import MAX_DEPTH, JsonLimitError, check_tree, loads
from visualnn.core.project.io import ProjectFileError, load_project, project_from_dict, project_to_dict, save_project
from visualnn.core.recovery import (
    PendingRecovery,
    RecoveryError,
    fallback_recovery_path,
    read_recovery,
    recovery_path_for,
    scan_recoveries,
    write_recovery,
)
from visualnn.ui.app import Session, start_session
from visualnn.ui.errors import ErrorDialog

DEEP = 5000  # past what json.loads can parse: the parser itself raised RecursionError
MIDDLE = 600  # parses, but deepcopy, dumps and the diff recursed past the limit


@pytest.mark.parametrize("levels", [DEEP, MIDDLE])
def test_a_deeply_nested_project_file_is_refused_with_where_and_the_fix(tmp_path: Path, levels: int) -> None:
    path = write_project(tmp_path, ["graph", "nodes", 1, "params", "extra"], nested(levels))
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and f"nested deeper than {MAX_DEPTH} levels" in message
    assert "Fix: remove the deeply nested value" in message
    if levels == DEEP:
        lines = project_text(["graph", "nodes", 1, "params", "extra"], "@DEEP@").splitlines()
        line = next(i for i, text in enumerate(lines, 1) if "@DEEP@" in text)
        assert f"(at line {line}, column " in message  # the parser cannot say where; the scan does
    else:
        assert caught.value.json_path is not None
        assert caught.value.json_path.startswith("graph.nodes[1].params.extra[0][0]")


def test_nesting_up_to_the_limit_loads() -> None:
    doc: Any = project_to_dict(small_project())
    inner: Any = []  # lists at levels 6 to MAX_DEPTH: the document, graph, nodes, the node and params are 1 to 5
    for _ in range(MAX_DEPTH - 6):
        inner = [inner]
    doc["graph"]["nodes"][1]["params"]["extra"] = inner
    project = project_from_dict(doc, "<limit>")
    assert "extra" in project.graph.nodes["dense_1"].params
    doc["graph"]["nodes"][1]["params"]["extra"] = [inner]
    with pytest.raises(ProjectFileError, match=f"nested deeper than {MAX_DEPTH} levels"):
        project_from_dict(doc, "<limit>")


def test_the_check_walks_without_recursion_and_names_the_first_offender() -> None:
    deep: Any = 0.0
    for _ in range(20_000):  # far deeper than Python's recursion limit: built and checked without recursion
        deep = {"a": [deep]}
    with pytest.raises(JsonLimitError) as caught:
        check_tree({"fine": 1, "bad": deep})
    assert caught.value.json_path is not None and caught.value.json_path.startswith("bad.a[0].a[0]")
    assert "levels down" in caught.value.json_path  # a long path is shortened in the message
    with pytest.raises(JsonLimitError) as first:
        check_tree({"z": [1, float("inf")], "a": float("nan")})
    assert first.value.json_path == "z[1]"  # document order, not the walk's stack order
    assert loads('{"brackets in text": "[[[[[[[[{{{{{{"}', limit=3) == {"brackets in text": "[[[[[[[[{{{{{{"}


VERBS = [("check",), ("summary",), ("train", "--epochs", "1"), ("evaluate",), ("export-code", "-o", "train.py")]


def test_every_project_verb_refuses_deep_nesting_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = write_project(tmp_path, ["graph", "nodes", 1, "params", "extra"], nested(DEEP))
    running = [(verb, run_cli(verb[0], str(path), *verb[1:], cwd=tmp_path)) for verb in VERBS]
    for verb, proc in running:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 2, f"{verb[0]} exited {proc.returncode}: {err[-2000:]}"
        assert "Traceback" not in err and "Traceback" not in out, f"{verb[0]}: {err[-2000:]}"
        assert f"{path.name}: nested deeper than {MAX_DEPTH} levels" in err, f"{verb[0]}: {err[-2000:]}"


# ----------------------------------------------------------------------------- recovery files
def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.vnn"
    save_project(small_project(), path)
    return path


def _deep_recovery(target: Path, original: Path, levels: int = DEEP) -> None:
    doc: Any = project_to_dict(small_project())
    doc["graph"]["nodes"][1]["params"]["units"] = 99
    text = json.dumps({"format": "visualnn-recovery", "format_version": 1, "saved_at": "2031-01-01T00:00:00+00:00",
                       "pid": dead_pid(), "original_path": str(original), "original_mtime": None,
                       "project": doc}, indent=1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace('"units": 99', f'"units": 99, "extra": {nested(levels)}'), encoding="utf-8")


@pytest.mark.parametrize("levels", [DEEP, MIDDLE])
def test_a_deep_recovery_file_is_refused_and_the_other_one_still_offered(tmp_path: Path, levels: int) -> None:
    saved = _saved(tmp_path)
    good = small_project()
    good.graph.set_param("dense_2", "units", 5)
    fallback = fallback_recovery_path(saved, tmp_path / "data")
    write_recovery(fallback, good.to_dict(), str(saved), pid=dead_pid())
    _deep_recovery(recovery_path_for(saved), saved, levels)  # the newer one, and damaged
    with pytest.raises(RecoveryError, match=f"{recovery_path_for(saved)}.*nested deeper than {MAX_DEPTH} levels"):
        read_recovery(recovery_path_for(saved))
    scan = scan_recoveries(str(saved), [recovery_path_for(saved), fallback])
    assert scan.pending is not None and scan.pending.recovery.path == fallback
    assert [p for p, _ in scan.unreadable] == [recovery_path_for(saved)]


def test_a_deep_project_file_does_not_break_the_offer_of_its_recovery(tmp_path: Path) -> None:
    saved = write_project(tmp_path, ["graph", "nodes", 1, "params", "extra"], nested(DEEP))
    write_recovery(recovery_path_for(saved), small_project().to_dict(), str(saved), pid=dead_pid())
    scan = scan_recoveries(str(saved), [recovery_path_for(saved)])
    assert scan.pending is not None and scan.unreadable == []


class Prompter:
    """Answers the recovery question."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[PendingRecovery] = []

    def __call__(self, pending: PendingRecovery, parent: QWidget | None) -> str:
        self.asked.append(pending)
        return self.answer


def test_start_up_reports_the_deep_recovery_sets_it_aside_and_restores_the_good_one(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUALNN_DATA_DIR", str(tmp_path / "data"))
    saved = _saved(tmp_path)
    good = small_project()
    good.graph.set_param("dense_2", "units", 5)
    fallback = fallback_recovery_path(saved, tmp_path / "data" / "recovery")
    write_recovery(fallback, good.to_dict(), str(saved), pid=dead_pid())
    os.utime(fallback, (time.time() - 60, time.time() - 60))
    _deep_recovery(recovery_path_for(saved), saved)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    prompter = Prompter("restore")
    session: Session = start_session(app, [str(saved)], FakeEngine(), settings=settings, prompter=prompter,
                                     welcome=False)
    try:
        qtbot.waitUntil(lambda: session.recovery_choice is not None, timeout=5000)
        assert session.recovery_choice == "restore"
        assert [p.recovery.path for p in prompter.asked] == [fallback]
        assert session.window.document.graph.nodes["dense_2"].params["units"] == 5
        shown = session.window.findChild(ErrorDialog)
        assert isinstance(shown, ErrorDialog) and shown.windowTitle() == "Cannot restore the autosaved changes"
        text = shown.message.text()
        kept = Path(f"{recovery_path_for(saved)}.failed")
        assert str(recovery_path_for(saved)) in text and f"nested deeper than {MAX_DEPTH} levels" in text
        assert f"moved to {kept}" in text
        assert kept.exists() and not recovery_path_for(saved).exists()
        shown.close()
    finally:
        session.window.document.set_project(small_project())
        session.window.close()
        session.close()
