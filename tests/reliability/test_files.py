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
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from visualnn.core.codegen import requirements_txt
from visualnn.core.commands import SetParam
from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser

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


class SaveTo:
    """Answers the window's file dialogs: every save goes to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open_file(self, parent: object, title: str, start: str, filters: str) -> str:
        return ""

    def open_files(self, parent: object, title: str, start: str, filters: str) -> list[str]:
        return []

    def save_file(self, parent: object, title: str, start: str, filters: str) -> str:
        return str(self.path)

    def folder(self, parent: object, title: str, start: str) -> str:
        return ""


class Answer:
    """Clicks the button named ``answer`` in any question box that opens, recording what it said."""

    def __init__(self, qtbot: QtBot, answer: str) -> None:
        self.qtbot, self.answer = qtbot, answer
        self.asked: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()

    def _on_tick(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return
        self.asked.append(f"{box.windowTitle()}: {box.text()} {box.informativeText()}")
        button = next(b for b in box.buttons() if b.text().replace("&", "") == self.answer)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _save_script_from_the_code_panel(shell: Shell, qtbot: QtBot, target: Path, answer: str) -> tuple[Answer, str]:
    """Click the Code panel's Save (the file dialog answers ``target``); answer any question with ``answer``."""
    window = shell.window
    window.document.set_project(_project())
    use_chooser(window, SaveTo(target))
    window.docks["code"].show()
    window.docks["code"].raise_()
    panel = window.code_panel
    qtbot.waitUntil(panel.save_button.isVisible, timeout=5000)
    answers = Answer(qtbot, answer)
    try:
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.status.isVisible() and panel.status.text() != "", timeout=15000)
    finally:
        answers.timer.stop()
    return answers, panel.status.text()


MINE = "numpy<2  # pinned by hand for our cluster\nmy-private-lib==1.4\n"


@pytest.mark.parametrize("answer", ["Replace", "Keep Mine", "Cancel"])
def test_code_panel_save_asks_before_replacing_the_users_requirements(
    shell: Shell, qtbot: QtBot, tmp_path: Path, answer: str
) -> None:
    """Issue 15 (7c): the Code panel's Save must not overwrite the user's own requirements.txt silently."""
    target = tmp_path / "train.py"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(MINE, encoding="utf-8")
    answers, status = _save_script_from_the_code_panel(shell, qtbot, target, answer)
    assert len(answers.asked) == 1, f"Save did not ask about the existing requirements.txt (status: {status!r})"
    assert str(requirements) in answers.asked[0] and "tensorflow==" in answers.asked[0]
    if answer == "Replace":
        assert requirements.read_text(encoding="utf-8") == requirements_txt()
        assert target.is_file() and status == f"Saved train.py and requirements.txt in {tmp_path}."
    elif answer == "Keep Mine":
        assert requirements.read_text(encoding="utf-8") == MINE
        assert target.is_file() and "kept your own requirements.txt" in status
    else:
        assert requirements.read_text(encoding="utf-8") == MINE and not target.exists()
        assert status == "Nothing was saved: train.py and requirements.txt are as they were."


def test_code_panel_save_asks_about_an_edited_visualnn_requirements_and_not_about_an_identical_one(
    shell: Shell, qtbot: QtBot, tmp_path: Path
) -> None:
    target = tmp_path / "train.py"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_txt(), encoding="utf-8")  # what VisualNN writes: nothing to ask
    answers, status = _save_script_from_the_code_panel(shell, qtbot, target, "Cancel")
    assert answers.asked == [] and target.is_file() and status.startswith("Saved train.py and requirements.txt")
    edited = requirements_txt() + "pandas==2.2.2\n"  # VisualNN wrote it, then the user added a line
    requirements.write_text(edited, encoding="utf-8")
    target.unlink()
    answers, status = _save_script_from_the_code_panel(shell, qtbot, target, "Keep Mine")
    assert len(answers.asked) == 1 and requirements.read_text(encoding="utf-8") == edited and target.is_file()


TINY_CONFIG = {  # model.to_json() of a two-layer Sequential, written out so the refusal needs no TensorFlow
    "module": "keras", "class_name": "Sequential", "registered_name": None, "config": {"name": "tiny", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input_layer"}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
         "config": {"name": "dense", "units": 3, "activation": "softmax"}},
    ]},
}


def _project_with_a_run(tmp_path: Path) -> tuple[Path, bytes]:
    from visualnn.core.training_config import RunRecord

    project = _project()
    (tmp_path / "runs" / "run-1").mkdir(parents=True)
    (tmp_path / "runs" / "run-1" / "model.keras").write_bytes(b"weights")
    project.add_run(RunRecord(id="run-1", started="2026-01-01T00:00:00+00:00", status="finished",
                              graph=project.graph.to_dict(), model_path="runs/run-1/model.keras"))
    path = tmp_path / "existing.vnn"
    save_project(project, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("as_json", [False, True])
def test_import_model_refuses_to_replace_an_existing_project_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    """Issue 15 (7d): import-model replaced an existing project (and its run history) while `new` refuses."""
    from visualnn.cli import main

    existing, before = _project_with_a_run(tmp_path)
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY_CONFIG), encoding="utf-8")
    code = main(["import-model", str(config), "-o", str(existing), *(["--json"] if as_json else [])])
    out = capsys.readouterr()
    message = f"{existing} already exists; pass --force to overwrite it."
    assert code == 2
    if as_json:
        assert json.loads(out.out) == {"ok": False, "error": message}
    else:
        assert out.err == f"visualnn: {message}\n"
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.vnn", "runs", "tiny.json"]
    # `new` says the same thing in the same words
    assert main(["new", "--template", "mlp_classifier", "-o", str(existing)]) == 2
    assert capsys.readouterr().err == f"visualnn: {message}\n"


@pytest.mark.tf
def test_import_model_with_force_replaces_the_existing_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from visualnn.cli import main

    existing, _before = _project_with_a_run(tmp_path)
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY_CONFIG), encoding="utf-8")
    assert main(["import-model", str(config), "-o", str(existing), "--force"]) == 0
    assert "Imported 'tiny'" in capsys.readouterr().out
    replaced = load_project(existing)
    assert replaced.name == "tiny" and replaced.runs == []
