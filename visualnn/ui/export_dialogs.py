"""Export actions for the main window, and the parity-report dialog.

Model export runs in the engine process (job ``export_model``; File > Import Keras Model is
``visualnn.ui.import_model``); the
training script is written on the thread pool by the same ``services.script_export`` functions as
``visualnn export-code`` and the Code dock (it needs no TensorFlow). This module only asks for file
names, starts the work and shows results. No TensorFlow here.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.training_config import RunRecord
from visualnn.ui.choosers import chooser_for
from visualnn.ui.code_worker import ScriptJob
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import EngineLink

log = logging.getLogger(__name__)

QUANTIZE_CHOICES = {
    "float32 (no quantization)": "none",
    "dynamic-range int8 weights": "dynamic",
    "float16 weights": "float16",
    "full-integer int8 (calibrated on training samples)": "int8",
    "full-integer int8 with int8 inputs and outputs": "int8-io",
}


def _num(value: Any, fmt: str = ".3g") -> str:
    return "—" if value is None else format(float(value), fmt)


def report_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows of a parity report, in reading order."""
    size = float(report.get("size_bytes") or 0)
    rows = [
        ("Format", f"{report.get('format')} ({report.get('quantize')})"),
        ("File", str(report.get("path"))),
        ("Size", f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.2f} MB"),
        ("Samples", f"{report.get('samples')} ({report.get('sample_source')})"),
        ("Max |difference|", _num(report.get("max_abs_diff"))),
        ("Mean |difference|", _num(report.get("mean_abs_diff"))),
    ]
    if report.get("class_agreement") is not None:
        rows.append(("Same predicted class", f"{float(report['class_agreement']):.1%}"))
    if report.get("metric"):
        rows.append(
            (
                str(report["metric"]).capitalize(),
                f"app {_num(report.get('metric_app'), '.4f')}, export {_num(report.get('metric_export'), '.4f')} "
                f"(difference {_num(report.get('metric_diff'), '+.4f')})",
            )
        )
    rows.append(("Tolerance", str(report.get("tolerance", ""))))
    if report.get("inputs_file"):
        rows.append(("Input columns", str(report["inputs_file"])))
    return rows


class ParityReportDialog(QDialog):
    """Shows how closely an exported model matches the in-app model, with a clear pass/fail line."""

    def __init__(self, report: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export check")
        self.report = report
        passed = bool(report.get("passed"))
        verdict = "The exported model matches the app's model." if passed else (
            "The exported model differs from the app's model more than the tolerance allows."
        )
        self.verdict = QLabel(("✔ " if passed else "✘ ") + verdict, self)
        self.verdict.setObjectName("parity_verdict")
        self.verdict.setStyleSheet(f"font-weight: bold; color: {'#2e7d32' if passed else '#c62828'};")
        form = QFormLayout()
        for label, value in report_rows(report):
            field = QLabel(value, self)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label + ":", field)
        lay = QVBoxLayout(self)
        lay.addWidget(self.verdict)
        lay.addLayout(form)
        feed = report.get("feed") or []
        if feed:
            self.feed = QLabel("\n".join(str(line) for line in feed), self)
            self.feed.setObjectName("parity_feed")
            self.feed.setWordWrap(True)
            self.feed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(self.feed)
        for note in report.get("notes") or []:
            lab = QLabel(f"Note: {note}", self)
            lab.setWordWrap(True)
            lay.addWidget(lab)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)


class _EngineExport(QObject):
    """One export job in flight: its handle and the file it writes; hands its own outcome to the controller.

    A child of the controller, so a window closed while an export runs takes its slots with it.
    """

    def __init__(self, controller: ExportController, handle: JobHandle, job: str, path: str) -> None:
        super().__init__(controller)
        self.controller = controller
        self.handle = handle
        self.job = job
        self.path = path
        handle.finished.connect(self._on_handle_finished)
        handle.failed.connect(self._on_handle_failed)

    def _on_handle_finished(self, result: dict[str, Any]) -> None:
        self.controller._export_finished(self, result)

    def _on_handle_failed(self, message: str) -> None:
        self.controller._export_failed(self, message)


