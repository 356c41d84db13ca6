"""File > Import Keras Model… in the real window, with the stand-in engine process (real protocol, no TensorFlow).

The stand-in's ``import_model`` reads the chosen file as JSON telling it how many layers to report and how
slowly (``fake_engine_process.py``); the engine-side import of real Keras files is tested in
``tests/engine/test_import_job.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QPushButton
from pytestqt.qtbot import QtBot

from visualnn.core.commands import SetParam
from visualnn.core.project.io import load_project
from visualnn.core.templates import template
from visualnn.ui.app import Shell, build_main_window
from visualnn.ui.document import ProjectDocument
from visualnn.ui.errors import ErrorDialog
from visualnn.ui.import_model import ImportController

WAIT_MS = 20_000


@pytest.fixture
def shell(qtbot: QtBot, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    """The window built by the composition root on the stand-in engine process, holding an edited template."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    built = build_main_window(ProjectDocument(template("mlp_classifier").build()), client, settings)
    built.window.show()
    yield built
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, (ErrorDialog, QMessageBox)) and widget.isVisible():
            widget.close()
    built.window.close()
    built.window.deleteLater()


def _model_file(folder: Path, name: str, **fake: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(fake))
    return path


def _choose(qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, model: Path) -> ImportController:
    """File > Import Keras Model…, answering the file dialog with ``model``; the options dialog is then open."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(model), ""))
    file_menu = shell.window.file_menu
    action = next(a for a in file_menu.actions() if a.objectName() == "action_import_model")
    assert action.text().replace("&", "") == "Import Keras Model…" and action.isEnabled()
    action.trigger()
    importer = shell.importer
    qtbot.waitUntil(lambda: importer.options is not None and importer.options.isVisible(), timeout=3000)
    return importer


def _edit(document: ProjectDocument) -> None:
    dense = next(n for n in document.graph if n.type == "Dense")
    assert document.push(SetParam(dense.id, "units", int(dense.params["units"]) + 1))
    assert document.is_dirty


def _progress(importer: ImportController) -> QProgressDialog:
    assert importer.progress is not None
    return importer.progress


def test_import_with_weights_shows_layer_progress_and_opens_the_model_as_a_saved_project(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = shell.window
    _edit(window.document)
    asked: list[str] = []

    def discard(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", discard)
    model = _model_file(tmp_path / "models", "big.keras", layers=400, step_s=0.004)
    importer = _choose(qtbot, shell, monkeypatch, model)
    options = importer.options
    assert options is not None and options.weights_box.isChecked()
    assert options.project_edit.text() == str(tmp_path / "models" / "big.vnn")
    target = tmp_path / "projects" / "big model.vnn"
    options.project_edit.clear()
    qtbot.keyClicks(options.project_edit, str(target))
    qtbot.mouseClick(options.import_btn, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "Save the changes" in asked[0]  # asked about the open project's edits first

    # The job reports every layer: the dialog shows the count while the window keeps running its event loop.
    qtbot.waitUntil(lambda: importer.progress is not None and 0 < importer.progress.value() < 400, timeout=WAIT_MS)
    dialog = _progress(importer)
    assert dialog.maximum() == 400 and "of 400" in dialog.labelText() and "big.keras" in dialog.labelText()
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    with qtbot.waitSignal(importer.imported, timeout=WAIT_MS):
        pass
    assert importer.progress is None and not dialog.isVisible()

    document = window.document
    assert len(document.graph) == 400 and len(window.scene.nodes) == 400
    assert document.project.name == "big" and document.path == str(target) and not document.is_dirty
    assert "big model" in window.windowTitle()
    (run,) = document.project.runs
    assert run.status == "imported" and (target.parent / str(run.model_path)).is_file()
    on_disk = load_project(target)
    assert len(on_disk.graph) == 400 and on_disk.runs[0].model_path == run.model_path
    assert "Imported big.keras: 400 layers" in window.statusBar().currentMessage()
    notes = window.findChild(QMessageBox, "import_notes")
    assert notes is not None and run.id in notes.informativeText()
    assert not document.undo_stack.canUndo()  # a new project, like File > Open


def test_cancel_stops_the_import_and_keeps_the_open_project(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = shell.window.document.project
    model = _model_file(tmp_path / "models", "slow.keras", layers=400, step_s=0.02)
    importer = _choose(qtbot, shell, monkeypatch, model)
    assert importer.options is not None
    qtbot.mouseClick(importer.options.import_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: importer.progress is not None and importer.progress.isVisible(), timeout=WAIT_MS)
    cancel = _progress(importer).findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    with qtbot.waitSignal(importer.cancelled, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(model)]
    assert shell.window.document.project is before and importer.progress is None
    assert "cancelled" in shell.window.statusBar().currentMessage()
    assert not (tmp_path / "models" / "slow.vnn").exists()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"fail": "Layer 'double' is a Lambda layer: it holds Python code, which VisualNN never runs. "
                  "Replace it with built-in layers (e.g. Rescaling, Reshape, Activation) and save the model again."},
         "Replace it with built-in layers"),
        (None, "Expected a .keras or .h5 file"),
    ],
)
def test_an_import_that_fails_names_the_file_and_the_fix(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: Any, expected: str
) -> None:
    before = shell.window.document.project
    if content is None:
        model = tmp_path / "notes.h5"
        model.write_text("not a model at all")
    else:
        model = _model_file(tmp_path, "lambda.keras", **content)
    importer = _choose(qtbot, shell, monkeypatch, model)
    assert importer.options is not None
    with qtbot.waitSignal(importer.failed, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(importer.options.import_btn, Qt.MouseButton.LeftButton)
    assert str(model) in blocker.args[0] and expected in blocker.args[0]
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
    assert len(dialogs) == 1 and str(model) in dialogs[0].message.text() and expected in dialogs[0].message.text()
    assert shell.window.document.project is before and importer.progress is None


def test_without_weights_the_model_opens_unsaved_and_nothing_is_written(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = _model_file(tmp_path / "models", "small.keras", layers=5)
    importer = _choose(qtbot, shell, monkeypatch, model)
    options = importer.options
    assert options is not None
    qtbot.mouseClick(options.weights_box, Qt.MouseButton.LeftButton)
    assert not options.weights_box.isChecked() and not options.project_edit.isEnabled()
    with qtbot.waitSignal(importer.imported, timeout=WAIT_MS):
        qtbot.mouseClick(options.import_btn, Qt.MouseButton.LeftButton)
    document = shell.window.document
    assert document.project.name == "small" and len(document.graph) == 5 and document.path is None
    assert document.project.runs == [] and sorted(p.name for p in (tmp_path / "models").iterdir()) == ["small.keras"]


def test_answering_cancel_to_unsaved_changes_imports_nothing(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, client: Any
) -> None:
    _edit(shell.window.document)
    before = shell.window.document.project
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    importer = _choose(qtbot, shell, monkeypatch, _model_file(tmp_path, "m.keras", layers=3))
    assert importer.options is not None
    qtbot.mouseClick(importer.options.import_btn, Qt.MouseButton.LeftButton)
    assert importer.handle is None and importer.progress is None and not client.busy()
    assert shell.window.document.project is before and shell.window.document.is_dirty
