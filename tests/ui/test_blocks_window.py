"""Blocks in the real window: select layers with the mouse, Edit > Make Block, one card on the canvas, a
double-click opens its layers in a tab (editable, one undo history), Close folds it, undo restores; the
palette lists the block and drags it in again; a block exports and imports as a .vnnblock file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from tests.core.test_blocks import residual_project
from tests.ui.canvas_helpers import card, drag_onto_canvas, press
from visualnn.core.commands import SetParam
from visualnn.core.project import Project
from visualnn.ui.block_editor import BlockTab
from visualnn.ui.errors import ErrorDialog


def _open(shell: Any, qtbot: Any) -> Any:
    window = shell.window
    window.document.set_project(residual_project())
    window.view.fit()
    qtbot.wait(50)
    return window


def _select_with_mouse(qtbot: Any, window: Any, ids: list[str]) -> None:
    vp = window.view.viewport()
    for i, nid in enumerate(ids):
        at = window.view.mapFromScene(card(window, nid).center())
        mods = Qt.KeyboardModifier.NoModifier if i == 0 else Qt.KeyboardModifier.ControlModifier
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, mods, at)
    assert window.scene.selected_ids() == ids


def _menu_action(window: Any, text: str) -> Any:
    found = [a for a in window.edit_menu.actions() if a.text().replace("&", "") == text]
    assert found, f"Edit menu has no {text!r}"
    return found[0]


def test_make_block_from_a_mouse_selection_open_it_close_it_and_undo(shell: Any, qtbot: Any, tmp_path: Path) -> None:
    window = _open(shell, qtbot)
    before = window.document.project.to_dict()
    total = window.document.shapes.total_params
    _select_with_mouse(qtbot, window, ["c1", "c2", "add"])
    shell.blocks.ask_name = lambda parent, suggestion: "residual"
    _menu_action(window, "Make Block…").trigger()

    graph = window.document.graph
    assert sorted(window.scene.nodes) == ["flat", "in", "out", "residual_1", "stem"]  # one card for the three layers
    assert list(graph.nodes) == ["in", "stem", "residual_1", "flat", "out"]
    assert graph.nodes["residual_1"].params == {"block": "residual"}
    assert window.document.shapes.output("residual_1") == (None, 8, 8, 16)
    assert window.document.shapes.total_params == total
    assert window.palette_panel.block_names() == ["residual"]
    assert window.document.undo_stack.undoText() == "Make block residual"

    # Double-click the block's card: a tab shows its layers; the tab bar appears.
    at = window.view.mapFromScene(card(window, "residual_1").center())
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    tab = window.canvas_tabs.currentWidget()
    assert isinstance(tab, BlockTab) and tab.name == "residual"
    assert sorted(tab.scene.nodes) == ["add", "c1", "c2", "input_1"]
    assert window.canvas_tabs.tabBar().isVisible()
    window.grab().save(str(tmp_path / "block_open.png"))

    # Edit inside the block through its inspector: the main graph's parameter count follows; undo reverts it.
    tab.scene.select_ids(["c1"])
    assert tab.document.push(SetParam("c1", "kernel_size", [1, 1]))
    assert window.document.shapes.total_params == total - 8 * 16 * 16
    assert graph.blocks["residual"].graph.nodes["c1"].params["kernel_size"] == [1, 1]
    press(qtbot, window, "Ctrl+Z")
    assert window.document.shapes.total_params == total

    # Close folds it back to the model's canvas.
    qtbot.mouseClick(tab.close_button, Qt.MouseButton.LeftButton)
    assert window.canvas_tabs.currentWidget() is window.view
    assert window.canvas_tabs.count() == 1

    # Undo (Ctrl+Z) restores the three layers exactly.
    press(qtbot, window, "Ctrl+Z")
    assert window.document.project.to_dict() == before
    assert sorted(window.scene.nodes) == ["add", "c1", "c2", "flat", "in", "out", "stem"]
    assert window.palette_panel.block_names() == []


def test_undo_of_make_block_closes_its_open_tab(shell: Any, qtbot: Any) -> None:
    window = _open(shell, qtbot)
    _select_with_mouse(qtbot, window, ["c1", "c2", "add"])
    shell.blocks.ask_name = lambda parent, suggestion: "residual"
    _menu_action(window, "Make Block…").trigger()
    assert shell.blocks.open_block("residual") is not None
    window.document.undo_stack.undo()
    QApplication.processEvents()
    assert window.canvas_tabs.count() == 1 and window.canvas_tabs.currentWidget() is window.view
    # Redo makes the block again (a fresh copy): a tab opened now edits that copy, the one the model uses.
    window.document.undo_stack.redo()
    tab = shell.blocks.open_block("residual")
    assert tab is not None and tab.document.graph is window.document.graph.blocks["residual"].graph
    assert tab.document.push(SetParam("c2", "filters", 8))
    assert window.document.undo_stack.undoText() == "Set filters in block residual"
    # Another project without that block closes the tab.
    window.document.set_project(Project())
    QApplication.processEvents()
    assert window.canvas_tabs.count() == 1 and shell.blocks.tabs == {}


def test_a_selection_that_cannot_be_a_block_is_refused_with_a_message(shell: Any, qtbot: Any) -> None:
    window = _open(shell, qtbot)
    before = window.document.project.to_dict()
    _select_with_mouse(qtbot, window, ["stem", "c1"])
    shell.blocks.ask_name = lambda parent, suggestion: "two_outputs"
    _menu_action(window, "Make Block…").trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
    assert dialogs, "the refusal is shown"
    assert "A block has one output, but 2 selected layers" in dialogs[-1].report
    assert "stem, c1" in dialogs[-1].report
    dialogs[-1].close()
    assert window.document.project.to_dict() == before


def test_palette_lists_the_block_drags_it_in_again_and_files_carry_it(shell: Any, qtbot: Any, tmp_path: Path) -> None:
    window = _open(shell, qtbot)
    _select_with_mouse(qtbot, window, ["c1", "c2", "add"])
    shell.blocks.ask_name = lambda parent, suggestion: "residual"
    _menu_action(window, "Make Block…").trigger()
    drag_onto_canvas(window, "residual", QPoint(40, 40))
    blocks = [n for n in window.document.graph if n.type == "Block"]
    assert [n.params["block"] for n in blocks] == ["residual", "residual"]

    path = shell.blocks.export_block("residual", str(tmp_path / "residual"))
    assert path == str(tmp_path / "residual.vnnblock")
    data = json.loads(Path(path).read_text())
    assert data["format"] == "visualnn-block" and data["block"] == "residual"

    window.document.set_project(Project())
    assert window.palette_panel.block_names() == []
    assert shell.blocks.import_block(path) == "residual"
    assert window.palette_panel.block_names() == ["residual"]
    assert window.document.undo_stack.undoText() == "Import block residual"

    broken = tmp_path / "broken.vnnblock"
    data["blocks"][0]["name"] = "has space"
    broken.write_text(json.dumps(data))
    assert shell.blocks.import_block(str(broken)) is None
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
    assert "broken.vnnblock: blocks[0].name: The block name 'has space'" in dialogs[-1].report


def test_a_block_nothing_uses_can_be_removed_and_undo_brings_it_back(shell: Any, qtbot: Any) -> None:
    window = _open(shell, qtbot)
    _select_with_mouse(qtbot, window, ["c1", "c2", "add"])
    shell.blocks.ask_name = lambda parent, suggestion: "residual"
    _menu_action(window, "Make Block…").trigger()
    assert not shell.blocks.remove_block("residual")  # residual_1 uses it
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
    assert "Block 'residual' is still used by residual_1" in dialogs[-1].report
    dialogs[-1].close()
    window.scene.select_ids(["residual_1"])
    window.delete_selection()
    assert shell.blocks.remove_block("residual")
    assert window.palette_panel.block_names() == [] and window.document.graph.blocks == {}
    window.document.undo_stack.undo()
    assert window.palette_panel.block_names() == ["residual"]
