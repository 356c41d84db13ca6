"""Typing a number into the Training form, keystroke by keystroke, in the real window.

Each keystroke that makes a valid number is an edit: it goes to the document and comes back to the
form. The echo must not rewrite the field under the cursor: typing 0.00001 into "Minimum LR" (where
the prefix "0" is itself a valid value) must end at 0.00001, not at 0.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit
from pytestqt.qtbot import QtBot

from visualnn.ui.app import Shell


def test_typing_a_number_whose_prefix_is_valid_keeps_every_keystroke(shell: Shell, qtbot: QtBot) -> None:
    window = shell.window
    window.docks["training"].raise_()
    form = window.training_panel.form
    schedule = form.widgets["schedule"]
    assert isinstance(schedule, QComboBox)
    schedule.setCurrentIndex(schedule.findData("plateau"))  # Minimum LR applies to reduce-on-plateau
    box = form.widgets["min_lr"]
    assert isinstance(box, QDoubleSpinBox) and box.isEnabled()
    line = box.findChild(QLineEdit)
    assert line is not None
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClick(line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, "0.00001")
    assert line.text().startswith("0.00001"), line.text()
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert window.document.project.training.min_lr == 1e-5
