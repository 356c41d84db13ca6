"""Same seed + op determinism: Sequential, functional and subclassed code train bitwise alike, each in its own process.

Issue 5 promises that ``keras.utils.set_random_seed`` with op determinism makes runs in separate
processes bitwise identical, and that the three code styles of one model give identical weights and
histories (provided no other random call happens first). Each style runs in a fresh interpreter so
nothing drawn by an earlier test or import can shift the random streams; the app's own runner
repeated in separate processes is covered by ``test_training.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from visualnn.core.codegen import generate_model_code
from visualnn.core.templates import TEMPLATES

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
STYLES = ("sequential", "functional", "subclass")
# A Dropout (its seed generator) and a Conv1D stack: the layers whose random draws could shift with creation order.
CASES = {"mlp_classifier": "classes", "conv1d_regressor": "regression"}

# Runs in a fresh interpreter: seeds first, then build, compile and fit with shuffling; prints weights hash + history.
_TRAIN = """
import hashlib, importlib.util, json, sys
import numpy as np
import keras, tensorflow as tf

tf.config.set_visible_devices([], "GPU")  # CPU: the bitwise promise is made for one device kind
tf.config.experimental.enable_op_determinism()
out = {}
for name, path, task, shape in json.loads(sys.argv[1]):
    keras.utils.set_random_seed(1234)  # before any other random call, as the promise requires
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    rng = np.random.default_rng(0)  # a private generator: it leaves Keras's streams untouched
    x = rng.normal(size=(96, *shape)).astype("float32")
    if task == "classes":
        y = rng.integers(0, 3, size=96)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        y = rng.normal(size=(96, 1)).astype("float32")
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=True, validation_split=0.25, verbose=0).history
    digest = hashlib.sha256()
    names = []
    for layer in model.layers:
        for weight in layer.weights:
            names.append(f"{layer.name}/{weight.name}")  # weight.path has a model prefix in some styles
            digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    out[name] = {"sha256": digest.hexdigest(), "weights": names,
                 "history": {k: [float(v) for v in vs] for k, vs in history.items()}}
print("RESULT=" + json.dumps(out))
"""


def _run_style(style: str, tmp_path: Path) -> dict[str, Any]:
    cases = []
    for name, task in CASES.items():
        path = tmp_path / f"{name}_{style}.py"
        project = TEMPLATES[name].build()
        path.write_text(generate_model_code(project, style))
        shape = next(node.params["shape"] for node in project.graph.nodes.values() if node.type == "Input")
        cases.append([f"{name}_{style}", str(path), task, shape])
    proc = subprocess.run([sys.executable, "-c", _TRAIN, json.dumps(cases)], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT="))
    result: dict[str, Any] = json.loads(line[len("RESULT="):])
    return {key.rsplit("_", 1)[0]: value for key, value in result.items()}


def test_three_styles_in_separate_processes_train_bitwise_alike(tmp_path: Path) -> None:
    runs = {style: _run_style(style, tmp_path) for style in STYLES}
    for name in CASES:
        reference = runs["sequential"][name]
        assert len(reference["history"]["loss"]) == 2 and reference["weights"]
        for style in STYLES[1:]:
            got = runs[style][name]
            assert got["weights"] == reference["weights"], f"{name}: {style} creates its weights in another order"
            assert got["sha256"] == reference["sha256"], f"{name}: {style} weights differ from sequential"
            assert got["history"] == reference["history"], f"{name}: {style} history differs from sequential"
