"""Blocks in the window: Make Block from a selection, open a block in a canvas tab (editable), close it,
list the project's blocks in the palette, and export/import a block as a ``.vnnblock`` file.

Every edit is a core command: Make Block is one macro (``core.blocks.make_block``); edits on an opened
block's canvas go through the main document as ``InBlock`` commands, so one undo stack covers both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from visualnn.core import json_limits
from visualnn.core.blocks import (
    BLOCK_FILE_SUFFIX,
    BLOCK_TYPE,
    InBlock,
    SetBlock,
    block_file_text,
    blocks_from_file_dict,
    import_blocks_command,
    make_block,
)
from visualnn.core.command_base import Command, CommandError
from visualnn.core.project import Project
from visualnn.core.shapes import block_inputs, infer_shapes
from visualnn.ui.canvas.controller import CanvasController
from visualnn.ui.canvas.scene import GraphScene
from visualnn.ui.canvas.view import GraphView
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument, compute_issues
from visualnn.ui.errors import show_error
from visualnn.ui.inspector import InspectorPanel

if TYPE_CHECKING:
    from visualnn.ui.main_window import MainWindow

BLOCK_FILTER = f"VisualNN block (*{BLOCK_FILE_SUFFIX})"
NameAsker = Callable[[QWidget, str], str]
"""Asks for a new block's name (``""``: cancelled); tests give the controller their own."""


def ask_block_name(parent: QWidget, suggestion: str) -> str:
    """The desktop's name prompt (a modal text dialog)."""
    text, ok = QInputDialog.getText(parent, "Make block", "Name of the new block (letters, digits and _):",
                                    QLineEdit.EchoMode.Normal, suggestion)
    return text.strip() if ok else ""


class BlockDocument(ProjectDocument):
    """One block's graph as a document for a canvas: edits go to the main document as ``InBlock`` commands."""

    closed = Signal()  # the block is gone (undo of Make Block, another project opened)

    def __init__(self, main: ProjectDocument, name: str, parent: QObject | None = None) -> None:
        super().__init__(None, main.registry, parent)
        self.main = main
        self.name = name
        self.set_project(Project(main.graph.blocks[name].graph, name=name))
        main.graph_changed.connect(self._on_main_graph_changed)

    def _refresh(self) -> None:
        main = getattr(self, "main", None)  # None only while the base class builds itself
        blocks = main.graph.blocks if main is not None else None
        self._shapes = infer_shapes(self._project.graph, self.registry, blocks)
        self._issues = compute_issues(self._project, self._shapes, self.registry, None, None)
        self._stale = False

    def push(self, command: Command) -> bool:
        """Apply ``command`` inside the block, through the main document (one undo history)."""
        return self.main.push(InBlock(self.name, command))

    def _on_main_graph_changed(self) -> None:
        block = self.main.graph.blocks.get(self.name)
        if block is None:
            self.closed.emit()
        elif block.graph is not self.graph:  # redo made a fresh copy, or another project holds a block of that name
            self.set_project(Project(block.graph, name=self.name))


class BlockTab(QWidget):
    """An opened block: its layers on a canvas of their own, with an inspector for the selected one."""

    close_requested = Signal(str)

    def __init__(self, main: ProjectDocument, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.document = BlockDocument(main, name, self)
        self.controller = CanvasController(self.document, self)
        self.scene = GraphScene(self.document, self.controller)
        self.view = GraphView(self.scene)
        self.inspector = InspectorPanel(self.document, self)
        self.scene.selection_ids_changed.connect(self.inspector.set_selection)
        self.header = QLabel(f"<b>Block {name}</b>: its layers. Edits change every node that uses this block; "
                             "Ctrl+Z undoes them like any edit.")
        self.header.setWordWrap(True)
        self.close_button = QPushButton("Close Block")
        self.close_button.setObjectName("close_block")
        self.close_button.clicked.connect(lambda: self.close_requested.emit(self.name))
        self.delete_button = QPushButton("Delete Selected")
        self.delete_button.setToolTip("Delete the selected layers of this block.")
        self.delete_button.clicked.connect(lambda: self.controller.delete(self.scene.selected_ids(),
                                                                          self.scene.selected_edges()))
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 4)
        top.addWidget(self.header, 1)
        top.addWidget(self.delete_button)
        top.addWidget(self.close_button)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.view)
        split.addWidget(self.inspector)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.inspector.setMinimumWidth(280)
        split.setSizes([700, 300])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(split, 1)



def fold_canvas_tab(window: MainWindow, tab: QWidget) -> None:
    """Remove an opened block's tab (a user block, a backbone) and show the model's canvas again."""
    index = window.canvas_tabs.indexOf(tab)
    if index >= 0:
        window.canvas_tabs.removeTab(index)
    tab.deleteLater()
    window.canvas_tabs.setCurrentWidget(window.view)

