"""Saving keeps what the user set up around a project file: its mode, a symlink to it, their requirements.txt,
an existing project that `import-model` would replace (issue 15, item 7)."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from tests.ui.conftest import fake_engine, settings, shell  # noqa: F401  (the window fixtures)
from visualnn.core.commands import SetParam
from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.ui.app import Shell

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="file modes and symlinks are POSIX here")


def _project() -> Project:
    p = Project(name="iris")
    p.graph.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    p.graph.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 100)))
    p.graph.connect(Edge.of("input_1", "dense_1"))
    return p


@pytest.fixture
def umask() -> Iterator[None]:
    """Puts the process umask back after a test changes it."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _edit_and_save_with_ctrl_s(shell: Shell, qtbot: QtBot, path: Path, units: int) -> None:
    """Open ``path`` in the window, change a layer through a command, press Ctrl+S, as a user would."""
    window = shell.window
    assert window.open_path(str(path), ask=False)
    window.document.push(SetParam("dense_1", "units", units))
    assert window.document.is_dirty
    combo = QKeySequence(QKeySequence.StandardKey.Save)[0]
    window.view.setFocus()
    qtbot.keyClick(window.view, combo.key(), combo.keyboardModifiers())
    qtbot.waitUntil(lambda: not window.document.is_dirty, timeout=5000)


@posix_only
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_project_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: None, mask: int, expected: int) -> None:
    """Issue 15 (7a): every save made the project 0600 (the temp file's mode survived the rename)."""
    os.umask(mask)
    target = tmp_path / "new.vnn"
    save_project(_project(), target)
    assert _mode(target) == expected, f"{target} is {oct(_mode(target))}; a new file under umask {oct(mask)} is {oct(expected)}"


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o644, 0o600, 0o664])
def test_saving_in_the_window_keeps_an_existing_projects_mode(
    shell: Shell, qtbot: QtBot, tmp_path: Path, umask: None, mode: int
) -> None:
    os.umask(0o077)  # the umask would give 0600: only keeping the file's own mode gives the expected one
    path = tmp_path / "iris.vnn"
    save_project(_project(), path)
    os.chmod(path, mode)
    _edit_and_save_with_ctrl_s(shell, qtbot, path, 21)
    assert json.loads(path.read_text())["graph"]["nodes"][1]["params"]["units"] == 21
    assert _mode(path) == mode, f"saving changed {path} from {oct(mode)} to {oct(_mode(path))}"


@posix_only
@pytest.mark.parametrize("relative", [False, True])
def test_saving_through_a_symlink_updates_the_target_and_keeps_the_link(
    shell: Shell, qtbot: QtBot, tmp_path: Path, relative: bool
) -> None:
    """Issue 15 (7b): the save replaced the link with a file and left the file it pointed at stale."""
    real_dir, link_dir = tmp_path / "store", tmp_path / "work"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "iris.vnn"
    save_project(_project(), real)
    os.chmod(real, 0o640)
    link = link_dir / "iris.vnn"
    pointer = os.path.relpath(real, link_dir) if relative else str(real)
    link.symlink_to(pointer)

    _edit_and_save_with_ctrl_s(shell, qtbot, link, 33)

    assert link.is_symlink(), f"saving replaced the symlink {link} with a plain file"
    assert os.readlink(link) == pointer
    assert load_project(real).graph.node("dense_1").params["units"] == 33, f"{real} was left stale"
    assert _mode(real) == 0o640
    leftovers = sorted(p.name for d in (real_dir, link_dir) for p in d.iterdir() if p.name.endswith(".tmp"))
    assert leftovers == []
    assert sorted(p.name for p in real_dir.iterdir()) == ["iris.vnn"]
    assert shell.window.document.path == str(link)  # the project is still known by the name the user opened


@posix_only
def test_a_dangling_symlink_gets_its_file_and_a_link_loop_is_refused_by_name(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    dangling = tmp_path / "link.vnn"
    dangling.symlink_to("made.vnn")
    save_project(_project(), dangling)
    assert dangling.is_symlink() and load_project(tmp_path / "made.vnn").name == "iris"
    assert _mode(tmp_path / "made.vnn") == 0o644

    a, b = tmp_path / "a.vnn", tmp_path / "b.vnn"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    with pytest.raises(OSError, match="symbolic links loop") as failure:
        save_project(_project(), a)
    assert failure.value.filename == str(a)
    assert os.readlink(a) == "b.vnn" and os.readlink(b) == "a.vnn"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.vnn", "b.vnn", "link.vnn", "made.vnn"]
