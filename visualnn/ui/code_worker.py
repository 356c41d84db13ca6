"""Reading the data facts the full training script needs, off the UI thread (TensorFlow-free)."""

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
    """Runs ``services.script_facts`` on a snapshot of the dataset description; emits the facts or a message."""

    def __init__(self, job_id: int, dataset: dict[str, Any], base_dir: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.dataset = dataset  # a plain-dict snapshot: the worker never reads the live project
        self.base_dir = os.path.abspath(base_dir)  # facts_for() rewrites only absolute data paths
        self.signals = FactsSignals()
        self.setAutoDelete(True)

    def run(self) -> None:
        """Read the data, then emit ``finished`` or ``failed`` (never raises into Qt)."""
        from visualnn.core.dataset import DatasetSpec
        from visualnn.core.project import Project
        from visualnn.services.datasets.errors import DataError
        from visualnn.services.script_facts import script_facts

        spec = DatasetSpec.from_dict(self.dataset)
        try:
            facts = script_facts(Project(dataset=spec), self.base_dir, None)  # None: keep the path absolute
        except DataError as exc:
            self.signals.failed.emit(self.job_id, str(exc))
            return
        except Exception as exc:  # the cause reaches the user as a message; the traceback goes to the log
            log.exception("reading the data facts of %s failed", spec.path)
            self.signals.failed.emit(self.job_id, f"Could not read the data at {spec.path}: {exc}")
            return
        self.signals.finished.emit(self.job_id, facts)


def facts_for(facts: dict[str, Any] | None, script_dir: str) -> dict[str, Any] | None:
    """The facts with the data path written relative to where the script lives (as the export job does)."""
    if facts is None:
        return None
    out = dict(facts)
    path = str(out.get("path", ""))
    if os.path.isabs(path):
        out["path"] = os.path.relpath(path, script_dir).replace(os.sep, "/")
    return out
