"""The Data panel with a time series and a model of several outputs (issue 14): the Columns tab's role ticks
several target columns, each output's card chooses its column; each edit is one undoable dataset command and
the Problems list names the output and the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from tests.services.series_helpers import series_project, write_series
from visualnn.core.project.io import save_project
from visualnn.ui.app import Shell

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def _open(qtbot: QtBot, shell: Shell, tmp_path: Path, **window: object) -> None:
    write_series(str(tmp_path))
    save_project(series_project(**window), tmp_path / "series.vnn")
    assert shell.window.open_path(str(tmp_path / "series.vnn"), ask=False)
    _settled(qtbot, shell)
    shell.window.docks["data"].raise_()


def _settled(qtbot: QtBot, shell: Shell) -> None:
    window = shell.window
    qtbot.waitUntil(lambda: window.document.data_facts is not None and window.data_panel.info is not None
                    and not window.data_panel._busy, timeout=WAIT_MS)


def _rows(shell: Shell) -> list[tuple[str, str]]:
    tree = shell.window.problems_panel.tree
    items: list[QTreeWidgetItem] = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [(item.text(1), item.text(2)) for item in items]


def test_ticking_target_columns_and_choosing_an_outputs_column_are_undoable_edits(
        qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    _open(qtbot, shell, tmp_path, targets=["temp"])
    window, panel = shell.window, shell.window.data_panel
    rows = _rows(shell)
    assert any(layer == "hum" and text.startswith("Output hum has no target column") for layer, text in rows), rows
    assert window.validity_label.text().startswith("✗")

    panel.tabs.setCurrentIndex(0)  # Columns: tick hum as a target with the keyboard, as a user would
    role = panel.columns.editor("hum", "role")
    assert role is not None and role.currentText() == "feature"
    role.setFocus()
    qtbot.keyClicks(role, "t")  # "target"
    _settled(qtbot, shell)
    dataset = window.document.project.dataset
    assert dataset is not None and dataset.options["window"]["targets"] == ["temp", "hum"]
    qtbot.waitUntil(lambda: window.validity_label.text() == "✓ Valid", timeout=WAIT_MS)
    panel.tabs.setCurrentIndex(2)  # Tensors: a card per part, the output's column chosen on its card
    assert [c.objectName() for c in panel.part_cards.cards] == [
        "part:input:window", "part:target:temp", "part:target:hum"]
    card = panel.part_cards.card("target", "hum")
    assert card is not None
    assert "→ output hum" in next(lb.text() for lb in card.findChildren(QLabel) if lb.objectName() == "title")
    input_box = panel.part_cards.combo("input", "window")
    assert input_box is not None and not input_box.isVisible()  # the windows feed the Input: nothing to choose
    box = panel.part_cards.combo("target", "hum")
    assert box is not None and [box.itemText(i) for i in range(box.count())] == ["time", "temp", "hum"]
    window.grab().save(str(tmp_path / "series_targets_panel.png"))

    box.setCurrentText("temp")  # what a click on the item does: hum now predicts temp, as temp does
    _settled(qtbot, shell)
    dataset = window.document.project.dataset
    assert dataset is not None and dataset.options["window"]["outputs"] == {"hum": "temp"}
    qtbot.waitUntil(lambda: any("feeds both outputs" in t for _, t in _rows(shell)), timeout=WAIT_MS)
    rows = _rows(shell)
    assert any(layer == "hum" and "The target column 'temp' feeds both outputs temp and hum" in text
               for layer, text in rows), rows
    assert window.validity_label.text().startswith("✗")

    window.document.undo_stack.undo()  # one step back: hum predicts hum again
    _settled(qtbot, shell)
    dataset = window.document.project.dataset
    assert dataset is not None and not dataset.options["window"].get("outputs")
    qtbot.waitUntil(lambda: window.validity_label.text() == "✓ Valid", timeout=WAIT_MS)
    window.document.undo_stack.undo()  # and hum is no target any more
    _settled(qtbot, shell)
    assert window.document.project.dataset.options["window"]["targets"] == ["temp"]