class BlocksController(QObject):
    """The window's block features: its actions, the palette's Blocks group and the opened block tabs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.ask_name: NameAsker = ask_block_name
        self.tabs: dict[str, BlockTab] = {}
        # Other nodes that open like blocks (a pretrained backbone, read-only): each takes a node id, True if it opened.
        self.openers: list[Callable[[str], bool]] = []
        self.actions: dict[str, QAction] = {}
        act = self._act
        act("make_block", "Make &Block…", self.make_block_from_selection, "Ctrl+G",
            "Replace the selected layers by one block (a nested model you can reuse and export).")
        act("open_block", "&Open Block", self.open_selected_block, None,
            "Show the layers of the selected block (a pretrained backbone's read-only).")
        act("close_block", "&Close Block", self.close_current_block, None, "Fold the opened block back into its node.")
        act("remove_block", "&Remove Block from Project", self.remove_block, None,
            "Forget the selected block's definition (only once no node uses it).")
        act("export_block", "Export &Block…", self.export_block, None,
            f"Save the selected block as a small {BLOCK_FILE_SUFFIX} file for other projects.")
        act("import_block", "Import B&lock…", self.import_block, None,
            f"Add the block of a {BLOCK_FILE_SUFFIX} file to the palette's Blocks.")
        window.edit_menu.addSeparator()
        for key in ("make_block", "open_block", "close_block"):
            window.edit_menu.addAction(self.actions[key])
        window.add_file_action("import_block", self.actions["import_block"])
        window.add_file_action("export_block", self.actions["export_block"])
        sep = QAction(window.view)
        sep.setSeparator(True)
        window.view.addAction(sep)
        for key in ("make_block", "open_block", "export_block"):
            window.view.addAction(self.actions[key])
        palette = window.palette_panel
        palette.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for key in ("open_block", "export_block", "import_block", "remove_block"):
            palette.tree.addAction(self.actions[key])
        palette.block_activated.connect(self._on_palette_block_activated)
        window.scene.node_double_clicked.connect(self._on_scene_node_double_clicked)
        window.canvas_tabs.currentChanged.connect(self._on_canvas_tab_changed)
        self.document.graph_changed.connect(self._refresh_palette)
        self._refresh_palette()

    def _act(self, key: str, text: str, slot: Callable[[], object], shortcut: str | None, tip: str) -> None:
        action = QAction(text, self.window)
        action.setObjectName(f"action_{key}")
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _c=False: slot())
        self.window.addAction(action)
        self.window.actions_[key] = action
        self.actions[key] = action

    # ------------------------------------------------------------ make
    def make_block_from_selection(self) -> str | None:
        """Ask for a name and replace the selected layers by one Block node; returns its id (None: refused)."""
        ids = self.window.scene.selected_ids()
        if not ids:
            self._refuse("Select the layers to put in the block first (drag a rectangle or Ctrl+click them).")
            return None
        taken = set(self.document.graph.blocks)
        n = 1
        while f"block_{n}" in taken:
            n += 1
        name = self.ask_name(self.window, f"block_{n}")
        if not name:
            return None
        try:
            command = make_block(self.document.project, ids, name, self.document.registry)
        except CommandError as exc:
            self._refuse(str(exc))
            return None
        if not self.document.push(command):
            return None
        new = next((nid for nid, node in self.document.graph.nodes.items()
                    if node.type == BLOCK_TYPE and node.params.get("block") == name), None)
        if new is not None:
            self.window.scene.select_ids([new])
        self.window.statusBar().showMessage(f"Made block {name!r} from {len(ids)} layers. Double-click it to open it.",
                                            8000)
        return new

    def _refuse(self, message: str) -> None:
        show_error(self.window, "Cannot make a block", message)

    # ------------------------------------------------------------ open / close
    def open_block(self, name: str) -> BlockTab | None:
        """Show the block's layers in a canvas tab (made on first use) and switch to it."""
        if name not in self.document.graph.blocks:
            self.window.statusBar().showMessage(f"There is no block {name!r} in this project.", 8000)
            return None
        tab = self.tabs.get(name)
        if tab is None:
            tab = BlockTab(self.document, name, self.window.canvas_tabs)
            tab.close_requested.connect(self.close_block)
            tab.document.closed.connect(lambda n=name: self.close_block(n))
            self.tabs[name] = tab
            self.window.canvas_tabs.addTab(tab, f"Block: {name}")
        self.window.canvas_tabs.setCurrentWidget(tab)
        tab.view.fit()
        return tab

    def close_block(self, name: str) -> None:
        """Fold the block back: its tab goes, the main canvas shows again."""
        tab = self.tabs.pop(name, None)
        if tab is not None:
            fold_canvas_tab(self.window, tab)

    def close_current_block(self) -> None:
        """Close the block tab on show (nothing when the model's canvas is on show)."""
        current = self.window.canvas_tabs.currentWidget()
        if isinstance(current, BlockTab):
            self.close_block(current.name)

    def selected_block(self) -> str | None:
        """The block of the selected Block node, else of the palette's current row."""
        for nid in self.window.scene.selected_ids():
            node = self.document.graph.nodes[nid]
            if node.type == BLOCK_TYPE:
                return str(node.params.get("block"))
        return self.window.palette_panel.selected_block()

    def open_selected_block(self) -> None:
        """Open the block of the selection (a Block node, or a row of the palette's Blocks)."""
        name = self.selected_block()
        if name is None:
            selected = self.window.scene.selected_ids()
            if len(selected) == 1 and any(opener(selected[0]) for opener in self.openers):
                return  # another kind of block (a backbone) opened
            self.window.statusBar().showMessage("Select a block on the canvas or in the palette to open it.", 8000)
            return
        self.open_block(name)

    def _on_scene_node_double_clicked(self, node_id: str) -> None:
        node = self.document.graph.nodes.get(node_id)
        if node is not None and node.type == BLOCK_TYPE:
            self.open_block(str(node.params.get("block")))
        elif node is not None:
            for opener in self.openers:
                if opener(node_id):
                    break

    def _on_canvas_tab_changed(self, _index: int) -> None:
        if self.window.canvas_tabs.currentWidget() is not self.window.view:
            # The window's Delete/Cut act on the model's selection: nothing hidden may be selected meanwhile.
            self.window.scene.select_ids([])

    # ------------------------------------------------------------ palette
    def _refresh_palette(self) -> None:
        graph = self.document.graph
        rows = {}
        for name, block in graph.blocks.items():
            inner = block.graph
            rows[name] = (f"<b>{name}</b><br>{len(inner) - len(block_inputs(inner))} layers, "
                          f"{len(block_inputs(inner))} input(s). Drag it onto the canvas to use it again.")
        if list(rows) != self.window.palette_panel.block_names():
            self.window.palette_panel.set_blocks(rows)

    def _on_palette_block_activated(self, name: str) -> None:
        selected = self.window.scene.selected_ids()
        self.window.controller.add_block(name, after=selected[-1] if selected else None)

    def remove_block(self, name: str | None = None) -> bool:
        """Remove a block definition nothing uses any more (undoable); the refusal says which nodes use it."""
        name = name or self.window.palette_panel.selected_block()
        if name is None:
            self.window.statusBar().showMessage("Select a block in the palette's Blocks to remove it.", 8000)
            return False
        users = [n.label for n in self.document.graph if n.type == BLOCK_TYPE and n.params.get("block") == name]
        if users:
            show_error(self.window, "Cannot remove the block",
                       f"Block {name!r} is still used by {', '.join(users)}; delete those nodes first.")
            return False
        self.close_block(name)
        return bool(self.document.push(SetBlock(name, None)))

    # ------------------------------------------------------------ files
    def export_block(self, name: str | None = None, path: str | None = None) -> str | None:
        """Write the block (and the blocks it uses) to a ``.vnnblock`` file; returns the path written."""
        name = name or self.selected_block()
        if name is None:
            self.window.statusBar().showMessage("Select a block on the canvas or in the palette to export it.", 8000)
            return None
        if path is None:
            start = os.path.join(os.path.dirname(self.document.path or ""), name + BLOCK_FILE_SUFFIX)
            path = chooser_for(self.window).save_file(self.window, f"Export block {name}", start, BLOCK_FILTER)
        if not path:
            return None
        if not path.endswith(BLOCK_FILE_SUFFIX):
            path += BLOCK_FILE_SUFFIX
        try:
            folder = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(prefix=".vnnblock-", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(block_file_text(self.document.graph, name))
            os.replace(tmp, path)
        except OSError as exc:
            show_error(self.window, "Cannot export the block", f"{path}: {exc.strerror or exc}. Choose another folder.")
            return None
        self.window.statusBar().showMessage(f"Exported block {name!r} to {path}.", 8000)
        return path

    def import_block(self, path: str | None = None) -> str | None:
        """Add the blocks of a ``.vnnblock`` file to the project (one undoable step); returns the main block's name."""
        if path is None:
            path = chooser_for(self.window).open_file(self.window, "Import block", "", BLOCK_FILTER)
        if not path:
            return None
        source = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json_limits.loads(handle.read())
            name, blocks = blocks_from_file_dict(data, source, self.document.registry)
            command = import_blocks_command(self.document.project, blocks)
        except OSError as exc:
            show_error(self.window, "Cannot import the block", f"{source}: {exc.strerror or exc}.")
            return None
        except (ValueError, CommandError) as exc:  # JsonLimitError is a ValueError
            show_error(self.window, "Cannot import the block", f"{source}: {exc}" if source not in str(exc) else str(exc))
            return None
        if self.document.push(command):
            self.window.statusBar().showMessage(f"Imported block {name!r}: drag it from the palette's Blocks.", 8000)
            return name
        return None


__all__ = ["BlockDocument", "BlockTab", "BlocksController", "ask_block_name"]
