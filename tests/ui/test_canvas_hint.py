"""The empty-canvas hint, as the user sees it on screen in the real window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QKeySequence

from tests.ui.canvas_helpers import drag_onto_canvas, fresh_render, on_screen, press
from visualnn.ui.app import Shell


def test_empty_canvas_hint_leaves_the_screen_with_the_first_drop_and_returns_when_empty(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    qtbot.waitExposed(window)
    qtbot.wait(50)
    empty = on_screen(window)
    vp = window.view.viewport()
    drag_onto_canvas(window, "Dense", QPoint(vp.width() // 2, vp.height() // 2))
    assert [n.type for n in window.document.graph] == ["Dense"]
    qtbot.wait(50)
    # What the user sees is a full repaint: no fragment of the hint is left beside the new card.
    shown, fresh = on_screen(window), fresh_render(window)
    assert shown == fresh, "the empty-canvas hint is still on screen after the first drop"
    assert shown != empty
    # Deleting the last layer brings the whole hint back (not only the part where the card was).
    press(qtbot, window, QKeySequence.StandardKey.Delete)
    assert not window.document.graph.nodes
    qtbot.wait(50)
    assert on_screen(window) == fresh_render(window) == empty
