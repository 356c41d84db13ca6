"""Steps more than one journey takes, written once: a person's way to a table of numbers, a small model and a run.

Each step drives the window through :class:`~tests.journeys.user.User` (clicks, drags, typing) and checks
that the step took, so a journey that uses it fails at the step that broke, naming it.
"""

from __future__ import annotations

import json
import py_compile
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.journeys.user import User
from visualnn.core.training_config import RunRecord
from visualnn.ui.export_dialogs import ExportController
from visualnn.ui.training.settings import TrainingSettingsForm

ROWS = 150


def write_csv(path: Path, rows: int = ROWS) -> Path:
    """``rows`` rows of three features and a numeric target (y = x1 + 2 x2 - x3 + noise)."""
    rng = random.Random(3)
    lines = ["x1,x2,x3,y"]
    for _ in range(rows):
        x = [round(rng.random(), 4) for _ in range(3)]
        lines.append(",".join(map(str, [*x, round(x[0] + 2 * x[1] - x[2] + rng.gauss(0, 0.05), 4)])))
    path.write_text("\n".join(lines) + "\n")
    return path


def load_csv(user: User, csv: Path) -> None:
    """Data panel: File… picks ``csv``; once its preview is read, Apply to project."""
    window = user.window
    user.show_dock("data")
    data = window.data_panel
    user.chooser.will_answer("open_file", str(csv))
    user.click("File…", data)
    user.wait_until(lambda: data.info is not None and not data.progress.isVisible(),
                    lambda: f"reading the CSV (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    user.click("Apply to project", data)
    dataset = window.document.project.dataset
    assert dataset is not None and Path(dataset.path).name == csv.name, dataset


def start_on_csv(launch: Any, engine: Any, csv: Path) -> tuple[Any, User]:
    """Open the window on ``engine`` (the journeys' ``launch`` fixture), File > New, and load ``csv`` in the Data panel
    (:func:`load_csv`); returns the session and its user."""
    session, user = launch(engine)
    user.menu("File", "New")
    load_csv(user, csv)
    return session, user


def build_dense_model(user: User, hidden_units: int = 16, width: int = 3) -> list[str]:
    """Input, Dense and Dense dragged down the canvas, connected port to port, the hidden layer's units typed,
    then "Use suggested input and output" fits the ends to the data (``width`` values per row). Returns the three
    layer ids."""
    window = user.window
    document = window.document
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    spots = [(seen.left() + seen.width() * fx, seen.top() + seen.height() * fy) for fx, fy in
             ((0.25, 0.2), (0.5, 0.5), (0.75, 0.8))]
    ids = [user.drag_layer(t, to=p) for t, p in zip(("Input", "Dense", "Dense"), spots, strict=True)]
    user.connect(ids[0], ids[1])
    user.connect(ids[1], ids[2])
    user.select_layer(ids[1])
    user.type_into(user.inspector_field("units"), str(hidden_units))
    assert document.graph.nodes[ids[1]].params["units"] == hidden_units

    data = window.data_panel
    user.show_dock("data")
    user.open_tab(data.tabs, "Tensors")
    # The new layers make the panel read the data's parts again (as a person does, wait for the button).
    user.wait_until(lambda: data.suggest_btn.isEnabled(),
                    lambda: f"the suggestion to be ready (the Data panel says {data.status.text()!r})",
                    timeout_ms=30_000)
    user.click("Use suggested input and output", data)
    graph = document.graph
    assert graph.nodes[ids[0]].params["shape"] == [width], graph.nodes[ids[0]].params
    assert graph.nodes[ids[2]].params["units"] == 1, graph.nodes[ids[2]].params
    assert not [i for i in document.issues if i.severity == "error"], [i.message for i in document.issues]
    return ids


def training_form(user: User) -> TrainingSettingsForm:
    """The Training panel's settings form, its panel brought to the front."""
    user.show_dock("training")
    form = user.window.training_panel.findChild(TrainingSettingsForm)
    assert form is not None, "the Training panel shows no settings form"
    return form


def set_training(user: User, **settings: Any) -> None:
    """Change the named Compile/Fit settings in the Training panel, each with the input its row offers."""
    form = training_form(user)
    for name, value in settings.items():
        user.set_setting(form, name, value)
    training = user.window.document.project.training
    wrong = {n: getattr(training, n) for n, v in settings.items() if getattr(training, n) != v}
    assert not wrong, f"the project's training settings did not take {settings}: they read {wrong}"


def train_to_the_end(user: User, timeout_ms: int = 300_000) -> RunRecord:
    """Press Train and wait until the run is recorded; returns it."""
    window = user.window
    runs = len(window.document.project.runs)
    user.show_dock("training")
    user.click(window.training_panel.train_button)
    user.wait_until(lambda: len(window.document.project.runs) > runs and not window.training_panel.running,
                    "training to the end", timeout_ms=timeout_ms)
    return window.document.project.runs[-1]


def start_training(user: User, timeout_ms: int = 120_000) -> None:
    """Press Train and wait until the engine has reported the first epoch (training is under way)."""
    window = user.window
    controller = window.training_panel.controller
    user.show_dock("training")
    user.click(window.training_panel.train_button)
    user.wait_until(lambda: bool(controller.history.get("loss")),
                    lambda: f"the first epoch (the progress bar reads {controller.progress.text!r})", timeout_ms=timeout_ms)
    assert window.training_panel.running, "training ended before the journey could act on it"


__all__ = ["ROWS", "build_dense_model", "load_csv", "set_training", "start_on_csv", "start_training",
           "train_to_the_end", "training_form", "write_csv"]

def load_exports(keras_path: Path, tflite_path: Path) -> dict[str, Any]:
    """Load the .keras with Keras and the .tflite with the LiteRT interpreter, in a fresh Python."""
    code = (
        "import json, sys, numpy as np, keras\n"
        "from ai_edge_litert.interpreter import Interpreter\n"
        "m = keras.saving.load_model(sys.argv[1])\n"
        "it = Interpreter(model_path=sys.argv[2]); it.allocate_tensors()\n"
        "inp = it.get_input_details()[0]\n"
        "it.set_tensor(inp['index'], np.zeros(inp['shape'], dtype=inp['dtype'])); it.invoke()\n"
        "print(json.dumps({'keras_in': [list(t.shape) for t in m.inputs], 'keras_layers': len(m.layers),"
        " 'tflite_in': [int(d) for d in inp['shape']],"
        " 'tflite_out': [int(d) for d in it.get_tensor(it.get_output_details()[0]['index']).shape]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(keras_path), str(tflite_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def export_all(user: User, export: ExportController, out: Path, stem: str) -> dict[str, Any]:
    """File > Export the Keras model, the LiteRT model (float32) and the script into ``out``, answering each
    report, then check they exist, the script compiles, and the models load in a fresh Python
    (:func:`load_exports`'s shapes are returned)."""
    out.mkdir()
    keras_path, tflite_path, script = out / f"{stem}.keras", out / f"{stem}.tflite", out / "train.py"
    exported: list[dict[str, Any]] = []
    export.exported.connect(exported.append)
    user.chooser.will_answer("save_file", str(keras_path))
    user.answer_next_prompt("Close")
    user.menu("File", "Export", "Keras Model (.keras)…")
    user.wait_until(lambda: len(exported) == 1, "the .keras export", timeout_ms=180_000)
    user.chooser.will_answer("save_file", str(tflite_path))
    user.answer_next_prompt("OK", choose="float32 (no quantization)")
    user.answer_next_prompt("Close")
    user.menu("File", "Export", "TensorFlow Lite (.tflite)…")
    user.wait_until(lambda: len(exported) == 2, "the .tflite export", timeout_ms=180_000)
    written: list[str] = []
    export.script_written.connect(written.append)
    user.chooser.will_answer("save_file", str(script))
    user.menu("File", "Export", "Python Training Script (.py)…")
    user.wait_until(lambda: bool(written), "the script export", timeout_ms=60_000)
    assert keras_path.exists() and tflite_path.exists() and script.exists()
    py_compile.compile(str(script), doraise=True)
    return load_exports(keras_path, tflite_path)
