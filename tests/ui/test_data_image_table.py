"""The Data panel with an image folder and its per-image table (issue 14).

Drives the real window: the Images settings choose the table (a file dialog), its key column and the nodes
the images and class folders feed; the Columns tab then lists the table's columns with the node each feeds;
the Tensors tab shows one card per Input and output (the images' Input as rank 4 images, the class folders'
output, the table's column group and target column); Apply stores the table relative to the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from tests.journeys.user import ScriptedChooser
from tests.services.image_table_helpers import image_project, image_spec, write_images
from visualnn.core.dataset import DatasetSpec
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def _card_texts(panel: Any, role: str, node: str) -> dict[str, str]:
    card = panel.part_cards.card(role, node)
    assert card is not None, (role, node, [c.objectName() for c in panel.part_cards.cards])
    return {label.objectName(): label.text() for label in card.findChildren(QLabel)}


def test_a_saved_image_table_project_shows_its_columns_and_one_card_per_node(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    from visualnn.core.project.io import save_project

    write_images(str(tmp_path))
    path = tmp_path / "pictures.vnn"
    save_project(image_project(), path)
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: window.document.data_facts is not None and window.data_panel.info is not None,
                    timeout=WAIT_MS)
    window.docks["data"].raise_()
    panel = window.data_panel
    assert panel.tabs.isTabVisible(0) and panel.tabs.isTabVisible(1)  # the table's columns beside the thumbnails
    table = panel.columns
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == ["size", "score"]  # the key column names the images: it is no feature
    assert table.horizontalHeaderItem(7).text() == "Feeds"
    size = table.editor("size", "input")
    assert size is not None and size.currentText() == "meta"
    score = table.editor("score", "output")
    assert score is not None and score.currentText() == "score"
    assert [c.objectName() for c in panel.part_cards.cards] == [
        "part:input:image", "part:input:meta", "part:target:class", "part:target:score"]
    image = _card_texts(panel, "input", "image")
    assert image["title"].startswith("<b>images</b>") and image["shape"] == "(None, 8, 8, 3)" and "image" in image["rank"]
    klass = _card_texts(panel, "target", "class")
    assert klass["title"].startswith("<b>class folders</b>") and "2 classes" in klass["rank"]
    assert _card_texts(panel, "input", "meta")["shape"] == "(None, 1)"
    assert "numbers" in _card_texts(panel, "target", "score")["rank"]
    assert "named parts for 2 input(s) and 2 output(s)" in panel.status.text()
    form = panel.settings
    shown = form.findChild(QLineEdit, "image.table")
    assert shown is not None and shown.text() == "meta.csv"
    key = form.findChild(QComboBox, "image.key")
    assert key is not None and key.currentText() == "auto" and key.findText("file") >= 0
    code = panel.code_view.toPlainText()  # the pipeline as the chapter teaches it: dicts keyed by node names
    assert "x_train = {'image': image_train, 'meta': meta_train}" in code
    assert "tf.data.Dataset.zip((ds_x, ds_y))" in code
    assert window.validity_label.text() == "✓ Valid"
    window.resize(1500, 1000)
    panel.tabs.setCurrentIndex(2)
    window.grab().save(str(tmp_path / "image_table_cards.png"))
    panel.tabs.setCurrentIndex(3)
    window.grab().save(str(tmp_path / "image_table_settings.png"))


def test_choosing_the_table_and_its_nodes_in_the_images_settings(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    from visualnn.core.project import Project
    from visualnn.core.project.io import save_project

    write_images(str(tmp_path))
    path = tmp_path / "pictures.vnn"
    project = image_project()
    save_project(Project(project.graph, "image-table", None, project.training), path)  # no data yet
    window = shell.window
    assert window.open_path(str(path), ask=False)
    chooser = ScriptedChooser()
    use_chooser(window, chooser)
    panel = window.data_panel
    window.docks["data"].raise_()
    panel.load_path(str(tmp_path / "images"))
    qtbot.waitUntil(lambda: panel.info is not None and not panel._busy, timeout=WAIT_MS)
    rows = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert any("Input meta" in r and "no table" in r for r in rows), rows  # says what is missing, names the node
    assert panel.part_cards.card("input", "meta") is not None
    assert _card_texts(panel, "input", "image")["shape"] == "(None, 32, 32, 3)"  # before the size is set

    form = panel.settings
    for key, value in (("image.height", 8), ("image.width", 8)):
        form.editors[key].setValue(value)  # type: ignore[attr-defined]
    chooser.will_answer("open_file", str(tmp_path / "meta.csv"))
    choose = form.findChild(QPushButton, "image.table.choose")
    assert choose is not None
    panel.tabs.setCurrentIndex(3)
    qtbot.mouseClick(choose, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.info is not None and bool(panel.info.columns) and not panel._busy,
                    timeout=WAIT_MS)
    assert chooser.asked[-1][0] == "open_file"
    assert _card_texts(panel, "input", "image")["shape"] == "(None, 8, 8, 3)"
    # The table's columns are features by default; score becomes the target of output score in the Columns tab.
    role = panel.columns.editor("score", "role")
    assert role is not None
    role.setCurrentText("target")
    qtbot.waitUntil(lambda: panel.info is not None and "score" in panel.info.targets and not panel._busy,
                    timeout=WAIT_MS)
    assert _card_texts(panel, "target", "score")["title"].startswith("<b>score</b>")
    assert _card_texts(panel, "input", "meta")["title"].startswith("<b>size</b>")

    # The class folders could feed the other output: the choice is offered and undone by "auto".
    klass = form.findChild(QComboBox, "image.class_output")
    assert klass is not None and [klass.itemText(i) for i in range(klass.count())] == ["auto", "class", "score"]
    assert panel.apply()
    dataset = window.document.project.dataset
    assert isinstance(dataset, DatasetSpec)
    assert dataset.image().table == "meta.csv" and dataset.path == "images"  # relative to the project
    assert dataset.column("score").role == "target"
    qtbot.waitUntil(lambda: window.validity_label.text() == "✓ Valid", timeout=WAIT_MS)

    clear = form.findChild(QPushButton, "image.table.clear")
    assert clear is not None and clear.isEnabled()
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert panel.spec is not None and panel.spec.image().table is None
    qtbot.waitUntil(lambda: panel.info is not None and not panel.info.columns and not panel._busy, timeout=WAIT_MS)
    assert not panel.tabs.isTabVisible(0)
    assert image_spec().image().table == "meta.csv"  # the helper's spec is untouched (the form edits a copy)
