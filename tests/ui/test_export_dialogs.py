"""Export actions and the parity-report dialog, driven by a fake engine (offscreen Qt)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import RunRecord
from visualnn.ui.document import ProjectDocument
from visualnn.ui.export_dialogs import ExportController, ParityReportDialog, report_rows

REPORT = {
    "format": "tflite", "quantize": "int8", "path": "/tmp/m.tflite", "size_bytes": 4096, "samples": 200,
    "sample_source": "dataset", "max_abs_diff": 0.0096, "mean_abs_diff": 0.002, "class_agreement": 0.995,
    "metric": "accuracy", "metric_app": 0.9, "metric_export": 0.905, "metric_diff": 0.005,
    "tolerance": "class agreement >= 98%", "passed": True, "notes": ["Inputs and outputs are int8."],
}


class FakeEngine(QObject):
    """Records submitted jobs; tests emit the results."""

    job_finished = Signal(str, dict)
    job_failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[tuple[str, str, dict[str, Any]]] = []

    def submit(self, job_type: str, payload: dict[str, Any]) -> str:
        job_id = f"job-{len(self.jobs) + 1}"
        self.jobs.append((job_id, job_type, payload))
        return job_id


def make(qtbot: Any, with_run: bool = False) -> tuple[ExportController, FakeEngine, ProjectDocument, QWidget]:
    window = QWidget()
    qtbot.addWidget(window)
    placeholder = QAction("Keras Model (.keras)…", window)
    placeholder.setObjectName("action_export_keras")
    placeholder.setEnabled(False)
    window.addAction(placeholder)
    project = TEMPLATES["mlp_classifier"].build()
    if with_run:
        project.add_run(RunRecord(id="run-1", started="2026-01-01T00:00:00", model_path="runs/run-1/model.keras"))
    document = ProjectDocument(project)
    engine = FakeEngine()
    controller = ExportController(document, engine, window)
    controller.show_dialogs = False
    return controller, engine, document, window


def test_controller_adopts_the_main_window_placeholders(qtbot: Any) -> None:
    controller, _, _, window = make(qtbot)
    keras_action = window.findChild(QAction, "action_export_keras")
    assert controller.actions["export_keras"] is keras_action and keras_action.isEnabled()
    assert set(controller.actions) == {"export_keras", "export_savedmodel", "export_tflite", "export_script"}


def test_export_sends_the_latest_run_and_stores_the_report(qtbot: Any, tmp_path: Path) -> None:
    controller, engine, document, _ = make(qtbot, with_run=True)
    job_id = controller.export_tflite(str(tmp_path / "m.tflite"), quantize="int8")
    _, job_type, payload = engine.jobs[-1]
    assert job_type == "export_model" and payload["run_id"] == "run-1" and payload["quantize"] == "int8"
    updated = RunRecord(id="run-1", started="2026-01-01T00:00:00", model_path="runs/run-1/model.keras",
                        extra={"exports": [REPORT]})
    with qtbot.waitSignal(controller.exported) as blocker:
        engine.job_finished.emit(job_id, {"report": REPORT, "run": updated.to_dict()})
    assert blocker.args[0]["passed"] is True
    assert document.project.runs[0].extra["exports"][0]["quantize"] == "int8"
    assert document.is_dirty


def test_script_export_writes_script_and_requirements(qtbot: Any, tmp_path: Path) -> None:
    controller, engine, _, _ = make(qtbot)
    target = tmp_path / "out" / "train.py"
    with qtbot.waitSignal(controller.script_written, timeout=15000) as sig:
        controller.export_script(str(target))
    assert sig.args == [str(target)] and engine.jobs == []  # written here, on the thread pool: no engine job
    ast.parse(target.read_text())
    assert "def build_model" in target.read_text()
    assert (tmp_path / "out" / "requirements.txt").read_text().startswith("# Written by VisualNN")


def test_script_export_keeps_the_users_own_requirements(qtbot: Any, tmp_path: Path) -> None:
    controller, _, _, _ = make(qtbot)
    own = tmp_path / "requirements.txt"
    own.write_text("keras==3.0.0\n")
    with qtbot.waitSignal(controller.script_written, timeout=15000):
        controller.export_script(str(tmp_path / "train.py"))
    assert own.read_text() == "keras==3.0.0\n"


def test_script_export_failure_is_reported_and_writes_nothing(qtbot: Any, tmp_path: Path) -> None:
    controller, _, document, _ = make(qtbot)
    document.set_project(Project(name="empty"), None)
    with qtbot.waitSignal(controller.failed, timeout=15000) as sig:
        controller.export_script(str(tmp_path / "train.py"))
    assert str(tmp_path / "train.py") in sig.args[0] and "The model is empty" in sig.args[0]
    assert list(tmp_path.iterdir()) == []


def test_engine_failure_is_reported_with_the_file(qtbot: Any) -> None:
    controller, engine, _, _ = make(qtbot)
    job_id = controller.export_keras("/out/model.keras")
    with qtbot.waitSignal(controller.failed) as blocker:
        engine.job_failed.emit(job_id, "Layer 'lstm' cannot be converted.")
    assert "/out/model.keras" in blocker.args[0] and "lstm" in blocker.args[0]
    engine.job_failed.emit("someone-elses-job", "ignored")  # other panels' jobs are not ours


def test_parity_dialog_shows_verdict_and_numbers(qtbot: Any) -> None:
    dialog = ParityReportDialog(REPORT)
    qtbot.addWidget(dialog)
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert any(t.startswith("✔") for t in texts)
    assert "99.5%" in " ".join(texts) and "4.0 KB" in " ".join(texts)
    failed = ParityReportDialog(dict(REPORT, passed=False))
    qtbot.addWidget(failed)
    assert failed.verdict.text().startswith("✘")
    assert ("Same predicted class", "99.5%") in report_rows(REPORT)
