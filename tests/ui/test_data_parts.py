"""The Data panel with a model of several Inputs/outputs: one tensor card per named part, and the array per node.

Drives the real window: opening the bundled two_inputs example shows a card per part with the node it feeds;
choosing another array in a card's combo box is one undoable dataset edit, and the Problems list names the
node and the array when the data does not fit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from tests.services.test_inspect_parts import EXAMPLE
from visualnn.ui.app import Shell

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def _example(tmp_path: Path, **extra: np.ndarray) -> Path:
    """A copy of the bundled example (the test may change its data)."""
    folder = tmp_path / "two_inputs"
    shutil.copytree(EXAMPLE, folder)
    if extra:
        with np.load(folder / "two_inputs.npz") as npz:
            arrays = {k: npz[k] for k in npz.files}
        np.savez(folder / "two_inputs.npz", **(arrays | extra))
    return folder / "two_inputs.vnn"


def _open(qtbot: QtBot, shell: Shell, path: Path) -> None:
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: window.document.data_facts is not None and window.data_panel.info is not None,
                    timeout=WAIT_MS)
    window.docks["data"].raise_()
    window.data_panel.tabs.setCurrentIndex(2)  # Tensors


def _card_texts(shell: Shell, role: str, node: str) -> dict[str, str]:
    card = shell.window.data_panel.part_cards.card(role, node)
    assert card is not None and card.isVisible()
    return {label.objectName(): label.text() for label in card.findChildren(QLabel)}


def _rows(shell: Shell) -> list[tuple[str, str]]:
    tree = shell.window.problems_panel.tree
    items: list[QTreeWidgetItem] = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [(item.text(1), item.text(2)) for item in items]


def test_the_two_inputs_example_shows_one_card_per_part_and_the_node_it_feeds(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    _open(qtbot, shell, _example(tmp_path))
    panel = shell.window.data_panel
    assert [c.objectName() for c in panel.part_cards.cards] == [
        "part:input:tabular", "part:input:sequence", "part:target:kind", "part:target:score"]
    seq = _card_texts(shell, "input", "sequence")
    assert "→ Input sequence" in seq["title"] and seq["shape"] == "(None, 12, 3)"
    assert seq["rank"] == "rank 3 · sequence" and seq["axes"] == "axes: samples, time steps, features"
    assert seq["dtype"] == "float32"
    tab = _card_texts(shell, "input", "tabular")
    assert tab["shape"] == "(None, 8)" and tab["rank"] == "rank 2 · vector"
    kind = _card_texts(shell, "target", "kind")
    assert "→ output kind" in kind["title"] and kind["rank"] == "rank 1 · targets (3 classes)"
    assert kind["dtype"] == "int64"
    assert "named parts for 2 input(s) and 2 output(s)" in panel.status.text()
    assert shell.window.validity_label.text() == "✓ Valid"
    shell.window.grab().save(str(tmp_path / "two_inputs_data_panel.png"))


def test_choosing_the_array_for_a_node_is_one_undoable_edit_and_the_problems_name_node_and_array(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    _open(qtbot, shell, _example(tmp_path, wide=rng.normal(size=(600, 10)).astype(np.float32),
                                 seq=rng.normal(size=(600, 12, 3)).astype(np.float32)))
    window = shell.window
    panel = window.data_panel
    box = panel.part_cards.combo("input", "tabular")
    assert box is not None
    assert [box.itemText(i) for i in range(box.count())] == ["tabular", "sequence", "kind", "score", "wide", "seq"]

    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_End)  # the last array, as the keyboard picks it: "seq"
    qtbot.waitUntil(lambda: window.document.data_facts is not None, timeout=WAIT_MS)
    assert window.document.project.dataset is not None
    assert window.document.project.dataset.options["arrays"] == {"inputs": {"tabular": "seq"}}
    assert window.document.data_facts is not None  # read again with the new mapping
    rows = _rows(shell)
    assert any(layer == "tabular" and "Input tabular declares (None, 8), but the array 'seq' of two_inputs.npz "
               "gives samples of (None, 12, 3)" in text for layer, text in rows), rows
    assert window.validity_label.text().startswith("✗")

    window.document.undo_stack.undo()  # one step back: the default mapping, by node name
    qtbot.waitUntil(lambda: window.document.data_facts is not None, timeout=WAIT_MS)
    assert "arrays" not in window.document.project.dataset.options
    assert window.validity_label.text() == "✓ Valid"
    combo = panel.part_cards.combo("input", "tabular")
    assert combo is not None and combo.currentText() == "tabular"


def test_a_missing_array_is_named_in_the_card_and_in_the_problems(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    with np.load(path.parent / "two_inputs.npz") as npz:
        arrays = {("series" if k == "sequence" else k): npz[k] for k in npz.files}
    np.savez(path.parent / "two_inputs.npz", **arrays)
    _open(qtbot, shell, path)
    texts = _card_texts(shell, "input", "sequence")
    assert texts["shape"] == "no such array in the file"
    rows = _rows(shell)
    assert any(layer == "sequence" and text.startswith("Input sequence has no array in two_inputs.npz")
               and "series (None, 12, 3)" in text for layer, text in rows), rows

    box = shell.window.data_panel.part_cards.combo("input", "sequence")
    assert box is not None and box.currentText() == "(choose an array)"
    box.setCurrentText("series")  # what a click on the item does
    qtbot.waitUntil(lambda: shell.window.validity_label.text() == "✓ Valid", timeout=WAIT_MS)
    assert shell.window.document.project.dataset.options["arrays"] == {"inputs": {"sequence": "series"}}


def test_a_single_input_project_shows_no_part_cards(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    examples = EXAMPLE.parent
    shutil.copytree(examples / "tabular", tmp_path / "tabular")
    _open(qtbot, shell, tmp_path / "tabular" / "tabular.vnn")
    panel = shell.window.data_panel
    assert panel.part_cards.cards == [] and not panel.part_cards.isVisible()
    assert panel.tensor_view.toPlainText().startswith("x: (600, 7) · rank 2 (samples, features)")
