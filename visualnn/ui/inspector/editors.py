"""One editor widget per ParamSpec kind; each emits ``edited(value)`` with JSON data only."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from visualnn.core.specs import ParamSpec
from visualnn.core.specs import base as K

INT_LIMIT = 2_147_483_647


def parse_value(text: str) -> Any:
    """Parse what a person types: ``3``, ``3, 3``, ``[28, 28, 1]``, ``None`` or ``(1, 2)``."""
    t = text.strip()
    if t == "" or t.lower() in ("none", "null"):
        return None
    t = t.replace("(", "[").replace(")", "]").replace("None", "null")
    try:
        return json.loads(t)
    except ValueError:
        pass
    try:
        return json.loads(f"[{t}]")
    except ValueError:
        raise ValueError(f"could not read {text!r}; type numbers separated by commas, e.g. 3, 3.") from None


def format_value(value: Any) -> str:
    """The text shown for a value in a line editor."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join("None" if v is None else (format_value(v) if not isinstance(v, list) else json.dumps(v)) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ParamEditor(QWidget):
    """Base editor: ``set_value`` shows the model value without echoing; ``edited`` carries user edits."""

    edited = Signal(object)
    invalid = Signal(str)  # a value that could not even be read (shown inline)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setToolTip(spec.doc)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def set_value(self, value: Any) -> None:
        """Show ``value`` (from the document)."""
        raise NotImplementedError

    def value(self) -> Any:
        """The value the editor currently shows."""
        raise NotImplementedError


class IntEditor(ParamEditor):
    """Spin box within the spec's range (drags merge into one undo step via SetParam.merge)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QSpinBox(self)
        lo = int(spec.min) + (0 if spec.min_inclusive else 1) if spec.min is not None else -INT_LIMIT
        hi = int(spec.max) - (0 if spec.max_inclusive else 1) if spec.max is not None else INT_LIMIT
        self.box.setRange(lo, hi)
        self.box.setAccelerated(True)
        self.box.setGroupSeparatorShown(True)
        self._layout.addWidget(self.box)
        self.box.valueChanged.connect(lambda v: self.edited.emit(int(v)))

    def set_value(self, value: Any) -> None:
        """Show an integer."""
        with QSignalBlocker(self.box):
            self.box.setValue(int(value) if isinstance(value, (int, float)) else 0)

    def value(self) -> Any:
        """The integer shown."""
        return self.box.value()


class FloatEditor(ParamEditor):
    """Double spin box within the spec's range."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QDoubleSpinBox(self)
        self.box.setDecimals(4)
        eps = 10 ** -self.box.decimals()
        lo = spec.min + (0 if spec.min_inclusive else eps) if spec.min is not None else -1e9
        hi = spec.max - (0 if spec.max_inclusive else eps) if spec.max is not None else 1e9
        self.box.setRange(lo, hi)
        self.box.setSingleStep(0.05 if hi - lo <= 1.0 + eps else 0.1)
        self._layout.addWidget(self.box)
        self.box.valueChanged.connect(lambda v: self.edited.emit(round(float(v), 6)))

    def set_value(self, value: Any) -> None:
        """Show a number."""
        with QSignalBlocker(self.box):
            self.box.setValue(float(value) if isinstance(value, (int, float)) else 0.0)

    def value(self) -> Any:
        """The number shown."""
        return round(self.box.value(), 6)


class BoolEditor(ParamEditor):
    """Check box."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QCheckBox(self)
        self._layout.addWidget(self.box)
        self.box.toggled.connect(lambda v: self.edited.emit(bool(v)))

    def set_value(self, value: Any) -> None:
        """Tick or untick."""
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))

    def value(self) -> Any:
        """Whether ticked."""
        return self.box.isChecked()


class ChoiceEditor(ParamEditor):
    """Combo box over the spec's choices (None shown as "None")."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QComboBox(self)
        for choice in spec.choices:
            self.box.addItem("None" if choice is None else str(choice), choice)
        self._layout.addWidget(self.box)
        self.box.activated.connect(lambda i: self.edited.emit(self.box.itemData(i)))

    def set_value(self, value: Any) -> None:
        """Select ``value`` (adding it when it is not one of the choices, so nothing is hidden)."""
        with QSignalBlocker(self.box):
            index = self.box.findData(value)
            if index < 0:
                self.box.addItem(str(value), value)
                index = self.box.count() - 1
            self.box.setCurrentIndex(index)

    def value(self) -> Any:
        """The selected choice."""
        return self.box.currentData()


class TextEditor(ParamEditor):
    """Line editor for text, tuples, shapes, axes, padding and optional numbers.

    Values are parsed on Enter/focus-out; unreadable text raises ``invalid`` instead of an exception.
    """

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(self._placeholder())
        self._layout.addWidget(self.line)
        self.line.editingFinished.connect(self._on_line_editing_finished)
        self._shown = ""

    def _placeholder(self) -> str:
        k = self.spec.kind
        if k == K.SHAPE:
            return "e.g. 28, 28, 1"
        if k == K.INTS:
            return "e.g. " + ", ".join(["3"] * (self.spec.length or 1))
        if self.spec.optional:
            return "None"
        return ""

    def parse(self, text: str) -> Any:
        """Text to a JSON value for this kind (ValueError with a readable message)."""
        k = self.spec.kind
        if k == K.STR:
            return text if text or not self.spec.optional else None
        value = parse_value(text)
        if k == K.INT and isinstance(value, float) and value.is_integer():
            value = int(value)
        if k == K.SHAPE and isinstance(value, int):
            value = [value]
        if k == K.INTS and isinstance(value, int) and self.spec.length and self.spec.length > 1:
            value = [value] * self.spec.length  # "3" means 3×3
        return value

    def _on_line_editing_finished(self) -> None:
        text = self.line.text()
        if text == self._shown:
            return
        try:
            value = self.parse(text)
        except ValueError as exc:
            self.invalid.emit(f"{self.spec.name}: {exc}")
            return
        self.edited.emit(value)

    def set_value(self, value: Any) -> None:
        """Show a value as text."""
        self._shown = value if isinstance(value, str) and self.spec.kind == K.STR else format_value(value)
        with QSignalBlocker(self.line):
            self.line.setText(self._shown)

    def value(self) -> Any:
        """The parsed text (None when unreadable)."""
        try:
            return self.parse(self.line.text())
        except ValueError:
            return None


def make_editor(spec: ParamSpec, parent: QWidget | None = None) -> ParamEditor:
    """The right editor for a parameter kind."""
    if spec.kind == K.BOOL:
        return BoolEditor(spec, parent)
    if spec.kind == K.CHOICE:
        return ChoiceEditor(spec, parent)
    if spec.kind == K.INT and not spec.optional:
        return IntEditor(spec, parent)
    if spec.kind == K.FLOAT and not spec.optional:
        return FloatEditor(spec, parent)
    return TextEditor(spec, parent)
