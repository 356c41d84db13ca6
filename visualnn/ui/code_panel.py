"""The Code dock: the model definition or the full training script in three styles, with Copy and Save.

The model-only text is pure and fast, so it follows every edit at once. The full script needs facts
that only reading the data tells (CSV format, column kinds): those are read on the thread pool by
:class:`~visualnn.ui.code_worker.FactsJob` (TensorFlow-free), cached per dataset, and the script is
regenerated 300 ms after the last edit.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.sequential import sequential_problem
from visualnn.services.script_export import REQUIREMENTS, ScriptExportError, render_script, write_script
from visualnn.ui import theme
from visualnn.ui.choosers import chooser_for
from visualnn.ui.code_worker import FactsJob
from visualnn.ui.document import ProjectDocument
from visualnn.ui.model_styles_help import show_model_styles

log = logging.getLogger(__name__)
STYLES = ("sequential", "functional", "subclass")
STYLE_LABELS = {"sequential": "Sequential", "functional": "Functional", "subclass": "Subclass"}
SCRIPT_DEBOUNCE_MS = 300
# What Save does with an existing requirements.txt beside the script (the person's answer, when asked).
WRITE, REPLACE, KEEP, CANCEL = "write", "replace", "keep", "cancel"
FactsCallback = Callable[[dict[str, Any] | None, str | None], None]


def generate(document: ProjectDocument, style: str) -> str:
    """The model code for the project, or a comment saying why there is none."""
    try:
        return render_script(document.project, style, model_only=True).script
    except ScriptExportError as exc:  # the preview must survive half-built models
        return _cannot(exc)


def _cannot(exc: ScriptExportError) -> str:
    """The preview's text for a script that cannot be written: the reason as comments."""
    lines = "\n# ".join(str(exc).splitlines())
    fix = "Fix the problems listed in the Problems tab." if exc.cause == "model" else "Fix the data in the Data tab."
    return f"# {lines}\n# {fix}\n"


def sequential_reason(document: ProjectDocument) -> str | None:
    """Why ``keras.Sequential`` cannot express the graph (core's one rule, naming the layer), or ``None``."""
    problem = sequential_problem(document.graph)
    return None if problem is None else problem.message


