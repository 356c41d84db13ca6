"""A pretrained backbone opened as a block: its Keras layers, read-only, in a canvas tab; "Close Block" folds it.

The same gestures as a user block (double-click the card, Edit > Open Block, the canvas's right-click menu) open
a backbone node. Its layers come from the engine (``backbone_layers`` job: the node built with ``weights=None``
at its input shape); the window keeps one table per family, input shape, pooling and top, so opening it again,
or another node of the same kind, asks the engine nothing. The trainable flags follow the document (the node's
switch, the Training panel's fine-tuning) and change as they do. Nothing in the tab edits anything: the
network's layers are Keras's; its settings are the node's, in the Inspector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.backbone_layers import (
    JOB_TYPE,
    BackboneLayersRequest,
    LayerFlags,
    LayerTable,
    request_for,
    trainable_flags,
)
from visualnn.core.finetune import FineTuneError, FineTunePlan, fine_tune_plan
from visualnn.core.freezing import is_frozen
from visualnn.core.specs.base import fmt_shape
from visualnn.core.specs.builtin.pretrained import family_of
from visualnn.ui import theme
from visualnn.ui.block_editor import BlocksController, fold_canvas_tab
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink

if TYPE_CHECKING:
    from visualnn.ui.main_window import MainWindow

COLUMNS = ("#", "Layer", "Type", "Output shape", "Params", "Trainable", "Phase 2")
READ_ONLY_NOTE = ("Read-only: these are Keras's layers of the pretrained network and cannot be edited. Change its "
                  "weights, pooling and trainable switch in the Inspector; fine-tuning (which top layers phase 2 "
                  "unfreezes) in the Training panel.")


class BackboneBlockTab(QWidget):
    """One opened backbone: a header, the read-only layer table, totals and a Close Block button."""

    close_requested = Signal(str)  # node id

    def __init__(self, node_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node_id = node_id
        self.table_data: LayerTable | None = None
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel(READ_ONLY_NOTE)
        self.note.setObjectName("read_only_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {theme.muted_text_color().name()};")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.totals = QLabel()
        self.close_button = QPushButton("Close Block")
        self.close_button.setObjectName("close_block")
        self.close_button.setToolTip("Fold the backbone back into its node on the model's canvas.")
        self.close_button.clicked.connect(lambda: self.close_requested.emit(self.node_id))
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 4)
        top.addWidget(self.header, 1)
        top.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        for label in (self.note, self.status):
            label.setContentsMargins(8, 0, 8, 0)
            lay.addWidget(label)
        lay.addWidget(self.table, 1)
        self.totals.setContentsMargins(8, 2, 8, 6)
        lay.addWidget(self.totals)

    @property
    def read_only(self) -> bool:
        """Always true: nothing in this tab edits the model."""
        return self.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers

    def set_header(self, label: str, family: str, request: BackboneLayersRequest | None) -> None:
        """The node's name, its family and the input it was built for."""
        shape = "?" if request is None else " × ".join("?" if d is None else str(d) for d in request.input_shape)
        self.header.setText(f"<b>Backbone {label}</b> — {family}, built for {shape} images")

    def say(self, text: str, colour: str | None = None) -> None:
        """A line above the table (waiting for the engine, a failure and its fix)."""
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")
        self.status.setVisible(bool(text))

    def show_layers(self, table: LayerTable, flags: list[LayerFlags], plan_note: str) -> None:
        """Fill the table: one row per Keras layer, the flags the document sets, and the totals."""
        self.table_data = table
        phase2 = any(f.phase2 is not None for f in flags)
        self.table.setColumnHidden(COLUMNS.index("Phase 2"), not phase2)
        self.table.setRowCount(len(table.layers))
        muted = theme.muted_text_color()
        for row, (layer, flag) in enumerate(zip(table.layers, flags, strict=True)):
            if flag.phase2 is None:
                second = ""
            elif flag.phase2:
                second = "unfrozen"
            else:
                second = "frozen (BatchNorm kept)" if flag.kept_frozen else "frozen"
            cells = (str(row + 1), layer.name, layer.type,
                     "?" if layer.output_shape is None else fmt_shape(layer.output_shape),
                     theme.fmt_count(layer.params), "yes" if flag.phase1 else "frozen", second)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col in (0, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 4 and layer.params:
                    item.setToolTip(f"trainable {theme.fmt_count(layer.trainable_params)}, non-trainable "
                                    f"{theme.fmt_count(layer.non_trainable_params)}")
                if col == 5 and not flag.phase1 or col == 6 and flag.phase2 is False:
                    item.setForeground(muted)
                if col == 6 and flag.phase2:
                    item.setForeground(QColor(theme.ACCENT))
                self.table.setItem(row, col, item)
        trains = sum(x.trainable_params for x, f in zip(table.layers, flags, strict=True) if f.phase1)
        total = table.trainable_params + table.non_trainable_params
        text = (f"{len(table.layers)} layers · {theme.fmt_count(total)} params · trainable now "
                f"{theme.fmt_count(trains)} · non-trainable {theme.fmt_count(total - trains)}")
        self.totals.setText(text + (f" · {plan_note}" if plan_note else ""))
        self.say("")


class BackboneBlocks(QObject):
    """Opens backbone nodes as read-only block tabs; one layer table per request key for the window's life."""

    def __init__(self, window: MainWindow, blocks: BlocksController) -> None:
        super().__init__(window)
        self.window = window
        self.document: ProjectDocument = window.document
        self.tabs: dict[str, BackboneBlockTab] = {}
        self.cache: dict[tuple[Any, ...], LayerTable] = {}
        self.pending: dict[tuple[Any, ...], JobHandle] = {}
        self.failures: dict[tuple[Any, ...], str] = {}
        blocks.openers.append(self.open_node)
        window.actions_["close_block"].triggered.connect(self._on_close_block_triggered)
        for signal in (self.document.graph_changed, self.document.training_changed, self.document.project_replaced):
            signal.connect(self.refresh)

    @property
    def engine(self) -> EngineLink:
        """The window's engine (replaced when the engine restarts)."""
        return self.window.engine

    def open_node(self, node_id: str) -> bool:
        """Open ``node_id`` when it is a backbone (True), in a tab made on first use; False for other nodes."""
        node = self.document.graph.nodes.get(node_id)
        if node is None or family_of(node.type) is None:
            return False
        tab = self.tabs.get(node_id)
        if tab is None:
            tab = BackboneBlockTab(node_id, self.window.canvas_tabs)
            tab.close_requested.connect(self.close_node)
            self.tabs[node_id] = tab
            self.window.canvas_tabs.addTab(tab, f"Backbone: {node.label}")
        self.window.canvas_tabs.setCurrentWidget(tab)
        request = self._request(node_id)
        if request is not None:
            self.failures.pop(request.key(), None)  # opening it again asks again (a restarted engine may answer)
        self._fill(tab)
        return True

    def close_node(self, node_id: str) -> None:
        """Fold the backbone back: its tab goes, the model's canvas shows again."""
        tab = self.tabs.pop(node_id, None)
        if tab is not None:
            fold_canvas_tab(self.window, tab)

    def _on_close_block_triggered(self) -> None:
        current = self.window.canvas_tabs.currentWidget()
        if isinstance(current, BackboneBlockTab):
            self.close_node(current.node_id)

    def refresh(self) -> None:
        """Follow the document: a deleted backbone's tab closes, the others show the flags (and shapes) of now."""
        for node_id, tab in list(self.tabs.items()):
            node = self.document.graph.nodes.get(node_id)
            if node is None or family_of(node.type) is None:
                self.close_node(node_id)
                continue
            index = self.window.canvas_tabs.indexOf(tab)
            if index >= 0:
                self.window.canvas_tabs.setTabText(index, f"Backbone: {node.label}")
            self._fill(tab)

    def _request(self, node_id: str) -> BackboneLayersRequest | None:
        info = self.document.shapes.nodes.get(node_id)
        shape = info.input_shapes[0] if info is not None and info.input_shapes else None
        return request_for(self.document.graph, node_id, shape)

    def _plan(self) -> tuple[FineTunePlan | None, str]:
        try:
            plan = fine_tune_plan(self.document.graph, self.document.project.training)
        except FineTuneError as exc:
            return None, f"fine-tuning cannot run: {exc}"
        return plan, ""

    def _fill(self, tab: BackboneBlockTab) -> None:
        node = self.document.graph.nodes[tab.node_id]
        request = self._request(tab.node_id)
        tab.set_header(node.label, node.type, request)
        if request is None:
            tab.say(f"{node.label} has no image input yet, so its layers cannot be listed. Connect an Input of "
                    "(height, width, 3) images in front of it (at least 32×32).", theme.WARNING)
            return
        key = request.key()
        table = self.cache.get(key)
        if table is None:
            if key in self.failures:
                tab.say(self.failures[key], theme.ERROR)
            elif key not in self.pending:
                self._ask(request)
            if key in self.pending:
                tab.say(f"Asking the engine for the layers of {node.type} (built with random weights, nothing "
                        "downloaded)…")
            return
        plan, problem = self._plan()
        flags = trainable_flags(self.document.graph, tab.node_id, table, plan,
                                {self.document.graph.nodes[t.node_id].label: len(t.table_data.layers)
                                 for t in self.tabs.values() if t.table_data is not None})
        if problem:
            note = problem
        elif plan is None:
            note = "" if not is_frozen(node) else "frozen: phase 1 trains none of these"
        else:
            note = f"phase 2 unfreezes {sum(1 for f in flags if f.phase2 and not f.phase1)} of them"
        tab.show_layers(table, flags, note)

    def _ask(self, request: BackboneLayersRequest) -> None:
        key = request.key()
        handle = self.engine.submit(JOB_TYPE, request.to_dict())
        self.pending[key] = handle
        handle.finished.connect(lambda result, k=key: self._on_job_finished(k, result))
        handle.failed.connect(lambda message, k=key, r=request: self._on_job_failed(k, r, message))

    def _on_job_finished(self, key: tuple[Any, ...], result: dict[str, Any]) -> None:
        self.pending.pop(key, None)
        try:
            self.cache[key] = LayerTable.from_dict(result)
        except ValueError as exc:
            self.failures[key] = f"The engine's answer could not be read: {exc}"
        self.refresh()

    def _on_job_failed(self, key: tuple[Any, ...], request: BackboneLayersRequest, message: str) -> None:
        self.pending.pop(key, None)
        self.failures[key] = (f"The engine could not build {request.family} to list its layers: {message} "
                              "Check the node's input shape and settings; close and open the block to try again.")
        self.refresh()


__all__ = ["COLUMNS", "READ_ONLY_NOTE", "BackboneBlockTab", "BackboneBlocks"]
