"""Marking parameters for search in the real window's inspector: the toggle, the SPEC line, the badge, undo."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QToolButton

from tests.ui.canvas_helpers import chain
from visualnn.core.graph import Node
from visualnn.core.search_space import FLOAT, INT, OPTIONAL, SearchParam
from visualnn.ui.app import Shell
from visualnn.ui.canvas.search_badge import badge_of


def _open(shell: Shell, qtbot: Any, node_id: str) -> None:
    window = shell.window
    window.document.set_project(chain())
    window.scene.select_ids([node_id])
    qtbot.waitUntil(lambda: window.inspector.node_id == node_id)


def _toggle(shell: Shell, target: str) -> QToolButton:
    button = shell.window.inspector.findChild(QToolButton, f"search_toggle:{target}")
    assert button is not None, f"no search toggle for {target}"
    return button


def _line(shell: Shell, target: str) -> QLineEdit:
    line = shell.window.inspector.findChild(QLineEdit, f"search_spec:{target}")
    assert line is not None, f"no SPEC line for {target}"
    return line


def test_mark_units_with_mouse_and_keyboard_shows_badge_and_undo_removes_it(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    _open(shell, qtbot, "dense_1")
    assert badge_of(window.scene.nodes["dense_1"]) is None
    toggle = _toggle(shell, "dense_1.units")
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    # Switching search on marks the parameter at once with a list around its value (8 units).
    assert window.document.project.search.space == (SearchParam("dense_1.units", "choice", (4, 8, 16)),)
    badge = badge_of(window.scene.nodes["dense_1"])
    assert badge is not None and badge.isVisible()
    assert "dense_1.units=4,8,16" in badge.toolTip()
    # The person types a range instead and presses Enter: one more undo step replaces the choice list.
    line = _line(shell, "dense_1.units")
    assert line.isVisible()
    line.selectAll()
    qtbot.keyClicks(line, "16..128:step=16")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert window.document.project.search.space == (SearchParam("dense_1.units", INT, (), 16, 128, False, 16),)
    assert badge.toolTip().endswith("dense_1.units=16..128:step=16")
    window.document.undo_stack.undo()
    assert window.document.project.search.space == (SearchParam("dense_1.units", "choice", (4, 8, 16)),)
    assert line.text() == "4,8,16"
    window.document.undo_stack.undo()
    assert window.document.project.search.is_default()
    assert badge_of(window.scene.nodes["dense_1"]) is None
    assert not toggle.isChecked() and not line.isVisible()
    window.document.undo_stack.redo()
    assert toggle.isChecked() and badge_of(window.scene.nodes["dense_1"]) is not None


def test_a_spec_that_cannot_work_is_refused_inline_naming_the_parameter(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    _open(shell, qtbot, "dense_1")
    qtbot.mouseClick(_toggle(shell, "dense_1.units"), Qt.MouseButton.LeftButton)
    before = window.document.project.search
    line = _line(shell, "dense_1.units")
    for typed, words in (("64..16", "low > high"), ("0.5..2.0", "whole number"), ("0..64:log", "log-scale")):
        line.selectAll()
        qtbot.keyClicks(line, typed)
        qtbot.keyClick(line, Qt.Key.Key_Return)
        message = window.inspector.findChild(QLineEdit, "search_spec:dense_1.units").parent().message  # type: ignore[union-attr]
        assert message.isVisible() and "dense_1.units" in message.text() and words in message.text(), message.text()
        assert window.document.project.search == before
    # Switching the toggle off unmarks the parameter and clears the message.
    qtbot.mouseClick(_toggle(shell, "dense_1.units"), Qt.MouseButton.LeftButton)
    assert window.document.project.search.space == ()
    assert badge_of(window.scene.nodes["dense_1"]) is None


def test_float_rate_and_structure_optional_and_repeat(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    _open(shell, qtbot, "dense_1")
    optional = window.inspector.findChild(QCheckBox, "search_optional:dense_1")
    assert optional is not None
    qtbot.mouseClick(optional, Qt.MouseButton.LeftButton)
    assert SearchParam("dense_1.@optional", OPTIONAL) in window.document.project.search.space
    repeat = _toggle(shell, "dense_1.@repeat")
    qtbot.mouseClick(repeat, Qt.MouseButton.LeftButton)
    targets = [p.target for p in window.document.project.search.space]
    assert targets == ["dense_1.@optional", "dense_1.@repeat"]
    badge = badge_of(window.scene.nodes["dense_1"])
    assert badge is not None and badge.text == "search ×2" and "dense_1.@repeat=1..3" in badge.toolTip()
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert not optional.isChecked() and window.document.project.search.space == ()
    # The output layer (one input, no consumer) cannot be skipped: refused with the reason, box unticked.
    window.scene.select_ids(["dense_2"])
    qtbot.waitUntil(lambda: window.inspector.node_id == "dense_2")
    out_optional = window.inspector.findChild(QCheckBox, "search_optional:dense_2")
    qtbot.mouseClick(out_optional, Qt.MouseButton.LeftButton)
    assert not out_optional.isChecked()
    assert window.inspector.structure_error is not None and "dense_2.@optional" in window.inspector.structure_error.text()
    assert window.document.project.search.space == ()


def test_dropout_rate_float_range(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    project = chain()
    project.graph.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (200, 140)))
    window.document.set_project(project)
    window.scene.select_ids(["dropout_1"])
    qtbot.waitUntil(lambda: window.inspector.node_id == "dropout_1")
    qtbot.mouseClick(_toggle(shell, "dropout_1.rate"), Qt.MouseButton.LeftButton)
    assert window.document.project.search.space == (SearchParam("dropout_1.rate", FLOAT, (), 0.0, 0.5),)
