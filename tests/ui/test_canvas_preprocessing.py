"""The canvas shows the preprocessing the data implies as a read-only group above the Input card (issue 13 part 2).

A CSV project with a categorical column is opened in the real window; once the Data panel has read the
data, a folded "Preprocessing (n steps)" card hangs above the Input card with a dashed arrow to it. A
click unfolds it into one row per step; it is not a node (not saved, not undoable, not selectable) and
File > New takes it away.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from tests.ui.canvas_helpers import fresh_render, press
from visualnn.core.dataset import DatasetSpec
from visualnn.core.layout import NODE_WIDTH
from visualnn.core.project.io import load_project, save_project
from visualnn.core.templates import template
from visualnn.ui import theme
from visualnn.ui.app import Shell
from visualnn.ui.canvas.preprocessing_item import PreprocessingGroup

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def _wine_project(tmp_path: Path) -> Path:
    """wine.csv: three numeric columns (one with a gap), a text column of 4 colours, a 3-class target."""
    colours = ("red", "rose", "white", "amber")
    rows = [f"{12 + i % 5}.{i % 10},{'' if i == 7 else i % 9},{(i * 7) % 40},{colours[i % 4]},{'abc'[i % 3]}"
            for i in range(40)]
    (tmp_path / "wine.csv").write_text("alcohol,acid,sugar,colour,target\n" + "\n".join(rows) + "\n")
    project = template("mlp_classifier").build()
    project.graph.set_param("input_1", "shape", [7])
    project.set_dataset(DatasetSpec("csv", "wine.csv", {"columns": {"target": {"role": "target"}}}))
    path = tmp_path / "wine.vnn"
    save_project(project, path)
    return path


def _open(qtbot: QtBot, shell: Shell, path: Path) -> PreprocessingGroup:
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: window.scene.preprocessing is not None, timeout=WAIT_MS)
    group = window.scene.preprocessing
    assert group is not None
    return group


def _close(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tolerance


def _click(qtbot: QtBot, shell: Shell, group: PreprocessingGroup) -> None:
    view = shell.window.view
    view.centerOn(group.sceneBoundingRect().center())
    target = group.mapToScene(group.card_rect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(target))


def test_a_csv_project_shows_its_preprocessing_folded_and_a_click_unfolds_it(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    path = _wine_project(tmp_path)
    window = shell.window
    group = _open(qtbot, shell, path)

    # Folded: one compact card above the Input card, centred on it, an arrow's length above its top.
    assert group.title == "Preprocessing (3 steps)" and group.rows == []
    card = group.mapRectToScene(group.card_rect())
    input_card = window.scene.nodes["input_1"].sceneBoundingRect()
    assert card.bottom() < input_card.top() and abs(card.center().x() - (input_card.left() + 4 + NODE_WIDTH / 2)) < 8
    assert "StringLookup+CategoryEncoding: colour (4 values)" in group.toolTip()
    # On screen: the card's top strip in the preprocessing colour, the dashed arrow down to the Input card.
    window.view.set_zoom(1.0)
    window.view.centerOn(card.center())
    image = fresh_render(window)
    strip = window.view.mapFromScene(group.mapToScene(QPointF(group.card_rect().center().x(), 2)))
    assert _close(QColor(image.pixel(strip)), theme.category_color("preprocessing"))
    arrow = window.view.mapFromScene(QPointF(card.center().x(), (card.bottom() + input_card.top()) / 2))
    column = [QColor(image.pixel(arrow.x(), y)) for y in range(arrow.y() - 12, arrow.y() + 12)]
    assert any(_close(c, theme.edge_color()) for c in column) and any(c == theme.canvas_background() for c in column)

    input_pos = tuple(window.document.graph.node("input_1").pos)
    _click(qtbot, shell, group)
    assert group.expanded
    assert group.rows == ["Fill missing values (1 column)", "StringLookup+CategoryEncoding: colour (4 values)",
                          "Normalization (3 features)"]
    unfolded = group.mapRectToScene(group.card_rect())
    assert unfolded.height() > card.height() + 3 * 15 and unfolded.bottom() == pytest.approx(card.bottom())
    assert window.scene.preprocessing is group and window.scene.selectedItems() == []  # a click selects nothing
    _click(qtbot, shell, group)  # a second click folds it again, a third unfolds it
    assert not group.expanded and group.rows == [] and group.mapRectToScene(group.card_rect()) == card
    _click(qtbot, shell, group)
    assert group.expanded and tuple(window.document.graph.node("input_1").pos) == input_pos  # the card did not move

    # Not part of the document: no node, nothing to undo, not in the saved file, not selectable.
    types = [n.type for n in window.document.graph]
    assert types == ["Input", "Dense", "Dropout", "Dense", "Dense"] and not window.document.undo_stack.canUndo()
    assert window.save()
    assert [n.type for n in load_project(path).graph] == types
    window.actions_["select_all"].trigger()
    assert len(window.scene.selected_ids()) == 5 and not group.isSelected()
    press(qtbot, window, "Delete")  # the layers go, and the group with its Input card; undo brings both back
    assert len(window.document.graph) == 0 and window.scene.preprocessing is None
    window.document.undo_stack.undo()
    group = window.scene.preprocessing
    assert group is not None and group.parentItem() is window.scene.nodes["input_1"]
    assert group.expanded  # unfolded as the user left it

    # Min-max scaling chosen in the Data panel and applied: the row says so, the group stays unfolded.
    panel = window.data_panel
    window.docks["data"].raise_()
    scaling = panel.settings.editors["scaling"]
    assert isinstance(scaling, QComboBox)
    scaling.setCurrentText("minmax")
    qtbot.waitUntil(lambda: panel.apply_btn.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(panel.apply_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scene.preprocessing is not None
                    and "Normalization (3 features, min-max)" in window.scene.preprocessing.rows, timeout=WAIT_MS)

    window.actions_["new"].trigger()
    assert window.scene.preprocessing is None
    assert not [i for i in window.scene.items() if isinstance(i, PreprocessingGroup)]

