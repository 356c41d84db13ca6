"""Off the UI thread (TensorFlow-free): reading the data facts the full script needs, and exporting the script."""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

log = logging.getLogger(__name__)


class FactsSignals(QObject):
    """Signals of one :class:`FactsJob` (QRunnable cannot emit itself)."""

    finished = Signal(int, object)  # job id, facts dict (data path absolute)
    failed = Signal(int, str)  # job id, message naming the file and the cause


class FactsJob(QRunnable):
    """Runs ``services.script_export.read_facts`` on a snapshot of the dataset description; emits the facts or a message."""

    def __init__(self, job_id: int, dataset: dict[str, Any], base_dir: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.dataset = dataset  # a plain-dict snapshot: the worker never reads the live project
        self.base_dir = os.path.abspath(base_dir)  # so the facts carry an absolute data path
        self.signals = FactsSignals()
        self.setAutoDelete(True)

    def run(self) -> None:
        """Read the data, then emit ``finished`` or ``failed`` (never raises into Qt)."""
        from visualnn.core.dataset import DatasetSpec
        from visualnn.core.project import Project
        from visualnn.services.script_export import ScriptExportError, read_facts

        spec = DatasetSpec.from_dict(self.dataset)
        try:
            facts = read_facts(Project(dataset=spec), self.base_dir)  # the data path stays absolute
        except ScriptExportError as exc:
            self.signals.failed.emit(self.job_id, str(exc))
            return
        except Exception as exc:  # the cause reaches the user as a message; the traceback goes to the log
            log.exception("reading the data facts of %s failed", spec.path)
            self.signals.failed.emit(self.job_id, f"Could not read the data at {spec.path}: {exc}")
            return
        self.signals.finished.emit(self.job_id, facts)


class ScriptSignals(QObject):
    """Signals of one :class:`ScriptJob`."""

    finished = Signal(int, object)  # job id, services.script_export.WrittenScript
    failed = Signal(int, str)  # job id, message naming the cause


class ScriptJob(QRunnable):
    """Exports the training script of a project snapshot and writes it with its requirements.txt, off the UI thread.

    The same ``services.script_export`` functions as ``visualnn export-code`` and the Code dock's Save.
    """

    def __init__(self, job_id: int, project: dict[str, Any], base_dir: str, path: str, style: str,
                 project_path: str | None = None) -> None:
        super().__init__()
        self.job_id = job_id
        self.project = project  # Project.to_dict(): the worker never reads the live project
        self.project_path = project_path  # where the project lives (session state, not in to_dict())
        self.base_dir = os.path.abspath(base_dir)
        self.path = os.path.abspath(path)
        self.style = style
        self.signals = ScriptSignals()
        self.setAutoDelete(True)

    def run(self) -> None:
        """Export and write, then emit ``finished`` or ``failed`` (never raises into Qt)."""
        from visualnn.core.project.io import project_from_dict
        from visualnn.services.script_export import ScriptExportError, export_script, write_script

        try:
            project = project_from_dict(self.project, "the open project")
            project.path = self.project_path  # the script's defaults that name the project file (MLflow's experiment)
            export = export_script(project, self.style, self.base_dir, os.path.dirname(self.path))
            written = write_script(export, self.path)
        except ScriptExportError as exc:
            self.signals.failed.emit(self.job_id, str(exc))
            return
        except OSError as exc:
            log.warning("writing the script %s failed", self.path, exc_info=True)
            self.signals.failed.emit(self.job_id, f"Could not write {exc.filename or self.path}: {exc.strerror or exc}.")
            return
        except Exception as exc:  # the cause reaches the user as a message; the traceback goes to the log
            log.exception("exporting the script %s failed", self.path)
            self.signals.failed.emit(self.job_id, f"Could not export the script to {self.path}: {exc}")
            return
        self.signals.finished.emit(self.job_id, written)
