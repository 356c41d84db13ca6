"""Freezing in the real window: the inspector's trainable box, the canvas's right-click command, Edit > Unfreeze All,
the cards and the Summary that follow, undo, the saved file, and the fine-tuning marker on the plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QMenu, QStyle, QStyleOptionButton

from tests.services.finetune_helpers import conv_graph
from visualnn.core.freezing import frozen_ids
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell
from visualnn.ui.inspector.editors import BoolEditor


def _open(shell: Shell, qtbot: Any) -> Any:
    window = shell.window
    window.document.set_project(Project(graph=conv_graph(frozen=()), name="tl",
                                        training=TrainingConfig(epochs=2, fine_tune=True, fine_tune_epochs=1)))
    qtbot.waitExposed(window)
    window.view.fit()
    return window


def _option(box: QCheckBox) -> QStyleOptionButton:
    option = QStyleOptionButton()
    option.initFrom(box)
    return option


def _card_pos(window: Any, node_id: str) -> QPoint:
    item = window.scene.nodes[node_id]
    return window.view.mapFromScene(item.sceneBoundingRect().center())


def _choose_from_popup(qtbot: Any, text: str, seen: list[str]) -> None:
    """Once the context menu is open, record its entries and trigger the one called ``text`` (as a click would)."""
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        actions = {a.text().replace("&", ""): a for a in menu.actions() if a.text()}
        seen.extend(f"{name}{'' if a.isEnabled() else ' (disabled)'}" for name, a in actions.items())
        menu.setActiveAction(actions[text])
        actions[text].trigger()  # what a click on the entry does: trigger it, close the menu
        menu.close()
    QTimer.singleShot(0, pick)


def test_trainable_box_right_click_freeze_and_unfreeze_all(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = _open(shell, qtbot)
    doc = window.document

    # The inspector shows the switch as a check box; unticking it freezes the layer (one undo step).
    window.scene.clearSelection()
    window.scene.nodes["head"].setSelected(True)
    qtbot.waitUntil(lambda: "trainable" in window.inspector.rows)
    editor = window.inspector.rows["trainable"].editor
    assert isinstance(editor, BoolEditor) and editor.box.isChecked()
    window.inspector.ensureWidgetVisible(editor.box)
    qtbot.waitUntil(editor.box.isVisible)
    indicator = editor.box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, _option(editor.box),
                                                  editor.box)
    qtbot.mouseClick(editor.box, Qt.MouseButton.LeftButton, pos=indicator.center())
    assert frozen_ids(doc.graph) == ["head"] and window.scene.nodes["head"].view.frozen
    doc.undo_stack.undo()
    assert frozen_ids(doc.graph) == [] and editor.box.isChecked() and not window.scene.nodes["head"].view.frozen

    # Right-click the Flatten card: "Freeze Everything Before This Layer" freezes conv_a, bn and conv_b.
    seen: list[str] = []
    _choose_from_popup(qtbot, "Freeze Everything Before This Layer", seen)
    vp = window.view.viewport()
    pos = _card_pos(window, "flatten")
    qtbot.mouseClick(vp, Qt.MouseButton.RightButton, pos=pos)
    # What the platform sends after a right-click (QTest's synthetic clicks do not produce it themselves).
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, vp.mapToGlobal(pos)))
    qtbot.waitUntil(lambda: bool(seen))
    assert "Unfreeze All Layers (disabled)" in seen  # nothing was frozen yet
    qtbot.waitUntil(lambda: frozen_ids(doc.graph) == ["conv_a", "bn", "conv_b"])
    assert window.scene.selected_ids() == ["flatten"]
    assert [nid for nid, item in window.scene.nodes.items() if item.view.frozen] == ["conv_a", "bn", "conv_b"]
    assert "Frozen" in window.scene.nodes["conv_a"].toolTip()

    # The Summary splits the counts: conv_a 112 + bn 16 (8 of them always) + conv_b 148 are non-trainable.
    window.docks["summary"].raise_()
    summary = window.summary_panel
    summary.refresh()
    assert "Trainable: 195" in summary.totals.text() and "Non-trainable: 276" in summary.totals.text()
    names = [summary.table.item(r, 0).text() for r in range(summary.table.rowCount())]
    assert "conv_a (frozen)" in names and "head" in names

    # One undo restores every layer; redo freezes them again; the file keeps the switch.
    doc.undo_stack.undo()
    assert frozen_ids(doc.graph) == []
    doc.undo_stack.redo()
    assert frozen_ids(doc.graph) == ["conv_a", "bn", "conv_b"]
    path = tmp_path / "tl.vnn"
    window.document.save(str(path))
    saved = {n["id"]: n["params"] for n in json.loads(path.read_text())["graph"]["nodes"]}
    assert saved["conv_a"]["trainable"] is False and "trainable" not in saved["head"]

    # Edit > Unfreeze All Layers, enabled now, thaws everything in one step.
    unfreeze = window.actions_["unfreeze_all"]
    assert unfreeze in window.edit_menu.actions() and unfreeze.isEnabled()
    unfreeze.trigger()
    assert frozen_ids(doc.graph) == [] and not unfreeze.isEnabled()
    assert not any(item.view.frozen for item in window.scene.nodes.values())


def test_the_plots_mark_where_phase_two_starts(shell: Shell, qtbot: Any) -> None:
    import pyqtgraph as pg

    window = _open(shell, qtbot)
    window.docks["training"].raise_()
    panel = window.training_panel
    qtbot.waitUntil(panel.isVisible)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    engine: Any = window.engine
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "train" and payload["project"]["training"]["fine_tune"] is True
    handle = engine.handles[job_id]
    handle._report("epoch", {"epoch": 1, "epochs": 2, "logs": {"loss": 1.0, "val_loss": 1.1}, "lr": 1e-3})
    handle._report("epoch", {"epoch": 2, "epochs": 2, "logs": {"loss": 0.8, "val_loss": 0.9}, "lr": 1e-3})
    plots = panel.plots

    def markers(metric: str) -> list[float]:
        return [item.value() for item in plots.plots[metric].getPlotItem().items if isinstance(item, pg.InfiniteLine)]

    assert markers("loss") == []
    handle._report("status", {"text": "Fine-tuning (phase 2)…", "phase_boundary": 2})
    handle._report("epoch", {"epoch": 3, "epochs": 3, "logs": {"loss": 0.7, "val_loss": 0.8}, "lr": 1e-4})
    assert markers("loss") == [2.0] and markers("learning rate") == [2.0]
    assert "Fine-tuning" in panel.status.text()
    engine.finish_training(job_id, epochs_done=3)  # the run ends (nothing left running when the window closes)
    plots.clear()
    assert markers("loss") == []


def test_a_selected_two_phase_run_shows_its_boundary(shell: Shell, qtbot: Any) -> None:
    import pyqtgraph as pg

    from visualnn.core.training_config import RunRecord

    window = shell.window
    run = RunRecord(id="run-ft", started="2026-01-01T00:00:00", history={"loss": [1.0, 0.8, 0.7], "lr": [1e-3, 1e-3, 1e-4]},
                    epochs_done=3, extra={"fine_tune": {"boundary": 2, "unfrozen": ["conv_b"]}})
    plain = RunRecord(id="run-plain", started="2026-01-01T00:01:00", history={"loss": [1.0, 0.9]}, epochs_done=2)
    window.document.set_project(Project(graph=conv_graph(), runs=[run, plain]))
    window.docks["runs"].raise_()
    panel = window.runs_panel
    qtbot.waitUntil(panel.isVisible)

    def markers() -> list[float]:
        return [item.value() for plot in panel.plots.plots.values() for item in plot.getPlotItem().items
                if isinstance(item, pg.InfiniteLine)]

    ids = [panel.runs[r].id for r in range(len(panel.runs))]
    panel.table.selectRow(ids.index("run-ft"))
    qtbot.waitUntil(lambda: markers() != [])
    assert set(markers()) == {2.0}
    panel.table.selectRow(ids.index("run-plain"))
    qtbot.waitUntil(lambda: markers() == [])
