"""Look inside a model: activations on a 100-layer model and Grad-CAM on MobileNetV3Small (224x224) on CPU.

Goals (issue 19): one sample's activation on a 100-layer model <= 1 s after the first call; Grad-CAM of one
224x224 image on MobileNetV3Small <= 2 s on CPU. Each is the service the engine runs
(``run_activations``/``run_explain``, the result serialised to JSON as the wire does), timed against a
baseline written by hand in the same run, interleaved round by round: a plain Keras forward pass of a
sub-model, and a plain ``tf.GradientTape`` Grad-CAM. Median of ROUNDS rounds after a discarded warm-up.

    PYTHONPATH=. python bench/bench_explain.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")  # the goal is on CPU

ROUNDS = 7
ACTIVATION_GOAL_S = 1.0
GRADCAM_GOAL_S = 2.0


def deep_graph(layers: int = 100) -> Any:
    """Input(32) then ``layers - 1`` Dense(64, relu) layers and a softmax head: a 100-layer model."""
    from visualnn.core.graph import Edge, Graph, Node

    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [32]}))
    prev = "input_1"
    for i in range(1, layers - 1):
        g.add_node(Node(f"dense_{i}", "Dense", {"units": 64, "activation": "relu"}))
        g.connect(Edge.of(prev, f"dense_{i}"))
        prev = f"dense_{i}"
    g.add_node(Node("out", "Dense", {"units": 3, "activation": "softmax"}))
    g.connect(Edge.of(prev, "out"))
    return g


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleave(ours: Any, baseline: Any) -> tuple[float, float]:
    """Median seconds of each, run alternately ROUNDS times after one discarded warm-up of each."""
    ours(0)
    baseline(0)
    a, b = [], []
    for r in range(1, ROUNDS + 1):
        a.append(timed(lambda r=r: ours(r)))
        b.append(timed(lambda r=r: baseline(r)))
    return statistics.median(a), statistics.median(b)


def bench_activations() -> tuple[float, float]:
    import keras
    import numpy as np

    from visualnn.core.explain_protocol import ActivationsRequest
    from visualnn.core.project import Project
    from visualnn.core.training_config import TrainingConfig
    from visualnn.services.activations import run_activations
    from visualnn.services.model_probe import probe_for

    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(200, 32)).astype("float32"), "y": rng.integers(0, 3, 200)}
    graph = deep_graph()
    assert len(graph.nodes) == 100
    project = Project(graph, "deep", None, TrainingConfig(batch_size=32))
    base = tempfile.mkdtemp()
    node = "dense_97"

    def ours(i: int) -> None:
        out = run_activations(ActivationsRequest(project=project, base_dir=base, node=node, split="val", index=i,
                                                 inline_data=data))
        json.dumps(out)

    model = probe_for(project, base, None).model  # the same weights, for the plain Keras pass
    sub = keras.Model(model.inputs[0], model.get_layer(node).output)
    x_val = data["x"]

    def baseline(i: int) -> None:
        np.asarray(sub(x_val[i:i + 1], training=False)).tolist()

    return interleave(ours, baseline)


def bench_gradcam() -> tuple[float, float]:
    import keras
    import numpy as np
    import tensorflow as tf

    from visualnn.core.explain_protocol import ExplainRequest
    from visualnn.core.project import Project
    from visualnn.core.training_config import RunRecord, TrainingConfig
    from visualnn.services.explanations import conv_layers, run_explain

    base = tempfile.mkdtemp()
    model = keras.applications.MobileNetV3Small(weights=None, input_shape=(224, 224, 3), classes=10)
    os.makedirs(os.path.join(base, "runs", "r1"))
    model.save(os.path.join(base, "runs", "r1", "model.keras"))
    run = RunRecord("r1", "2026-01-01T00:00:00", model_path="runs/r1/model.keras",
                    extra={"task": "multiclass", "class_names": [str(i) for i in range(10)]})
    project = Project(None, "mobilenet", None, TrainingConfig(batch_size=8), [run])
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(24, 224, 224, 3)).astype("float32")
    data = {"x": images, "y": rng.integers(0, 10, 24), "x_test": images[:10], "y_test": np.arange(10)}

    def ours(i: int) -> None:
        out = run_explain(ExplainRequest(project=project, base_dir=base, run_id="r1", method="gradcam", split="test",
                                         index=i % 10, inline_data=data))
        json.dumps(out)

    conv = conv_layers(model)[-1]
    grad_model = keras.Model(model.inputs[0], [model.get_layer(conv).output, model.outputs[0]])

    def baseline(i: int) -> None:
        x = tf.convert_to_tensor(images[i % 10][None])
        with tf.GradientTape() as tape:
            maps, preds = grad_model(x, training=False)
            score = preds[:, int(tf.argmax(preds[0]))]
        grads = tape.gradient(score, maps)
        cam = tf.nn.relu(tf.reduce_sum(tf.reduce_mean(grads, axis=(1, 2), keepdims=True) * maps, axis=-1))[0]
        np.asarray(tf.image.resize(cam[..., None], (224, 224))).tolist()

    return interleave(ours, baseline)


def main() -> int:
    rows = [("activation, 100-layer model", ACTIVATION_GOAL_S, *bench_activations()),
            ("Grad-CAM, MobileNetV3Small 224x224, CPU", GRADCAM_GOAL_S, *bench_gradcam())]
    ok = True
    print(f"{'figure':<42} | {'goal':>7} | {'ours':>8} | {'baseline':>8} | {'ratio':>6} | verdict")
    for name, goal, ours, base in rows:
        passed = ours <= goal
        ok &= passed
        print(f"{name:<42} | <={goal:4.1f} s | {ours:6.3f} s | {base:6.3f} s | {ours / base:6.2f} | "
              f"{'PASS' if passed else 'MISS'}")
    print(f"load average: {os.getloadavg()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
