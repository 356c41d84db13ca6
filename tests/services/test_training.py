"""The training runner on synthetic data: history, stop, pause, continue, errors, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from tests.services.training_helpers import blobs, mlp_graph, tiny_project
from visualnn.core.protocol import TrainRequest
from visualnn.core.training_config import TrainingConfig

pytestmark = pytest.mark.tf


def _train(tmp_path: Any, sink: Any = None, stop: Any = None, pause: Any = None, **kw: Any) -> Any:
    from visualnn.services.training import run_training

    project = kw.pop("project", None) or tiny_project()
    req = TrainRequest(project=project, base_dir=str(tmp_path), inline_data=kw.pop("data", None) or blobs(), **kw)
    return run_training(req, sink or (lambda k, d: None), stop, pause)


def test_run_records_history_and_saves_model(tmp_path: Any) -> None:
    msgs: list[tuple[str, dict[str, Any]]] = []
    result = _train(tmp_path, lambda k, d: msgs.append((k, d)), epochs=2)
    run = result.run
    assert run.status == "finished" and run.epochs_done == 2
    assert len(run.history["loss"]) == 2 and len(run.history["val_accuracy"]) == 2
    # Inline arrays without x_test have no test split: no test_* metric may stand in for one.
    assert not [k for k in run.metrics if k.startswith("test_")], run.metrics
    assert run.model_path == f"runs/{run.id}/model.keras"
    assert os.path.exists(tmp_path / run.model_path)
    kinds = [k for k, _ in msgs]
    assert kinds.count("epoch") == 2 and "batch" in kinds
    epoch = next(d for k, d in msgs if k == "epoch")
    assert epoch["epoch"] == 1 and epoch["epochs"] == 2 and "loss" in epoch["logs"] and epoch["lr"] == pytest.approx(0.001)
    batch = next(d for k, d in msgs if k == "batch")
    assert batch["batches"] == 15 and batch["samples_per_s"] > 0


def test_a_test_split_is_scored_once_training_ends(tmp_path: Any) -> None:
    data = blobs(300)
    held_out = blobs(60, seed=7)
    data.update(x_test=held_out["x"], y_test=held_out["y"])
    run = _train(tmp_path, data=data, epochs=1).run
    assert {"test_loss", "test_accuracy"} <= set(run.metrics)
    assert run.metrics["test_loss"] != run.metrics["val_loss"]  # its own split, not validation again


def test_stop_mid_epoch_keeps_weights_and_records_stopped(tmp_path: Any) -> None:
    import keras
    import numpy as np

    stop = threading.Event()
    batches: list[int] = []

    def sink(kind: str, data: dict[str, Any]) -> None:
        if kind == "batch":
            batches.append(data["batch"])
            stop.set()  # stop as soon as the first batch is reported

    result = _train(tmp_path, sink, stop, epochs=5)
    assert result.run.status == "stopped"
    assert result.run.epochs_done == 1 and batches[0] == 1 and len(batches) <= 2  # at most the batch in flight
    saved = keras.saving.load_model(tmp_path / result.run.model_path)
    x = np.asarray(blobs()["x"][:5], dtype="float32")
    np.testing.assert_allclose(saved.predict(x, verbose=0), result.model.predict(x, verbose=0), rtol=1e-6)


def test_pause_holds_training_until_resumed(tmp_path: Any) -> None:
    pause = threading.Event()
    pause.set()
    events: list[tuple[float, str, dict[str, Any]]] = []
    resumed_at: list[float] = []

    def release() -> None:
        while not any(k == "paused" for _, k, _ in events):
            time.sleep(0.01)
        time.sleep(0.4)
        resumed_at.append(time.perf_counter())
        pause.clear()

    threading.Thread(target=release, daemon=True).start()
    result = _train(tmp_path, lambda k, d: events.append((time.perf_counter(), k, d)), pause=pause, epochs=1)
    assert result.run.status == "finished"
    paused = [(t, d["paused"]) for t, k, d in events if k == "paused"]
    assert paused[0][1] is True and paused[1][1] is False
    assert paused[1][0] >= resumed_at[0]  # nothing resumed before the event was cleared
    assert not [t for t, k, _ in events if k == "epoch" and t < resumed_at[0]]


def test_continue_training_keeps_optimizer_state(tmp_path: Any) -> None:
    first = _train(tmp_path, epochs=2)
    iterations = int(first.model.optimizer.iterations.numpy())
    project = tiny_project()
    project.add_run(first.run)
    second = _train(tmp_path, project=project, epochs=1, continue_run=first.run.id)
    assert second.run.continued_from == first.run.id and second.run.epochs_done == 3
    assert len(second.run.history["loss"]) == 3
    assert second.run.history["loss"][:2] == first.run.history["loss"]
    assert int(second.model.optimizer.iterations.numpy()) == iterations + 15  # Adam moments carried over


def test_mismatch_caught_before_fit_names_the_fix(tmp_path: Any) -> None:
    from visualnn.services.training import TrainingError

    logs: list[dict[str, Any]] = []
    project = tiny_project(mlp_graph(n_classes=2), loss="categorical_crossentropy")
    with pytest.raises(TrainingError) as info:
        _train(tmp_path, lambda k, d: logs.append(d) if k == "log" else None, project=project, epochs=1)
    assert "the output has 2 units but the data has 3 classes. Set units to 3." in str(info.value)
    assert "Use sparse categorical crossentropy" in str(info.value)
    assert {d["code"] for d in logs} == {"output-units", "int-labels-categorical"}


def test_exception_inside_fit_is_reported_with_its_cause(tmp_path: Any) -> None:
    from visualnn.services.training import TrainingError

    project = tiny_project(mlp_graph(n_features=5))  # the data has 4 features
    with pytest.raises(TrainingError) as info:
        _train(tmp_path, project=project, epochs=1)
    text = str(info.value)
    assert text.startswith("Training failed:") and "Input shape" in text and "Keras said" in text
    assert not any((tmp_path / "runs").iterdir())  # no half-filled run folder is left behind


def test_bad_settings_are_named_before_training(tmp_path: Any) -> None:
    from visualnn.services.training import TrainingError

    with pytest.raises(TrainingError, match=r"Learning rate must be > 0 and <= 10; received -1.0. Try 0.001."):
        _train(tmp_path, project=tiny_project(learning_rate=-1.0))


def test_schedules_and_callbacks_run(tmp_path: Any) -> None:
    project = tiny_project(optimizer="sgd", momentum=0.9, nesterov=True, schedule="plateau", plateau_patience=0,
                           early_stopping=True, patience=1, checkpoint_best=True, metrics=["accuracy"])
    result = _train(tmp_path, project=project, epochs=2)
    assert (tmp_path / "runs" / result.run.id / "best.keras").exists()
    cos = _train(tmp_path, project=tiny_project(schedule="cosine", decay_steps=10), epochs=2)
    assert cos.run.status == "finished"


_DETERMINISM_SCRIPT = """
import json, sys, tempfile
sys.path.insert(0, {root!r})
from tests.services.training_helpers import blobs, tiny_project
from visualnn.core.protocol import TrainRequest
from visualnn.services.training import run_training
r = run_training(TrainRequest(project=tiny_project(deterministic=True, seed=7), base_dir=tempfile.mkdtemp(),
                              inline_data=blobs(200)))
