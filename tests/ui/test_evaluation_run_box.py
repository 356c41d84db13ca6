"""The Evaluation tab's Run box always names the run whose results are on screen: after a new run is trained
and evaluated, after the user chooses another run, and after another project is opened."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.ui.app import Shell


def _run(run_id: str) -> RunRecord:
    return RunRecord(run_id, "2025-01-01T12:00:00", model_path=f"/nowhere/{run_id}.keras", epochs_done=2,
                     history={"loss": [1.0, 0.5]})


def _report(run_id: str, split: str = "test", n: int = 20) -> dict[str, Any]:
    return {"run_id": run_id, "split": split, "n_samples": n, "metrics": {"loss": 0.4, "accuracy": 0.8},
            "classification": {"class_names": ["a", "b"], "confusion": [[9, 1], [2, 8]], "wrong": [],
                               "per_class": [{"class": c, "precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 10}
                                             for c in "ab"]}}


def _open(shell: Shell, qtbot: Any, *run_ids: str) -> Any:
    window = shell.window
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=2),
                                        runs=[_run(r) for r in run_ids]))
    window.docks["evaluation"].raise_()
    qtbot.waitUntil(window.evaluation_panel.isVisible)
    return window.evaluation_panel


def _last_job(shell: Shell, job_type: str) -> tuple[str, dict[str, Any]]:
    engine: Any = shell.window.engine
    job_id, kind, payload = engine.jobs[-1]
    assert kind == job_type, engine.job_types()
    return job_id, payload


def _shown(panel: Any) -> tuple[str, str | None]:
    """(run named in the Run box, run whose results are on screen)."""
    return panel.run_combo.currentData(), (panel.report or {}).get("run_id")


def test_after_training_the_run_box_shows_the_new_run(shell: Shell, qtbot: Any) -> None:
    panel = _open(shell, qtbot, "run-1", "run-2")
    engine: Any = shell.window.engine
    panel.split_combo.setCurrentText("test")
    qtbot.mouseClick(panel.evaluate_button, Qt.MouseButton.LeftButton)
    job, payload = _last_job(shell, "evaluate")
    engine.finish(job, _report(payload["run_id"]))
    assert _shown(panel) == ("run-2", "run-2")

    training = shell.window.training_panel
    qtbot.mouseClick(training.train_button, Qt.MouseButton.LeftButton)
    job, payload = _last_job(shell, "train")
    run = {**_run("run-3").to_dict(), "config": payload["project"]["training"]}
    engine.finish(job, {"run": run})
    job, payload = _last_job(shell, "evaluate")  # the new run is evaluated by itself
    assert payload["run_id"] == "run-3"
    engine.finish(job, _report("run-3"))
    assert _shown(panel) == ("run-3", "run-3")
    assert "run-3" in panel.status.text()


def test_choosing_a_run_shows_that_runs_results(shell: Shell, qtbot: Any) -> None:
    panel = _open(shell, qtbot, "run-1", "run-2", "run-3")
    engine: Any = shell.window.engine
    qtbot.mouseClick(panel.evaluate_button, Qt.MouseButton.LeftButton)
    job, payload = _last_job(shell, "evaluate")
    engine.finish(job, _report(payload["run_id"]))
    assert _shown(panel) == ("run-3", "run-3")

    panel.run_combo.setFocus()
    qtbot.keyClick(panel.run_combo, Qt.Key.Key_Down)  # choose run-2 (the list is newest first)
    assert panel.run_combo.currentData() == "run-2"
    assert panel.report is None and panel.metrics_table.rowCount() == 0, "run-3's results under run-2's name"
    job, payload = _last_job(shell, "evaluate")
    assert payload["run_id"] == "run-2"
    engine.finish(job, _report("run-2", n=7))
    assert _shown(panel) == ("run-2", "run-2") and "7 samples" in panel.status.text()


def test_opening_another_project_leaves_no_results_of_the_previous_one(shell: Shell, qtbot: Any) -> None:
    panel = _open(shell, qtbot, "run-1")
    engine: Any = shell.window.engine
    qtbot.mouseClick(panel.evaluate_button, Qt.MouseButton.LeftButton)
    job, payload = _last_job(shell, "evaluate")
    engine.finish(job, _report("run-1"))
    assert _shown(panel) == ("run-1", "run-1") and panel.metrics_table.rowCount() == 2

    _open(shell, qtbot, "run-a", "run-b")
    assert panel.run_combo.currentData() == "run-b"
    assert panel.report is None and panel.metrics_table.rowCount() == 0 and not panel.confusion.matrix
    assert "run-1" not in panel.status.text()
    shell.window.document.set_project(Project())  # File > New
    assert panel.run_combo.count() == 0 and panel.report is None and "run-1" not in panel.status.text()


def test_the_split_box_offers_test_only_when_the_data_has_a_test_split(shell: Shell, qtbot: Any) -> None:
    from visualnn.core.commands import SetDataset
    from visualnn.core.dataset import DatasetSpec

    panel = shell.window.evaluation_panel
    box = panel.split_combo
    document = shell.window.document
    without = {"split": {"val": 0.2, "test": 0.0, "seed": 42, "stratify": True}}
    assert document.push(SetDataset(DatasetSpec("csv", "/data/small.csv", without)))
    assert box.currentText() == "val" and panel.controller.split == "val"
    assert not box.model().item(0).isEnabled()  # "test" cannot be chosen: there is none
    assert "no test split" in box.model().item(0).toolTip()
    with_test = {"split": {"val": 0.15, "test": 0.15, "seed": 42, "stratify": True}}
    assert document.push(SetDataset(DatasetSpec("csv", "/data/big.csv", with_test)))
    assert box.model().item(0).isEnabled()
    box.setCurrentText("test")
    assert panel.controller.split == "test"
