"""File > Import Keras Model…: choose a .keras/.h5 file, with or without its weights, import it in the engine.

The import runs in the engine process as an ``import_model`` job (reading a model and checking each
layer against the catalog needs Keras); this module asks for the file and the options, shows the
job's per-layer progress in a dialog with Cancel, and opens the result as a new project, the way
File > Open does: an imported model brings its own name and, with weights, a run of its own, so it
does not belong inside the project that was open. With weights, the project is saved at once where
the user chose, because the weights are written beside it (``runs/<run id>/model.keras``), as
``visualnn import-model -o`` does. No TensorFlow here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.project.io import project_from_dict
from visualnn.ui.choosers import chooser_for
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.errors import show_error, show_exception

log = logging.getLogger(__name__)
MODEL_FILTER = "Keras models (*.keras *.h5 *.hdf5);;Keras JSON config (*.json);;All files (*)"
PROJECT_FILTER = "VisualNN projects (*.vnn)"
WEIGHT_SUFFIXES = (".keras", ".h5", ".hdf5")  # a JSON config has no weights


def default_project_path(model_path: str) -> str:
    """``<model folder>/<model name>.vnn``, numbered when that file exists already."""
    folder, name = os.path.split(os.path.abspath(model_path))
    stem = os.path.splitext(name)[0]
    candidate = os.path.join(folder, f"{stem}.vnn")
    n = 2
    while os.path.exists(candidate):
        candidate = os.path.join(folder, f"{stem}-{n}.vnn")
        n += 1
    return candidate


class ImportOptionsDialog(QDialog):
    """The import's choices: bring the weights along or not, and where the project (and its weights) go."""

    def __init__(self, model_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Keras model")
        self.model_path = model_path
        has_weights = model_path.lower().endswith(WEIGHT_SUFFIXES)
        source = QLabel(model_path, self)
        source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.weights_box = QCheckBox("Bring the trained weights along (kept as a run, to train or export from)", self)
        self.weights_box.setObjectName("import_weights")
        self.weights_box.setChecked(has_weights)
        self.weights_box.setEnabled(has_weights)
        if not has_weights:
            self.weights_box.setToolTip("A Keras JSON config describes the layers only; it carries no weights.")
        self.project_edit = QLineEdit(default_project_path(model_path), self)
        self.project_edit.setObjectName("import_project_path")
        self.project_edit.setToolTip("The weights are saved beside this project file, in runs/.")
        self.browse_btn = QPushButton("Browse…", self)
        self.browse_btn.clicked.connect(self._on_browse_clicked)
        where = QHBoxLayout()
        where.addWidget(self.project_edit, 1)
        where.addWidget(self.browse_btn)
        self.where_label = QLabel("Save the project as:", self)
        form = QFormLayout()
        form.addRow("Model file:", source)
        form.addRow("", self.weights_box)
        form.addRow(self.where_label, where)
        note = QLabel("The model opens as a new project; the open project is closed (you are asked about unsaved "
                      "changes first).", self)
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_btn = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_btn.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.weights_box.toggled.connect(self._on_weights_box_toggled)
        self._on_weights_box_toggled(self.weights_box.isChecked())
        self.resize(620, self.sizeHint().height())

    @property
    def weights(self) -> bool:
        """Whether the weights come along."""
        return self.weights_box.isChecked()

    @property
    def project_path(self) -> str | None:
        """Where the project is saved (with weights), else None: the project opens unsaved."""
        if not self.weights:
            return None
        path = self.project_edit.text().strip()
        return path if path.endswith(".vnn") else f"{path}.vnn"

    def _on_weights_box_toggled(self, checked: bool) -> None:
        for widget in (self.project_edit, self.browse_btn, self.where_label):
            widget.setEnabled(checked)
        self.import_btn.setEnabled(not checked or bool(self.project_edit.text().strip()))

    def _on_browse_clicked(self) -> None:
        path = chooser_for(self).save_file(self, "Save the imported project as", self.project_edit.text(), PROJECT_FILTER)
        if path:
            self.project_edit.setText(path)


class ImportController(QObject):
    """Owns File > Import Keras Model…: the file and options dialogs, the engine job, its progress and outcome."""

    imported = Signal(object)  # the new Project, once it is open
    failed = Signal(str)  # a message naming the file and the fix
    cancelled = Signal(str)  # the model file whose import was cancelled

    def __init__(self, document: ProjectDocument, engine: EngineLink, window: QMainWindow,
                 confirm_replace: Callable[[str, Callable[[], object]], bool] | None = None) -> None:
        super().__init__(window)
        self.document = document
        self.engine = engine
        self.window = window
        # Before the project is replaced: settle a running training job, then ask about unsaved changes.
        self.confirm_replace = confirm_replace or (lambda _action, _then: True)
        self.action = QAction("&Import Keras Model…", window)
        self.action.setObjectName("action_import_model")
        tip = "Open a Keras model (.keras, .h5 or JSON config) as a new project, with or without its weights."
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(lambda _checked=False: self.import_model())
        self.options: ImportOptionsDialog | None = None  # the open options dialog
        self.progress: QProgressDialog | None = None  # the running import's progress
        self.handle: JobHandle | None = None
        self._source = ""
        self._project_path: str | None = None
        self._cancelling = False

    # ------------------------------------------------------------------ asking
    def import_model(self) -> None:
        """Ask for a model file, then for the options (a non-blocking dialog; Import starts the job)."""
        if self.handle is not None and not self.handle.done:
            self.window.statusBar().showMessage(f"Still importing {os.path.basename(self._source)}…", 5000)
            return
        start = os.path.dirname(self.document.path) if self.document.path else os.path.expanduser("~")
        path = chooser_for(self.window).open_file(self.window, "Import Keras model", start, MODEL_FILTER)
        if not path:
            return
        dialog = ImportOptionsDialog(path, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start(dialog.model_path, dialog.weights, dialog.project_path))
        dialog.destroyed.connect(lambda _o=None: setattr(self, "options", None))
        self.options = dialog
        dialog.open()

    def start(self, model_path: str, weights: bool, project_path: str | None = None) -> JobHandle | None:
        """Submit the ``import_model`` job (after the unsaved-changes question) and show its progress."""
        if not self.confirm_replace("import a model", lambda: self.start(model_path, weights, project_path)):
            return None
        if weights and not project_path:
            project_path = default_project_path(model_path)
        self._source, self._project_path, self._cancelling = model_path, project_path if weights else None, False
        payload = {"path": model_path, "weights": weights, "project_path": self._project_path}
        handle = self.engine.submit("import_model", payload)
        handle.progress.connect(self._on_handle_progress)
        handle.finished.connect(self._on_handle_finished)
        handle.failed.connect(self._on_handle_failed)
        self.handle = handle
        self._show_progress(os.path.basename(model_path))
        return handle

    def cancel(self) -> None:
        """Stop the running import between two layers; nothing is opened."""
        if self.handle is not None and not self.handle.done:
            self._cancelling = True
            self.handle.stop()
            self.window.statusBar().showMessage(f"Cancelling the import of {os.path.basename(self._source)}…", 5000)

    # ------------------------------------------------------------------ progress
    def _show_progress(self, name: str) -> None:
        dialog = QProgressDialog(f"Importing {name}… (TensorFlow is starting)" if not self.engine.is_ready
                                 else f"Importing {name}…", "Cancel", 0, 0, self.window)
        dialog.setWindowTitle("Import Keras model")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(300)  # a small model is done before the dialog would flash
        dialog.setMinimumWidth(460)
        dialog.canceled.connect(self.cancel)
        self.progress = dialog

    def _on_handle_progress(self, kind: str, data: dict[str, Any]) -> None:
        dialog = self.progress
        if dialog is None or kind != "status":
            return
        total = int(data.get("total") or 0)
        if total and dialog.maximum() != total:
            dialog.setRange(0, total)
        if "done" in data:
            dialog.setValue(int(data["done"]))
        elif total == 0 and data.get("text", "").startswith("Loading the weights"):
            dialog.setRange(0, 0)  # busy: the weights load as one step
        if data.get("text"):
            dialog.setLabelText(str(data["text"]))

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    # ------------------------------------------------------------------ outcome
    def _on_handle_finished(self, result: dict[str, Any]) -> None:
        self._close_progress()
        try:
            project = project_from_dict(result["project"], self._source)
        except Exception as exc:  # a result we cannot open must reach the user, named
            log.exception("opening the imported project failed")
            self._fail(f"Could not open the model imported from {self._source}: {exc}", exc)
            return
        self.document.set_project(project)
        if self._project_path:
            try:
                self.document.save(self._project_path)
            except Exception as exc:
                show_exception(self.window, "Cannot save the imported project",
                               f"The model was imported, but {self._project_path} could not be written: {exc}. "
                               "Its weights are in the runs folder beside it; choose File > Save As to save it "
                               "in that folder.", exc)
        count = len(project.graph)
        where = f" and saved as {self._project_path}" if self._project_path else ""
        self.window.statusBar().showMessage(f"Imported {os.path.basename(self._source)}: {count} layers{where}.", 10000)
        self.imported.emit(project)
        notes = [str(n) for n in result.get("notes") or []]
        if notes:
            box = QMessageBox(QMessageBox.Icon.Information, "Import Keras model",
                              f"Imported {os.path.basename(self._source)} ({count} layers).", parent=self.window)
            box.setObjectName("import_notes")
            box.setInformativeText("\n".join(notes))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _on_handle_failed(self, message: str) -> None:
        self._close_progress()
        if self._cancelling:
            self.window.statusBar().showMessage(f"Import of {os.path.basename(self._source)} cancelled.", 8000)
            self.cancelled.emit(self._source)
            return
        self._fail(f"Could not import {self._source}: {message}")

    def _fail(self, message: str, exc: BaseException | None = None) -> None:
        self.failed.emit(message)
        if exc is not None:
            show_exception(self.window, "Cannot import the model", message, exc)
        else:
            show_error(self.window, "Cannot import the model", message)


__all__ = ["ImportController", "ImportOptionsDialog", "default_project_path"]
