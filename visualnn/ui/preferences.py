"""Edit > Preferences…: the app's own settings (not the project's), kept in ``QSettings``.

Today it holds experiment tracking: an MLflow tracking URI and an experiment name. With a URI set, every
training run and every search trial the window starts is logged to MLflow by the engine (docs/TRACKING.md): the
sessions ask :func:`tracking_job_fields` when they build a job, so a change applies to the next job without a
restart. The window never imports ``mlflow``; it only looks up whether it is installed, to say so.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.tracking import INSTALL_HINT, TrackingTarget, experiment_name, uri_problem
from visualnn.ui import theme

MLFLOW_URI_KEY = "tracking/mlflow_uri"
MLFLOW_EXPERIMENT_KEY = "tracking/mlflow_experiment"


def tracking_preference(settings: QSettings) -> TrackingTarget:
    """The MLflow target the preferences hold (an empty URI: no MLflow)."""
    return TrackingTarget(str(settings.value(MLFLOW_URI_KEY, "") or ""),
                          str(settings.value(MLFLOW_EXPERIMENT_KEY, "") or ""))


def tracking_job_fields(settings: QSettings, project_path: str | None) -> dict[str, Any]:
    """A train or search job's tracking fields from the preferences; the experiment defaults to the project
    file's name. Empty when no URI is set (the job logs nothing to MLflow)."""
    target = tracking_preference(settings)
    if not target.enabled:
        return {}
    return {"mlflow_uri": target.uri.strip(), "mlflow_experiment": experiment_name(target.experiment, project_path)}


def mlflow_installed() -> bool:
    """Whether the engine's Python can log to MLflow (looked up, not imported: the import takes seconds)."""
    return importlib.util.find_spec("mlflow") is not None


class PreferencesDialog(QDialog):
    """The preferences form: MLflow tracking URI and experiment; OK saves them (a bad URI is refused, named)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self.settings = settings
        target = tracking_preference(settings)
        self.mlflow_uri = QLineEdit(target.uri)
        self.mlflow_uri.setObjectName("pref_mlflow_uri")
        self.mlflow_uri.setPlaceholderText("empty: no MLflow  ·  e.g. sqlite:////home/me/mlflow.db")
        self.mlflow_uri.setToolTip("Where every training run and search trial is logged: an SQLite file "
                                   "(sqlite:////abs/path.db), a folder (file:/abs/mlruns) or a tracking server "
                                   "(http://host:5000). Empty: nothing is logged to MLflow.")
        self.mlflow_experiment = QLineEdit(target.experiment)
        self.mlflow_experiment.setObjectName("pref_mlflow_experiment")
        self.mlflow_experiment.setPlaceholderText("the project file's name")
        self.mlflow_experiment.setToolTip("The MLflow experiment runs go to; empty: the project file's name.")
        box = QGroupBox("Experiment tracking (MLflow)")
        form = QFormLayout(box)
        form.addRow("Tracking URI", self.mlflow_uri)
        form.addRow("Experiment", self.mlflow_experiment)
        note = ("Each run logs its settings, layer parameters, every epoch's figures, the test figures and the "
                "model file; a search logs one run per trial under a run for the study.")
        if not mlflow_installed():
            note += f" MLflow is not installed in the app's environment: {INSTALL_HINT}"
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("pref_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.ERROR};")
        self.error.hide()
        form.addRow(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def accept(self) -> None:
        """Save the preferences, unless the URI cannot be used (then say why and stay open)."""
        uri = self.mlflow_uri.text().strip()
        problem = uri_problem(uri)
        if problem:
            self.error.setText(problem)
            self.error.show()
            self.mlflow_uri.setFocus()
            return
        self.settings.setValue(MLFLOW_URI_KEY, uri)
        self.settings.setValue(MLFLOW_EXPERIMENT_KEY, self.mlflow_experiment.text().strip())
        self.settings.sync()
        super().accept()


class PreferencesAction:
    """Edit > Preferences… on a window with ``settings`` and an ``edit_menu``; opens :class:`PreferencesDialog`."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.dialog: PreferencesDialog | None = None
        self.action = QAction("Pre&ferences…", window)
        self.action.setObjectName("action_preferences")
        self.action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action.setStatusTip("App settings: MLflow experiment tracking.")
        self.action.triggered.connect(self.open)
        window.edit_menu.addSeparator()
        window.edit_menu.addAction(self.action)

    def open(self) -> PreferencesDialog:
        """Show the dialog (window-modal; the answer is saved by the dialog itself)."""
        self.dialog = PreferencesDialog(self.window.settings, self.window)
        self.dialog.open()
        return self.dialog


__all__ = ["MLFLOW_EXPERIMENT_KEY", "MLFLOW_URI_KEY", "PreferencesAction", "PreferencesDialog", "mlflow_installed",
           "tracking_job_fields", "tracking_preference"]
