"""The Data panel says, in one small line, when the data lie outside the project's folder (issue 15, item 8).

A notice, not a problem: the project opens and trains as before; the line says the folder alone does not
carry the data, and goes away when the project is saved next to them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from tests.tiny_data import three_class_csv
from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.services.datasets.attach import attach_dataset
from visualnn.ui.app import Shell

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def test_data_outside_the_project_folder_is_noted_and_the_note_follows_save_as(
        qtbot: QtBot, shell: Shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "downloads").mkdir()
    (tmp_path / "project").mkdir()
    data = three_class_csv(tmp_path / "downloads")
    project = template("mlp_classifier").build()
    attach_dataset(project, str(data), target="species")
    save_project(project, tmp_path / "project" / "p.vnn")
    window = shell.window
    panel = window.data_panel
    window.docks["data"].raise_()
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        assert window.open_path(str(tmp_path / "project" / "p.vnn"), ask=False)
    note = panel.location_note
    assert note.isVisible()
    assert str(data) in note.text() and "outside the project folder" in note.text()
    assert str(tmp_path / "project") in note.text()
    assert panel.info is not None and panel.info.n_samples == 30  # a notice: the data are read as before

    # Saved next to the data: inside the project's folder now, the line goes away.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "downloads" / "p.vnn"), ""))
    assert window.save_as()
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=WAIT_MS)


def test_data_inside_the_project_folder_has_no_note(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    data = three_class_csv(tmp_path)
    project = template("mlp_classifier").build()
    attach_dataset(project, str(data), target="species")
    save_project(project, tmp_path / "p.vnn")
    panel = shell.window.data_panel
    shell.window.docks["data"].raise_()
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        assert shell.window.open_path(str(tmp_path / "p.vnn"), ask=False)
    assert not panel.location_note.isVisible() and panel.location_note.text() == ""
