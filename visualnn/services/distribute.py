"""``tf.distribute`` for the runner: strategies, dataset sharding, mixed precision and peer start-up checks.

The strategy setting (``visualnn.core.distribution``) maps to TensorFlow's own engines:

* ``auto`` -> the default strategy (``tf.distribute.get_strategy()``): TensorFlow places work on GPU 0
  when there is one and on the CPU otherwise, with no wrapper cost (bench/bench_distribute.py checks
  that); an explicitly chosen device (``cpu``/``gpu:N``) uses ``OneDeviceStrategy``.
* ``mirrored`` -> ``MirroredStrategy`` over the chosen (or all) local GPUs; on a machine without GPUs,
  over its logical CPU devices, so the same project still runs (and tests can use 2 logical CPUs).
* ``multiworker`` -> ``MultiWorkerMirroredStrategy`` with the cluster from ``TF_CONFIG``; its training
  loop lives in ``visualnn.services.distribute_loop`` (``model.fit`` fails there in Keras 3.15).

Mixed precision keeps the model's outputs in float32 by setting the *output layers'* dtype policy to
``float32`` (Keras's recommended numerically-safe final softmax/linear). We chose that over appending
an ``Activation('linear', dtype='float32')`` layer so the model keeps exactly the document's layers:
its summary, layer names and exports match the graph, and the code generator emits the same line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from visualnn.core.distribution import ClusterTask, DistributionConfig, DistributionError, parse_tf_config
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_settings import precision_warning
from visualnn.services.devices import resolve_device


def tf_config_cluster(environ: dict[str, str] | None = None) -> ClusterTask | None:
    """This process's cluster task from ``TF_CONFIG`` (``None`` when unset); raises DistributionError if invalid."""
    env = os.environ if environ is None else environ
    return parse_tf_config(env.get("TF_CONFIG"))


def _is_default_device(device: str | None) -> bool:
    return (device or "auto").lower() == "auto"


def make_strategy(config: DistributionConfig, device: str | None = None) -> Any:
    """The ``tf.distribute.Strategy`` for ``config`` (``device`` is the runner's ``auto``/``cpu``/``gpu:N``).

    For ``multiworker`` this must run before TensorFlow executes anything else in the process
    (collective ops are configured at start-up); the runner therefore creates it first.
    """
    import tensorflow as tf

    config.check()
    if config.strategy == "auto":
        if _is_default_device(device):
            return tf.distribute.get_strategy()
        return tf.distribute.OneDeviceStrategy(resolve_device(device))
    if config.strategy == "mirrored":
        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        if gpus:
            missing = [i for i in config.gpus if i >= len(gpus)]
            if missing:
                raise DistributionError(f"GPU {missing[0]} does not exist: this machine has {len(gpus)} GPU(s) "
                                        f"(0..{len(gpus) - 1}). Choose GPUs from that range or leave the list empty.")
            chosen = [gpus[i] for i in config.gpus] if config.gpus else gpus
            return tf.distribute.MirroredStrategy(devices=chosen)
        if config.gpus:
            raise DistributionError(f"GPUs {list(config.gpus)} were chosen but this machine has no GPU. "
                                    "Clear the GPU list to mirror over the CPU, or use 'auto'.")
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        # NCCL needs GPUs: reduce on one CPU device instead.
        return tf.distribute.MirroredStrategy(devices=cpus, cross_device_ops=tf.distribute.ReductionToOneDevice())
    tf_config_cluster()  # a clear message for a bad TF_CONFIG before TensorFlow reads it
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    implementation = (tf.distribute.experimental.CommunicationImplementation.NCCL if has_gpu
                      else tf.distribute.experimental.CommunicationImplementation.RING)
    options = tf.distribute.experimental.CommunicationOptions(implementation=implementation)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def replicas(strategy: Any) -> int:
    """Model copies trained in lockstep (all workers x local devices)."""
    return int(getattr(strategy, "num_replicas_in_sync", 1) or 1)


def is_default_strategy(strategy: Any) -> bool:
    """Whether ``strategy`` is TensorFlow's no-op default (no scope or dataset wrapping needed)."""
    import tensorflow as tf

    return bool(strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy())


# --- data -----------------------------------------------------------------------------------------


