"""Journeys: look inside a model in the window, with the real engine.

Images: the bundled shapes example -> Look inside -> click conv2d_1 on the canvas: its feature maps (untrained)
-> train one epoch -> the run's activations -> the Evaluation tab's most confidently wrong image -> "Explain with
Grad-CAM" -> the heatmap over that image -> Export PNG. Tabular: the penguins example -> train -> Permutation
importance -> the bars and Export CSV; Grad-CAM asked of the table model says why it cannot.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import set_training, train_to_the_end
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.insight.panel import InsightHost

pytestmark = [pytest.mark.tf, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _example(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    return next(folder.glob("*.vnn"))


def test_activations_and_gradcam_of_a_wrong_image(launch: Launch, tf_engine: EngineClient, tmp_path: Path,
                                                  qtbot: QtBot) -> None:
    session, user = launch(tf_engine, argv=[str(_example("images", tmp_path))])
    window = session.window
    host = session.shell.insight
    assert isinstance(host, InsightHost)

    # Look inside, Activations tab; a click on conv2d_1 shows its output for the first validation image.
    user.show_dock("insight")
    panel = host.panel
    user.open_tab(panel, "Activations")
    view = panel.activations
    user.select_layer("conv2d_1")
    user.wait_until(lambda: view.result is not None and view.result["node"] == "conv2d_1",
                    lambda: f"conv2d_1's activation (the view says {view.status.text()!r})", timeout_ms=180_000)
    result = view.result
    assert result is not None and result["run_id"] is None and result["rank"] == 4
    assert result["shape"][1:3] == [30, 30] or result["shape"][1:3] == [32, 32]  # valid or same padding
    assert "rank 4 (samples, height, width, channels)" in view.card.toPlainText()
    assert "tf.squeeze(y, axis=0)" in view.card.toPlainText() and "zeros" in view.stats.text()
    user.screenshot("look-inside-0-activations")
    # The Input: the data itself, with the Tensor card of how the app reads the images.
    user.select_layer("input_1")
    user.wait_until(lambda: view.result is not None and view.result["node"] == "input_1", "input_1's tensor",
                    timeout_ms=60_000)
    card = view.card.toPlainText()
    assert "tf.io.decode_image" in card and "tf.cast(image, tf.float32)" in card and "image / 255.0" in card and "(None, 32, 32, 3)" in card
    user.select_layer("conv2d_1")
    user.wait_until(lambda: view.result is not None and view.result["node"] == "conv2d_1", "conv2d_1 again",
                    timeout_ms=60_000)
    # Another sample: type its index and press Enter.
    user.type_into(view.index_spin, "5")
    user.wait_until(lambda: view.result is not None and view.result["index"] == 5, "sample 5's activation",
                    timeout_ms=60_000)

    # Train one epoch (few enough that some images are wrong), then the trained model's activations.
    set_training(user, epochs=1)
    run = train_to_the_end(user)
    user.show_dock("insight")
    user.open_tab(panel, "Activations")
    user.choose(view.model_combo, f"{run.id} ({run.status})")
    user.wait_until(lambda: view.result is not None and view.result["run_id"] == run.id,
                    lambda: f"the run's activation (the view says {view.status.text()!r})", timeout_ms=60_000)

    # Evaluation: the run is evaluated on its own; pick the most confidently wrong image, Explain with Grad-CAM.
    user.show_dock("evaluation")
    ev = window.evaluation_panel
    user.wait_until(lambda: ev.report is not None and ev.report.get("run_id") == run.id, "the run's evaluation",
                    timeout_ms=120_000)
    assert ev.report is not None
    wrong = ev.report["classification"]["wrong"]
    assert wrong, "one epoch left no image wrong; nothing to explain"
    assert not ev.explain_button.isEnabled()  # nothing selected yet
    qtbot.mouseClick(ev.wrong.viewport(), Qt.MouseButton.LeftButton,
                     pos=ev.wrong.visualItemRect(ev.wrong.item(0, 1)).center())
    user.screenshot("look-inside-1-evaluation")
    user.click(ev.explain_button)
    explanations = panel.explanations
    user.wait_until(lambda: explanations.report is not None,
                    lambda: f"Grad-CAM (the view says {explanations.status.text()!r})", timeout_ms=120_000)
    rep = explanations.report
    assert rep is not None and rep["method"] == "gradcam" and rep["layer"] == "conv2d_2"
    assert rep["index"] == wrong[0]["index"] and rep["split"] == ev.report["split"]
    assert rep["true"] == wrong[0]["true"] and rep["predicted"] == wrong[0]["pred"]
    heat = np.asarray(rep["heatmap"])
    assert heat.shape == (32, 32) and heat.max() == pytest.approx(1.0)
    assert panel.currentWidget() is explanations and window.docks["insight"].isVisible()
    assert f"Predicted {wrong[0]['pred']}" in explanations.prediction.text()
    user.screenshot("look-inside-2-gradcam")
    out = tmp_path / "cam.png"
    user.chooser.will_answer("save_file", str(out))
    user.click(explanations.export_png_button)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_permutation_importance_of_the_tabular_example(launch: Launch, tf_engine: EngineClient,
                                                       tmp_path: Path) -> None:
    session, user = launch(tf_engine, argv=[str(_example("tabular", tmp_path))])
    host = session.shell.insight
    assert isinstance(host, InsightHost)
    set_training(user, epochs=5)
    run = train_to_the_end(user)
    user.show_dock("insight")
    panel = host.panel
    user.open_tab(panel, "Explanations")
    view = panel.explanations
    user.choose(view.method_combo, "Permutation importance (tables)")
    user.click(view.explain_button)
    user.wait_until(lambda: view.report is not None,
                    lambda: f"permutation importance (the view says {view.status.text()!r})", timeout_ms=120_000)
    rep = view.report
    assert rep is not None and rep["run_id"] == run.id and rep["metric"] == "accuracy"
    # The activations of a Dense layer of this table model: bars (rank 2).
    user.open_tab(panel, "Activations")
    user.choose(panel.activations.model_combo, f"{run.id} ({run.status})")
    user.select_layer("dense_2")
    user.wait_until(lambda: panel.activations.result is not None, panel.activations.status.text, timeout_ms=60_000)
    assert panel.activations.result is not None and panel.activations.result["rank"] == 2
    assert "rank 2 (samples, features)" in panel.activations.card.toPlainText()
    user.screenshot("look-inside-4-dense")
    user.open_tab(panel, "Explanations")
    columns = [r["column"] for r in rep["importances"]]
    assert sorted(columns) == sorted(["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island"])
    assert "Most important:" in view.prediction.text()
    user.screenshot("look-inside-3-permutation")
    out = tmp_path / "importance.csv"
    user.chooser.will_answer("save_file", str(out))
    user.click(view.export_csv_button)
    rows = list(csv.DictReader(out.open()))
    assert [r["column"] for r in rows] == columns

    # Grad-CAM of a table model: the reason, in the view.
    user.choose(view.method_combo, "Grad-CAM")
    user.click(view.explain_button)
    user.wait_until(lambda: "explains images" in view.status.text(), lambda: view.status.text(), timeout_ms=60_000)
    assert view.report is None and not view.export_png_button.isEnabled()
