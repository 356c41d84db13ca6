"""Export actions and the parity-report dialog, driven by a fake engine (offscreen Qt)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.journeys.user import ScriptedChooser, User
from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import RunRecord
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser
from visualnn.ui.document import ProjectDocument
from visualnn.ui.export_dialogs import ExportController, ParityReportDialog, report_rows

REPORT = {
    "format": "tflite", "quantize": "int8", "path": "/tmp/m.tflite", "size_bytes": 4096, "samples": 200,
    "sample_source": "dataset", "max_abs_diff": 0.0096, "mean_abs_diff": 0.002, "class_agreement": 0.995,
    "metric": "accuracy", "metric_app": 0.9, "metric_export": 0.905, "metric_diff": 0.005,
    "tolerance": "class agreement >= 98%", "passed": True, "notes": ["Inputs and outputs are int8."],
}


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
    assert set(controller.actions) == {"export_keras", "export_savedmodel", "export_tflite", "export_onnx", "export_script"}


def test_export_sends_the_latest_run_and_stores_the_report(qtbot: Any, tmp_path: Path) -> None:
    controller, engine, document, _ = make(qtbot, with_run=True)
    handle = controller.export_tflite(str(tmp_path / "m.tflite"), quantize="int8")
    assert handle is not None and controller.pending == [handle]
    job_id, job_type, payload = engine.jobs[-1]
    assert job_id == handle.id
    assert job_type == "export_model" and payload["run_id"] == "run-1" and payload["quantize"] == "int8"
    updated = RunRecord(id="run-1", started="2026-01-01T00:00:00", model_path="runs/run-1/model.keras",
                        extra={"exports": [REPORT]})
    with qtbot.waitSignal(controller.exported) as blocker:
        engine.finish(job_id, {"report": REPORT, "run": updated.to_dict()})
    assert blocker.args[0]["passed"] is True and controller.pending == []
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
    failures: list[str] = []
    controller.failed.connect(failures.append)
    others = engine.submit("evaluate", {})  # another panel's job, in flight at the same time
    handle = controller.export_keras("/out/model.keras")
    assert handle is not None
    with qtbot.waitSignal(controller.failed) as blocker:
        engine.fail(handle.id, "Layer 'lstm' cannot be converted.")
    assert "/out/model.keras" in blocker.args[0] and "lstm" in blocker.args[0]
    engine.fail(others.id, "The evaluation failed.")  # other panels' jobs never reach the export controller
    assert failures == [blocker.args[0]] and controller.pending == []


def test_a_result_that_cannot_be_used_is_reported(qtbot: Any) -> None:
    controller, engine, document, _ = make(qtbot, with_run=True)
    handle = controller.export_keras("/out/model.keras")
    assert handle is not None
    with qtbot.waitSignal(controller.failed) as blocker:
        engine.finish(handle.id, {"report": REPORT, "run": {"id": "run-1"}})  # a run record without "started"
    assert blocker.args[0].startswith("export_model: ") and document.project.runs[0].extra == {}


class ResultDialogs:
    """Answers the modal dialogs the exports open, recording what each showed the person."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.shown: list[tuple[str, str]] = []  # ("report", the File row) or ("error", the message)
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()

    def _on_tick(self) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ParityReportDialog):
            fields = [w.text() for w in dialog.findChildren(QLabel)]
            self.shown.append(("report", next(t for t in fields if t.endswith((".keras", ".tflite", "saved_model")))))
            box = dialog.findChild(QDialogButtonBox)
            assert box is not None
            close = box.button(QDialogButtonBox.StandardButton.Close)
        elif isinstance(dialog, QMessageBox):
            self.shown.append(("error", dialog.text()))
            close = dialog.button(QMessageBox.StandardButton.Ok)
        else:
            return
        self.qtbot.mouseClick(close, Qt.MouseButton.LeftButton)


def _report_for(payload: dict[str, Any]) -> dict[str, Any]:
    """The parity report the engine would send for this export job (its own file and format)."""
    out = str(payload["out"])
    fmt = "tflite" if out.endswith(".tflite") else "keras" if out.endswith(".keras") else "savedmodel"
    return dict(REPORT, path=out, format=fmt, quantize=payload["quantize"])


def test_exports_sent_back_to_back_each_get_their_own_outcome(
    shell: Shell, fake_engine: FakeEngine, qtbot: QtBot, tmp_path: Path
) -> None:
    """Three exports in flight at once, answered by the engine in reverse order (each answer arriving
    while the previous one's dialog is still open): each report dialog shows its own file, the failed
    export's error names its own file, and the run keeps the report of the export that succeeded."""
    window = shell.window
    project = TEMPLATES["mlp_classifier"].build()
    project.add_run(RunRecord(id="run-1", started="2026-01-01T00:00:00", model_path="runs/run-1/model.keras"))
    window.document.set_project(project)
    chooser = ScriptedChooser()
    use_chooser(window, chooser)
    user = User(window, qtbot, chooser)
    keras, tflite, saved = str(tmp_path / "model.keras"), str(tmp_path / "model.tflite"), str(tmp_path / "saved_model")
    chooser.will_answer("save_file", keras)
    user.menu("File", "Export", "Keras Model (.keras)…")
    chooser.will_answer("save_file", tflite)
    user.answer_next_prompt("OK", choose="dynamic-range int8 weights")
    user.menu("File", "Export", "TensorFlow Lite (.tflite)…")
    chooser.will_answer("save_file", saved)
    user.menu("File", "Export", "TensorFlow SavedModel…")
    jobs = {payload["out"]: (job_id, payload) for job_id, job_type, payload in fake_engine.jobs
            if job_type == "export_model"}
    assert list(jobs) == [keras, tflite, saved] and jobs[tflite][1]["quantize"] == "dynamic"
    assert [h.id for h in shell.export.pending] == [jobs[keras][0], jobs[tflite][0], jobs[saved][0]]

    exported: list[dict[str, Any]] = []
    failed: list[str] = []
    shell.export.exported.connect(exported.append)
    shell.export.failed.connect(failed.append)
    keras_run = RunRecord(id="run-1", started="2026-01-01T00:00:00", model_path="runs/run-1/model.keras",
                          extra={"exports": [_report_for(jobs[keras][1])]})
    dialogs = ResultDialogs(qtbot)
    try:
        # The engine answers the last export first; each answer comes on the next loop turn, so the later
        # ones arrive while an earlier answer's dialog is open.
        QTimer.singleShot(0, lambda: fake_engine.finish(jobs[saved][0], {"report": _report_for(jobs[saved][1])}))
        QTimer.singleShot(0, lambda: fake_engine.fail(jobs[tflite][0], "Layer 'lstm' cannot be converted."))
        QTimer.singleShot(0, lambda: fake_engine.finish(jobs[keras][0], {"report": _report_for(jobs[keras][1]),
                                                                           "run": keras_run.to_dict()}))
        qtbot.waitUntil(lambda: len(dialogs.shown) == 3 and QApplication.activeModalWidget() is None, timeout=10_000)
    finally:
        dialogs.timer.stop()
    assert sorted(dialogs.shown) == sorted([("report", saved), ("report", keras), ("error", failed[0])])
    assert [r["path"] for r in exported] == [saved, keras]
    assert len(failed) == 1 and tflite in failed[0] and "lstm" in failed[0]
    assert keras not in failed[0] and saved not in failed[0]
    assert [r["path"] for r in window.document.project.runs[0].extra["exports"]] == [keras]
    assert shell.export.pending == []


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