class ExportController(QObject):
    """Owns the Export actions: asks for a file, submits the engine job, shows the outcome.

    Each engine export is followed through its own :class:`JobHandle`, so exports sent back to back get
    their own report or error, in whatever order the engine answers them.
    """

    exported = Signal(dict)  # the parity report
    script_written = Signal(str)  # path of the written script
    failed = Signal(str)  # a message naming the cause

    def __init__(self, document: Any, engine: EngineLink | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.engine = engine
        self.parent_widget = parent
        self._exports: list[_EngineExport] = []  # engine exports in flight, in the order they were sent
        self._scripts: dict[int, str] = {}  # script job id -> target path
        self._script_ids = 0
        self.show_dialogs = True  # tests turn modal dialogs off
        self.actions: dict[str, QAction] = {}
        for key, text, slot in (
            ("export_keras", "Keras Model (.keras)…", self.export_keras),
            ("export_savedmodel", "TensorFlow SavedModel…", self.export_savedmodel),
            ("export_tflite", "TensorFlow Lite (.tflite)…", self.export_tflite),
            ("export_onnx", "ONNX (.onnx)…", self.export_onnx),
            ("export_script", "Python Training Script (.py)…", self.export_script),
        ):
            act = self._find_action(key) or QAction(text, parent or self)
            act.setObjectName(f"action_{key}")
            act.setEnabled(engine is not None or key == "export_script")  # the script needs no engine
            act.setToolTip(text.rstrip("…"))
            act.triggered.connect(lambda _checked=False, s=slot: s())
            self.actions[key] = act

    def _find_action(self, key: str) -> QAction | None:
        """The main window's placeholder action of that name, when it has one."""
        if self.parent_widget is None:
            return None
        found = self.parent_widget.findChild(QAction, f"action_{key}")
        return found if isinstance(found, QAction) else None

    # ------------------------------------------------------------------ helpers
    def _base_dir(self) -> str:
        path = getattr(self.document.project, "path", None)
        return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()

    def _ask_path(self, title: str, suggestion: str, filters: str, folder: bool = False) -> str:
        start = os.path.join(self._base_dir(), suggestion)
        return chooser_for(self.parent_widget).save_file(self.parent_widget, title, start, "Folder (*)" if folder else filters)

    def _latest_run_id(self) -> str | None:
        runs = [r for r in self.document.project.runs if r.model_path]
        return runs[-1].id if runs else None

    @property
    def pending(self) -> list[JobHandle]:
        """The engine exports not answered yet, oldest first."""
        return [export.handle for export in self._exports]

    def _submit(self, job: str, payload: dict[str, Any], path: str) -> JobHandle | None:
        if self.engine is None:
            self._fail(f"Could not {job.replace('_', ' ')} ({path}): this window has no TensorFlow engine; "
                       "use `visualnn export-model` from a terminal.")
            return None
        handle = self.engine.submit(job, payload)
        self._exports.append(_EngineExport(self, handle, job, path))
        return handle

    # ------------------------------------------------------------------ actions
    def export_keras(self, path: str | None = None) -> JobHandle | None:
        """Export the latest trained run (else the untrained model) as a .keras file."""
        return self.export_model(path or self._ask_path("Export Keras model", "model.keras", "Keras model (*.keras)"))

    def export_savedmodel(self, path: str | None = None) -> JobHandle | None:
        """Export as a TensorFlow SavedModel folder."""
        return self.export_model(path or self._ask_path("Export SavedModel folder", "saved_model", "", folder=True))

    def export_tflite(self, path: str | None = None, quantize: str | None = None) -> JobHandle | None:
        """Export as TFLite/LiteRT, asking for the quantization."""
        if quantize is None:
            label, ok = QInputDialog.getItem(
                self.parent_widget, "TensorFlow Lite export", "Quantization:", list(QUANTIZE_CHOICES), 0, False
            )
            if not ok:
                return None
            quantize = QUANTIZE_CHOICES[label]
        target = path or self._ask_path("Export TensorFlow Lite model", "model.tflite", "TFLite model (*.tflite)")
        return self.export_model(target, quantize)

    def export_onnx(self, path: str | None = None) -> JobHandle | None:
        """Export as ONNX (tf2onnx in the engine, checked with onnxruntime; needs ``visualnn[onnx]``)."""
        return self.export_model(path or self._ask_path("Export ONNX model", "model.onnx", "ONNX model (*.onnx)"))

    def export_model(self, path: str, quantize: str = "none", run_id: str | None = None) -> JobHandle | None:
        """Send an ``export_model`` job and return its handle; the parity report arrives in :attr:`exported`."""
        if not path:
            return None
        payload = {"project": self.document.project.to_dict(), "base_dir": self._base_dir(), "out": path,
                   "run_id": run_id or self._latest_run_id(), "quantize": quantize}
        return self._submit("export_model", payload, path)

    def export_script(self, path: str | None = None, style: str | None = None) -> str | None:
        """Write the training script and requirements.txt beside it on the thread pool; ``script_written`` follows."""
        target = path or self._ask_path("Export training script", "train.py", "Python script (*.py)")
        if not target:
            return None
        if style is None:
            style = "sequential" if self.document.graph.mode == "sequential" else "functional"
        self._script_ids += 1
        job = ScriptJob(self._script_ids, self.document.project.to_dict(), self._base_dir(), target, style,
                        self.document.path)
        job.signals.finished.connect(self._on_script_job_finished)
        job.signals.failed.connect(self._on_script_job_failed)
        self._scripts[job.job_id] = target
        QThreadPool.globalInstance().start(job)
        return f"script-{job.job_id}"

    # ------------------------------------------------------------------ results
    def _settle(self, export: _EngineExport) -> None:
        if export in self._exports:
            self._exports.remove(export)
        export.deleteLater()

    def _export_finished(self, export: _EngineExport, result: dict[str, Any]) -> None:
        self._settle(export)
        try:
            self._finish_export(result)
        except Exception as exc:  # a result we cannot use must reach the user as a message
            log.exception("handling %s result failed", export.job)
            self._fail(f"{export.job}: {exc}")

    def _export_failed(self, export: _EngineExport, message: str) -> None:
        self._settle(export)
        self._fail(f"Could not {export.job.replace('_', ' ')} ({export.path}): {message}")

    def _fail(self, message: str) -> None:
        self.failed.emit(message)
        if self.show_dialogs:
            QMessageBox.warning(self.parent_widget, "Export", message)

    def _finish_export(self, result: dict[str, Any]) -> None:
        report = dict(result.get("report") or {})
        if result.get("run"):
            self._replace_run(RunRecord.from_dict(result["run"]))
        self.exported.emit(report)
        if self.show_dialogs:
            ParityReportDialog(report, self.parent_widget).exec()

    def _replace_run(self, record: RunRecord) -> None:
        """Store the report in the run record (kept with the project)."""
        project = self.document.project
        if any(run.id == record.id for run in project.runs):
            project.replace_run(record)
            if hasattr(self.document, "mark_modified"):
                self.document.mark_modified()

    def _on_script_job_finished(self, job_id: int, written: object) -> None:
        path = self._scripts.pop(job_id, None)
        if path is None:
            return
        from visualnn.services.script_export import WrittenScript  # loaded by the job that wrote it

        if not isinstance(written, WrittenScript):  # a programming error: say so rather than claim success
            self._fail(f"Could not export the training script ({path}): unexpected result {written!r}.")
            return
        self.script_written.emit(path)
        if written.kept_requirements and self.show_dialogs:
            QMessageBox.information(self.parent_widget, "Export",
                                    f"Wrote {path}. {written.kept_requirements} was kept as it is: VisualNN did "
                                    "not write it, so it may not pin the versions the script was written for.")

    def _on_script_job_failed(self, job_id: int, message: str) -> None:
        path = self._scripts.pop(job_id, None)
        if path is not None:
            self._fail(f"Could not export the training script ({path}): {message}")
