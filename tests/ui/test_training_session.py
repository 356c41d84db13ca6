"""The training, evaluation and prediction controllers, with no widgets, against the stand-in engine process."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.services.training_helpers import mlp_graph
from tests.ui.engine_fakes import READY_MS, fake_client, started_client, training_document
from visualnn.core.commands import SetTraining
from visualnn.core.training_config import RunRecord

SIGNALS = ("training_started", "training_finished", "training_failed", "run_recorded", "devices_found",
           "devices_listed", "progress_changed", "status_changed", "hints_changed", "fix_changed",
           "engine_dead_changed", "plots_reset", "batch_reported", "epoch_reported", "config_changed")


def _session(document: Any, engine: Any, fake: dict[str, Any] | None = None) -> tuple[Any, dict[str, list[Any]]]:
    """A controller and everything it emitted, by signal name (one tuple of arguments per emission)."""
    from visualnn.ui.training import TrainingSessionController

    controller = TrainingSessionController(document, engine, extra_job={"inline_data": {"fake": fake or {}}})
    seen: dict[str, list[Any]] = {name: [] for name in SIGNALS}
    for name in SIGNALS:
        getattr(controller, name).connect(lambda *args, n=name: seen[n].append(args))
    return controller, seen


def test_a_run_is_trained_reported_and_recorded_then_continued(qtbot: Any, client: Any) -> None:
    from visualnn.ui.training.session import ProgressState
    from visualnn.ui.training.snapshot import job_base_dir

    doc = training_document()
    controller, seen = _session(doc, client)
    with qtbot.waitSignal(controller.training_finished, timeout=10_000) as blocker:
        job = controller.start()
        assert controller.running and controller.job_id == job and not controller.can_continue
        assert seen["training_started"] == [(job,)]
        assert seen["progress_changed"][-1] == (ProgressState(0, 0, "Starting…"),)
    run = blocker.args[0]
    assert run["status"] == "finished" and run["epochs_done"] == 3
    assert [r.id for r in doc.project.runs] == [run["id"]] and doc.is_dirty
    assert not doc.undo_stack.canUndo()  # a run record is saved with the project, not an undoable edit
    assert run["model_path"] == os.path.join(job_base_dir(doc), "runs", run["id"], "model.keras")  # unsaved project
    assert seen["run_recorded"] == [(run["id"],)]
    assert seen["plots_reset"] == [(["loss", "accuracy", "learning rate"], {})]
    assert [args[:3] for args in seen["batch_reported"]] == [(e, b, 2) for e in (1, 2, 3) for b in (1, 2)]
    assert [args[0] for args in seen["epoch_reported"]] == [1, 2, 3]
    texts = [args[0].text for args in seen["progress_changed"]]
    assert "Epoch 3/3 · batch 2/2" in texts and texts[-1] == "Finished · 3 epochs"
    assert seen["progress_changed"][-1] == (ProgressState(1, 1, "Finished · 3 epochs"),)
    statuses = [args[0] for args in seen["status_changed"]]
    assert "Building the model…" in statuses and any("samples/s · elapsed" in s for s in statuses)
    assert statuses[-1].startswith(f"Run {run['id']} finished in 2 s.")
    # Significant digits, not fixed decimals: a learning rate of 5e-05 read "lr 0.0000" before.
    assert statuses[-1].endswith("loss 0.25")
    assert not controller.running and controller.can_continue and controller.history["loss"] == run["history"]["loss"]

    for name in seen:
        seen[name].clear()
    with qtbot.waitSignal(controller.training_finished, timeout=10_000) as blocker:
        controller.continue_last(2)
    cont = blocker.args[0]
    assert cont["continued_from"] == run["id"] and cont["epochs_done"] == 2
    names, carried = seen["plots_reset"][0]
    assert carried == {k: list(v) for k, v in run["history"].items()}  # the curves go on from the parent run
    assert len(controller.history["loss"]) == 5
    assert [r.id for r in doc.project.runs] == [run["id"], cont["id"]]


def test_two_sessions_on_one_engine_keep_their_own_progress(qtbot: Any, client: Any) -> None:
    doc_a, doc_b = training_document(epochs=2), training_document(epochs=5)
    a, seen_a = _session(doc_a, client, {"step_s": 0.005})
    b, seen_b = _session(doc_b, client, {"step_s": 0.005})
    with qtbot.waitSignals([a.training_finished, b.training_finished], timeout=20_000):
        a.start()
        b.start()
    assert len(seen_a["batch_reported"]) == 4 and len(seen_b["batch_reported"]) == 10
    epochs_a = {t.text.split(" · ")[0] for (t,) in seen_a["progress_changed"] if t.text.startswith("Epoch")}
    assert epochs_a == {"Epoch 1/2", "Epoch 2/2"}  # no progress line of the five-epoch run
    assert [args[0] for args in seen_a["epoch_reported"]] == [1, 2]
    assert [args[0] for args in seen_b["epoch_reported"]] == [1, 2, 3, 4, 5]
    assert [r.epochs_done for r in doc_a.project.runs] == [2] and [r.epochs_done for r in doc_b.project.runs] == [5]
    assert seen_a["progress_changed"][-1][0].text == "Finished · 2 epochs"
    assert seen_b["progress_changed"][-1][0].text == "Finished · 5 epochs"


def test_invalid_settings_are_named_and_fixed_without_the_engine(qtbot: Any) -> None:
    engine = fake_client()  # never started: nothing may be submitted
    doc = training_document(graph=mlp_graph(n_classes=1, activation="softmax"), loss="binary_crossentropy")
    controller, seen = _session(doc, engine)
    assert controller.start() is None
    assert engine.state == "stopped" and not engine.busy()
    assert "softmax with binary crossentropy" in seen["hints_changed"][-1][0]
    assert seen["progress_changed"][-1][0].text == "Not trained"
    assert seen["status_changed"][-1] == ("Training could not run.",)
    assert "activation = sigmoid" in seen["fix_changed"][-1][0]
    assert controller.apply_fix()
    assert doc.project.graph.nodes["dense_2"].params["activation"] == "sigmoid"
    assert seen["fix_changed"][-1] == ("",) and not controller.apply_fix()
    doc.undo_stack.undo()  # the fix is an ordinary undoable edit
    assert doc.project.graph.nodes["dense_2"].params["activation"] == "softmax"


def test_settings_edits_are_commands_and_reach_the_views(qtbot: Any) -> None:
    doc = training_document()
    controller, seen = _session(doc, None)
    controller.edit_config(doc.project.training.with_changes(epochs=9))
    assert doc.project.training.epochs == 9 and seen["config_changed"][-1][0].epochs == 9
    doc.undo_stack.undo()
    assert doc.project.training.epochs == 3 and seen["config_changed"][-1][0].epochs == 3


def test_without_an_engine_the_user_is_told_to_use_the_cli(qtbot: Any) -> None:
    controller, seen = _session(training_document(), None)
    assert controller.start() is None
    assert "visualnn train" in seen["hints_changed"][-1][0]


def test_an_engine_problem_with_a_fix_and_a_failed_job(qtbot: Any, client: Any) -> None:
    doc = training_document(graph=mlp_graph(n_classes=5))
    problem = "the output has 5 units but the data has 3 classes"
    fake = {"log": {"level": "error", "text": problem, "fix": {"node": "dense_2", "param": "units", "value": 3}},
            "fail": f"Training failed: {problem}."}
    controller, seen = _session(doc, client, fake)
    with qtbot.waitSignal(controller.training_failed, timeout=10_000) as blocker:
        controller.start()
    assert blocker.args[0] == f"Training failed: {problem}."
    assert seen["hints_changed"][-1] == (blocker.args[0],) and problem in seen["hints_changed"][-2][0]
    assert seen["fix_changed"][-1] == ("Fix: set dense_2.units = 3",)
    assert not controller.running and doc.project.runs == [] and not doc.is_dirty
    assert controller.apply_fix() and doc.project.graph.nodes["dense_2"].params["units"] == 3


def test_pause_resume_and_stop(qtbot: Any, client: Any) -> None:
    controller, seen = _session(training_document(epochs=1000), client, {"step_s": 0.01})
    controller.start()
    qtbot.waitUntil(lambda: bool(seen["batch_reported"]), timeout=10_000)
    controller.toggle_pause()
    qtbot.waitUntil(lambda: controller.paused, timeout=10_000)
    assert seen["progress_changed"][-1][0].text == "Paused"
    n = len(seen["batch_reported"])
    qtbot.wait(150)
    assert len(seen["batch_reported"]) == n and controller.running
    controller.toggle_pause()
    qtbot.waitUntil(lambda: len(seen["batch_reported"]) > n, timeout=10_000)
    assert not controller.paused
    with qtbot.waitSignal(controller.training_finished, timeout=10_000) as blocker:
        controller.stop()
        assert seen["status_changed"][-1] == ("Stopping after this batch…",)
    assert blocker.args[0]["status"] == "stopped" and blocker.args[0]["epochs_done"] < 1000
    assert seen["progress_changed"][-1][0].text.startswith("Stopped · ")


def test_a_nan_loss_and_a_result_without_a_run_are_explained(qtbot: Any, client: Any) -> None:
    controller, seen = _session(training_document(epochs=1), client, {"nan": True})
    with qtbot.waitSignal(controller.training_finished, timeout=10_000):
        controller.start()
    assert "The loss became NaN" in seen["hints_changed"][-1][0]

    broken, seen = _session(training_document(epochs=1), client, {"no_run": True})
    with qtbot.waitSignal(broken.training_failed, timeout=10_000) as blocker:
        broken.start()
    assert "sent no usable run record" in blocker.args[0] and not broken.running
    assert broken.document.project.runs == []


def test_engine_death_is_reported_and_restart_offered(qtbot: Any, client: Any) -> None:
    controller, seen = _session(training_document(epochs=100_000), client, {"step_s": 0.01})
    controller.start()
    qtbot.waitUntil(lambda: bool(seen["batch_reported"]), timeout=10_000)
    with qtbot.waitSignal(controller.training_failed, timeout=10_000) as blocker:
        client.kill()
    assert "engine crashed" in blocker.args[0] and "restart the engine to continue" in blocker.args[0]
    assert seen["engine_dead_changed"][-1] == (True,) and not controller.running
    assert seen["progress_changed"][-1][0].text == "Not trained"
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        controller.restart_engine()
    assert seen["engine_dead_changed"][-1] == (False,)
    assert ("Restarting the training engine…",) in seen["status_changed"]
    controller.document.push(SetTraining(
        controller.document.project.training.with_changes(epochs=1)))
    with qtbot.waitSignal(controller.training_finished, timeout=10_000):
        controller.start()


@pytest.mark.parametrize(("flags", "ids", "summary"), [((), ["cpu"], "CPU (fake)"),
                                                        (("--no-devices",), ["cpu", "gpu:0"], "CPU + 1 GPU (fake)")])
def test_devices_come_from_ready_or_from_a_devices_job(qtbot: Any, flags: tuple[str, ...], ids: list[str],
                                                      summary: str) -> None:
    engine = started_client(qtbot, *flags)
    try:
        controller, seen = _session(training_document(), engine)
        with qtbot.waitSignal(controller.devices_found, timeout=10_000) as blocker:
            controller.announce()  # the engine is already up: the controller asks at once
        assert blocker.args == [summary] and seen["devices_listed"] == [(ids,)]
    finally:
        engine.stop()


def test_evaluation_follows_new_runs_and_only_the_latest_request(qtbot: Any, client: Any) -> None:
    from visualnn.ui.training import EvaluationController

    old = RunRecord(id="r0", started="2025-01-01T00:00:00", model_path="runs/r0/model.keras")
    doc = training_document(runs=[old])
    controller = EvaluationController(doc, client)
    reports: list[dict[str, Any]] = []
    controller.evaluated.connect(reports.append)
    with qtbot.waitSignal(controller.evaluated, timeout=10_000):
        doc.project.add_run(RunRecord(id="r1", started="2025-01-01T00:01:00", model_path="runs/r1/model.keras"))
    assert reports[-1]["run_id"] == "r1" and reports[-1]["split"] == "test"  # new runs are evaluated by themselves

    controller.split = "val"
    first = controller.evaluate("r0")
    second = controller.evaluate("r1")
    assert first != second and controller.job_id == second
    qtbot.waitUntil(lambda: not client.busy(), timeout=10_000)
    qtbot.wait(50)
    assert [(r["run_id"], r["split"]) for r in reports[1:]] == [("r1", "val")]  # the superseded job is ignored
    assert controller.job_id is None


def test_evaluation_and_prediction_explain_missing_runs_and_failures(qtbot: Any, client: Any) -> None:
    from visualnn.ui.training import EvaluationController, PredictionController
    from visualnn.ui.training.result_sessions import NO_RUN

    empty = training_document()
    statuses: list[str] = []
    evaluation = EvaluationController(empty, client)
    prediction = PredictionController(empty, client)
    evaluation.status_changed.connect(statuses.append)
    prediction.status_changed.connect(statuses.append)
    assert evaluation.evaluate() is None and prediction.predict(None, rows=[[1, 2, 3, 4]]) is None
    assert statuses == [NO_RUN, NO_RUN] and not client.busy()

    doc = training_document(runs=[RunRecord(id="r1", started="2025-01-01T00:00:00", model_path="runs/r1/model.keras")])
    prediction = PredictionController(doc, client)
    with qtbot.waitSignal(prediction.predicted, timeout=10_000) as blocker:
        prediction.predict("r1", rows=[[1.0, 2.0, 3.0, 4.0]])
    assert blocker.args[0]["run_id"] == "r1" and blocker.args[0]["predictions"][0]["label"] == "b"

    evaluation = EvaluationController(doc, client, extra_job={"inline_data": {"fake": {"fail": "No test split."}}})
    statuses.clear()
    evaluation.status_changed.connect(statuses.append)
    with qtbot.waitSignal(evaluation.evaluation_failed, timeout=10_000) as blocker:
        evaluation.evaluate("r1")
    assert blocker.args == ["No test split."] and statuses == ["Evaluating run r1 on the test split…", "No test split."]
    assert evaluation.job_id is None
