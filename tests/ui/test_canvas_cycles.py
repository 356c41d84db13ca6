"""A project whose graph has a cycle: every edge is drawn, clickable and deletable, and Problems leads to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from tests.ui.canvas_helpers import click_scene, press, visible_scene_rect
from visualnn.core.graph import FUNCTIONAL, Edge, Graph
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.ui.app import Shell
from visualnn.ui.canvas.items import NodeItem


def _write_cycle_project(path: Path) -> None:
    """input_1 -> dense_1 -> dense_2 -> dense_3 -> dense_1, stacked straight down as a saved file would have it."""
    g = Graph.from_dict({
        "mode": FUNCTIONAL,
        "nodes": [
            {"id": "input_1", "type": "Input", "params": {"shape": [8]}, "pos": [0, 0]},
            {"id": "dense_1", "type": "Dense", "params": {"units": 8}, "pos": [0, 140]},
            {"id": "dense_2", "type": "Dense", "params": {"units": 8}, "pos": [0, 280]},
            {"id": "dense_3", "type": "Dense", "params": {"units": 8}, "pos": [0, 420]},
        ],
        "edges": [
            {"from": ["input_1", 0], "to": ["dense_1", 0]},
            {"from": ["dense_1", 0], "to": ["dense_2", 0]},
            {"from": ["dense_2", 0], "to": ["dense_3", 0]},
            {"from": ["dense_3", 0], "to": ["dense_1", 0]},
        ],
    })
    save_project(Project(g, name="loop"), str(path))


def test_back_edge_of_a_cycle_is_drawn_clickable_and_deletable(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    path = tmp_path / "loop.vnn"
    _write_cycle_project(path)
    assert window.open_path(str(path), ask=False)
    qtbot.wait(50)
    back = Edge.of("dense_3", "dense_1")
    item = window.scene.edges[back]
    assert item.closes_cycle and item.pen_style() == Qt.PenStyle.DashLine
    # The middle of the curve is on open canvas, not hidden under a card.
    mid = item.path().pointAtPercent(0.5)
    assert not any(isinstance(i, NodeItem) for i in window.scene.items(mid))
    window.view.centerOn(mid)
    click_scene(qtbot, window, mid)
    assert window.scene.selected_edges() == [back]
    press(qtbot, window, QKeySequence.StandardKey.Delete)
    assert back not in window.document.graph.edges and back not in window.scene.edges
    assert not window.document.graph.has_cycle()
    # Undo puts the back edge back (the cycle check must not refuse restoring the file's own edge).
    failures: list[str] = []
    window.document.command_failed.connect(failures.append)
    press(qtbot, window, QKeySequence.StandardKey.Undo)
    assert failures == []
    assert back in window.document.graph.edges and back in window.scene.edges
    assert window.scene.edges[back].closes_cycle


def test_problems_entry_of_a_back_edge_selects_and_centres_that_edge(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    path = tmp_path / "loop.vnn"
    _write_cycle_project(path)
    assert window.open_path(str(path), ask=False)
    window.docks["problems"].show()
    window.docks["problems"].raise_()
    qtbot.wait(50)
    tree = window.problems_panel.tree
    rows = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    row = next(r for r in rows if r is not None and r.text(3).startswith("Disconnect dense_3"))
    window.view.centerOn(-3000, -3000)  # look elsewhere first
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(row).center())
    back = Edge.of("dense_3", "dense_1")
    assert window.scene.selected_edges() == [back]
    assert window.scene.selected_ids() == []
    assert visible_scene_rect(window).contains(window.scene.edges[back].path().pointAtPercent(0.5))
    # And the user can act on it right away.
    press(qtbot, window, QKeySequence.StandardKey.Delete)
    assert back not in window.document.graph.edges
