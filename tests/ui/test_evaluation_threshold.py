"""The Evaluation tab's decision threshold of a yes/no model, used as a person would: after a run is evaluated, type
a threshold (the matrix, the per-class figures and the accuracy follow, without a new evaluation), take the best F1,
keep it for the run (one undoable step, saved in the project, the run scored again at it), and undo it."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from tests.services.training_helpers import mlp_graph
from visualnn.core.decision import EXTRA_KEY, accuracy_of, best_f1, confusion_at
from visualnn.core.project import Project
from visualnn.core.project.io import load_project
from visualnn.core.training_config import TrainingConfig
from visualnn.services.evaluation import classification_report
from visualnn.ui.app import Shell

NAMES = ["no", "yes"]


def _report(run_id: str, split: str, threshold: float = 0.5) -> dict[str, Any]:
    """A real binary report (the service's own function) of 400 samples with a rare 'yes'."""
    rng = np.random.default_rng(7)
    y = (rng.random(400) < 0.2).astype(int)
    p = np.clip(0.25 * y + 0.6 * rng.random(400), 0, 1)
    cls = classification_report(y, p.reshape(-1, 1), NAMES, threshold=threshold)
    cls["output"] = "dense_2"
    return {"run_id": run_id, "split": split, "n_samples": 400, "task": "binary",
            "metrics": {"loss": 0.41, "accuracy": cls["accuracy"] if threshold == 0.5 else 0.8}, "classification": cls}


def _evaluated(shell: Shell, qtbot: Any, split: str) -> tuple[Any, Any, str]:
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=2)))
    panel = window.evaluation_panel
    panel.split_combo.setCurrentText(split)
    window.docks["training"].raise_()
    qtbot.waitUntil(window.training_panel.isVisible)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    run = engine.finish_training(engine.jobs[-1][0])
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "evaluate" and payload["run_id"] == run["id"]
    engine.finish(job_id, _report(run["id"], split))
    qtbot.waitUntil(lambda: panel.report is not None)
    window.docks["evaluation"].raise_()
    qtbot.waitUntil(panel.threshold_box.isVisible)
    return window, panel, run["id"]


def _type_threshold(qtbot: Any, box: Any, text: str) -> None:
    box.spin.selectAll()
    qtbot.keyClicks(box.spin.lineEdit(), text)
    qtbot.keyClick(box.spin.lineEdit(), Qt.Key.Key_Return)


