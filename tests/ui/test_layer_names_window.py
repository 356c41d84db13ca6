"""A layer name TensorFlow refuses, in the window: refused in the inspector as it is typed, and a problem
with a one-click fix when a file brings it in (before, both passed silently and training failed)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.ui.app import Shell


def test_the_inspector_refuses_a_typed_name_and_says_which_to_use(qtbot: QtBot, shell: Shell) -> None:
    window = shell.window
    window.new_from_template("mlp_classifier")
    dense = next(n.id for n in window.document.graph if n.type == "Dense")
    window.scene.select_ids([dense])
    edit = window.inspector.name_edit
    error = window.inspector.name_error
    assert edit is not None and error is not None
    before = window.document.undo_stack.count()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, "hidden layer")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert error.isVisible()
    assert "contains a space" in error.text() and "Use 'hidden_layer' instead." in error.text()
    assert error.wordWrap()  # the fix at the end of the message stays in view in a narrow inspector
    assert window.document.graph.nodes[dense].name is None
    assert window.document.undo_stack.count() == before
    edit.selectAll()
    qtbot.keyClicks(edit, "hidden_layer")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.graph.nodes[dense].name == "hidden_layer"
    assert not error.isVisible()


def test_a_file_with_such_a_name_shows_a_problem_and_one_click_fixes_it(
        qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    project = template("mlp_classifier").build()
    dense = next(n.id for n in project.graph if n.type == "Dense")
    project.graph.rename(dense, "couche_é")
    path = tmp_path / "accents.vnn"
    save_project(project, str(path))
    window = shell.window
    assert window.open_path(str(path), ask=False)
    assert window.validity_label.text() == "✗ 1 error"
    tree = window.problems_panel.tree
    rows = [(tree.topLevelItem(i).text(1), tree.topLevelItem(i).text(2)) for i in range(tree.topLevelItemCount())]
    assert rows == [("couche_é", "The layer name 'couche_é' contains 'é': layer names may use only letters A-Z and "
                                 "a-z, digits and _ . - > (TensorFlow refuses any other character when it trains "
                                 "the model).")]
    window.docks["problems"].raise_()
    [button] = window.problems_panel.fix_buttons
    assert button.text() == "Fix: rename to couche_e"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.document.graph.nodes[dense].name == "couche_e"
    assert window.validity_label.text() == "✓ Valid"
    window.document.undo_stack.undo()  # one undoable step
    assert window.document.graph.nodes[dense].name == "couche_é"
