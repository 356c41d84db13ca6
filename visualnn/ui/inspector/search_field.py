"""The "search" toggle beside a parameter's editor, the SPEC line it opens, and the marker that turns both into
undoable commands.

A person switches "search" on beside ``units``: the line under the editor offers a first SPEC around the current
value (``16,32,64``) and the parameter is marked at once (one undo step, a badge on the node). Typing another SPEC
and pressing Enter replaces it; a SPEC that cannot work is refused with the message under the line, naming the
parameter and the fix, and nothing changes. Switching "search" off unmarks it. The layer inspector and the Search
view's training settings use the same widget.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from visualnn.core.search_marks import MarkSearch, check_spec, searched
from visualnn.core.search_space import SPEC_HELP, SearchParam
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument


class SearchField(QWidget):
    """The SPEC line and its message for one target; :attr:`toggle` is placed beside the parameter's editor."""

    spec_entered = Signal(str, str)  # target, SPEC text (typed, or the suggestion when switched on)
    cleared = Signal(str)  # target: switched off

    def __init__(self, target: str, suggestion: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self._suggestion = suggestion
        self.toggle = QToolButton()
        self.toggle.setObjectName(f"search_toggle:{target}")
        self.toggle.setText("search")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip(f"Search {target}: try several values (a list or a range) in a hyperparameter "
                               "search instead of this one value.")
        self.toggle.setStyleSheet(f"QToolButton:checked {{ color: white; background: {theme.ACCENT}; "
                                  "border-radius: 3px; }")
        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.line = QLineEdit(self)
        self.line.setObjectName(f"search_spec:{target}")
        self.line.setPlaceholderText("16,32,64 or 0.0001..0.01:log")
        self.line.setToolTip(f"Values to search for {target}: {SPEC_HELP}. Press Enter to apply.")
        self.line.returnPressed.connect(self._on_line_return_pressed)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.ERROR}; font-size: 90%;")
        self.message.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.line)
        lay.addWidget(self.message)
        self._param: SearchParam | None = None
        self.setVisible(False)

    @property
    def param(self) -> SearchParam | None:
        """The searched parameter shown (None: not searched)."""
        return self._param

    def show_param(self, param: SearchParam | None) -> None:
        """Show what the project searches for this target (from the document; emits nothing)."""
        self._param = param
        pending = self.toggle.isChecked() and self.message.isVisible()  # a refused SPEC stays until fixed or cleared
        if param is None and pending:
            return
        with QSignalBlocker(self.toggle):
            self.toggle.setChecked(param is not None)
        if param is not None:
            if not self.line.hasFocus() or not self.message.isVisible():
                self.line.setText(param.spec_text())
            self.show_problems([])
        self.setVisible(param is not None)

    def show_problems(self, problems: list[str]) -> None:
        """Show why the typed SPEC was refused (or clear the message)."""
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))

    def _on_toggle_toggled(self, on: bool) -> None:
        if on:
            self.setVisible(True)
            self.line.setText(self._suggestion())
            self.line.setFocus()
            self.line.selectAll()
            self.spec_entered.emit(self.target, self.line.text())
        else:
            self.show_problems([])
            self.setVisible(False)
            self.cleared.emit(self.target)

    def _on_line_return_pressed(self) -> None:
        self.spec_entered.emit(self.target, self.line.text())


class SearchMarker(QObject):
    """Turns the fields' intents into :class:`MarkSearch` commands and keeps the fields showing the project."""

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.fields: dict[str, SearchField] = {}
        document.search_changed.connect(self.refresh)

    def add(self, field: SearchField) -> SearchField:
        """Follow ``field`` (its intents become commands; it shows the project's search)."""
        self.fields[field.target] = field
        field.spec_entered.connect(self._on_field_spec_entered)
        field.cleared.connect(self._on_field_cleared)
        field.show_param(searched(self.document.project, field.target))
        return field

    def clear(self) -> None:
        """Forget the fields (their widgets are being replaced)."""
        self.fields = {}

    def refresh(self) -> None:
        """Show the project's search in every field (after an edit, an undo or a replaced project)."""
        for target, field in self.fields.items():
            field.show_param(searched(self.document.project, target))

    def mark(self, target: str, text: str) -> list[str]:
        """Search ``target`` over the SPEC ``text`` (one undo step); the problems when refused (the field shows them)."""
        param, problems = check_spec(target, text, self.document.graph, self.document.registry)
        field = self.fields.get(target)
        if param is None:
            if field is not None:
                field.show_problems(problems)
            return problems
        if field is not None:
            field.show_problems([])
        if searched(self.document.project, target) == param:
            return []
        failures: list[str] = []
        self.document.command_failed.connect(failures.append)
        try:
            ok = self.document.push(MarkSearch(self.document.project, target, param))
        finally:
            self.document.command_failed.disconnect(failures.append)
        if not ok:
            failures = failures or [f"{target}: the search was refused."]
            if field is not None:
                field.show_problems(failures)
        return [] if ok else failures

    def unmark(self, target: str) -> bool:
        """Stop searching ``target`` (one undo step); False when it was not searched."""
        if searched(self.document.project, target) is None:
            return False
        return self.document.push(MarkSearch(self.document.project, target, None))

    def _on_field_spec_entered(self, target: str, text: str) -> None:
        self.mark(target, text)

    def _on_field_cleared(self, target: str) -> None:
        self.unmark(target)


__all__ = ["SearchField", "SearchMarker"]
