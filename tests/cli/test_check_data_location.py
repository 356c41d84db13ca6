"""``visualnn check`` notes data that lie outside the project folder (a notice: the exit code is unchanged)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tiny_data import three_class_csv
from visualnn.cli import main
from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.services.datasets.attach import attach_dataset


def _project(folder: Path, data: Path) -> Path:
    project = template("mlp_classifier").build()
    attach_dataset(project, str(data), target="species")
    folder.mkdir(exist_ok=True)
    save_project(project, folder / "p.vnn")
    return folder / "p.vnn"


def test_check_notes_data_outside_the_project_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "downloads").mkdir()
    data = three_class_csv(tmp_path / "downloads")
    path = _project(tmp_path / "proj", data)
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"notice  The data ({data}) lie outside the project folder ({tmp_path / 'proj'})" in out
    assert "0 error(s), 0 warning(s)" in out
    assert main(["check", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["notices"]) == 1 and str(data) in report["notices"][0] and report["warnings"] == 0


def test_check_says_nothing_for_data_inside_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = three_class_csv(tmp_path)
    path = _project(tmp_path, data)
    assert main(["check", str(path)]) == 0
    assert "notice" not in capsys.readouterr().out
    assert main(["check", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notices"] == []


def test_check_notes_a_run_model_outside_the_project_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from visualnn.core.project.io import load_project
    from visualnn.core.training_config import RunRecord

    data = three_class_csv(tmp_path)
    path = _project(tmp_path, data)
    project = load_project(path)
    project.add_run(RunRecord(id="r1", started="2026-01-01T00:00:00", model_path="runs/r1/model.keras"))
    project.add_run(RunRecord(id="r2", started="2026-01-02T00:00:00", model_path="/elsewhere/model.keras"))
    save_project(project, path)
    assert main(["check", str(path)]) == 0  # a notice, not an error
    out = capsys.readouterr().out
    assert "notice  The model of run r2 (/elsewhere/model.keras) lies outside the project folder" in out
    assert "run r1" not in out
