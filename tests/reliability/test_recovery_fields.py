"""Issue 15, item 8 (recovery part): the recovery reader trusted its fields' types.

``int("abc")`` for a pid aborted the whole start-up offer and hid a valid fallback recovery. Each field
is now checked: a damaged file is refused with its name, the field and the fix, and the other
candidates are still offered; the window reports the damaged file once and sets it aside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.reliability.hostile_files import dead_pid, small_project
from visualnn.core.project.io import save_project
from visualnn.core.recovery import (
    RecoveryError,
    fallback_recovery_path,
    read_recovery,
    recovery_path_for,
    scan_recoveries,
    write_recovery,
)
from visualnn.ui.autosave import AutosaveManager
from visualnn.ui.document import ProjectDocument

BAD_FIELDS = [
    ("pid", "abc", "pid must be a whole number"),
    ("pid", 1.5, "pid must be a whole number"),
    ("format_version", "1", "format_version must be a whole number"),
    ("original_mtime", "yesterday", "original_mtime must be a number or null"),
    ("original_path", 42, "original_path must be a file path as text or null"),
    ("saved_at", 20240101, "saved_at must be a date and time as text"),
]


def _write(target: Path, original: Path, **changes: Any) -> None:
    project = small_project()
    project.graph.set_param("dense_2", "units", changes.pop("units", 3))
    write_recovery(target, project.to_dict(), str(original), pid=dead_pid())
    data = json.loads(target.read_text(encoding="utf-8"))
    data.update(changes)
    target.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.vnn"
    save_project(small_project(), path)
    return path


@pytest.mark.parametrize("key, value, fragment", BAD_FIELDS)
def test_a_field_of_the_wrong_type_is_refused_naming_the_file_and_field(
    saved: Path, key: str, value: Any, fragment: str
) -> None:
    target = recovery_path_for(saved)
    _write(target, saved, **{key: value})
    with pytest.raises(RecoveryError) as caught:
        read_recovery(target)
    assert str(target) in str(caught.value) and fragment in str(caught.value)
    assert caught.value.damaged


@pytest.mark.parametrize("key, value, fragment", BAD_FIELDS)
def test_a_damaged_recovery_never_hides_the_valid_one(
    saved: Path, tmp_path: Path, key: str, value: Any, fragment: str
) -> None:
    fallback = fallback_recovery_path(saved, tmp_path / "data")
    _write(fallback, saved, units=5, saved_at="2020-01-01T00:00:00+00:00")
    _write(recovery_path_for(saved), saved, **{key: value})
    scan = scan_recoveries(str(saved), [recovery_path_for(saved), fallback])
    assert scan.pending is not None and scan.pending.recovery.path == fallback
    assert [(p, fragment in str(e)) for p, e in scan.unreadable] == [(recovery_path_for(saved), True)]


def test_a_time_without_a_zone_is_compared_with_the_others(saved: Path, tmp_path: Path) -> None:
    # A naive timestamp beside an aware one made max() raise TypeError, aborting the offer.
    fallback = fallback_recovery_path(saved, tmp_path / "data")
    _write(fallback, saved, units=5, saved_at="2030-06-01T12:00:00")
    _write(recovery_path_for(saved), saved, saved_at="2020-01-01T00:00:00+00:00")
    scan = scan_recoveries(str(saved), [recovery_path_for(saved), fallback])
    assert scan.pending is not None and scan.pending.recovery.path == fallback and scan.unreadable == []
    assert scan.pending.recovery.saved_at.tzinfo is not None
    assert scan.pending.file_is_newer is False


def test_a_project_document_of_the_wrong_shape_is_still_diffed(saved: Path) -> None:
    # The diff for the dialog reads the document before the loader has checked it: wrong types there broke it.
    target = recovery_path_for(saved)
    _write(target, saved)
    data = json.loads(target.read_text(encoding="utf-8"))
    data["project"]["graph"] = ["not", "an", "object"]
    data["project"]["training"] = "fast"
    data["project"]["runs"] = {"a": 1}
    target.write_text(json.dumps(data), encoding="utf-8")
    scan = scan_recoveries(str(saved), [target])
    assert scan.pending is not None
    assert "4 layers removed" in " ".join(scan.pending.diff.lines())


def test_the_window_reports_the_damaged_file_once_and_offers_the_valid_one(
    qtbot: QtBot, saved: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "recovery"
    fallback = fallback_recovery_path(saved, folder)
    _write(fallback, saved, units=5, saved_at="2020-01-01T00:00:00+00:00")
    _write(recovery_path_for(saved), saved, pid="abc")
    doc = ProjectDocument()
    doc.load(str(saved))
    asked: list[Path] = []

    def prompter(pending: Any, parent: Any) -> str:
        asked.append(pending.recovery.path)
        return "restore"

    manager = AutosaveManager(doc, folder=folder, prompter=prompter)
    with qtbot.waitSignal(manager.restore_failed) as blocker:
        assert manager.offer_recovery() == "restore"
    assert asked == [fallback] and doc.graph.nodes["dense_2"].params["units"] == 5
    message = blocker.args[0]
    kept = Path(f"{recovery_path_for(saved)}.failed")
    assert str(recovery_path_for(saved)) in message and "pid must be a whole number" in message
    assert f"moved to {kept}" in message and kept.exists() and not recovery_path_for(saved).exists()
    reported: list[str] = []
    manager.restore_failed.connect(reported.append)
    manager.offer_recovery()
    assert reported == []  # set aside: reported once, not at every launch


def test_a_newer_apps_recovery_is_kept_for_it_and_not_reported(qtbot: QtBot, saved: Path, tmp_path: Path) -> None:
    target = recovery_path_for(saved)
    _write(target, saved, format_version=99)
    doc = ProjectDocument()
    doc.load(str(saved))
    manager = AutosaveManager(doc, folder=tmp_path / "data" / "recovery", prompter=lambda p, w: "restore")
    reported: list[str] = []
    manager.restore_failed.connect(reported.append)
    assert manager.offer_recovery() == "none"
    assert reported == [] and target.exists()
