"""Run folders travel with the project file, and a project saved under a new name takes it (issue 12, items 2, 10b)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visualnn.core.project import Project
from visualnn.core.project import io as project_io
from visualnn.core.project.io import load_project, name_for_file, save_project
from visualnn.core.project.run_folders import (
    RunFolderError,
    copy_run_folders,
    place_new_run,
    plan_run_folders,
    remove_run_folder,
)
from visualnn.core.training_config import RunRecord


def _run_folder(base: Path, run_id: str) -> Path:
    folder = base / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "model.keras").write_text(run_id)
    (folder / "logs").mkdir()
    (folder / "logs" / "events").write_text("log")
    return folder


def test_an_unsaved_projects_runs_are_copied_beside_its_first_file(tmp_path: Path) -> None:
    session = tmp_path / "session"
    folder = _run_folder(session, "run-1")
    project = Project(runs=[RunRecord("run-1", "2026-01-01T00:00:00", model_path=str(folder / "model.keras"))])
    (tmp_path / "proj").mkdir()
    save_project(project, tmp_path / "proj" / "net.vnn")
    stored = json.loads((tmp_path / "proj" / "net.vnn").read_text())
    assert stored["runs"][0]["model_path"] == "runs/run-1/model.keras"
    assert (tmp_path / "proj" / "runs" / "run-1" / "logs" / "events").read_text() == "log"
    assert (folder / "logs" / "events").read_text() == "log"  # a job in flight may still read the original
    assert project.runs[0].model_path == "runs/run-1/model.keras"
    assert load_project(tmp_path / "proj" / "net.vnn").runs[0].model_path == "runs/run-1/model.keras"


def test_a_write_that_fails_removes_the_copies_and_keeps_the_originals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _run_folder(tmp_path / "session", "run-1")
    project = Project(runs=[RunRecord("run-1", "2026-01-01T00:00:00", model_path=str(folder / "model.keras"))])

    def refuse(path: object, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(project_io, "atomic_write_text", refuse)
    (tmp_path / "proj").mkdir()
    with pytest.raises(PermissionError):
        save_project(project, tmp_path / "proj" / "net.vnn")
    assert (folder / "model.keras").read_text() == "run-1"
    assert not (tmp_path / "proj" / "runs" / "run-1").exists() and project.path is None
    assert project.name == "Untitled" and project.runs[0].model_path == str(folder / "model.keras")


def test_a_target_that_holds_something_else_is_refused_by_name(tmp_path: Path) -> None:
    source = _run_folder(tmp_path / "a", "run-1")
    (tmp_path / "b" / "runs" / "run-1").mkdir(parents=True)  # same name, no model: not this run
    moves = plan_run_folders([("run-1", "runs/run-1/model.keras")], str(tmp_path / "a"), str(tmp_path / "b"))
    with pytest.raises(RunFolderError, match="already exists and holds something else") as caught:
        copy_run_folders(moves, remove_sources=False)
    assert str(tmp_path / "b" / "runs" / "run-1") in str(caught.value) and source.exists()


def test_runs_already_beside_the_file_or_gone_are_left_alone(tmp_path: Path) -> None:
    _run_folder(tmp_path, "run-1")
    runs = [("run-1", "runs/run-1/model.keras"), ("gone", "runs/gone/model.keras"), ("none", None),
            ("flat", "runs/m.keras")]
    assert plan_run_folders(runs, str(tmp_path), str(tmp_path)) == []


def test_a_run_finished_after_the_project_moved_is_moved_beside_it(tmp_path: Path) -> None:
    session = tmp_path / "session"
    _run_folder(session, "run-9")
    (tmp_path / "proj").mkdir()
    stored = place_new_run("run-9", "runs/run-9/model.keras", str(session), str(tmp_path / "proj" / "p.vnn"))
    assert stored == "runs/run-9/model.keras" and (tmp_path / "proj" / "runs" / "run-9" / "model.keras").exists()
    assert not (session / "runs" / "run-9").exists()
    assert place_new_run("r", "runs/r/model.keras", str(session), None) == str(session / "runs" / "r" / "model.keras")
    assert remove_run_folder(str(tmp_path / "proj"), "run-9") == str(tmp_path / "proj" / "runs" / "run-9")
    assert remove_run_folder(str(tmp_path / "proj"), "run-9") is None


@pytest.mark.parametrize(("name", "old", "expected"), [
    ("Untitled", None, "foo"),  # item 10b: a new project saved as foo.vnn is foo
    ("", None, "foo"),
    ("bar", "/x/bar.vnn", "foo"),  # named after its old file: follows the file
    ("Iris classifier", "/x/bar.vnn", "Iris classifier"),  # a name someone gave stays
    ("MLP classifier", None, "MLP classifier"),
])
def test_the_name_follows_the_file_unless_someone_chose_it(name: str, old: str | None, expected: str) -> None:
    assert name_for_file(name, "/y/foo.vnn", old) == expected


def test_saving_an_untitled_project_names_it_after_the_file(tmp_path: Path) -> None:
    project = Project()
    names: list[str] = []
    project.name_changed.connect(names.append)
    save_project(project, tmp_path / "foo.vnn")
    assert project.name == "foo" and names == ["foo"]
    assert json.loads((tmp_path / "foo.vnn").read_text())["name"] == "foo"