class CodePanel(QWidget):
    """Read-only Keras code of the current project: style choice, Model only / Full script, Copy and Save."""

    saved = Signal(str)  # path of the written script (requirements.txt lies beside it)
    save_failed = Signal(str)  # a message naming the cause

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.pool = QThreadPool.globalInstance()
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setFont(theme.mono_font(10))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.style_box = QComboBox(self)
        for style in STYLES:
            self.style_box.addItem(STYLE_LABELS[style], style)
        self.style_box.setToolTip("How the model is written: Sequential list, functional API, or a Model subclass.")
        self.style_help_button = QToolButton(self)
        self.style_help_button.setObjectName("style_help_button")
        self.style_help_button.setText("Which style?")
        self.style_help_button.setAutoRaise(True)
        self.style_help_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion))
        self.style_help_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.style_help_button.setToolTip("Sequential, functional or subclassing: which and why (Help page).")
        self.style_help_button.clicked.connect(lambda _checked=False: show_model_styles(self.window()))
        self.model_button = QToolButton(self)
        self.model_button.setText("Model only")
        self.model_button.setToolTip("Only build_model(): follows every edit instantly.")
        self.script_button = QToolButton(self)
        self.script_button.setText("Full script")
        self.script_button.setToolTip("The whole training script: load_data(), tf.data pipeline, model, fit, evaluate.")
        self.mode_group = QButtonGroup(self)
        for button in (self.model_button, self.script_button):
            button.setCheckable(True)
            button.setAutoRaise(True)
            self.mode_group.addButton(button)
        self.model_button.setChecked(True)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the code shown to the clipboard.")
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip("Save the full training script in the chosen style, with a requirements.txt beside it.")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Style:"))
        bar.addWidget(self.style_box)
        bar.addWidget(self.style_help_button)
        bar.addSpacing(12)
        bar.addWidget(self.model_button)
        bar.addWidget(self.script_button)
        bar.addStretch(1)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.status)
        lay.addWidget(self.editor)
        self._timer = QTimer(self)  # model only: coalesce a burst of edits into one redraw
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.refresh)
        self._script_timer = QTimer(self)  # full script: wait for a pause in editing
        self._script_timer.setSingleShot(True)
        self._script_timer.setInterval(SCRIPT_DEBOUNCE_MS)
        self._script_timer.timeout.connect(self.refresh)
        self._stale = True
        self._job = 0
        self._inflight_key: str | None = None
        self._facts_key: str | None = None
        self._facts: dict[str, Any] | None = None
        self._facts_error: str | None = None
        self._waiting: list[FactsCallback] = []
        document.graph_changed.connect(self._on_document_graph_changed)
        for signal in (document.dataset_changed, document.training_changed, document.name_changed,
                       document.path_changed):
            signal.connect(self._on_document_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        self.style_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.mode_group.buttonToggled.connect(self._on_mode_toggled)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(lambda _checked=False: self.save())
        self._on_document_project_replaced()

    # ------------------------------------------------------------------ state
    def code_style(self) -> str:
        """The chosen style (``sequential``, ``functional`` or ``subclass``)."""
        return str(self.style_box.currentData())

    def set_code_style(self, style: str) -> None:
        """Choose a style; Sequential is refused (stays put) while the graph is not a chain."""
        index = self.style_box.findData(style)
        if index >= 0 and (style != "sequential" or sequential_reason(self.document) is None):
            self.style_box.setCurrentIndex(index)

    @property
    def full_script(self) -> bool:
        """Whether the dock shows the full training script (else the model definition only)."""
        return self.script_button.isChecked()

    def set_full_script(self, on: bool) -> None:
        """Switch between Model only and Full script."""
        (self.script_button if on else self.model_button).setChecked(True)

    # ------------------------------------------------------------------ document events
    def _on_document_project_replaced(self) -> None:
        self._update_styles()
        sequential = self.document.graph.mode == "sequential" and sequential_reason(self.document) is None
        self.style_box.blockSignals(True)
        self.style_box.setCurrentIndex(self.style_box.findData("sequential" if sequential else "functional"))
        self.style_box.blockSignals(False)
        self.refresh()

    def _on_document_graph_changed(self) -> None:
        self._update_styles()
        self._on_document_changed()

    def _on_document_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            (self._script_timer if self.full_script else self._timer).start()

    def _on_mode_toggled(self, _button: Any, checked: bool) -> None:
        if checked:
            self.refresh()

    def _update_styles(self) -> None:
        """Grey out Sequential (with the reason as its tooltip) when the graph is not a chain."""
        reason = sequential_reason(self.document)
        model = self.style_box.model()
        if isinstance(model, QStandardItemModel):
            item = model.item(self.style_box.findData("sequential"))
            item.setEnabled(reason is None)
            item.setToolTip("A keras.Sequential list of layers." if reason is None else reason)
        if reason is not None and self.code_style() == "sequential":
            self.style_box.setCurrentIndex(self.style_box.findData("functional"))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Catch up on edits made while hidden."""
        super().showEvent(event)
        if self._stale:
            self.refresh()

    # ------------------------------------------------------------------ text
    def refresh(self) -> None:
        """Regenerate the text shown: the model now, or the full script once the data facts are known."""
        self._stale = False
        if not self.full_script:
            self._show(generate(self.document, self.code_style()))
            self._set_status("")
            return
        self._with_facts(self._on_facts_for_preview)

    def _on_facts_for_preview(self, facts: dict[str, Any] | None, error: str | None) -> None:
        if not self.full_script:
            return
        if error is not None:
            self._set_status(error, error=True)
            lines = "\n# ".join(error.splitlines())
            self._show(f"# {lines}\n# Fix the data in the Data tab, or switch to Model only.\n")
            return
        self._set_status("")
        self._show(self._script(facts, self._base_dir()))

    def _script(self, facts: dict[str, Any] | None, script_dir: str) -> str:
        """The full script for the preview, or a comment saying why there is none (half-built models)."""
        try:
            return render_script(self.document.project, self.code_style(), facts, script_dir).script
        except ScriptExportError as exc:
            return _cannot(exc)

    def _show(self, text: str) -> None:
        if text != self.editor.toPlainText():
            bar = self.editor.verticalScrollBar()
            pos = bar.value()
            self.editor.setPlainText(text)
            bar.setValue(pos)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.ERROR};" if error else "")
        self.status.setVisible(bool(text))

    def code(self) -> str:
        """The code shown (fresh for the model only; the full script may still be waiting for the data)."""
        if self._stale:
            self.refresh()
        return self.editor.toPlainText()

    def copy(self) -> None:
        """Put the code shown on the clipboard."""
        QGuiApplication.clipboard().setText(self.code())

    # ------------------------------------------------------------------ data facts
    def _base_dir(self) -> str:
        path = self.document.path
        return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()

    def _with_facts(self, then: FactsCallback) -> None:
        """Call ``then(facts, error)`` now when the facts of this dataset are known, else once they are read."""
        dataset = self.document.project.dataset
        if dataset is None:
            then(None, None)  # no data: the script uses random stand-in data of the right shapes
            return
        base_dir = self._base_dir()
        key = json.dumps([dataset.to_dict(), base_dir], sort_keys=True, default=str)
        if key == self._facts_key:
            then(self._facts, self._facts_error)
            return
        self._waiting.append(then)
        if key == self._inflight_key:
            return
        self._job += 1
        self._inflight_key = key
        job = FactsJob(self._job, dataset.to_dict(), base_dir)
        job.signals.finished.connect(self._on_job_finished)
        job.signals.failed.connect(self._on_job_failed)
        self._set_status(f"Reading {os.path.basename(dataset.path) or dataset.path} for the full script…")
        self.pool.start(job)

    def _on_job_finished(self, job_id: int, facts: object) -> None:
        self._settle(job_id, facts if isinstance(facts, dict) else None, None)

    def _on_job_failed(self, job_id: int, message: str) -> None:
        self._settle(job_id, None, message)

    def _settle(self, job_id: int, facts: dict[str, Any] | None, error: str | None) -> None:
        if job_id != self._job:
            return  # a newer request superseded this one
        self._facts_key, self._inflight_key = self._inflight_key, None
        self._facts, self._facts_error = facts, error
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then(facts, error)

    # ------------------------------------------------------------------ save
    def save(self, path: str | None = None) -> None:
        """Write the full script (chosen style) and requirements.txt beside it; ``saved`` or ``save_failed`` follows."""
        if not path:
            start = os.path.join(self._base_dir(), "train.py")
            path = chooser_for(self).save_file(self, "Save training script", start, "Python script (*.py)")
        if not path:
            return
        target = os.path.abspath(path)
        self._with_facts(lambda facts, error: self._write(target, facts, error))

    def _write(self, path: str, facts: dict[str, Any] | None, error: str | None) -> None:
        """Render with the facts read on the worker thread, then write script and requirements.txt."""
        if error is not None:
            self._fail_save(f"The script was not saved: {error}")
            return
        try:
            export = render_script(self.document.project, self.code_style(), facts, os.path.dirname(path))
            requirements = os.path.join(os.path.dirname(path), REQUIREMENTS)
            choice = self._requirements_choice(requirements, export.requirements)
            if choice == CANCEL:
                self._set_status(f"Nothing was saved: {os.path.basename(path)} and {REQUIREMENTS} are as they were.")
                return
            written = write_script(export, path, requirements if choice == REPLACE else None,
                                   keep_requirements=choice == KEEP)
        except ScriptExportError as exc:
            self._fail_save(f"The script was not saved: {exc}")
            return
        except OSError as exc:
            log.warning("saving the script to %s failed", path, exc_info=True)
            self._fail_save(f"Could not write {exc.filename or path}: {exc.strerror or exc}.")
            return
        folder, name = os.path.dirname(path), os.path.basename(path)
        if written.kept_requirements:
            self._set_status(f"Saved {name} in {folder}; kept your own requirements.txt there (it may not pin the "
                             "versions the script was written for).")
        else:
            self._set_status(f"Saved {name} and requirements.txt in {folder}.")
        self.saved.emit(path)

    def _requirements_choice(self, path: str, wanted: str) -> str:
        """Whether to write ``requirements.txt`` (``write``: none there, or the same text), or, when one
        with other contents is there, what the person chose: ``replace``, ``keep`` or ``cancel``."""
        if not os.path.lexists(path):
            return WRITE
        try:
            with open(path, encoding="utf-8", errors="replace", newline="") as fh:
                existing: str | None = fh.read(len(wanted) + 1)
        except OSError as exc:  # unreadable: its contents are unknown, so ask all the same
            log.warning("cannot read %s to compare it", path, exc_info=True)
            existing = None
            detail = f"VisualNN cannot read it ({exc.strerror or exc})"
        else:
            detail = "its contents differ from the versions this script was written for"
        if existing == wanted:
            return WRITE
        pins = ", ".join(line for line in wanted.splitlines() if line and not line.startswith("#"))
        box = QMessageBox(QMessageBox.Icon.Question, "requirements.txt already exists",
                          f"{path} already exists, and {detail}.", QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText(f"Replace it with this script's requirements ({pins}), keep yours as it is and "
                               "save only the script, or cancel the save.")
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep Mine", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return REPLACE if clicked is replace else KEEP if clicked is keep else CANCEL

    def _fail_save(self, message: str) -> None:
        self._set_status(message, error=True)
        self.save_failed.emit(message)
