"""Edit > Freeze Everything Before This Layer / Unfreeze All Layers, also on the canvas's right-click menu.

Each is one undoable command (:mod:`visualnn.core.freezing`); the Summary and the cards follow the document.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsItem, QMenu

from visualnn.core.freezing import FreezeBefore, UnfreezeAll, frozen_ids
from visualnn.ui.canvas.items import NodeItem
from visualnn.ui.main_window import MainWindow


class FreezeActions(QObject):
    """The two freezing commands as actions: in the Edit menu, and on a layer's right-click menu."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._target: str | None = None  # the layer a right-click menu was opened on
        self.freeze_before = self._action("freeze_before", "&Freeze Everything Before This Layer",
                                          "Freeze every layer that feeds the selected one (transfer learning): "
                                          "training leaves their weights as they are.", self.freeze_before_selected)
        self.unfreeze_all = self._action("unfreeze_all", "U&nfreeze All Layers",
                                         "Make every frozen layer trainable again.", self.unfreeze_everything)
        menu = window.edit_menu
        menu.addSeparator()
        menu.addAction(self.freeze_before)
        menu.addAction(self.unfreeze_all)
        self.menu = QMenu(window.view)
        self.menu.addAction(self.freeze_before)
        self.menu.addAction(self.unfreeze_all)
        window.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        window.scene.selection_ids_changed.connect(self._sync)
        window.document.graph_changed.connect(self._sync)
        window.document.project_replaced.connect(self._sync)
        self._sync()

    def _action(self, key: str, text: str, tip: str, slot: object) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(f"action_{key}")
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
        self.window.actions_[key] = action
        return action

    def _selected_layer(self) -> str | None:
        ids = self.window.scene.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _sync(self, *_: object) -> None:
        graph = self.window.document.graph
        target = self._target or self._selected_layer()
        self.freeze_before.setEnabled(target is not None and target in graph.nodes
                                      and graph.nodes[target].type != "Input")
        self.unfreeze_all.setEnabled(bool(frozen_ids(graph)))

    def freeze_before_selected(self) -> bool:
        """Freeze every layer before the right-clicked (or the one selected) layer; False when refused or none."""
        target = self._target or self._selected_layer()
        if target is None:
            return False
        return bool(self.window.document.push(FreezeBefore(target, self.window.document.registry)))

    def unfreeze_everything(self) -> bool:
        """Make every frozen layer trainable again (one undo step)."""
        return bool(self.window.document.push(UnfreezeAll()))

    def _on_view_context_menu_requested(self, pos: QPoint) -> None:
        item: QGraphicsItem | None = self.window.view.itemAt(pos)
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if item is None:
            self._target = None
        else:
            self._target = item.node_id
            if not item.isSelected():  # the menu acts on the card under the mouse: show it selected
                self.window.scene.clearSelection()
                item.setSelected(True)
        self._sync()
        # The actions other features put on the canvas (Make Block, Open Block, Export Block) follow the freezing ones.
        self.menu.clear()
        self.menu.addAction(self.freeze_before)
        self.menu.addAction(self.unfreeze_all)
        more = [a for a in self.window.view.actions() if not a.isSeparator()]
        if more:
            self.menu.addSeparator()
            self.menu.addActions(more)
        try:
            self.menu.exec(self.window.view.viewport().mapToGlobal(pos))
        finally:
            self._target = None
            self._sync()


__all__ = ["FreezeActions"]
