"""Inspecting a data source off the UI thread (QThreadPool); results come back as signals only."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)
THUMB_SIZE = 56
THUMBS_PER_CLASS = 8


class InspectSignals(QObject):
    """Signals of one :class:`InspectJob` (QRunnable cannot emit itself)."""

    finished = Signal(int, object, object)  # job id, SourceInfo, {class: [QImage]}
    failed = Signal(int, str, bool)  # job id, message, whether to offer "Relocate..."


class InspectJob(QRunnable):
    """Runs ``inspect_source`` (TensorFlow-free) and loads thumbnails for image folders."""

    def __init__(self, job_id: int, path: str, options: dict[str, Any], kind: str | None,
                 inputs: list[str] | None = None, outputs: list[str] | None = None,
                 shapes: dict[str, tuple[int | None, ...] | None] | None = None) -> None:
        super().__init__()
        self.shapes = shapes  # the Inputs' declared sample shapes: which one takes an image folder's images
        self.inputs = inputs
        self.outputs = outputs  # the model's Input/output names: several of either read an .npz as named parts
        self.job_id = job_id
        self.path = path
        self.options = options
        self.kind = kind
        self.signals = InspectSignals()
        self.setAutoDelete(True)

    def run(self) -> None:
        """Inspect, then emit ``finished`` or ``failed`` (never raises into Qt)."""
        from visualnn.services.datasets.errors import DataError
        from visualnn.services.datasets.inspect import inspect_source

        try:
            info = inspect_source(self.path, self.options, kind=self.kind, inputs=self.inputs, outputs=self.outputs,
                                  shapes=self.shapes)
            thumbs = load_thumbnails(info.examples) if info.kind == "images" else {}
        except DataError as exc:
            self.signals.failed.emit(self.job_id, str(exc), bool(exc.relocate))
            return
        except Exception as exc:  # a worker failure reaches the user as a message; the traceback goes to the log
            log.exception("inspecting %s failed", self.path)
            self.signals.failed.emit(self.job_id, f"Could not read {self.path}: {exc}", False)
            return
        self.signals.finished.emit(self.job_id, info, thumbs)


def load_thumbnails(examples: dict[str, list[str]]) -> dict[str, list[QImage]]:
    """Small QImages per class (QImage, unlike QPixmap, may be created outside the GUI thread)."""
    out: dict[str, list[QImage]] = {}
    for name, paths in examples.items():
        images = []
        for path in paths[:THUMBS_PER_CLASS]:
            img = QImage(path)
            if img.isNull():
                continue
            images.append(
                img.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            )
        out[name] = images
    return out
