"""The training, evaluation and predict panels as views: real widgets and clicks, the stand-in engine process."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.services.training_helpers import mlp_graph
from tests.ui.engine_fakes import READY_MS, started_client, training_document
from visualnn.core.commands import SetTraining
from visualnn.core.training_config import RunRecord


def _training_panel(qtbot: Any, engine: Any, doc: Any, fake: dict[str, Any] | None = None) -> Any:
    from visualnn.ui.training import TrainingPanel

    panel = TrainingPanel(doc, engine, extra_job={"inline_data": {"fake": fake or {}}})
    qtbot.addWidget(panel)
    return panel


def test_train_and_continue_by_clicking(qtbot: Any, client: Any) -> None:
    panel = _training_panel(qtbot, client, training_document())
    assert not panel.continue_button.isEnabled()
    with qtbot.waitSignal(panel.training_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
        assert panel.running and not panel.train_button.isEnabled() and panel.stop_button.isEnabled()
        assert panel.progress.format() == "Starting…"
    run = blocker.args[0]
    assert panel.progress.format() == "Finished · 3 epochs" and panel.progress.value() == panel.progress.maximum()
    assert panel.status.text().startswith(f"Run {run['id']} finished")
    panel.plots.redraw()
    assert panel.plots.series[("loss", "val")].n == 3 and panel.plots.series[("loss", "batch")].n == 6
    assert panel.train_button.isEnabled() and panel.continue_button.isEnabled() and not panel.stop_button.isEnabled()

    panel.ask_more_epochs = lambda parent, run, default: 2  # the answer to "how many more epochs?"
    with qtbot.waitSignal(panel.training_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(panel.continue_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0]["continued_from"] == run["id"]
    panel.plots.redraw()
    assert panel.plots.series[("loss", "train")].n == 5  # the parent run's three epochs, then two more
    assert len(panel.plots.epoch_history["loss"]) == 5  # and the CSV export has all five


def test_the_device_choice_lists_what_the_engine_found(qtbot: Any) -> None:
    engine = started_client(qtbot, "--no-devices")  # the devices come from a devices job, after the panel exists
    try:
        panel = _training_panel(qtbot, engine, training_document())
        qtbot.waitUntil(lambda: panel.form.device.findText("gpu:0") >= 0, timeout=10_000)
    finally:
        engine.stop()


def test_pause_button_follows_the_job(qtbot: Any, client: Any) -> None:
    panel = _training_panel(qtbot, client, training_document(epochs=1000), {"step_s": 0.01})
    panel.train_button.click()
    qtbot.waitUntil(lambda: panel.plots.series[("loss", "batch")].n > 0, timeout=10_000)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Resume", timeout=10_000)
    assert panel.progress.format() == "Paused"
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Pause", timeout=10_000)
    with qtbot.waitSignal(panel.training_finished, timeout=10_000) as blocker:
        panel.stop_button.click()
    assert blocker.args[0]["status"] == "stopped" and not panel.stop_button.isEnabled()


def test_fix_button_and_restart_button(qtbot: Any, client: Any) -> None:
    doc = training_document(graph=mlp_graph(n_classes=1, activation="softmax"), loss="binary_crossentropy")
    panel = _training_panel(qtbot, client, doc, {"step_s": 0.01})
    panel.train_button.click()
    assert not panel.fix_button.isHidden() and "activation = sigmoid" in panel.fix_button.text()
    assert "softmax with binary crossentropy" in panel.hints.text()
    panel.fix_button.click()
    assert panel.fix_button.isHidden() and doc.project.graph.nodes["dense_2"].params["activation"] == "sigmoid"

    doc.push(SetTraining(
        doc.project.training.with_changes(epochs=100_000)))
    assert panel.form.epochs.value() == 100_000  # the form follows the document
    panel.train_button.click()
    qtbot.waitUntil(lambda: panel.plots.series[("loss", "batch")].n > 0, timeout=10_000)
    with qtbot.waitSignal(panel.training_failed, timeout=10_000):
        client.kill()
    assert not panel.restart_button.isHidden() and panel.train_button.isEnabled()
    assert panel.progress.format() == "Not trained" and "restart the engine" in panel.hints.text()
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        panel.restart_button.click()
    assert panel.restart_button.isHidden()


def test_evaluation_and_predict_panels(qtbot: Any, client: Any) -> None:
    from visualnn.ui.training import EvaluationPanel, PredictPanel

    doc = training_document()
    evaluation = EvaluationPanel(doc, client)
    predict = PredictPanel(doc, client)
    qtbot.addWidget(evaluation)
    qtbot.addWidget(predict)
    assert not evaluation.evaluate_button.isEnabled()
    predict.sample_edit.setText("1, 2, 3, 4")
    predict.predict_button.click()
    assert predict.status.text() == "There is no trained run yet. Train the model first."

    with qtbot.waitSignal(evaluation.evaluated, timeout=10_000):
        doc.project.add_run(RunRecord(id="r1", started="2025-01-01T00:00:00", model_path="runs/r1/model.keras"))
    assert evaluation.run_combo.currentData() == "r1" and evaluation.metrics_table.rowCount() == 2
    assert evaluation.status.text() == "Run r1 on the test split: 3 samples."

    evaluation.split_combo.setCurrentText("val")
    with qtbot.waitSignal(evaluation.evaluated, timeout=10_000) as blocker:
        evaluation.evaluate_button.click()
        assert evaluation.status.text() == "Evaluating run r1 on the val split…" and evaluation.job_id is not None
    assert blocker.args[0]["split"] == "val" and evaluation.job_id is None

    with qtbot.waitSignal(predict.predicted, timeout=10_000):
        predict.predict_button.click()
    assert predict.table.rowCount() == 1 and predict.table.item(0, 1).text() == "b"
    assert predict.status.text() == "1 prediction(s) with run r1."


def test_evaluating_a_project_without_a_test_split_never_says_test(qtbot: Any, client: Any) -> None:
    from visualnn.core.dataset import NO_TEST_LABEL, DatasetSpec
    from visualnn.ui.training import EvaluationPanel

    doc = training_document(runs=[RunRecord(id="r1", started="2025-01-01T00:00:00", model_path="runs/r1/model.keras")])
    doc.project.set_dataset(DatasetSpec("csv", "data.csv", {"split": {"val": 0.2, "test": 0.0}}))
    evaluation = EvaluationPanel(doc, client)
    qtbot.addWidget(evaluation)
    evaluation.auto_evaluate = False
    with qtbot.waitSignal(evaluation.evaluated, timeout=10_000):
        qtbot.mouseClick(evaluation.evaluate_button, Qt.MouseButton.LeftButton)
        assert evaluation.status.toolTip() == f"Evaluating run r1 on the {NO_TEST_LABEL}…"
    # The engine's report names the split it really scored; the panel shows its words.
    evaluation.show_report({"run_id": "r1", "split": "val", "requested_split": "test", "split_label": NO_TEST_LABEL,
                            "n_samples": 36, "metrics": {"loss": 0.03}})
    assert evaluation.status.toolTip() == f"Run r1 on the {NO_TEST_LABEL}: 36 samples."
