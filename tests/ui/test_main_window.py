"""The main window end to end: palette drop, inspector edit, undo/redo, clipboard, files, close prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from tests.template_helpers import offline_graph
from visualnn.core.graph import Edge
from visualnn.core.templates import TEMPLATES
from visualnn.ui import errors
from visualnn.ui.app import Shell
from visualnn.ui.inspector.editors import ChoiceEditor, IntEditor, TextEditor
from visualnn.ui.main_window import MainWindow


@pytest.fixture
def window(shell: Shell) -> MainWindow:
    return shell.window


def _palette_item(win: MainWindow, type_id: str) -> Any:
    tree = win.palette_panel.tree
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            if top.child(j).text(0) == type_id:
                return top.child(j)
    raise AssertionError(type_id)


def _drop_from_palette(win: MainWindow, type_id: str, scene_pos: QPointF) -> None:
    mime = win.palette_panel.tree.mimeData([_palette_item(win, type_id)])
    pos = QPointF(win.view.mapFromScene(scene_pos))
    win.view.dropEvent(QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def test_build_a_model_from_an_empty_canvas(window: MainWindow) -> None:
    win = window
    assert len(win.document.graph) == 0
    _drop_from_palette(win, "Input", QPointF(0, 0))
    _drop_from_palette(win, "Dense", QPointF(0, 200))
    ids = list(win.document.graph.nodes)
    assert [win.document.graph.nodes[i].type for i in ids] == ["Input", "Dense"]
    assert win.windowTitle().startswith("Untitled *")
    # Connect by dragging output -> input port.
    scene = win.scene
    scene.start_connection(scene.nodes[ids[0]].output)
    scene.finish_connection(scene.nodes[ids[1]].inputs[0])
    edge = Edge.of(ids[0], ids[1])
    assert edge in win.document.graph.edges
    assert scene.edges[edge].label == "(None, 4) · rank 2"
    # Add one more after the Dense by double-clicking in the palette (Dense is selected).
    scene.select_ids([ids[1]])
    win.palette_panel.layer_activated.emit("Dense")
    new = [n for n in win.document.graph.nodes if n not in ids][0]
    assert win.document.graph.predecessors(new) == [ids[1]]
    # Edit units of the first Dense in the inspector: the downstream edge label follows.
    scene.select_ids([ids[1]])
    row = win.inspector.rows["units"]
    assert isinstance(row.editor, IntEditor)
    row.editor.box.setValue(20)
    row.editor.box.setValue(21)  # a spin drag: one undo step
    assert scene.edges[Edge.of(ids[1], new)].label == "(None, 21) · rank 2"
    count = win.document.undo_stack.count()
    win.actions_["undo"].trigger()
    assert scene.edges[Edge.of(ids[1], new)].label == "(None, 32) · rank 2"
    assert row.editor.box.value() == 32  # the editor follows undo without echoing a command
    assert win.document.undo_stack.count() == count
    win.actions_["redo"].trigger()
    assert scene.edges[Edge.of(ids[1], new)].label == "(None, 21) · rank 2"
    # Choice editor: activation.
    act = win.inspector.rows["activation"].editor
    assert isinstance(act, ChoiceEditor)
    act.box.setCurrentIndex(act.box.findData("tanh"))
    act.box.activated.emit(act.box.currentIndex())
    assert win.document.graph.nodes[ids[1]].params["activation"] == "tanh"
    assert "tanh" in scene.nodes[ids[1]].view.subtitle
    assert "activation=\"tanh\"" in win.code_panel.code().replace("'", '"')


def test_inspector_refuses_invalid_values_inline(window: MainWindow) -> None:
    win = window
    win.new_from_template("cnn_small")
    drop = next(n.id for n in win.document.graph if n.type == "Dropout")
    win.scene.select_ids([drop])
    conv = next(n.id for n in win.document.graph if n.type == "Conv2D")
    before = win.document.undo_stack.count()
    win.scene.select_ids([conv])
    kernel = win.inspector.rows["kernel_size"].editor
    assert isinstance(kernel, TextEditor)
    kernel.line.setText("5, x")
    kernel.line.editingFinished.emit()
    assert win.inspector.rows["kernel_size"].error.text()
    kernel.line.setText("0, 0")
    kernel.line.editingFinished.emit()
    assert "kernel_size" in win.inspector.rows["kernel_size"].error.text()
    assert win.document.undo_stack.count() == before
    kernel.line.setText("5")
    kernel.line.editingFinished.emit()
    assert win.document.graph.nodes[conv].params["kernel_size"] == [5, 5]
    assert win.inspector.rows["kernel_size"].error.isHidden()
    win.inspector.name_edit.setText("features")  # type: ignore[union-attr]
    win.inspector.name_edit.editingFinished.emit()  # type: ignore[union-attr]
    assert win.document.graph.nodes[conv].name == "features"
    assert win.scene.nodes[conv].view.name == "features"


def test_copy_paste_delete_through_actions(window: MainWindow) -> None:
    win = window
    win.new_from_template("mlp_classifier")
    n = len(win.document.graph)
    dense = [x.id for x in win.document.graph if x.type == "Dense"]
    win.scene.select_ids(dense[:1])
    win.actions_["copy"].trigger()
    win.actions_["paste"].trigger()
    assert len(win.document.graph) == n + 1
    win.actions_["duplicate"].trigger()
    assert len(win.document.graph) == n + 2
    win.actions_["select_all"].trigger()
    assert len(win.scene.selected_ids()) == n + 2
    win.actions_["delete"].trigger()
    assert len(win.document.graph) == 0
    win.actions_["undo"].trigger()
    assert len(win.document.graph) == n + 2


def test_save_open_round_trip_and_recent_files(window: MainWindow, tmp_path: Any) -> None:
    win = window
    win.new_from_template("cnn_small")
    path = str(tmp_path / "cnn.vnn")
    assert win._save_to(path)
    assert not win.document.is_dirty and "*" not in win.windowTitle()
    saved = win.document.graph.to_dict()
    win.new_project()
    assert len(win.document.graph) == 0
    assert win.open_path(path)
    assert win.document.graph.to_dict() == saved
    assert win.recent_files()[0] == os.path.abspath(path)
    assert win.recent_menu.actions()[0].toolTip() == os.path.abspath(path)


def test_open_error_is_a_message_not_a_crash(window: MainWindow, tmp_path: Any, qtbot: Any) -> None:
    bad = tmp_path / "bad.vnn"
    bad.write_text("{not json")
    assert not window.open_path(str(bad))
    dialog = window.findChild(errors.ErrorDialog)
    assert isinstance(dialog, errors.ErrorDialog) and dialog.isVisible()
    assert dialog.windowTitle() == "Cannot open project" and "bad.vnn" in dialog.message.text()
    assert dialog.message.text().count("bad.vnn") == 1  # the reason names the file: the window does not repeat it
    assert "Traceback" in dialog.details.toPlainText()  # Copy details carries the cause
    dialog.close()
    missing = tmp_path / "gone.vnn"
    assert not window.open_path(str(missing))
    again = [d for d in window.findChildren(errors.ErrorDialog) if d.isVisible()]
    assert again and again[-1].message.text().count("gone.vnn") == 1
    again[-1].close()


def test_close_with_unsaved_changes_asks(window: MainWindow, monkeypatch: Any) -> None:
    win = window
    win.new_from_template("mlp_classifier")
    win.controller.delete([next(iter(win.document.graph.nodes))])
    assert win.document.is_dirty
    answers = [QMessageBox.StandardButton.Cancel]
    asked: list[str] = []

    def fake_question(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[2])
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", fake_question)
    assert not win.close()
    assert win.isVisible() and len(asked) == 1
    answers.append(QMessageBox.StandardButton.Discard)
    assert win.close()
    assert win.settings.value("window/geometry") is not None


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_opens_valid(window: MainWindow, name: str) -> None:
    win = window
    win.new_from_template(name)
    errors = [i for i in win.document.issues if i.severity == "error"]
    assert errors == []
    total = win.document.shapes.total_params
    assert total > 0
    assert win.params_label.text() == f"Params: {total:,}"
    assert win.validity_label.text().startswith("✓ Valid")
    assert set(win.scene.nodes) == set(win.document.graph.nodes)
    assert len(win.scene.edges) == len(win.document.graph.edges)
    ys = {nid: win.document.graph.nodes[nid].pos[1] for nid in win.document.graph.nodes}
    assert all(ys[e.src.node] < ys[e.dst.node] for e in win.document.graph.edges)


@pytest.mark.tf
def test_template_totals_match_keras(window: MainWindow) -> None:
    from visualnn.services.keras_builder import build_model

    for name in TEMPLATES:
        window.new_from_template(name)
        graph = offline_graph(window.document.graph.copy())  # tests never download ImageNet weights
        model = build_model(graph)
        assert window.document.shapes.total_params == model.count_params(), name


def test_window_start_does_not_import_tensorflow(tmp_path: Any) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from PySide6.QtCore import QSettings\n"
        "app = QApplication([])\n"
        "from visualnn.ui.app import build_main_window\n"
        "from visualnn.ui.document import ProjectDocument\n"
        "from visualnn.ui.engine_client import EngineClient\n"
        f"s = QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat)\n"
        "w = build_main_window(ProjectDocument(), EngineClient(app), s).window\n"
        "w.new_from_template('cnn_small'); w.show(); app.processEvents()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'numpy', 'pandas') if m in sys.modules))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "tensorflow" not in out.stdout and "keras" not in out.stdout


def test_raising_a_bottom_tab_moves_the_step_bar(window: MainWindow, qtbot: Any) -> None:
    for key, step in (("evaluation", "Evaluate"), ("data", "Data"), ("predict", "Predict"), ("training", "Compile")):
        window.docks[key].raise_()
        qtbot.waitUntil(lambda s=step: window.step_bar.current() == s, timeout=2000)
    window.step_bar.set_current("Fit")  # Compile and Fit share the training tab: Fit stays Fit
    window.docks["data"].raise_()
    qtbot.waitUntil(lambda: window.step_bar.current() == "Data", timeout=2000)
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: window.step_bar.current() == "Compile", timeout=2000)
    window.step_bar.buttons["Fit"].click()
    assert window.step_bar.current() == "Fit"


def test_the_window_opens_on_step_one(window: MainWindow) -> None:
    assert window.step_bar.current() == "Data"


def test_the_window_opens_fitted_to_a_small_screen(qtbot: Any, fake_engine: Any, settings: Any, monkeypatch: Any) -> None:
    """On a 1366x768 laptop the default 1400x880 window would hang off the screen; it shrinks to fit."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    from visualnn.ui.app import build_main_window
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.main_window import DEFAULT_SIZE, first_size

    assert first_size(QRect(0, 0, 1920, 1200)) == DEFAULT_SIZE  # a desktop monitor: the default
    laptop = QRect(0, 0, 1366, 740)  # 768 less the desktop's panel
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: laptop)
    shell = build_main_window(ProjectDocument(), fake_engine, settings)
    qtbot.addWidget(shell.window)
    shell.window.show()
    size = shell.window.size()
    assert size.width() <= laptop.width() and size.height() <= laptop.height(), size
    assert (size.width(), size.height()) == (int(1366 * 0.96), int(740 * 0.92))
