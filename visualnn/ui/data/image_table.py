"""The Images settings of an image folder read with a per-image table: the table, its key, and which nodes
the images and the class folders feed.

A model with several Inputs or outputs can take, besides the images, a CSV with one row per image (a
column naming each image file, one column per value): the table's feature columns feed the other Inputs
and its target columns the other outputs (chosen in the Columns tab, as a CSV's column groups are). This
form edits ``image.table``, ``image.key``, ``image.input`` and ``image.class_output`` of the working
dataset and emits ``edited(key, value)`` like the rest of the settings form; ``auto`` (None) lets the
app choose: the column that names the images, the only Input of rank 3, the output named ``class``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from visualnn.core.dataset import DatasetSpec

AUTO = "auto"
NONE_TABLE = "(no table)"
CHOICES = ("image.key", "image.input", "image.class_output")


class ImageTableForm(QObject):
    """Rows of the Images settings group (added to ``form``; their parent is ``parent``): the per-image table,
    its key column and the nodes fed."""

    edited = Signal(str, object)  # "image.table" (path or None) | "image.key" | "image.input" | "image.class_output"
    choose_table = Signal()  # the panel opens the file chooser (it knows the project's folder)

    def __init__(self, form: QFormLayout, parent: QWidget) -> None:
        super().__init__(parent)
        self.table_edit = QLineEdit(parent)
        self.table_edit.setObjectName("image.table")
        self.table_edit.setReadOnly(True)
        self.table_edit.setPlaceholderText(NONE_TABLE)
        self.table_edit.setToolTip("A CSV with one row per image: a column naming each image file (relative to the "
                                   "folder, or its file name) and one column per value the model takes or predicts")
        self.choose_btn = QPushButton("Choose…", parent)
        self.choose_btn.setObjectName("image.table.choose")
        self.choose_btn.clicked.connect(self.choose_table.emit)
        self.clear_btn = QPushButton("Clear", parent)
        self.clear_btn.setObjectName("image.table.clear")
        self.clear_btn.clicked.connect(lambda: self.edited.emit("image.table", None))
        row = QHBoxLayout()
        for w in (self.table_edit, self.choose_btn, self.clear_btn):
            row.addWidget(w, 1 if w is self.table_edit else 0)
        form.addRow("Per-image table (CSV)", row)
        self.boxes: dict[str, QComboBox] = {}
        labels = {"image.key": ("Key column (names each image)", "The table's column holding each image's path or "
                                "file name (auto: the column whose values name the images)"),
                  "image.input": ("Images feed Input", "The Input node that takes the images (auto: the only "
                                  "Input of shape [height, width, channels])"),
                  "image.class_output": ("Class folders → output", "The output compared with each image's class "
                                         "folder (auto: the output named 'class', or the only output without a "
                                         "table)")}
        for key in CHOICES:
            box = QComboBox(parent)
            box.setObjectName(key)
            box.setToolTip(labels[key][1])
            box.addItem(AUTO)
            box.currentTextChanged.connect(lambda text, k=key: self.edited.emit(k, None if text == AUTO else text))
            form.addRow(labels[key][0], box)
            self.boxes[key] = box

    def show_spec(self, spec: DatasetSpec, table_path: str | None) -> None:
        """Show ``spec``'s image-table settings without echoing: the table as stored (relative to the project),
        with ``table_path`` (where it resolves) as the tooltip."""
        image = spec.image()
        self.table_edit.setText(image.table or "")
        self.table_edit.setToolTip(table_path or self.table_edit.placeholderText())
        self.clear_btn.setEnabled(image.table is not None)
        for key, value in zip(CHOICES, (image.key, image.input, image.class_output), strict=True):
            self._set(self.boxes[key], None, value)
        self.boxes["image.key"].setEnabled(image.table is not None)

    def set_choices(self, columns: list[str], inputs: list[str], outputs: list[str]) -> None:
        """Offer the table's columns as keys and the model's Inputs and outputs (each keeps its current choice)."""
        for key, values in zip(CHOICES, (columns, inputs, outputs), strict=True):
            box = self.boxes[key]
            self._set(box, values, None if box.currentText() == AUTO else box.currentText())

    @staticmethod
    def _set(box: QComboBox, values: list[str] | None, current: str | None) -> None:
        blocker = QSignalBlocker(box)
        if values is not None:
            box.clear()
            box.addItems([AUTO, *values])
        if current is not None and box.findText(current) < 0:
            box.addItem(current)  # a choice naming a node or column that is gone: shown, validation names it
        box.setCurrentText(current or AUTO)
        del blocker


def choices_of(info: Any) -> list[str]:
    """The key column candidates of an inspection: the table's key and its other columns."""
    key = (info.format or {}).get("key")
    names = [c.name for c in info.columns]
    return ([str(key)] if key else []) + [n for n in names if n != key]


__all__ = ["AUTO", "ImageTableForm", "choices_of"]
