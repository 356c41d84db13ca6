"""Read-only preview of the generated model code; follows every edit; Copy puts it on the clipboard."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument

log = logging.getLogger(__name__)
STYLES = ("functional", "sequential", "subclass")


def generate(document: ProjectDocument, style: str) -> str:
    """The model code for the project, or a comment saying why there is none."""
    try:
        from visualnn.core.codegen import generate_model_code
    except ImportError:
        return "# The code generator is not available in this build."
    try:
        return generate_model_code(document.project, style=style)
    except Exception as exc:  # the preview must survive half-built models
        return f"# The model cannot be written as code yet:\n# {exc}\n# Fix the problems listed in the Problems tab."


class CodePanel(QWidget):
    """Monospace, read-only Keras code of the current model with a style choice and Copy."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setFont(theme.mono_font(10))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.style_box = QComboBox(self)
        self.style_box.addItems(STYLES)
        self.style_box.setToolTip("How the model is written: Sequential list, functional API, or a Model subclass.")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the code to the clipboard.")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Style:"))
        bar.addWidget(self.style_box)
        bar.addStretch(1)
        bar.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.editor)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.refresh)
        self._stale = True
        document.graph_changed.connect(self._on_document_graph_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        self.style_box.currentTextChanged.connect(lambda _t: self.refresh())
        self.copy_button.clicked.connect(self.copy)
        self._on_document_project_replaced()

    def _on_document_project_replaced(self) -> None:
        self.style_box.setCurrentText("sequential" if self.document.graph.mode == "sequential" else "functional")
        self.refresh()

    def _on_document_graph_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Catch up on edits made while hidden."""
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Regenerate the code (keeping the scroll position)."""
        text = generate(self.document, self.style_box.currentText())
        if text != self.editor.toPlainText():
            bar = self.editor.verticalScrollBar()
            pos = bar.value()
            self.editor.setPlainText(text)
            bar.setValue(pos)
        self._stale = False

    def code(self) -> str:
        """The code shown (fresh)."""
        if self._stale:
            self.refresh()
        return self.editor.toPlainText()

    def copy(self) -> None:
        """Put the code on the clipboard."""
        QGuiApplication.clipboard().setText(self.code())
