"""The editor of a KerasHub backbone's ``preset``: a built-in preset name, or a local preset directory chosen from
disk (its config.json read at once, so the node shows its shapes and parameter count without TensorFlow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from visualnn.core.specs import ParamSpec
from visualnn.core.specs.builtin.hub import PRESETS, is_builtin
from visualnn.services.backbones import BackboneError
from visualnn.services.hub_presets import preset_params
from visualnn.ui.choosers import chooser_for
from visualnn.ui.inspector.editors import ParamEditor

FROM_FOLDER_TEXT = "Preset folder…"
_CHOOSE = "\x00choose"  # the "folder" entry's data: no preset name or path can be this


class HubPresetEditor(ParamEditor):
    """A drop-down of the built-in presets, the chosen directory (when there is one) and "Preset folder…".

    A built-in name is an ordinary ``edited`` value; a directory is read first and ``chosen`` carries every setting
    it sets (the path and its architecture facts), for one undo step; one that cannot be read is shown inline."""

    chosen = Signal(object)  # dict of settings: preset and the directory's facts

    def __init__(self, spec: ParamSpec, label: str = "The KerasHub backbone", parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.label = label
        self.box = QComboBox(self)
        self._layout.addWidget(self.box)
        self._value: Any = spec.default
        self.box.activated.connect(self._on_box_activated)
        self.set_value(spec.default)

    def set_value(self, value: Any) -> None:
        """Show the built-in names, and the directory (its name; the full path as the tooltip) when it is one."""
        self._value = value
        with QSignalBlocker(self.box):
            self.box.clear()
            for name in PRESETS:
                self.box.addItem(name, name)
            if isinstance(value, str) and value and not is_builtin(value):
                self.box.addItem(f"{Path(value).name or value} (folder)", value)
                self.box.setItemData(len(PRESETS), value, 3)  # Qt.ItemDataRole.ToolTipRole
            self.box.addItem(FROM_FOLDER_TEXT, _CHOOSE)
            index = self.box.findData(value)
            self.box.setCurrentIndex(max(index, 0))
        self.box.setToolTip(value if isinstance(value, str) and not is_builtin(value) else self.spec.doc)

    def value(self) -> Any:
        """The preset shown: a built-in name or a directory path."""
        return self._value

    def _on_box_activated(self, index: int) -> None:
        data = self.box.itemData(index)
        if data != _CHOOSE:
            if data != self._value:
                self.edited.emit(data)
            return
        start = str(Path(self._value).parent) if isinstance(self._value, str) and not is_builtin(self._value) else ""
        folder = chooser_for(self).folder(self, "KerasHub preset folder", start)
        if not folder:
            self.set_value(self._value)  # cancelled: show what the layer still has
            return
        try:
            settings = preset_params(folder, self.label)
        except BackboneError as exc:
            self.set_value(self._value)
            self.invalid.emit(str(exc))
            return
        self.chosen.emit(settings)
