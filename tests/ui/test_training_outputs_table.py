"""The per-output compile table: one row per model output, edits are undoable commands, and it follows the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.engine_fakes import training_document
from tests.ui.multi_output import two_output_graph
from visualnn.core.commands import RemoveNodes, Rename, SetTraining
from visualnn.core.project.io import load_project, save_project
from visualnn.core.training_options import OutputSettings


def _panel(qtbot: Any, **cfg: Any) -> Any:
    from visualnn.ui.training import TrainingPanel

    doc = training_document(graph=two_output_graph(), loss="sparse_categorical_crossentropy",
                            metrics=("accuracy",), **cfg)
    panel = TrainingPanel(doc, None)
    qtbot.addWidget(panel)
    panel.resize(1400, 700)
    panel.show()
    return panel


def _rows(table: Any) -> list[tuple[str, str, float, tuple[str, ...]]]:
    return [(table.table.item(r, 0).text(), table.loss_box(r).currentData(), table.weight_box(r).value(),
             table.metrics_button(r).chosen()) for r in range(table.table.rowCount())]


def _label(panel: Any, name: str) -> str:
    form = panel.form.sections["compile"].layout()
    return str(form.labelForField(panel.form.widgets[name]).text())


def test_each_output_gets_a_row_showing_the_model_wide_settings_until_edited(qtbot: Any, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    table, doc = panel.form.outputs_table, panel.document
    assert table.table.isVisible() and not table.note.isVisible()
    assert _rows(table) == [("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
                            ("score", "sparse_categorical_crossentropy", 1.0, ("accuracy",))]
    assert _label(panel, "loss") == "Default loss" and _label(panel, "metrics") == "Default metrics"
    assert "each output without its own row" in panel.form.loss.toolTip()

    # The user gives the regression head its own loss, weight and metric.
    table.loss_box(1).setCurrentIndex(table.loss_box(1).findData("mean_squared_error"))
    weight = table.weight_box(1)
    weight.setFocus()
    weight.selectAll()
    qtbot.keyClicks(weight, "0.5")
    qtbot.keyClick(weight, Qt.Key.Key_Enter)
    metrics = table.metrics_button(1)
    metrics.actions_by_id["accuracy"].trigger()  # ticked off in the button's menu
    metrics.actions_by_id["mae"].trigger()
    assert doc.project.training.outputs == (OutputSettings("score", "mean_squared_error", 0.5, ("mae",)),)
    assert metrics.text() == "mae" and table.table.item(1, 0).font().bold() and not table.table.item(0, 0).font().bold()
    assert doc.project.training.loss == "sparse_categorical_crossentropy"  # the model-wide loss is untouched

    # Another model-wide loss: the row without its own entry follows it, the edited row keeps its own.
    panel.form.loss.setCurrentIndex(panel.form.loss.findData("categorical_crossentropy"))
    assert _rows(table) == [("kind", "categorical_crossentropy", 1.0, ("accuracy",)),
                            ("score", "mean_squared_error", 0.5, ("mae",))]

    path = tmp_path / "two_outputs.vnn"
    save_project(doc.project, path)
    assert load_project(path).training == doc.project.training

    doc.undo_stack.undo()  # consecutive settings edits merge into one undo step
    assert doc.project.training.outputs == () and doc.project.training.loss == "sparse_categorical_crossentropy"
    assert _rows(table)[1] == ("score", "sparse_categorical_crossentropy", 1.0, ("accuracy",))
    assert not table.table.item(1, 0).font().bold()


def test_a_row_edited_back_to_the_model_wide_settings_is_dropped(qtbot: Any) -> None:
    panel = _panel(qtbot)
    table, doc = panel.form.outputs_table, panel.document
    table.weight_box(0).stepUp()
    assert doc.project.training.outputs == (OutputSettings("kind", "sparse_categorical_crossentropy", 1.1,
                                                           ("accuracy",)),)
    table.weight_box(0).stepDown()
    assert doc.project.training.outputs == ()


def test_the_table_follows_outputs_renamed_and_removed(qtbot: Any) -> None:
    panel = _panel(qtbot)
    table, doc = panel.form.outputs_table, panel.document
    doc.push(SetTraining(doc.project.training.with_changes(
        outputs=(OutputSettings("score", "mean_squared_error", 0.5, ("mae",)),))))
    assert _rows(table)[1] == ("score", "mean_squared_error", 0.5, ("mae",))

    doc.push(Rename("dense_4", "rating"))  # the renamed output keeps its own row (the Rename command carries it)
    assert [r[0] for r in _rows(table)] == ["kind", "rating"]
    assert _rows(table)[1] == ("rating", "mean_squared_error", 0.5, ("mae",))
    assert not table.stale.isVisible()
    doc.undo_stack.undo()
    assert _rows(table)[1] == ("score", "mean_squared_error", 0.5, ("mae",))

    doc.push(Rename("dense_4", "rating"))

    doc.push(RemoveNodes(["dense_4"]))  # one output left: the model-wide rows are its settings again
    assert not table.table.isVisible() and table.note.isVisible() and "one output" in table.note.text()
    assert _label(panel, "loss") == "Loss" and _label(panel, "metrics") == "Metrics"
    doc.undo_stack.undo()
    assert table.table.isVisible() and [r[0] for r in _rows(table)] == ["kind", "rating"]


def test_rows_of_outputs_the_model_lacks_are_named_and_can_be_forgotten(qtbot: Any) -> None:
    """A row left behind (a project file written by hand, or by an older version) is named, and one undoable
    click forgets it."""
    panel = _panel(qtbot, outputs=(OutputSettings("price", "mean_squared_error", 0.5, ("mae",)),))
    table, doc = panel.form.outputs_table, panel.document
    assert table.stale.isVisible() and "price" in table.stale.text() and "refuses" in table.stale.text()
    qtbot.mouseClick(table.forget_button, Qt.MouseButton.LeftButton)
    assert doc.project.training.outputs == () and not table.stale.isVisible()
    doc.undo_stack.undo()
    assert doc.project.training.outputs[0].name == "price" and table.stale.isVisible()


def test_a_single_output_model_shows_the_note_instead_of_the_table(qtbot: Any) -> None:
    from visualnn.ui.training import TrainingPanel

    panel = TrainingPanel(training_document(), None)
    qtbot.addWidget(panel)
    panel.show()
    table = panel.form.outputs_table
    assert not table.table.isVisible() and table.note.isVisible()
    assert _label(panel, "loss") == "Loss"
