"""Data paths: one rule for reading a stored path against a base folder and writing it relative to another."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from visualnn.core.paths import is_absolute, rebase_path, relative_path, resolve_path


def test_stored_paths_resolve_against_the_base_folder(tmp_path: Path) -> None:
    assert resolve_path("data/x.csv", tmp_path) == str(tmp_path / "data" / "x.csv")
    assert resolve_path("../x.csv", tmp_path / "sub") == str(tmp_path / "x.csv")
    assert resolve_path(str(tmp_path / "a.csv"), "/elsewhere") == str(tmp_path / "a.csv")
    assert resolve_path("~/x.csv", tmp_path) == os.path.join(os.path.expanduser("~"), "x.csv")


def test_no_base_means_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_path("x.csv", None) == str(tmp_path / "x.csv")


def test_windows_and_posix_absolute_paths_are_both_absolute() -> None:
    assert is_absolute("/data/x.csv") and is_absolute("C:\\data\\x.csv") and is_absolute("C:/data/x.csv")
    assert not is_absolute("data/x.csv") and not is_absolute("..\\x.csv")


def test_relative_paths_use_posix_separators(tmp_path: Path) -> None:
    assert relative_path(str(tmp_path / "data" / "x.csv"), tmp_path / "scripts") == "../data/x.csv"
    assert relative_path(str(tmp_path / "x.csv"), tmp_path) == "x.csv"


def test_rebase_keeps_pointing_at_the_same_file(tmp_path: Path) -> None:
    old, new = str(tmp_path / "a"), str(tmp_path / "b" / "c")
    assert rebase_path("data/x.csv", old, new) == "../../a/data/x.csv"
    assert resolve_path(rebase_path("data/x.csv", old, new), new) == resolve_path("data/x.csv", old)
    assert rebase_path("data/x.csv", None, new) == "data/x.csv"  # an unsaved project: no base yet
    assert rebase_path(str(tmp_path / "x.csv"), None, new) == "../../x.csv"


def test_data_outside_the_project_folder_get_a_notice(tmp_path: Path) -> None:
    from visualnn.core.paths import outside_folder_notice

    project = str(tmp_path / "proj" / "p.vnn")
    assert outside_folder_notice("data/x.csv", project) is None
    assert outside_folder_notice(str(tmp_path / "proj" / "deep" / "x.csv"), project) is None
    assert outside_folder_notice("./x.csv", project) is None
    notice = outside_folder_notice("../elsewhere/x.csv", project)
    assert notice is not None
    assert str(tmp_path / "elsewhere" / "x.csv") in notice and str(tmp_path / "proj") in notice
    assert outside_folder_notice("/etc/passwd", project) is not None
    # A sibling folder whose name starts with the project folder's is outside it.
    assert outside_folder_notice(str(tmp_path / "proj2" / "x.csv"), project) is not None
    assert outside_folder_notice("/anywhere/x.csv", None) is None  # an unsaved project has no folder yet
