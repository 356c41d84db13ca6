"""Journey: the bundled two-input, two-output example from the welcome page to a trained, evaluated, exported model.

First launch -> the welcome page -> the "Two inputs, two outputs" example card -> the Data panel shows one
tensor card per named part (tabular, sequence -> Inputs; kind, score -> outputs) and the project is valid ->
the Training panel's per-output table: the user lowers score's loss weight -> Train (2 epochs) -> live
plots per output -> Evaluation > Evaluate: the Output box switches between the classifier's confusion
matrix and the regressor's scatter -> File > Save, File > Open -> File > Export .keras and .tflite: both
take the raw arrays of the .npz and agree with each other and with `visualnn predict` on the saved project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import set_training, train_to_the_end, training_form
from visualnn.core.project.io import load_project
from visualnn.ui.data.parts import PartCards
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.welcome import WelcomeDialog

pytestmark = [pytest.mark.tf, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

PARITY = r'''
import json, sys, numpy as np, keras
from ai_edge_litert.interpreter import Interpreter
keras_path, tflite_path, npz = sys.argv[1:4]
raw = np.load(npz)
x = {"tabular": raw["tabular"][:6], "sequence": raw["sequence"][:6]}
model = keras.saving.load_model(keras_path)
kind, score = model.predict(x, verbose=0)
it = Interpreter(model_path=tflite_path)
details = it.get_input_details()
for d in details:
    name = "tabular" if "tabular" in d["name"] else "sequence"
    it.resize_tensor_input(d["index"], list(x[name].shape))
it.allocate_tensors()
for d in it.get_input_details():
    name = "tabular" if "tabular" in d["name"] else "sequence"
    it.set_tensor(d["index"], x[name].astype(d["dtype"]))
it.invoke()
outs = {tuple(o["shape"][1:]): it.get_tensor(o["index"]) for o in it.get_output_details()}
print(json.dumps({"inputs": [t.name for t in model.inputs], "kind": kind.tolist(), "score": score.tolist(),
                  "tflite_kind": outs[(3,)].tolist(), "tflite_score": outs[(1,)].tolist()}))
'''


def test_two_input_example_opens_trains_evaluates_and_exports_models_taking_raw_arrays(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    import numpy as np

    session, user = launch(tf_engine, welcome=True)
    window = session.window
    document = window.document

    # The welcome page: double-click the two-input example.
    user.wait_until(lambda: isinstance(session.greeting, WelcomeDialog) and session.greeting.isVisible(),
                    "the welcome page")
    welcome = session.greeting
    assert isinstance(welcome, WelcomeDialog)
    cards = welcome.findChild(QListWidget, "examples")
    assert cards is not None
    card = next(cards.item(i) for i in range(cards.count())
                if cards.item(i).data(Qt.ItemDataRole.UserRole) == "two_inputs")
    cards.scrollToItem(card)
    rect = cards.visualItemRect(card)
    qtbot.mouseClick(cards.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(cards.viewport(), Qt.Key.Key_Return)
    user.wait_until(lambda: not welcome.isVisible() and document.path is not None, "the example to open")
    project_path = Path(str(document.path))
    assert project_path.name == "two_inputs.vnn"
    assert {n.label for n in document.graph if n.type == "Input"} == {"tabular", "sequence"}

    # Data: one card per named part, each naming its node; the project is valid.
    user.show_dock("data")
    data = window.data_panel
    user.open_tab(data.tabs, "Tensors")
    parts = data.findChild(PartCards)
    assert parts is not None
    user.wait_until(lambda: parts.isVisible() and len(parts.cards) == 4,
                    lambda: f"the part cards (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    texts = [" ".join(label.text().replace("&nbsp;", " ") for label in card.findChildren(QLabel))
             for card in parts.cards]
    assert any("Input tabular" in t and "(None, 8)" in t for t in texts), texts
    assert any("Input sequence" in t and "(None, 12, 3)" in t for t in texts), texts
    assert any("output kind" in t for t in texts) and any("output score" in t for t in texts), texts
    user.wait_until(lambda: not [i for i in document.issues if i.severity == "error"],
                    lambda: f"a valid project (problems: {[i.message for i in document.issues]})")
    user.screenshot("two-inputs-1-data")

    # Training: the per-output table shows both heads; lower score's weight; two short epochs.
    form = training_form(user)
    table = form.outputs_table
    assert table.table.isVisible() and table.table.rowCount() == 2
    weight = table.weight_box(1)
    assert table.table.item(1, 0).text() == "score"
    user.type_into(weight, "0.25")
    rows = {o.name: o for o in document.project.training.outputs}
    assert rows["score"].weight == 0.25 and rows["score"].loss == "mean_squared_error"
    set_training(user, epochs=2, batch_size=32)
    run = train_to_the_end(user)
    assert run.status == "finished" and run.epochs_done == 2, (run.status, run.error)
    assert {"kind_loss", "score_loss", "kind_accuracy", "score_mae", "val_score_loss"} <= set(run.history)
    plots = window.training_panel.plots
    assert any("per output" in name for name in plots.plots), list(plots.plots)
    # Every plot fits the panel, in equal columns: the outputs' wide legends pushed the third plot of a row
    # past the panel's edge.
    edges = {name: plot.geometry().right() for name, plot in plots.plots.items()}
    assert all(edge <= plots.width() for edge in edges.values()), (edges, plots.width())
    widths = [plot.width() for plot in plots.plots.values()]
    assert max(widths) - min(widths) <= 2, widths
    user.screenshot("two-inputs-2-trained")

    # Evaluation: one Output box; the classifier has a 3x3 confusion matrix, the regressor a scatter.
    user.show_dock("evaluation")
    evaluation = window.evaluation_panel
    user.click(evaluation.evaluate_button)
    user.wait_until(lambda: evaluation.output_combo.isVisible() and evaluation.shown_output() == "kind",
                    lambda: f"the evaluation report (status {evaluation.status.text()!r})", timeout_ms=120_000)
    assert len(evaluation.confusion.matrix) == 3
    assert sum(map(sum, evaluation.confusion.matrix)) == 90  # the 15 % test split of 600 samples
    user.choose(evaluation.output_combo, "score (regression)")
    assert evaluation.shown_output() == "score" and evaluation.pages.currentIndex() == 1
    assert len(evaluation.scatter_points.getData()[0]) == 90
    user.screenshot("two-inputs-3-evaluated")

    # Save, reopen: the same project, its run and its per-output settings.
    user.menu("File", "Save")
    on_disk = load_project(str(project_path))
    assert on_disk.to_dict() == document.project.to_dict() and on_disk.runs[-1].id == run.id
    user.chooser.will_answer("open_file", str(project_path))
    user.menu("File", "Open…")
    assert document.project.to_dict() == on_disk.to_dict() and not document.is_dirty

    # Export the .keras and the .tflite; both take the raw arrays and agree with `visualnn predict`.
    exported: list[dict[str, object]] = []
    export = session.shell.export
    export.exported.connect(exported.append)
    out = tmp_path / "exports"
    out.mkdir()
    keras_path, tflite_path = out / "two.keras", out / "two.tflite"
    user.chooser.will_answer("save_file", str(keras_path))
    user.answer_next_prompt("Close")
    user.menu("File", "Export", "Keras Model (.keras)…")
    user.wait_until(lambda: len(exported) == 1, "the .keras export", timeout_ms=180_000)
    user.chooser.will_answer("save_file", str(tflite_path))
    user.answer_next_prompt("OK", choose="float32 (no quantization)")
    user.answer_next_prompt("Close")
    user.menu("File", "Export", "TensorFlow Lite (.tflite)…")
    user.wait_until(lambda: len(exported) == 2, "the .tflite export", timeout_ms=180_000)
    npz = project_path.parent / "two_inputs.npz"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    probe = subprocess.run([sys.executable, "-c", PARITY, str(keras_path), str(tflite_path), str(npz)],
                           capture_output=True, text=True, timeout=300, env=env)
    assert probe.returncode == 0, probe.stderr[-3000:]
    got = json.loads(probe.stdout.strip().splitlines()[-1])
    assert got["inputs"] == ["tabular", "sequence"]
    np.testing.assert_allclose(got["tflite_kind"], got["kind"], atol=1e-4)
    np.testing.assert_allclose(got["tflite_score"], got["score"], atol=1e-4)
    first = tmp_path / "first6.npz"
    raw = np.load(npz)
    np.savez(first, tabular=raw["tabular"][:6], sequence=raw["sequence"][:6])
    cli = subprocess.run([sys.executable, "-m", "visualnn.cli", "predict", str(project_path), str(first), "--json"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert cli.returncode == 0, cli.stderr[-3000:]
    app = json.loads(cli.stdout)
    np.testing.assert_allclose([r["probabilities"][c] for r in app["outputs"]["kind"] for c in ("0", "1", "2")],
                               np.ravel(got["kind"]), atol=1e-4)
    np.testing.assert_allclose([r["values"][0] for r in app["outputs"]["score"]], np.ravel(got["score"]), atol=1e-4)
    assert not user.chooser.answers, f"file dialogs that never opened: {list(user.chooser.answers)}"
