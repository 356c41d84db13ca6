"""Ctrl+C / Ctrl+V in the window: a sequential paste joins the chain, a functional one finds free room."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QCursor, QKeySequence

from tests.ui.canvas_helpers import card, chain, click_scene, overlapping_cards, press
from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL
from visualnn.ui.app import Shell


def test_sequential_paste_goes_after_the_selected_layer_connected_in_one_undo_step(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(chain(SEQUENTIAL))
    qtbot.wait(50)
    before = window.document.project.to_dict()
    click_scene(qtbot, window, card(window, "dense_1").center())
    assert window.scene.selected_ids() == ["dense_1"]
    press(qtbot, window, QKeySequence.StandardKey.Copy)
    QCursor.setPos(window.view.viewport().mapToGlobal(window.view.mapFromScene(card(window, "dense_1").center())))
    press(qtbot, window, QKeySequence.StandardKey.Paste)
    graph = window.document.graph
    order = graph.chain_order()
    assert order is not None and len(order) == 4, "the pasted layer is not part of the chain"
    copy_id = order[2]
    assert order[:2] == ["input_1", "dense_1"] and order[3] == "dense_2"
    assert graph.nodes[copy_id].type == "Dense" and graph.nodes[copy_id].params["units"] == 8
    assert window.scene.selected_ids() == [copy_id]
    assert overlapping_cards(window) == []
    assert [i.message for i in window.document.issues if i.severity == "error"] == []
    press(qtbot, window, QKeySequence.StandardKey.Undo)
    assert window.document.project.to_dict() == before


def test_sequential_paste_without_selection_appends_to_the_end_of_the_chain(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(chain(SEQUENTIAL))
    qtbot.wait(50)
    click_scene(qtbot, window, card(window, "dense_1").center())
    press(qtbot, window, QKeySequence.StandardKey.Copy)
    click_scene(qtbot, window, card(window, "dense_1").center() + QPointF(600, 0))  # empty canvas: nothing selected
    assert window.scene.selected_ids() == []
    press(qtbot, window, QKeySequence.StandardKey.Paste)
    order = window.document.graph.chain_order()
    assert order is not None and order[:3] == ["input_1", "dense_1", "dense_2"] and len(order) == 4
    assert overlapping_cards(window) == []


def test_functional_paste_over_the_original_does_not_hide_it(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(chain(FUNCTIONAL))
    qtbot.wait(50)
    centre = card(window, "dense_1").center()
    click_scene(qtbot, window, centre)
    press(qtbot, window, QKeySequence.StandardKey.Copy)
    QCursor.setPos(window.view.viewport().mapToGlobal(window.view.mapFromScene(centre)))
    press(qtbot, window, QKeySequence.StandardKey.Paste)
    assert len(window.document.graph) == 4
    assert overlapping_cards(window) == []
    # Pasting again (no cursor over the canvas) still finds free room.
    QCursor.setPos(window.mapToGlobal(QPoint(-500, -500)))
    press(qtbot, window, QKeySequence.StandardKey.Paste)
    assert len(window.document.graph) == 5
    assert overlapping_cards(window) == []


def test_sequential_duplicate_follows_the_layer_and_an_input_pastes_apart(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(chain(SEQUENTIAL))
    qtbot.wait(50)
    click_scene(qtbot, window, card(window, "dense_2").center())
    press(qtbot, window, "Ctrl+D")
    order = window.document.graph.chain_order()
    assert order is not None and order[:3] == ["input_1", "dense_1", "dense_2"] and len(order) == 4
    assert window.document.undo_stack.count() == 1
    # An Input cannot continue a chain: it is pasted beside the model, which turns functional, and the user is told.
    click_scene(qtbot, window, card(window, "input_1").center())
    press(qtbot, window, QKeySequence.StandardKey.Copy)
    press(qtbot, window, QKeySequence.StandardKey.Paste)
    assert window.document.graph.mode == FUNCTIONAL
    assert "functional" in window.statusBar().currentMessage()
    assert sum(n.type == "Input" for n in window.document.graph) == 2
    assert overlapping_cards(window) == []
    assert window.document.undo_stack.count() == 2
