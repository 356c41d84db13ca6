"""A backbone's weights in the inspector: ImageNet, random weights, or "Weights from file…" through the window's
file chooser; each choice one undoable edit, a cancelled chooser none."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.journeys.user import ScriptedChooser
from visualnn.core.commands import AddNode
from visualnn.core.graph import Node
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser
from visualnn.ui.inspector.weights_editor import FROM_FILE_TEXT, IMAGENET_TEXT, RANDOM_TEXT, WeightsEditor


def _choose(editor: WeightsEditor, text: str) -> None:
    """Pick an entry as a person does: the drop-down's activated signal with that row."""
    index = editor.box.findText(text)
    assert index >= 0, [editor.box.itemText(i) for i in range(editor.box.count())]
    editor.box.setCurrentIndex(index)
    editor.box.activated.emit(index)


def test_weights_from_file_random_and_imagenet(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    window = shell.window
    chooser = ScriptedChooser()
    use_chooser(window, chooser)
    window.document.push(AddNode(Node("bb", "MobileNetV3Small", {}, (0.0, 0.0), "backbone")))
    window.scene.select_ids(["bb"])
    editor = window.inspector.rows["weights"].editor
    assert isinstance(editor, WeightsEditor)
    assert editor.box.currentText() == IMAGENET_TEXT
    assert [editor.box.itemText(i) for i in range(editor.box.count())] == [IMAGENET_TEXT, RANDOM_TEXT, FROM_FILE_TEXT]
    undo_before = window.document.undo_stack.count()

    weights = tmp_path / "mine.weights.h5"
    chooser.will_answer("open_file", str(weights))
    _choose(editor, FROM_FILE_TEXT)
    assert chooser.asked == [("open_file", "Weights from file")]
    assert window.document.graph.nodes["bb"].params["weights"] == str(weights)
    editor = window.inspector.rows["weights"].editor
    assert isinstance(editor, WeightsEditor)
    assert editor.box.currentText() == "mine.weights.h5" and editor.box.toolTip() == str(weights)

    chooser.will_answer("open_file", "")  # cancelled: nothing changes, the file stays shown
    _choose(editor, FROM_FILE_TEXT)
    assert window.document.graph.nodes["bb"].params["weights"] == str(weights)
    assert editor.box.currentText() == "mine.weights.h5"

    _choose(editor, RANDOM_TEXT)
    assert window.document.graph.nodes["bb"].params["weights"] is None
    # Edits of one parameter in a row merge into one undo step (as the inspector's other editors do).
    assert window.document.undo_stack.count() == undo_before + 1
    window.actions_["undo"].trigger()
    assert window.document.graph.nodes["bb"].params.get("weights", "imagenet") == "imagenet"
    editor = window.inspector.rows["weights"].editor
    assert isinstance(editor, WeightsEditor) and editor.box.currentText() == IMAGENET_TEXT