def shard_by_data(dataset: Any) -> Any:
    """``dataset`` with auto-shard policy DATA: each worker keeps every n-th *element*.

    Our pipelines are built from in-memory tensors (or one file), so FILE sharding (the default
    AUTO's first choice) has no files to split between workers; DATA sharding works for any source.
    """
    import tensorflow as tf

    if dataset is None:
        return None
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def shard_prepared(data: Any) -> Any:
    """Apply :func:`shard_by_data` to the train/val/test pipelines of prepared data, in place."""
    for split in ("train", "val", "test"):
        if getattr(data, split, None) is not None:
            setattr(data, split, shard_by_data(getattr(data, split)))
    return data


def even_batches(dataset: Any, global_batch: int) -> Any:
    """Re-batch to exactly ``global_batch`` elements, dropping the last partial batch.

    Every worker must run the same number of steps (each step is a collective), so a ragged final
    batch that leaves one worker without data would stall the others.
    """
    return dataset.rebatch(global_batch, drop_remainder=True)


def count_batches(dataset: Any, n_samples: int | None = None, global_batch: int | None = None) -> int:
    """The number of even batches of one pass (cardinality when known, else counted once).

    A pipeline that repeats forever ('Repeat' in the data pipeline settings) has one pass of
    ``n_samples // global_batch`` even batches (the last, partial batch is dropped as for a finite one);
    without a known ``n_samples`` it is refused, since counting it would never end.
    """
    import tensorflow as tf

    n = int(dataset.cardinality())
    if n >= 0:
        return n
    if n == int(tf.data.INFINITE_CARDINALITY):
        if n_samples and global_batch:
            return int(n_samples) // int(global_batch)
        raise DistributionError("The training data repeats forever (the 'Repeat' pipeline setting) and its number "
                                "of samples is not known, so an epoch would never end; turn off 'Repeat' in the "
                                "Data panel's pipeline settings.")
    return int(dataset.reduce(0, lambda count, _: count + 1))


# --- mixed precision --------------------------------------------------------------------------------


def set_precision(config: DistributionConfig, on_gpu: bool, log: Callable[[str], None] | None = None) -> str:
    """Set Keras's global dtype policy for ``config``; returns the policy name actually set."""
    import keras

    policy = config.mixed_precision if config.is_mixed else "float32"
    warning = precision_warning(config.mixed_precision, on_gpu)
    if warning is not None and log is not None:
        log(f"{warning} It is applied as asked.")
    keras.mixed_precision.set_global_policy(policy)
    return policy


def reset_precision() -> None:
    """Back to float32 so a later job in the same engine process starts clean."""
    import keras

    keras.mixed_precision.set_global_policy("float32")


def output_layers(model: Any) -> list[Any]:
    """The layers that produce the model's outputs (the last layer of a Sequential model)."""
    found: list[Any] = []
    for tensor in getattr(model, "outputs", None) or []:
        history = getattr(tensor, "_keras_history", None)
        layer = getattr(history, "operation", None) if history is not None else None
        if layer is not None and layer not in found:
            found.append(layer)
    if not found and getattr(model, "layers", None):
        found.append(model.layers[-1])
    return found


def keep_outputs_float32(model: Any) -> Any:
    """Make the output layers compute in float32 under a mixed policy (stable softmax and loss)."""
    if all(str(layer.dtype_policy.name) == "float32" for layer in getattr(model, "layers", [])):
        return model
    for layer in output_layers(model):
        layer.dtype_policy = "float32"
    return model


# --- cluster start-up -----------------------------------------------------------------------------------


def unreachable_peers(cluster: ClusterTask) -> list[str]:
    """The peers of ``cluster`` that do not accept a TCP connection right now."""
    missing = []
    for address in cluster.peers:
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                pass
        except OSError:
            missing.append(address)
    return missing


def peer_timeout_message(missing: Sequence[str], timeout_s: float) -> str:
    """What the user reads when the cluster did not form in time."""
    if missing:
        return (f"{len(missing)} worker(s) of the cluster did not start within {timeout_s:.0f} s: "
                f"{', '.join(missing)}. Start every worker listed in TF_CONFIG (same command, its own "
                "task.index), or check the addresses and firewall.")
    return (f"The cluster did not form within {timeout_s:.0f} s although every worker answers: check that all "
            "workers use the same TF_CONFIG cluster list and the same VisualNN and TensorFlow versions.")


