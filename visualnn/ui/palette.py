"""The layer palette: the catalog by category with search, icons, doc tooltips and drag-out."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from visualnn.core.specs import Registry
from visualnn.ui import theme
from visualnn.ui.canvas import BLOCK_MIME, LAYER_MIME

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1
BLOCK_ROLE = Qt.ItemDataRole.UserRole + 2  # on a row of the "Blocks" group: the project block's name


class _LayerTree(QTreeWidget):
    """A tree whose layer rows drag out as the layer MIME type."""

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt API)
        """Layer and block drags."""
        return [LAYER_MIME, BLOCK_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        """The type id of the first dragged layer (or the name of the first dragged block)."""
        mime = QMimeData()
        for item in items:
            block = item.data(0, BLOCK_ROLE)
            if block:
                mime.setData(BLOCK_MIME, str(block).encode("utf-8"))
                mime.setText(str(block))
                break
            type_id = item.data(0, TYPE_ROLE)
            if type_id:
                mime.setData(LAYER_MIME, str(type_id).encode("utf-8"))
                mime.setText(str(type_id))
                break
        return mime


class PalettePanel(QWidget):
    """Layer catalog: type to filter, drag onto the canvas, double-click to add after the selection."""

    layer_activated = Signal(str)  # type id
    block_activated = Signal(str)  # block name (a row of the Blocks group)

    def __init__(self, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.tree = _LayerTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._populate()
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        shortcut = QShortcut(QKeySequence.StandardKey.Find, self.window())
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(self.focus_search)

    def _populate(self) -> None:
        self.blocks_item = QTreeWidgetItem([theme.CATEGORY_TITLES.get("blocks", "Blocks")])
        self.blocks_item.setIcon(0, theme.icon("category-blocks"))
        self.blocks_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for category, specs in self.registry.by_category().items():
            if category == "blocks":  # the project's own blocks are listed instead (set_blocks)
                continue
            top = QTreeWidgetItem([theme.CATEGORY_TITLES.get(category, category.title())])
            top.setIcon(0, theme.icon(f"category-{category}"))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            for spec in sorted(specs, key=lambda s: s.type):
                child = QTreeWidgetItem([spec.type])
                child.setData(0, TYPE_ROLE, spec.type)
                child.setIcon(0, theme.icon(f"category-{category}"))
                child.setToolTip(0, f"<b>{spec.type}</b><br>{spec.doc}")
                child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
        font = self.blocks_item.font(0)
        font.setBold(True)
        self.blocks_item.setFont(0, font)
        self.tree.addTopLevelItem(self.blocks_item)
        self.blocks_item.setHidden(True)
        self.tree.expandAll()

    def set_blocks(self, blocks: dict[str, str]) -> None:
        """List the project's blocks (name -> tooltip) under "Blocks"; they drag onto the canvas like layers."""
        self.blocks_item.takeChildren()
        for name, tip in blocks.items():
            child = QTreeWidgetItem([name])
            child.setData(0, BLOCK_ROLE, name)
            child.setIcon(0, theme.icon("category-blocks"))
            child.setToolTip(0, tip)
            child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.blocks_item.addChild(child)
        self.blocks_item.setHidden(not blocks)
        self.blocks_item.setExpanded(True)
        self._on_search_text_changed(self.search.text())

    def block_names(self) -> list[str]:
        """The blocks listed under "Blocks" (shown or filtered out)."""
        rows = (self.blocks_item.child(i) for i in range(self.blocks_item.childCount()))
        return [str(row.data(0, BLOCK_ROLE)) for row in rows if row is not None]

    def selected_block(self) -> str | None:
        """The block of the current row of the tree, if it is one."""
        item = self.tree.currentItem()
        block = None if item is None else item.data(0, BLOCK_ROLE)
        return str(block) if block else None

    def focus_search(self) -> None:
        """Put the cursor in the search field (Ctrl+F)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def visible_types(self) -> list[str]:
        """Layer type ids currently shown (after filtering)."""
        return [str(child.data(0, TYPE_ROLE)) for _, children in self._categories() for child in children
                if not child.isHidden() and child.data(0, TYPE_ROLE)]

    def _categories(self) -> list[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]]:
        """(category item, its layer items) for every category row of the tree."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None:
                out.append((top, [c for j in range(top.childCount()) if (c := top.child(j)) is not None]))
        return out

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for top, children in self._categories():
            any_shown = False
            if top is self.blocks_item and not children:
                continue
            for child in children:
                block = child.data(0, BLOCK_ROLE)
                if block:
                    hay = f"{block} block"
                else:
                    type_id = str(child.data(0, TYPE_ROLE))
                    spec = self.registry[type_id]
                    hay = f"{type_id} {spec.category} {spec.doc}".lower()
                shown = not needle or needle in hay
                child.setHidden(not shown)
                any_shown = any_shown or shown
            top.setHidden(not any_shown)
            if needle and any_shown:
                top.setExpanded(True)

    def _on_search_return_pressed(self) -> None:
        shown = self.visible_types()
        if len(shown) >= 1 and self.search.text().strip():
            # Prefer an exact name match: "dense" + Enter adds Dense.
            exact = [t for t in shown if t.lower() == self.search.text().strip().lower()]
            self.layer_activated.emit(exact[0] if exact else shown[0])

    def _on_tree_item_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        block = item.data(0, BLOCK_ROLE)
        if block:
            self.block_activated.emit(str(block))
            return
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.layer_activated.emit(str(type_id))
