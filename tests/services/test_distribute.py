"""tf.distribute in the runner on CPU: mirrored over 2 logical CPUs, mixed precision, sharding, strategy errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.services.training_helpers import blobs, tiny_project
from visualnn.core.distribution import DistributionConfig, DistributionError
from visualnn.core.protocol import TrainRequest
from visualnn.core.training_config import TrainingConfig

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]

# Logical devices must be configured before TensorFlow starts, hence a fresh interpreter.
MIRRORED_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tests.services.training_helpers import blobs, tiny_project
    from visualnn.core.protocol import TrainRequest
    from visualnn.services.training import run_training

    data, base = blobs(240), sys.argv[1]  # 192 training samples: 6 full global batches of 32
    def train(strategy, batch):
        project = tiny_project(epochs=2, batch_size=batch, strategy=strategy, shuffle=False, optimizer="sgd",
                               learning_rate=0.05)
        seen = []
        result = run_training(TrainRequest(project=project, base_dir=base, inline_data=data),
                              lambda kind, d: seen.append(d.get("batches")) if kind == "batch" else None)
        return result, [np.asarray(w) for w in result.model.get_weights()], seen

    mirrored, w_m, batches_m = train("mirrored", 16)
    single, w_s, batches_s = train("auto", 32)
    print(json.dumps({
        "extra": {k: mirrored.run.extra[k] for k in ("strategy", "replicas", "global_batch", "per_replica_batch")},
        "device": mirrored.run.device, "single_device": single.run.device,
        "max_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(w_m, w_s)),
        "loss_m": mirrored.run.history["loss"], "loss_s": single.run.history["loss"],
        "batches_m": max(b or 0 for b in batches_m), "batches_s": max(b or 0 for b in batches_s),
    }))
""")


def test_mirrored_on_two_logical_cpus_matches_single_device(tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["extra"] == {"strategy": "mirrored", "replicas": 2, "global_batch": 32, "per_replica_batch": 16}
    assert "CPU:0" in out["device"] and "CPU:1" in out["device"]
    assert out["single_device"] == "/CPU:0"
    # 2 replicas x 16 = one step over the same 32 samples as one device: same number of steps ...
    assert out["batches_m"] == out["batches_s"] > 0
    # ... and the same weights up to float summation order.
    assert out["max_diff"] < 1e-4
    assert out["loss_m"] == pytest.approx(out["loss_s"], rel=1e-4)


def test_mixed_precision_keeps_the_output_layer_float32(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from visualnn.services.training import run_training

    project = tiny_project(epochs=1, batch_size=32, mixed_precision="mixed_bfloat16")
    result = run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=blobs(128)))
    layers = result.model.layers
    assert (layers[-2].dtype_policy.name, layers[-1].dtype_policy.name) == ("mixed_bfloat16", "float32")
    assert result.model(np.ones((2, 4), "float32")).dtype == "float32"
    assert result.run.extra["mixed_precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"  # the next job starts clean
    reloaded = keras.saving.load_model(tmp_path / str(result.run.model_path))
    assert reloaded.layers[-1].dtype_policy.name == "float32"


def test_output_layers_of_a_functional_model_are_found() -> None:
    import keras

    from visualnn.services.distribute import keep_outputs_float32, output_layers

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(8, name="hidden")(inputs)
        model = keras.Model(inputs, [keras.layers.Dense(2, name="a")(hidden), keras.layers.Dense(1, name="b")(hidden)])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert sorted(layer.name for layer in output_layers(model)) == ["a", "b"]
    keep_outputs_float32(model)
    assert {layer.name: layer.dtype_policy.name for layer in model.layers if layer.name != model.layers[0].name} \
        == {"hidden": "mixed_float16", "a": "float32", "b": "float32"}


def test_data_sharding_policy_and_even_batches() -> None:
    import tensorflow as tf

    from visualnn.services.distribute import count_batches, even_batches, shard_by_data

    ds = tf.data.Dataset.range(100).batch(32)
    sharded = shard_by_data(ds)
    assert sharded.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
    even = even_batches(sharded, 32)
    assert count_batches(even) == 3  # the ragged 4-element batch is dropped so all workers step together
    assert [int(b.shape[0]) for b in even] == [32, 32, 32]
    assert count_batches(ds.filter(lambda x: True)) == 4  # unknown cardinality is counted
    assert shard_by_data(None) is None


def test_auto_uses_the_default_strategy_and_bad_gpu_choices_are_explained() -> None:
    import tensorflow as tf

    from visualnn.services.distribute import make_strategy, plan_placement

    assert make_strategy(DistributionConfig()) is tf.distribute.get_strategy()
    place = plan_placement(TrainingConfig(strategy="auto"), "/CPU:0", 32)
    assert (place.is_default, place.replicas, place.global_batch, place.describe("/CPU:0")) == (True, 1, 32, "/CPU:0")
    if not tf.config.list_physical_devices("GPU"):
        with pytest.raises(DistributionError, match=r"GPUs \[3\] were chosen but this machine has no GPU"):
            make_strategy(DistributionConfig("mirrored", gpus=(3,)))


def test_training_refuses_bad_distribution_settings(tmp_path: Path) -> None:
    from visualnn.services.training import TrainingError, run_training

    project = tiny_project(strategy="everywhere")
    with pytest.raises(TrainingError, match="Distribution strategy must be one of auto, mirrored, multiworker; "
                                            "received 'everywhere'"):
        run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=blobs(64)))


MULTIWORKER_NAN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from tests.services.training_helpers import mlp_graph, tiny_project
    from visualnn.core.protocol import TrainRequest
    from visualnn.services.training import run_training

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(200, 4)) * 1e3).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0])).astype("float32")
    project = tiny_project(mlp_graph(n_classes=1, activation=None), loss="mean_squared_error", metrics=["mae"],
                           optimizer="sgd", learning_rate=10.0, strategy="multiworker", epochs=3)
    result = run_training(TrainRequest(project=project, base_dir=sys.argv[1],
                                       inline_data={"x": x.tolist(), "y": y.tolist()}))
    run = result.run
    print(json.dumps({"status": run.status, "error": run.error, "diverged": run.extra.get("diverged"),
                      "finite": all(bool(np.isfinite(w).all()) for w in result.model.get_weights())}))
""")


def test_the_multiworker_loop_records_a_nan_loss_as_diverged(tmp_path: Path) -> None:
    """A one-worker cluster (no TF_CONFIG) runs the custom loop: divergence is told and handled as with fit."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)})
    proc = subprocess.run([sys.executable, "-c", MULTIWORKER_NAN_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == "diverged" and out["diverged"]["epoch"] == 1 and out["diverged"]["weights_from_epoch"] == 0
    assert "at epoch 1" in out["error"] and "Lower the learning rate" in out["error"]
    assert out["finite"]  # the saved model holds the weights from before the diverged steps
