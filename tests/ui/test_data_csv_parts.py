"""The Data panel with a multi-IO model on a CSV: each column chooses the Input or output it feeds (issue 14).

Drives the real window: a saved two-input, two-output project on a grouped CSV shows a "Feeds" column in the
Columns tab (an Input combo per feature, an output combo per target) and one card per group and target; moving
a column to the other Input is one undoable dataset edit, and the Problems list names the column and the node.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.services.csv_parts_helpers import csv_project, write_csv
from visualnn.ui.app import Shell

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def test_each_column_chooses_its_node_and_a_move_is_one_undoable_edit(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    from visualnn.core.project.io import save_project

    write_csv(str(tmp_path))
    path = tmp_path / "groups.vnn"
    save_project(csv_project(), path)
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: window.document.data_facts is not None and window.data_panel.info is not None,
                    timeout=WAIT_MS)
    window.docks["data"].raise_()
    panel = window.data_panel
    table = panel.columns
    assert table.columnCount() == 8 and table.horizontalHeaderItem(7).text() == "Feeds"
    box = table.editor("s2", "input")
    assert box is not None and box.currentText() == "extra"
    assert [box.itemText(i) for i in range(box.count())] == ["tabular", "extra"]
    target = table.editor("value", "output")
    assert target is not None and target.currentText() == "score"
    assert [c.objectName() for c in panel.part_cards.cards] == [
        "part:input:tabular", "part:input:extra", "part:target:kind", "part:target:score"]
    card = panel.part_cards.card("input", "tabular")
    assert card is not None
    texts = {label.objectName(): label.text() for label in card.findChildren(QLabel)}
    assert "x1, color, x2, x3" in texts["title"] and texts["shape"] == "(None, 6)"
    assert window.validity_label.text() == "✓ Valid"
    window.grab().save(str(tmp_path / "csv_groups_data_panel.png"))

    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home)  # s2 moves to the first Input: tabular
    qtbot.waitUntil(lambda: window.validity_label.text().startswith("✗"), timeout=WAIT_MS)
    assert window.document.project.dataset is not None
    assert window.document.project.dataset.column("s2").input == "tabular"
    tree = window.problems_panel.tree
    rows = [(tree.topLevelItem(i).text(1), tree.topLevelItem(i).text(2)) for i in range(tree.topLevelItemCount())]
    assert any(layer == "tabular" and "Input tabular declares shape [6], but its columns of rows.csv (x1, color, x2, "
               "x3, s2) encode to 7 numbers" in text for layer, text in rows), rows

    window.document.undo_stack.undo()  # one step back: s2 feeds extra again
    qtbot.waitUntil(lambda: window.validity_label.text() == "✓ Valid", timeout=WAIT_MS)
    assert window.document.project.dataset.column("s2").input == "extra"
    def shows_extra() -> bool:
        again = panel.columns.editor("s2", "input")
        return again is not None and again.currentText() == "extra"

    qtbot.waitUntil(shows_extra, timeout=WAIT_MS)  # the Columns tab reads the undone dataset again


def test_a_single_input_csv_keeps_seven_columns(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    import shutil

    from tests.services.test_inspect_parts import EXAMPLE

    shutil.copytree(EXAMPLE.parent / "tabular", tmp_path / "tabular")
    window = shell.window
    assert window.open_path(str(tmp_path / "tabular" / "tabular.vnn"), ask=False)
    qtbot.waitUntil(lambda: window.data_panel.info is not None, timeout=WAIT_MS)
    table = window.data_panel.columns
    assert table.columnCount() == 7 and table.editor(table.item(0, 0).text(), "input") is None
    assert window.data_panel.part_cards.cards == []
