"""The Training settings form is built from the settings table, and nothing it writes breaks a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QListWidget, QSpinBox

from tests.ui.multi_output import OUTPUTS, two_output_graph
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings
from visualnn.core.training_settings import FIELDS


def _form(qtbot: Any) -> Any:
    from visualnn.ui.training.settings import TrainingSettingsForm

    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    for group in form.toggles:
        form.set_section_open(group, True)
    form.resize(520, 900)
    form.show()
    return form


def _change(widget: Any) -> None:
    """Move one control away from its current value, the way a user would."""
    from visualnn.ui.training.outputs_table import OutputsTable

    if isinstance(widget, OutputsTable):  # the second output's loss weight, one step up
        _change(widget.weight_box(1))
    elif isinstance(widget, QCheckBox):
        widget.click()
    elif isinstance(widget, QSpinBox | QDoubleSpinBox):
        widget.setFocus()
        widget.stepUp()
        if not widget.hasAcceptableInput() or widget.value() == widget.minimum():
            widget.stepUp()
    elif isinstance(widget, QListWidget):
        item = widget.item(widget.count() - 1)
        item.setCheckState(Qt.CheckState.Unchecked if item.checkState() == Qt.CheckState.Checked
                           else Qt.CheckState.Checked)
    elif isinstance(widget, QLineEdit):
        widget.setText("0")
        widget.editingFinished.emit()
    elif isinstance(widget, QComboBox) and widget.count() == 0:  # an editable box with nothing offered: type
        widget.setCurrentText("conv2d_1")
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex((widget.currentIndex() + 1) % widget.count())


def test_one_row_per_field_of_the_table(qtbot: Any) -> None:
    form = _form(qtbot)
    assert list(form.widgets) == [f.name for f in FIELDS]
    for f in FIELDS:
        assert form.widgets[f.name].toolTip() == f.doc


def test_every_control_edited_then_saved_reopens_equal(qtbot: Any, tmp_path: Path) -> None:
    """The first release's symptom: any edit in the Training panel made the project unopenable."""
    form = _form(qtbot)
    form.set_output_names(OUTPUTS)  # a model with two outputs: the per-output table is a real control too
    edited: list[TrainingConfig] = []
    form.config_edited.connect(edited.append)
    changed = []
    for f in FIELDS:
        widget = form.widgets[f.name]
        widget.setEnabled(True)  # greyed-out rows (e.g. momentum with Adam) are still stored
        before = form.config()
        _change(widget)
        after = form.config()
        if getattr(after, f.name) != getattr(before, f.name):
            changed.append(f.name)
    assert set(changed) == {f.name for f in FIELDS}, f"not editable: {set(f.name for f in FIELDS) - set(changed)}"
    assert edited and edited[-1] == form.config()
    assert edited[-1].outputs == (OutputSettings("score", edited[-1].loss, 1.1, tuple(edited[-1].metrics)),)
    project = Project(graph=two_output_graph())
    project.set_training(edited[-1])
    path = tmp_path / "edited.vnn"
    save_project(project, path)
    assert load_project(path).training == edited[-1]


def test_precision_box_shows_and_writes_the_policy_names(qtbot: Any) -> None:
    form = _form(qtbot)
    form.set_config(TrainingConfig.from_dict({"mixed_precision": True}))  # an older file's bool
    assert form.mixed_precision.currentText() == "mixed_float16"
    edited: list[TrainingConfig] = []
    form.config_edited.connect(edited.append)
    form.mixed_precision.setCurrentText("none")
    assert edited[-1].mixed_precision == "none" and edited[-1].problems() == []


def test_rows_grey_out_when_the_chosen_option_does_not_read_them(qtbot: Any) -> None:
    form = _form(qtbot)
    form.set_config(TrainingConfig(optimizer="adam"))
    assert not form.momentum.isEnabled() and not form.decay_steps.isEnabled() and not form.patience.isEnabled()
    form.optimizer.setCurrentIndex(form.optimizer.findData("sgd"))
    assert form.momentum.isEnabled() and form.nesterov.isEnabled()
    form.early_stopping.click()
    assert form.patience.isEnabled() and form.monitor.isEnabled()


def test_the_monitor_offers_the_chosen_metrics(qtbot: Any) -> None:
    form = _form(qtbot)
    form.set_config(TrainingConfig(metrics=("mae",), loss="mean_squared_error"))
    assert [form.monitor.itemText(i) for i in range(form.monitor.count())] == ["val_loss", "val_mae", "loss", "mae"]


def test_the_wheel_over_an_unfocused_box_does_not_change_it(qtbot: Any) -> None:
    form = _form(qtbot)
    form.set_config(TrainingConfig(epochs=10))
    form.setFocus()
    event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(form.epochs, event)
    assert form.epochs.value() == 10
    form.activateWindow()
    qtbot.waitActive(form)
    form.epochs.setFocus()
    qtbot.waitUntil(form.epochs.hasFocus)
    QApplication.sendEvent(form.epochs, event)
    assert form.epochs.value() == 11


def test_advanced_settings_fold_away(qtbot: Any) -> None:
    from visualnn.ui.training.settings import TrainingSettingsForm

    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.show()
    assert not form.sections["advanced"].isVisible() and form.sections["compile"].isVisible()
    form.toggles["advanced"].click()
    assert form.sections["advanced"].isVisible()
