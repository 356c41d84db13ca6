"""The editor of a pretrained backbone's ``weights``: ImageNet, random weights, or a weights file chosen from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QWidget

from visualnn.core.specs import ParamSpec
from visualnn.core.specs.builtin.pretrained import IMAGENET, WEIGHTS_FILE_SUFFIXES
from visualnn.ui.choosers import chooser_for
from visualnn.ui.inspector.editors import ParamEditor

IMAGENET_TEXT = "ImageNet (pretrained)"
RANDOM_TEXT = "Random weights (None)"
FROM_FILE_TEXT = "Weights from file…"
_CHOOSE = "\x00choose"  # the "from file" entry's data: no path or Keras value can be this
FILTERS = f"Keras weights ({' '.join('*' + s for s in WEIGHTS_FILE_SUFFIXES)});;All files (*)"


class WeightsEditor(ParamEditor):
    """A drop-down of ImageNet, random weights, the chosen file (when there is one) and "Weights from file…"."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QComboBox(self)
        self._layout.addWidget(self.box)
        self._value: Any = spec.default
        self.box.activated.connect(self._on_box_activated)
        self.set_value(spec.default)

    def set_value(self, value: Any) -> None:
        """Show ImageNet, random, or the file (its name, the full path as the tooltip)."""
        self._value = value
        with QSignalBlocker(self.box):
            self.box.clear()
            self.box.addItem(IMAGENET_TEXT, IMAGENET)
            self.box.addItem(RANDOM_TEXT, None)
            if isinstance(value, str) and value != IMAGENET:
                self.box.addItem(Path(value).name or value, value)
                self.box.setItemData(2, value, 3)  # Qt.ItemDataRole.ToolTipRole: the whole path on hover
            self.box.addItem(FROM_FILE_TEXT, _CHOOSE)
            self.box.setCurrentIndex(0 if value == IMAGENET else 1 if value is None else 2)
        self.box.setToolTip(value if isinstance(value, str) and value != IMAGENET else self.spec.doc)

    def value(self) -> Any:
        """The weights shown: "imagenet", None or a path."""
        return self._value

    def _on_box_activated(self, index: int) -> None:
        data = self.box.itemData(index)
        if data != _CHOOSE:
            if data != self._value:
                self.edited.emit(data)
            return
        start = str(Path(self._value).parent) if isinstance(self._value, str) and self._value != IMAGENET else ""
        path = chooser_for(self).open_file(self, "Weights from file", start, FILTERS)
        if path:
            self.edited.emit(path)
        else:
            self.set_value(self._value)  # cancelled: show what the layer still has
