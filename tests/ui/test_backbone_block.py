"""A pretrained backbone opened as a block in the real window (FakeEngine): a double-click asks the engine for its
layers once, the tab lists them read-only with the trainable flags the document sets (frozen, phase 2 of
fine-tuning), they follow edits, Close Block folds it, the right-click menu's Open Block reopens it from the cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu

from tests.journeys.user import SHOTS
from tests.ui.canvas_helpers import card
from visualnn.core.backbone_layers import JOB_TYPE
from visualnn.core.commands import SetParam
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell
from visualnn.ui.backbone_block import READ_ONLY_NOTE, BackboneBlockTab

# What the engine answers for MobileNetV3Small at 32x32 (a short excerpt of its 100+ layers: the first and last).
LAYERS = [
    ("rescaling", "Rescaling", [None, 32, 32, 3], 0, 0),
    ("conv", "Conv2D", [None, 16, 16, 16], 432, 0),
    ("conv_bn", "BatchNormalization", [None, 16, 16, 16], 32, 32),
    ("conv_1", "Conv2D", [None, 1, 1, 576], 55_296, 0),
    ("conv_1_bn", "BatchNormalization", [None, 1, 1, 576], 1_152, 1_152),
    ("activation_17", "Activation", [None, 1, 1, 576], 0, 0),
    ("global_average_pooling2d", "GlobalAveragePooling2D", [None, 576], 0, 0),
]
RESULT = {"layers": [{"name": n, "type": t, "output_shape": s, "trainable_params": tr, "non_trainable_params": nt}
                     for n, t, s, tr, nt in LAYERS]}


def _project() -> Project:
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": [32, 32, 3]}, (0.0, 0.0)))
    g.add_node(Node("bb", "MobileNetV3Small", {"weights": None, "trainable": False}, (0.0, 160.0), "backbone"))
    g.add_node(Node("head", "Dense", {"units": 2, "activation": "softmax"}, (0.0, 320.0)))
    g.connect(Edge.of("in", "bb"))
    g.connect(Edge.of("bb", "head"))
    return Project(g, name="tl", training=TrainingConfig(loss="sparse_categorical_crossentropy", fine_tune=True,
                                                         fine_tune_layers=4, fine_tune_epochs=1))


def _column(tab: BackboneBlockTab, title: str) -> list[str]:
    col = [tab.table.horizontalHeaderItem(c).text() for c in range(tab.table.columnCount())].index(title)
    return [tab.table.item(r, col).text() for r in range(tab.table.rowCount())]


def _right_click_choose(qtbot: Any, window: Any, node_id: str, text: str, seen: list[str]) -> None:
    """Right-click the card and pick ``text`` from the menu that opens (recording its entries)."""
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        actions = {a.text().replace("&", ""): a for a in menu.actions() if a.text()}
        seen.extend(actions)
        menu.setActiveAction(actions[text])
        actions[text].trigger()
        menu.close()
    QTimer.singleShot(0, pick)
    vp = window.view.viewport()
    pos = window.view.mapFromScene(card(window, node_id).center())
    qtbot.mouseClick(vp, Qt.MouseButton.RightButton, pos=pos)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, vp.mapToGlobal(pos)))
    qtbot.waitUntil(lambda: bool(seen))


def test_open_a_backbone_read_only_follow_the_flags_close_and_reopen_from_the_cache(
        shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(_project())
    qtbot.waitExposed(window)
    window.view.fit()
    qtbot.wait(50)
    assert "read-only" in window.scene.nodes["bb"].toolTip()
    undo_count = window.document.undo_stack.count()

    # Double-click the backbone's card: a tab opens and the engine is asked once for this family at this shape.
    at = window.view.mapFromScene(card(window, "bb").center())
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    tab = window.canvas_tabs.currentWidget()
    assert isinstance(tab, BackboneBlockTab) and tab.node_id == "bb"
    assert window.canvas_tabs.tabText(window.canvas_tabs.currentIndex()) == "Backbone: backbone"
    asked = [(i, p) for i, t, p in engine.jobs if t == JOB_TYPE]
    assert [p for _, p in asked] == [{"family": "MobileNetV3Small", "input_shape": [32, 32, 3], "pooling": "avg",
                                      "include_top": False, "classes": 1000}]
    assert "Asking the engine" in tab.status.text() and tab.table.rowCount() == 0
    assert "MobileNetV3Small" in tab.header.text() and "32 × 32 × 3" in tab.header.text()
    engine.finish(asked[0][0], RESULT)

    # The layers as Keras built them; frozen in phase 1; phase 2 unfreezes the top 4 but keeps BatchNorm frozen.
    assert _column(tab, "Layer") == [n for n, *_ in LAYERS]
    assert _column(tab, "Output shape")[1] == "(None, 16, 16, 16)" and _column(tab, "Params")[3] == "55,296"
    assert set(_column(tab, "Trainable")) == {"frozen"}
    assert _column(tab, "Phase 2") == ["frozen"] * 3 + ["unfrozen", "frozen (BatchNorm kept)", "unfrozen", "unfrozen"]
    assert "7 layers" in tab.totals.text() and "phase 2 unfreezes 3 of them" in tab.totals.text()
    assert "trainable now 0" in tab.totals.text()

    # Read-only: the view says so, no cell takes an edit (double-click, typing), nothing reaches the undo history.
    assert tab.read_only and READ_ONLY_NOTE in tab.note.text() and tab.note.isVisible()
    cell = tab.table.visualItemRect(tab.table.item(1, 1)).center()
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.keyClicks(tab.table.viewport(), "renamed")
    assert tab.table.state() != QAbstractItemView.State.EditingState
    assert not tab.table.item(1, 1).flags() & Qt.ItemFlag.ItemIsEditable
    assert _column(tab, "Layer")[1] == "conv" and window.document.undo_stack.count() == undo_count
    if os.environ.get("DISPLAY"):  # under xvfb: a picture for people to look at
        SHOTS.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(SHOTS / "backbone-block-open.png"))

    # The flags follow the document: the backbone made trainable trains every layer (no phase 2 to show then).
    window.document.push(SetParam("bb", "trainable", True))
    assert set(_column(tab, "Trainable")) == {"yes"} and tab.table.isColumnHidden(6)
    assert "fine-tuning cannot run" in tab.totals.text()
    window.document.undo_stack.undo()
    assert set(_column(tab, "Trainable")) == {"frozen"} and not tab.table.isColumnHidden(6)

    # Close Block folds it back to the model's canvas.
    qtbot.mouseClick(tab.close_button, Qt.MouseButton.LeftButton)
    assert window.canvas_tabs.currentWidget() is window.view and window.canvas_tabs.count() == 1

    # The right-click menu's Open Block opens it again, from the window's cache: no second job.
    seen: list[str] = []
    _right_click_choose(qtbot, window, "bb", "Open Block", seen)
    assert "Freeze Everything Before This Layer" in seen and "Open Block" in seen
    qtbot.waitUntil(lambda: isinstance(window.canvas_tabs.currentWidget(), BackboneBlockTab))
    again = window.canvas_tabs.currentWidget()
    assert isinstance(again, BackboneBlockTab) and _column(again, "Layer") == [n for n, *_ in LAYERS]
    assert [t for _, t, _ in engine.jobs].count(JOB_TYPE) == 1

    # Edit > Close Block folds it as well; deleting the node closes an open tab.
    window.actions_["close_block"].trigger()
    assert window.canvas_tabs.currentWidget() is window.view
    window.scene.select_ids(["bb"])
    window.actions_["open_block"].trigger()
    assert isinstance(window.canvas_tabs.currentWidget(), BackboneBlockTab)
    window.document.set_project(Project())
    assert window.canvas_tabs.count() == 1 and not shell.backbones.tabs  # type: ignore[union-attr]


def test_a_failed_listing_names_the_family_and_the_fix(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(_project())
    assert shell.backbones is not None and shell.backbones.open_node("bb")
    tab = window.canvas_tabs.currentWidget()
    assert isinstance(tab, BackboneBlockTab)
    job_id = next(i for i, t, _ in engine.jobs if t == JOB_TYPE)
    engine.fail(job_id, "MemoryError: out of memory.")
    assert "could not build MobileNetV3Small" in tab.status.text() and "out of memory" in tab.status.text()
    assert "close and open the block to try again" in tab.status.text() and tab.table.rowCount() == 0
    assert not shell.backbones.open_node("head")  # a plain layer is no block