print("HISTORY=" + json.dumps(r.run.history))
"""


def test_deterministic_runs_in_separate_processes_are_identical() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = _DETERMINISM_SCRIPT.format(root=root)
    histories = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
        line = next(line for line in out.stdout.splitlines() if line.startswith("HISTORY="))
        histories.append(json.loads(line[len("HISTORY="):]))
    assert histories[0] == histories[1]
    assert len(histories[0]["loss"]) == 2


def test_config_snapshot_in_record(tmp_path: Any) -> None:
    result = _train(tmp_path, epochs=1, batch_size=32, seed=3)
    cfg = TrainingConfig.from_dict(result.run.config)
    assert (cfg.epochs, cfg.batch_size, cfg.seed) == (1, 32, 3)
    assert result.run.graph["nodes"][1]["id"] == "dense_1"


def test_regression_metrics_are_named_like_the_catalog(tmp_path: Any) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0])).astype("float32")
    project = tiny_project(mlp_graph(n_classes=1, activation=None), loss="mean_squared_error",
                           metrics=["mae", "mse", "rmse", "r2"])
    run = _train(tmp_path, project=project, data={"x": x.tolist(), "y": y.tolist()}, epochs=2).run
    assert {"mae", "mse", "rmse", "r2", "val_r2"} <= set(run.history)
    assert run.extra["task"] == "regression"


def test_top_k_with_one_hot_labels(tmp_path: Any) -> None:
    import numpy as np

    data = blobs(200)
    onehot = np.eye(3, dtype=int)[data["y"]].tolist()
    project = tiny_project(loss="categorical_crossentropy", metrics=["accuracy", "top_k_accuracy"])
    run = _train(tmp_path, project=project, data={"x": data["x"], "y": onehot}, epochs=1).run
    assert run.history["top_k_accuracy"] == [1.0]  # 3 classes: the true one is always in the top 5


def _regression(x: Any, y: Any, **training: Any) -> Any:
    return tiny_project(mlp_graph(n_classes=1, activation=None), loss="mean_squared_error", metrics=["mae"], **training)


def _finite_weights(model: Any) -> bool:
    import numpy as np

    return all(np.isfinite(w).all() for w in model.get_weights())


def test_nan_loss_marks_the_run_diverged_and_says_where(tmp_path: Any) -> None:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(400, 4)) * 1e3).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0])).astype("float32")
    project = _regression(x, y, optimizer="sgd", learning_rate=10.0)
    run = _train(tmp_path, project=project, data={"x": x.tolist(), "y": y.tolist()}, epochs=5).run
    assert run.status == "diverged" and run.epochs_done == 1
    assert run.history["loss"] == [None]
    assert run.extra["diverged"] == {"epoch": 1, "loss": run.extra["diverged"]["loss"], "weights_from_epoch": 0}
    assert "at epoch 1" in (run.error or "") and "Lower the learning rate" in (run.error or "")
    assert "inf/NaN" in (run.error or "") and "weights from before training" in (run.error or "")
    # The saved model holds the last finite weights (here: the initial ones), so it still loads and predicts.
    assert _finite_weights(keras.saving.load_model(tmp_path / str(run.model_path)))


def test_an_infinite_loss_is_diverged_not_finished(tmp_path: Any) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] * 1e20).astype("float32")  # squared errors overflow float32: the loss is inf, not NaN
    run = _train(tmp_path, project=_regression(x, y), data={"x": x.tolist(), "y": y.tolist()}, epochs=3).run
    assert run.status == "diverged" and run.extra["diverged"]["loss"] == "infinite"
    assert (run.error or "").startswith("The loss became infinite at epoch 1, so training stopped")


def test_divergence_keeps_the_weights_of_the_last_finite_epoch() -> None:
    """Two finite epochs, then an inf target in epoch 3: the model ends with the weights after epoch 2."""
    from types import SimpleNamespace

    import keras
    import numpy as np
    import tensorflow as tf

    from visualnn.services.keras_builder import build_model
    from visualnn.services.training import compile_model, fit_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0])).astype("float32")
    epochs_seen = [0]

    def batches() -> Any:  # the third pass over the data carries an infinite target
        epochs_seen[0] += 1
        for i in range(0, 64, 16):
            yb = y[i:i + 16].copy()
            if epochs_seen[0] == 3 and i == 16:
                yb[0] = np.inf
            yield x[i:i + 16], yb

    def train(n_epochs: int) -> tuple[Any, dict[str, list[float]], int]:
        epochs_seen[0] = 0
        keras.utils.set_random_seed(3)
        cfg = TrainingConfig(loss="mean_squared_error", metrics=(), optimizer="sgd", learning_rate=0.01)
        model = build_model(mlp_graph(n_classes=1, activation=None))
        compile_model(model, cfg)
        spec = (tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None,), tf.float32))
        data = SimpleNamespace(train=tf.data.Dataset.from_generator(batches, output_signature=spec), val=None)
        history, _stopped, kept = fit_model(model, data, cfg, epochs=n_epochs)
        return model, history, kept

    diverged, history, kept = train(5)
    assert kept == 2 and len(history["loss"]) == 3 and not np.isfinite(history["loss"][-1])
    twin, _, kept_twin = train(2)  # the same start and batches, stopped by hand after epoch 2
    assert kept_twin == 2
    for a, b in zip(diverged.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # The optimizer's state (its step count) is the one after epoch 2 too, not the diverged steps'.
    assert diverged.optimizer.iterations.numpy() == twin.optimizer.iterations.numpy()


def test_a_loss_that_does_not_move_gets_a_hint_naming_the_learning_rate(tmp_path: Any) -> None:
    slow = _train(tmp_path, project=tiny_project(learning_rate=1e-6), data=blobs(160), epochs=5).run
    assert slow.status == "finished"
    [hint] = slow.extra["hints"]
    assert "barely changed over the last 5 epochs" in hint and "learning rate (1e-06)" in hint
    assert "initialisation" in hint
    normal = _train(tmp_path, project=tiny_project(learning_rate=1e-3), data=blobs(160), epochs=5).run
    assert "hints" not in normal.extra


def test_mixed_precision_on_the_cpu_is_warned_at_the_start_and_recorded(tmp_path: Any) -> None:
    logs: list[str] = []
    result = _train(tmp_path, lambda k, d: logs.append(d["text"]) if k == "log" else None,
                    project=tiny_project(mixed_precision="mixed_bfloat16", device="cpu"), epochs=1)
    [warning] = [t for t in logs if "mixed_bfloat16" in t]
    assert "slower than float32" in warning and "CPU" in warning
    assert any("slower than float32" in w for w in result.run.extra["warnings"])
    plain = _train(tmp_path, project=tiny_project(device="cpu"), epochs=1).run
    assert "warnings" not in plain.extra


def test_tensorboard_logs_hold_the_loss_that_tensorboard_reads(tmp_path: Any) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = _train(tmp_path, project=tiny_project(tensorboard=True), epochs=1).run
    assert run.status == "finished"
    logs = tmp_path / "runs" / run.id / "logs" / "train"
    events = EventAccumulator(str(logs), size_guidance={"tensors": 0, "scalars": 0})
    events.Reload()
    tags = events.Tags()
    # Keras writes scalars through tf.summary, which TensorBoard stores as tensors.
    assert "epoch_loss" in tags["tensors"] or "epoch_loss" in tags["scalars"]
    if "epoch_loss" in tags["tensors"]:
        import tensorflow as tf

        [loss] = [float(tf.make_ndarray(e.tensor_proto)) for e in events.Tensors("epoch_loss")]
    else:
        [loss] = [e.value for e in events.Scalars("epoch_loss")]
    assert loss == pytest.approx(run.history["loss"][0], rel=1e-5)