def _table(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_a_threshold_tried_redraws_the_figures_and_one_kept_follows_the_run(shell: Shell, qtbot: Any, tmp_path: Any) -> None:
    window, panel, run_id = _evaluated(shell, qtbot, "val")
    box = panel.threshold_box
    curve = panel.report["classification"]["curve"]
    assert box.isVisible() and box.threshold() == 0.5
    assert box.summary.text().startswith("'yes' when p('yes') > 0.5, else 'no' · ROC AUC ")
    assert "this run decides at the default 0.5" in box.summary.text() and "⚠" not in box.summary.text()
    assert not box.keep_button.isEnabled()  # nothing to keep: the run already decides at 0.5

    _type_threshold(qtbot, box, "0.3")
    assert box.threshold() == 0.3
    cm = confusion_at(curve, 0.3)
    assert panel.confusion.matrix == cm and cm != panel.report["classification"]["confusion"]
    tp, fp, fn = cm[1][1], cm[0][1], cm[1][0]
    assert _table(panel.per_class)[1] == ["yes", f"{tp / (tp + fp):.4f}", f"{tp / (tp + fn):.4f}",
                                          f"{2 * tp / (2 * tp + fp + fn):.4f}", str(tp + fn)]
    metrics = _table(panel.metrics_table)
    assert metrics[-1] == ["accuracy at 0.3", f"{accuracy_of(cm):.4f}"]
    keras_accuracy = panel.report["metrics"]["accuracy"]
    assert ["accuracy (at 0.5)", f"{keras_accuracy:.4f}"] in metrics  # Keras's own figure, said to decide at 0.5
    assert panel.wrong_caption.text() == (f"{fp + fn:,} sample(s) are wrong at 0.3. Listed: the most confidently wrong "
                                          "at 0.5, where the run was scored (Keep for this run lists them at 0.3).")
    assert len(window.engine.jobs) == 2  # tried without asking the engine

    qtbot.mouseClick(box.best_button, Qt.MouseButton.LeftButton)
    best = best_f1(curve)
    assert box.threshold() == best and panel.confusion.matrix == confusion_at(curve, best)
    assert box.keep_button.isEnabled()
    qtbot.mouseClick(box.keep_button, Qt.MouseButton.LeftButton)
    run = next(r for r in window.document.project.runs if r.id == run_id)
    assert run.extra[EXTRA_KEY] == {"dense_2": best}
    job_id, job_type, payload = window.engine.jobs[-1]  # scored again at the kept threshold
    assert job_type == "evaluate" and payload["run_id"] == run_id
    assert payload["project"]["runs"][-1]["extra"][EXTRA_KEY] == {"dense_2": best}
    window.engine.finish(job_id, _report(run_id, "val", best))
    qtbot.waitUntil(lambda: panel.report is not None and panel.report["classification"]["threshold"] == best)
    assert box.threshold() == best and f"this run keeps {best:g}" in box.summary.text()
    assert not box.keep_button.isEnabled()
    assert _table(panel.metrics_table)[-1][0] == f"accuracy at {best:g}" or best == 0.5

    runs = window.runs_panel.table  # the Runs tab says where each run decides
    headers = [runs.horizontalHeaderItem(c).text() for c in range(runs.columnCount())]
    assert runs.item(runs.rowCount() - 1, headers.index("threshold")).text() == f"{best:g}"

    path = tmp_path / "kept.vnn"
    window.document.save(str(path))
    assert load_project(path).runs[-1].extra[EXTRA_KEY] == {"dense_2": best}
    window.document.undo_stack.undo()
    assert EXTRA_KEY not in window.document.project.runs[-1].extra
    assert "threshold" not in [runs.horizontalHeaderItem(c).text() for c in range(runs.columnCount())]


def test_choosing_on_the_test_split_says_it_would_flatter_the_figures(shell: Shell, qtbot: Any) -> None:
    _window, panel, _run_id = _evaluated(shell, qtbot, "test")
    assert "⚠ Chosen by the test split's figures" in panel.threshold_box.summary.text()


def test_a_classifier_of_more_classes_shows_no_threshold(shell: Shell, qtbot: Any) -> None:
    window, panel, run_id = _evaluated(shell, qtbot, "val")
    assert panel.threshold_box.isVisible()
    three = classification_report([0, 1, 2, 1], np.eye(3)[[0, 1, 2, 2]], ["a", "b", "c"])
    panel.show_report({"run_id": run_id, "split": "val", "n_samples": 4, "task": "multiclass",
                       "metrics": {"loss": 0.1}, "classification": three})
    assert not panel.threshold_box.isVisible() and window.evaluation_panel.confusion.matrix == three["confusion"]


def test_the_runs_tab_says_where_each_yes_no_run_decides(shell: Shell, qtbot: Any) -> None:
    from visualnn.core.training_config import RunRecord

    window = shell.window
    runs = [RunRecord("r1", "2026-12-01T10:00:00", extra={"task": "binary", "class_names": NAMES}),
            RunRecord("r2", "2026-12-01T11:00:00", extra={"task": "binary", "class_names": NAMES,
                                                          EXTRA_KEY: {"dense_2": 0.25}}),
            RunRecord("r3", "2026-12-01T12:00:00", extra={"task": "regression"})]
    window.document.set_project(Project(graph=mlp_graph(), runs=runs))
    table = window.runs_panel.table
    column = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("threshold")
    assert [table.item(r, column).text() for r in range(3)] == ["0.5", "0.25", ""]
