"""Helpers for tests that drive the canvas inside the real window: palette drags, shortcuts, screen pixels."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import QApplication

from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.layout import NODE_HEIGHT, NODE_WIDTH
from visualnn.core.project import Project
from visualnn.ui.main_window import MainWindow


def on_screen(window: MainWindow) -> QImage:
    """The canvas pixels as the screen holds them (incremental repaints included)."""
    vp = window.view.viewport()
    top_left = vp.mapToGlobal(QPoint(0, 0))
    shot = window.screen().grabWindow(0, top_left.x(), top_left.y(), vp.width(), vp.height())
    return shot.toImage().convertToFormat(QImage.Format.Format_RGB32)


def fresh_render(window: MainWindow) -> QImage:
    """The canvas painted from scratch: what the screen must show once every repaint has landed."""
    return window.view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def palette_mime(window: MainWindow, type_id: str) -> QMimeData:
    """The payload the palette puts on a drag of ``type_id`` (its own mimeData)."""
    tree = window.palette_panel.tree
    items = tree.findItems(type_id, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    assert items, f"{type_id} is not in the palette"
    return tree.mimeData(items[:1])


def drag_onto_canvas(window: MainWindow, type_id: str, at: QPoint) -> None:
    """Drag a layer from the palette and drop it at viewport position ``at`` (enter, move, drop)."""
    mime = palette_mime(window, type_id)
    vp = window.view.viewport()
    copy, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at, copy, mime, left, none)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(vp, QDragMoveEvent(at, copy, mime, left, none))
    QApplication.sendEvent(vp, QDropEvent(QPointF(at), copy, mime, left, none))


def press(qtbot: Any, window: MainWindow, keys: QKeySequence.StandardKey | str) -> None:
    """Type a shortcut into the canvas."""
    seq = QKeySequence(keys)
    combo = seq[0]
    window.view.setFocus()
    qtbot.keyClick(window.view, combo.key(), combo.keyboardModifiers())


def click_scene(qtbot: Any, window: MainWindow, scene_pos: QPointF) -> None:
    """Left-click the canvas at a scene position."""
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.mapFromScene(scene_pos))


def visible_scene_rect(window: MainWindow) -> QRectF:
    """The part of the scene the canvas shows."""
    return window.view.mapToScene(window.view.viewport().rect()).boundingRect()


def card(window: MainWindow, node_id: str) -> QRectF:
    """A node card's rectangle in scene coordinates."""
    item = window.scene.nodes[node_id]
    return QRectF(item.pos().x(), item.pos().y(), NODE_WIDTH, NODE_HEIGHT)


def overlapping_cards(window: MainWindow) -> list[tuple[str, str]]:
    """Pairs of layers whose cards overlap."""
    ids = list(window.document.graph.nodes)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if card(window, a).intersects(card(window, b))]


def chain(mode: str = SEQUENTIAL) -> Project:
    """Input -> dense_1 -> dense_2, stacked top to bottom."""
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": [16]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 140)))
    g.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 280)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return Project(g, name="chain")
