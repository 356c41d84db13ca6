"""A KerasHub backbone's preset in the inspector: a built-in name from the drop-down, or "Preset folder…" through
the window's chooser, whose config.json is read at once (shapes and parameter count shown, no TensorFlow), as one
undo step; a folder that is not a ResNet preset is a message under the field and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.journeys.user import ScriptedChooser
from visualnn.core.commands import AddNode, Connect
from visualnn.core.graph import Edge, Node
from visualnn.core.specs.builtin.hub import PRESET_FACTS, PRESETS, resnet_facts
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser
from visualnn.ui.inspector.hub_preset_editor import FROM_FOLDER_TEXT, HubPresetEditor

TINY = {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64, 16],
        "stackwise_num_blocks": [1, 1], "stackwise_num_strides": [1, 2], "block_type": "basic_block",
        "use_pre_activation": False, "image_shape": [None, None, 3]}


def preset_dir(folder: Path, registered: str = "keras_hub>ResNetBackbone") -> Path:
    """A preset directory's config.json as KerasHub's save_to_preset writes it (the weights are not read here)."""
    folder.mkdir(parents=True)
    config = {"module": "keras_hub.src.models.resnet.resnet_backbone", "class_name": "ResNetBackbone",
              "config": {"name": "res_net_backbone", "trainable": True, **TINY}, "registered_name": registered}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _choose(editor: HubPresetEditor, index: int) -> None:
    editor.box.setCurrentIndex(index)
    editor.box.activated.emit(index)


def test_builtin_preset_and_preset_folder(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    window = shell.window
    chooser = ScriptedChooser()
    use_chooser(window, chooser)
    doc = window.document
    doc.push(AddNode(Node("in", "Input", {"shape": [64, 64, 3]}, (0.0, 0.0), "image")))
    doc.push(AddNode(Node("bb", "KerasHubResNet", {}, (0.0, 100.0), "backbone")))
    doc.push(Connect(Edge.of("in", "bb")))
    window.scene.select_ids(["bb"])
    editor = window.inspector.rows["preset"].editor
    assert isinstance(editor, HubPresetEditor)
    assert [editor.box.itemText(i) for i in range(editor.box.count())] == [*PRESETS, FROM_FOLDER_TEXT]
    assert editor.box.currentText() == "resnet_50_imagenet"
    assert window.inspector.info is not None
    assert "23,561,152" in window.inspector.info.text().replace("\u202f", ",")  # ResNet50 without its head

    _choose(editor, list(PRESETS).index("resnet_18_imagenet"))
    assert doc.graph.nodes["bb"].params["preset"] == "resnet_18_imagenet"
    assert doc.shapes.nodes["bb"].params is not None
    assert doc.shapes.nodes["bb"].params.total == PRESET_FACTS["resnet_18_imagenet"].trainable + 9600

    undo_before = doc.undo_stack.count()
    folder = preset_dir(tmp_path / "my_resnet")
    chooser.will_answer("folder", str(folder))
    editor = window.inspector.rows["preset"].editor
    assert isinstance(editor, HubPresetEditor)
    _choose(editor, editor.box.findText(FROM_FOLDER_TEXT))
    assert chooser.asked[-1] == ("folder", "KerasHub preset folder")
    assert doc.graph.nodes["bb"].params["preset"] == str(folder)
    facts = resnet_facts(TINY)
    assert doc.shapes.nodes["bb"].output == (None, 16)
    assert doc.shapes.nodes["bb"].params is not None
    assert (doc.shapes.nodes["bb"].params.trainable, doc.shapes.nodes["bb"].params.non_trainable) == (
        facts.trainable, facts.non_trainable)
    editor = window.inspector.rows["preset"].editor
    assert isinstance(editor, HubPresetEditor) and editor.box.currentText() == "my_resnet (folder)"
    assert doc.undo_stack.count() == undo_before + 1  # the path and its facts: one step
    window.actions_["undo"].trigger()
    assert doc.graph.nodes["bb"].params["preset"] == "resnet_18_imagenet"
    assert doc.graph.nodes["bb"].params.get("channels", 0) == 0

    other = preset_dir(tmp_path / "mit", registered="keras_hub>MiTBackbone")
    chooser.will_answer("folder", str(other))
    editor = window.inspector.rows["preset"].editor
    assert isinstance(editor, HubPresetEditor)
    _choose(editor, editor.box.findText(FROM_FOLDER_TEXT))
    assert doc.graph.nodes["bb"].params["preset"] == "resnet_18_imagenet"
    row = window.inspector.rows["preset"]
    assert "not of a ResNet" in row.error.text() and not row.error.isHidden()
