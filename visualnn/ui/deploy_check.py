"""The Summary tab's deployability precheck: a button that asks the engine to convert the untrained model to
TFLite (``deploy_check`` job), the verdict with the estimated .tflite sizes, and a badge per node on the canvas.

The conversion runs in the engine (TensorFlow); this widget only sends the job and shows its answer. An edit
makes the verdict stale: the badges go and the line says to check again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from visualnn.core.costs import fmt_bytes
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink

IDLE = ("Check whether the model converts to TFLite built-in ops (phones, microcontrollers) before training: "
        "no data needed.")


class DeployCheckBar(QWidget):
    """Button, verdict line; ``checked`` carries node id -> ``builtin``/``flex``/``fails`` (``{}``: cleared)."""

    checked = Signal(dict)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine: EngineLink | None = None
        self.handle: JobHandle | None = None
        self.result: dict[str, Any] | None = None
        self.button = QPushButton("Check TFLite deployability", self)
        self.button.setToolTip("Convert the untrained model to TFLite in the engine and badge each layer: "
                               "TFLite (built-in ops), Flex (needs Select TF ops) or no TFLite.")
        self.label = QLabel(IDLE, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.button)
        lay.addWidget(self.label, 1)
        self.button.clicked.connect(self._on_button_clicked)
        document.graph_changed.connect(self._on_document_graph_changed)
        document.project_replaced.connect(self._on_document_graph_changed)

    def set_engine(self, engine: EngineLink | None) -> None:
        """The engine that runs the conversion (the window's)."""
        self.engine = engine

    def check(self) -> JobHandle | None:
        """Send the ``deploy_check`` job for the current model; returns its handle (None without an engine)."""
        if self.engine is None:
            self._say("The engine is not available, so the TFLite conversion cannot run.", theme.ERROR)
            return None
        if self.document.shapes.errors:
            self._say("Fix the model's errors (Problems tab) first: only a model that builds can be converted.",
                      theme.ERROR)
            return None
        handle = self.engine.submit("deploy_check", {"project": self.document.project.to_dict()})
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self._on_job_failed)
        self.handle = handle
        self.button.setEnabled(False)
        self._say("Converting the untrained model to TFLite…", None)
        return handle

    def _on_button_clicked(self) -> None:
        self.check()

    def _on_job_finished(self, result: dict[str, Any]) -> None:
        self.handle = None
        self.button.setEnabled(True)
        self.result = result
        sizes = result.get("sizes") or {}
        size_text = ("  ·  .tflite ≈ " + ", ".join(f"{k} {fmt_bytes(int(sizes[k]))}" for k in ("fp32", "fp16", "int8")
                                                   if k in sizes) if sizes else "")
        colour = {"builtin": "#2E9D5B", "flex": theme.WARNING}.get(str(result.get("status")), theme.ERROR)
        self._say(f"{result.get('message', '')}{size_text}", colour)
        self.checked.emit({str(n["id"]): str(n["status"]) for n in result.get("nodes", [])
                           if n.get("status") in ("builtin", "flex", "fails")})

    def _on_job_failed(self, message: str) -> None:
        self.handle = None
        self.button.setEnabled(True)
        self._say(f"The TFLite precheck failed: {message}", theme.ERROR)
        self.checked.emit({})

    def _on_document_graph_changed(self) -> None:
        if self.result is not None:
            self.result = None
            self._say("The model changed since the last TFLite check; check again.", None)
            self.checked.emit({})

    def _say(self, text: str, colour: str | None) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {colour};" if colour else "")