def start_watchdog(pid: int, peers: Sequence[str], timeout_s: float, stderr: Any = None) -> subprocess.Popen[bytes]:
    """A helper process that ends process ``pid`` (SIGKILL) with a message unless its stdin is closed in time.

    A separate process because MultiWorkerMirroredStrategy's constructor blocks inside TensorFlow
    while holding the GIL: no Python thread or signal handler of the blocked process can run.
    """
    code = "from visualnn.services.distribute import _watchdog_main; _watchdog_main()"
    return subprocess.Popen([sys.executable, "-c", code, str(pid), str(timeout_s), *peers],
                            stdin=subprocess.PIPE, stderr=stderr)


def _watchdog_main() -> None:
    """Entry point of :func:`start_watchdog`'s process: ``PID TIMEOUT_S PEER...``."""
    pid, timeout_s, peers = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    released = threading.Event()

    def read_stdin() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe (or died)
        released.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    if released.wait(timeout_s):
        return
    missing = unreachable_peers(ClusterTask("worker", 0, None, ("self:1", *peers)))
    sys.stderr.write(f"\nvisualnn: {peer_timeout_message(missing, timeout_s)}\n")
    sys.stderr.flush()
    try:
        os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
    except ProcessLookupError:
        pass


T = TypeVar("T")


def create_with_deadline(create: Callable[[], T], cluster: ClusterTask | None, timeout_s: float) -> T:
    """Run ``create()`` (MultiWorkerMirroredStrategy's constructor) under a start-up deadline.

    The constructor waits inside TensorFlow until every worker of TF_CONFIG has joined, forever if
    one never starts. A watchdog process ends this worker after ``timeout_s`` with a message naming
    the workers that do not answer (a worker is its own process: ``visualnn train --strategy multiworker``).
    """
    if cluster is None or not cluster.peers:
        return create()
    watchdog = start_watchdog(os.getpid(), cluster.peers, timeout_s)
    try:
        return create()
    finally:
        if watchdog.stdin is not None:
            watchdog.stdin.close()
        try:
            watchdog.wait(timeout=5)
        except subprocess.TimeoutExpired:
            watchdog.kill()


# --- the runner's view ------------------------------------------------------------------------------------


class Placement:
    """Where a single-process run trains: the strategy, its replicas and the global batch it implies."""

    def __init__(self, config: DistributionConfig, strategy: Any, per_replica_batch: int) -> None:
        self.config = config
        self.strategy = strategy
        self.replicas = replicas(strategy)
        self.global_batch = per_replica_batch * self.replicas
        self.per_replica_batch = per_replica_batch
        self.is_default = config.strategy == "auto" and is_default_strategy(strategy)

    def scope(self, device: str) -> Any:
        """Build/compile/fit context: ``tf.device`` for the default strategy, else ``strategy.scope()``."""
        import tensorflow as tf

        return tf.device(device) if self.is_default else self.strategy.scope()

    def prepare_data(self, data: Any) -> Any:
        """Shard the pipelines by element when a real strategy distributes them."""
        return data if self.is_default else shard_prepared(data)

    def describe(self, device: str) -> str:
        """The run record's device text, e.g. ``/CPU:0`` or ``mirrored x2 (/CPU:0, /CPU:1)``."""
        if self.is_default:
            return device
        devices = list(getattr(getattr(self.strategy, "extended", None), "worker_devices", []) or [])
        short = [d.split("/device:")[-1] for d in devices]
        return f"{self.config.strategy} x{self.replicas} ({', '.join(short)})" if short else self.config.strategy

    def extra(self) -> dict[str, Any]:
        """Facts stored in the run record's ``extra``."""
        return {"strategy": self.config.strategy, "replicas": self.replicas, "global_batch": self.global_batch,
                "per_replica_batch": self.per_replica_batch, "mixed_precision": self.config.mixed_precision}


def plan_placement(training: TrainingConfig, device: str, per_replica_batch: int,
                   sink: Callable[[str, dict[str, Any]], None] | None = None) -> Placement:
    """The :class:`Placement` for a run's settings; sets the mixed-precision policy too.

    Raises :class:`DistributionError` for settings that cannot work here (e.g. GPU 3 of 2).
    """
    config = DistributionConfig.from_training(training.to_dict()).check()
    strategy = make_strategy(config)  # 'auto' stays the default strategy; the runner's tf.device picks the device
    place = Placement(config, strategy, per_replica_batch)
    log = (lambda text: sink("log", {"level": "warning", "text": text})) if sink is not None else None
    set_precision(config, "GPU" in device.upper(), log)
    if sink is not None and not place.is_default:
        sink("status", {"text": f"{place.describe(device)}: batch {per_replica_batch} per replica x "
                                f"{place.replicas} replicas = {place.global_batch} global"})
    return place
