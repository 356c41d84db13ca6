"""TrainingPanel with the real engine: train from the panel, live plots, stop, continue, errors, settings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph
from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def engine() -> Any:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient()
    yield client
    client.stop()


def _panel(qtbot: Any, engine: Any, graph: Graph | None = None, **cfg: Any) -> Any:
    from visualnn.ui.document import ProjectDocument
    from visualnn.ui.training import TrainingPanel

    project = Project(graph=graph or mlp_graph(), training=TrainingConfig(**{"epochs": 2, "batch_size": 16, **cfg}))
    doc = ProjectDocument(project)
    panel = TrainingPanel(doc, engine, extra_job={"inline_data": blobs(300)})
    qtbot.addWidget(panel)
    return panel


def test_train_from_the_panel_records_a_run_and_plots_live(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine)
    with qtbot.waitSignal(panel.training_finished, timeout=180_000) as blocker:
        qtbot.mouseClick(panel.train_button, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
        assert panel.running and not panel.train_button.isEnabled() and panel.stop_button.isEnabled()
    run = blocker.args[0]
    assert run["status"] == "finished" and len(run["history"]["loss"]) == 2
    assert [r.id for r in panel.document.project.runs] == [run["id"]]
    assert panel.document.is_dirty
    panel.plots.redraw()
    assert {"loss", "accuracy", "learning rate"} <= set(panel.plots.plots)
    assert panel.plots.series[("loss", "val")].n == 2 and panel.plots.series[("loss", "batch")].n >= 1
    assert "finished" in panel.status.text() and panel.continue_button.isEnabled()

    with qtbot.waitSignal(panel.training_finished, timeout=120_000) as blocker:
        panel.ask_more_epochs = lambda parent, run, default: 1  # the answer to "how many more epochs?"
        panel.continue_button.click()
    cont = blocker.args[0]
    assert cont["continued_from"] == run["id"] and cont["epochs_done"] == 3


def test_stop_from_the_panel_keeps_a_stopped_run(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, epochs=500)
    panel.start_training()
    qtbot.waitUntil(lambda: panel.plots.series[("loss", "train")].n > 0, timeout=120_000)
    with qtbot.waitSignal(panel.training_finished, timeout=60_000) as blocker:
        panel.stop_button.click()
    assert blocker.args[0]["status"] == "stopped" and blocker.args[0]["epochs_done"] < 500
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_training_error_reaches_the_panel_and_it_keeps_working(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, graph=mlp_graph(n_features=5))  # the data has 4 features
    with qtbot.waitSignal(panel.training_failed, timeout=120_000) as blocker:
        panel.start_training()
    assert "Training failed" in blocker.args[0] and blocker.args[0] in panel.hints.text()
    assert panel.train_button.isEnabled() and not panel.running
    assert panel.document.project.runs == []


def test_settings_form_pushes_undoable_commands(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine)
    panel.form.epochs.setValue(7)
    assert panel.document.project.training.epochs == 7
    panel.document.undo_stack.undo()
    assert panel.document.project.training.epochs == 2 and panel.form.epochs.value() == 2
    panel.form.learning_rate.setValue(-1)  # clamped by the spin box to its minimum
    assert panel.document.project.training.learning_rate > 0


def test_invalid_settings_are_named_without_contacting_the_engine(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, graph=mlp_graph(n_classes=1, activation="softmax"), loss="binary_crossentropy")
    assert panel.start_training() is None
    assert "softmax with binary crossentropy" in panel.hints.text()
    assert not panel.fix_button.isHidden() and "activation = sigmoid" in panel.fix_button.text()
    assert panel.apply_fix()
    assert panel.document.project.graph.nodes["dense_2"].params["activation"] == "sigmoid"
    assert panel.fix_button.isHidden()


def test_data_aware_problem_from_the_engine_offers_a_fix(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, graph=mlp_graph(n_classes=5))  # the data has 3 classes
    with qtbot.waitSignal(panel.training_failed, timeout=120_000) as blocker:
        panel.start_training()
    assert "the output has 5 units but the data has 3 classes" in blocker.args[0]
    assert "dense_2.units = 3" in panel.fix_button.text()
    panel.fix_button.click()
    assert panel.document.project.graph.nodes["dense_2"].params["units"] == 3
    with qtbot.waitSignal(panel.training_finished, timeout=120_000):
        panel.start_training()


def test_pause_and_resume_from_the_panel(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, epochs=3)
    panel.start_training()
    qtbot.waitUntil(lambda: panel.plots.series[("loss", "batch")].n > 0, timeout=120_000)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Resume", timeout=30_000)
    n = panel.plots.series[("loss", "batch")].n
    qtbot.wait(500)
    assert panel.running and panel.plots.series[("loss", "batch")].n == n  # nothing trained while paused
    with qtbot.waitSignal(panel.training_finished, timeout=120_000) as blocker:
        panel.pause_button.click()
    assert blocker.args[0]["status"] == "finished" and panel.pause_button.text() == "Pause"


def test_engine_death_is_shown_and_restart_offered(qtbot: Any) -> None:
    from visualnn.ui.engine_client import EngineClient

    own = EngineClient()
    try:
        panel = _panel(qtbot, own, epochs=500)
        panel.start_training()
        qtbot.waitUntil(lambda: panel.plots.series[("loss", "train")].n > 0, timeout=120_000)
        with qtbot.waitSignal(panel.training_failed, timeout=30_000) as blocker:
            own.kill()
        assert "engine crashed" in blocker.args[0] and "earlier runs are safe" in blocker.args[0]
        assert panel.restart_button.isVisible() is panel.isVisible() and not panel.restart_button.isHidden()
        assert panel.train_button.isEnabled()
        with qtbot.waitSignal(own.ready, timeout=120_000):
            panel.restart_button.click()
        with qtbot.waitSignal(panel.training_finished, timeout=120_000):
            panel.start_training(epochs=1)
    finally:
        own.stop()


def test_the_class_weights_a_balanced_run_used_stay_in_view_after_it(qtbot: Any, engine: Any) -> None:
    panel = _panel(qtbot, engine, class_weight="balanced")
    with qtbot.waitSignal(panel.training_finished, timeout=180_000) as blocker:
        panel.start_training()
    weights = blocker.args[0]["extra"]["class_weights"]
    assert sorted(weights) == ["0", "1", "2"] and all(w > 0 for w in weights.values())  # blobs: 3 classes
    assert panel.hints.text().startswith("Balanced class weights: 0 ") and panel.hints.isVisibleTo(panel)
