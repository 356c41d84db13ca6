"""The Look inside dock with a fake engine: the Evaluation tab's Grad-CAM action sends the right job, a click on
a node asks for its activation, failures are shown as the engine words them, results are drawn and exported."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt

from tests.services.training_helpers import mlp_graph
from tests.ui.canvas_helpers import click_scene
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser

IMAGE = [[(x * 29 + y * 13) % 256 for x in range(8)] for y in range(8)]


def _report(run_id: str, images: bool) -> dict[str, Any]:
    sample: Any = IMAGE if images else [0.5, 1.5, 2.5, 3.5]
    wrong = [{"index": 7 + k, "true": "a", "pred": "b", "confidence": 0.9 - k / 10, "sample": sample} for k in range(2)]
    return {"run_id": run_id, "split": "val", "n_samples": 20, "task": "classification",
            "metrics": {"accuracy": 0.9},
            "classification": {"class_names": ["a", "b", "c"], "confusion": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                               "per_class": [], "wrong": wrong}}


def _trained(shell: Shell, qtbot: Any, images: bool) -> tuple[Any, str]:
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=1)))
    window.docks["evaluation"].raise_()
    qtbot.waitUntil(window.evaluation_panel.isVisible)
    window.docks["training"].raise_()
    qtbot.waitUntil(window.training_panel.isVisible)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    run = engine.finish_training(engine.jobs[-1][0])
    window.docks["evaluation"].raise_()
    qtbot.waitUntil(window.evaluation_panel.isVisible)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "evaluate"
    engine.finish(job_id, _report(run["id"], images))
    return engine, run["id"]


class Answers:
    """Answers the save dialog with a path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save_file(self, *_: Any) -> str:
        return str(self.path)


def test_grad_cam_of_a_wrong_image_from_the_evaluation_tab(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    engine, run_id = _trained(shell, qtbot, images=True)
    ev = shell.window.evaluation_panel
    assert ev.explain_button.isVisible() and not ev.explain_button.isEnabled()
    qtbot.mouseClick(ev.wrong.viewport(), Qt.MouseButton.LeftButton,
                     pos=ev.wrong.visualItemRect(ev.wrong.item(1, 1)).center())
    assert ev.explain_button.isEnabled()
    qtbot.mouseClick(ev.explain_button, Qt.MouseButton.LeftButton)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "explain"
    assert (payload["run_id"], payload["split"], payload["index"], payload["method"]) == (run_id, "val", 8, "gradcam")
    assert payload["project"]["graph"]["nodes"] and payload["base_dir"]
    host = shell.insight
    assert host is not None and host.dock.isVisible()
    view = host.panel.explanations
    assert host.panel.currentWidget() is view and "Grad-CAM of val sample 8" in view.status.text()
    engine.fail(job_id, "Grad-CAM needs a convolutional layer (Conv2D and the like), and run x's model has none.")
    assert "needs a convolutional layer" in view.status.text() and view.report is None
    qtbot.mouseClick(view.explain_button, Qt.MouseButton.LeftButton)
    job_id = engine.jobs[-1][0]
    heat = [[(x + y) / 14 for x in range(8)] for y in range(8)]
    engine.finish(job_id, {"method": "gradcam", "run_id": run_id, "layer": "conv_2", "class_index": 1,
                           "class_name": "b", "predicted": "b", "confidence": 0.8, "probabilities": {},
                           "heatmap": heat, "image": IMAGE, "split": "val", "index": 8, "true": "a"})
    assert view.report is not None and "Predicted b (80.0%) · true a" in view.prediction.text()
    out = tmp_path / "heat.csv"
    use_chooser(shell.window, Answers(out))  # type: ignore[arg-type]
    qtbot.mouseClick(view.export_csv_button, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(out.open()))
    assert len(rows) == 8 and float(rows[7][7]) == 1.0


def test_table_samples_offer_no_grad_cam(shell: Shell, qtbot: Any) -> None:
    _trained(shell, qtbot, images=False)
    ev = shell.window.evaluation_panel
    assert not ev.explain_button.isVisible()


def test_a_click_on_a_node_asks_for_its_activation(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=1)))
    host = shell.insight
    assert host is not None
    panel = host.show("activations")
    qtbot.waitUntil(panel.activations.isVisible)
    window.auto_layout()  # the test graph has no positions: one card under the other
    window.actions_["fit"].trigger()
    qtbot.wait(50)
    rect = window.scene.nodes["dense_1"].sceneBoundingRect()
    click_scene(qtbot, window, QPointF(rect.center().x(), rect.top() + rect.height() * 0.35))
    assert window.scene.selected_ids() == ["dense_1"]
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "activations" and payload["node"] == "dense_1" and payload["run_id"] is None
    engine.fail(job_id, "No data is attached to the project, so there is no sample to feed the model. "
                        "Choose a dataset in the Data panel first.")
    view = panel.activations
    assert view.status.text().startswith("No data is attached") and view.result is None
    assert not view.export_png_button.isEnabled()
