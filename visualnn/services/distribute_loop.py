"""Multi-worker training: a custom loop with ``strategy.run`` / ``strategy.reduce`` under MultiWorkerMirroredStrategy.

Why not ``model.fit``: with 2 workers it fails in Keras 3.15.1 (the TensorFlow trainer's
``strategy.reduce`` of a PerReplica batch, keras-team/keras#20585). TensorFlow's documented
custom-loop pattern avoids the broken code path, needs no patch of Keras, and gives bitwise-identical
weights on every worker (each step all-reduces the gradients).

Behaviour (one call per worker process, same command everywhere):

* the global batch is the project's batch per replica x replicas; the data is sharded by element
  (auto-shard DATA) and re-batched evenly so every worker runs the same number of steps;
* the stop event is all-reduced with each step, so all workers stop after the same batch;
* after every epoch each worker checkpoints model + optimizer into *its own* backup folder
  (a shared folder fails on a file lock) under ``runs/backup-<key>/worker-<rank>``; a restarted
  cluster (same project, settings and number of workers) resumes from the newest epoch all workers
  have; the backup is removed once the run ends normally and kept when it fails;
* only the chief saves ``runs/<id>/model.keras`` and returns a run record to be written; other
  workers return a record marked ``extra["chief"] = False`` that callers must not save;
* a peer that dies (seen in ~1 s) or stalls (~10 s heartbeat) ends the run with a TrainingError
  naming the kept checkpoint; a peer that never starts is caught by our own start-up deadline.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import shutil
import threading
import time
from typing import Any

from visualnn.core.distribution import DistributionConfig, DistributionError, cluster_key, global_batch_size
from visualnn.core.model_io import input_names, is_multi_io, output_names
from visualnn.core.project import Project, graph_with_spec_versions
from visualnn.core.project.run_folders import finish_run_folder, partial_run_folder
from visualnn.core.protocol import TrainRequest
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import METRICS, find
from visualnn.services import distribute as dist
from visualnn.services.training_common import (
    BATCH_REPORT_INTERVAL_S,
    Sink,
    TrainingError,
    TrainingResult,
    WarningSink,
    compile_model,
    current_lr,
    explain,
    find_divergence,
    make_run_record,
    make_weight_keeper,
    new_run_id,
)
from visualnn.services.training_data import load_data


def _metric_functions(cfg: TrainingConfig) -> dict[str, Any]:
    """Per-sample metric functions the loop can sum across replicas (others are reported as skipped)."""
    from visualnn.services.keras_builder import resolve_class

    chosen = [(m, find(METRICS, m)) for m in cfg.metrics]
    return {m: resolve_class(o.per_sample(cfg)) for m, o in chosen if o is not None and o.per_sample is not None}


PEER_TIMEOUT_ENV = "VISUALNN_PEER_TIMEOUT_S"


def peer_timeout_s(config: DistributionConfig) -> float:
    """The start-up deadline for peers: ``$VISUALNN_PEER_TIMEOUT_S`` when set, else the config's."""
    text = os.environ.get(PEER_TIMEOUT_ENV, "").strip()
    try:
        return float(text) if text else config.peer_timeout_s
    except ValueError as exc:
        raise TrainingError(f"{PEER_TIMEOUT_ENV} must be a number of seconds; received {text!r}.") from exc


def weights_digest(model: Any) -> str:
    """SHA-256 of every weight's bytes: equal on all workers when they trained in lockstep."""
    import numpy as np

    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _who_failed(text: str) -> str:
    """'worker 1' (or 'another worker') from TensorFlow's collective-abort message."""
    tail = text.split("unhealthy", 1)[1] if "unhealthy" in text else text
    tasks = sorted(set(re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", tail)))
    return " and ".join(f"{kind} {index}" for kind, index in tasks) if tasks else "another worker"


class _Loop:
    """The state of one worker's run: strategy, model, step functions, checkpoints, history."""

    def __init__(self, job: TrainRequest[Project], cfg: TrainingConfig, sink: Sink) -> None:
        self.job, self.cfg, self.sink = job, cfg, sink
        self.keeper: Any = None  # the finite-weights keeper of the running fit (services.training_common)
        try:
            self.config = DistributionConfig.from_training(cfg.to_dict()).check()
            self.cluster = dist.tf_config_cluster()
        except DistributionError as exc:
            raise TrainingError(str(exc)) from exc
        self.rank = self.cluster.rank if self.cluster else 0
        self.n_workers = self.cluster.num_workers if self.cluster else 1
        self.is_chief = self.cluster.is_chief if self.cluster else True
        key = cluster_key(graph_with_spec_versions(job.project.graph), {**cfg.to_dict(), "epochs": None}, self.n_workers,
                          len((job.inline_data or {}).get("x") or []))
        self.backup_root = os.path.join(job.base_dir, "runs", f"backup-{key}")
        self.backup_dir = os.path.join(self.backup_root, f"worker-{self.rank}")

    # --- set-up -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the strategy (the first TensorFlow work in the process) within the peer start-up deadline."""
        if self.cluster is not None:
            self.sink("status", {"text": f"This is {self.cluster.describe()}: waiting for the other workers…"})
        try:
            self.strategy = dist.create_with_deadline(lambda: dist.make_strategy(self.config), self.cluster,
                                                      peer_timeout_s(self.config))
        except DistributionError as exc:
            raise TrainingError(str(exc)) from exc
        except Exception as exc:
            raise TrainingError(f"Could not start multi-worker training: {explain(exc)} (MultiWorkerMirrored"
                                "Strategy must be created before any other TensorFlow work in the process; "
                                "run each worker as its own `visualnn train` process).") from exc

    def prepare(self) -> None:
        """Data (sharded, evenly batched), model, optimizer and checkpoint manager, all in the strategy's scope."""
        import keras
        import tensorflow as tf

        from visualnn.services.keras_builder import BuildError, build_model

        cfg = self.cfg
        keras.utils.set_random_seed(cfg.seed)  # same initial weights and shuffles on every worker
        self.replicas = dist.replicas(self.strategy)
        self.global_batch = global_batch_size(cfg.batch_size, self.replicas)
        try:
            self.data = load_data(self.job.project.dataset, self.job.base_dir, self.global_batch, cfg.seed,
                                  self.job.inline_data, cfg.shuffle)
        except Exception as exc:
            raise TrainingError(f"Could not prepare the data: {explain(exc)}") from exc
        train = dist.even_batches(dist.shard_by_data(self.data.train), self.global_batch)
        try:
            self.steps = dist.count_batches(train, getattr(self.data, "n_train", None), self.global_batch)
        except DistributionError as exc:
            raise TrainingError(str(exc)) from exc
        if self.steps == 0:
            raise TrainingError(f"The training split has fewer samples than one global batch ({self.global_batch} "
                                f"= {cfg.batch_size} per replica x {self.replicas} replicas); lower the batch size.")
        self.train = self.strategy.experimental_distribute_dataset(train)
        on_gpu = bool(tf.config.list_physical_devices("GPU"))
        dist.set_precision(self.config, on_gpu, lambda text: self.sink("log", {"level": "warning", "text": text}))
        try:
            with self.strategy.scope():
                model = build_model(self.job.project.graph)
                dist.keep_outputs_float32(model)
                compile_model(model, cfg)
                self.optimizer = model.optimizer  # a LossScaleOptimizer under mixed_float16
                self.optimizer.build(model.trainable_variables)
                self.epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
        except BuildError as exc:
            raise TrainingError(str(exc)) from exc
        self.model = model
        if len(model.outputs) != 1:
            raise TrainingError(f"Multi-worker training supports models with one output; this one has "
                                f"{len(model.outputs)}. Use the 'mirrored' strategy on one machine instead.")
        self.loss_fn = keras.losses.get(cfg.loss)
        if self.loss_fn is None:
            raise TrainingError(f"Unknown loss {cfg.loss!r} for multi-worker training.")
        unsupported = [name for name, on in (("early stopping", cfg.early_stopping),
                                             ("reduce-on-plateau", cfg.schedule == "plateau"),
                                             ("best-model checkpoint", cfg.checkpoint_best),
                                             ("TensorBoard logs", cfg.tensorboard)) if on]
        if unsupported:
            self.sink("log", {"level": "warning", "text": f"Not applied in multi-worker training: "
                                                          f"{', '.join(unsupported)}."})
        self.metric_fns = _metric_functions(cfg)
        skipped = [m for m in cfg.metrics if m not in self.metric_fns]
        if skipped:
            self.sink("log", {"level": "warning", "text": f"Metrics {', '.join(skipped)} are not tracked during "
                                                          "multi-worker training (loss, accuracy, mae and mse are)."})
        checkpoint = tf.train.Checkpoint(model=model, optimizer=self.optimizer, epoch=self.epoch_var)
        self.manager = tf.train.CheckpointManager(checkpoint, self.backup_dir, max_to_keep=2)
        self.checkpoint = checkpoint
        self._build_steps()

    def _build_steps(self) -> None:
        import tensorflow as tf

        model, optimizer, loss_fn, gb = self.model, self.optimizer, self.loss_fn, self.global_batch
        metric_fns = list(self.metric_fns.values())
        strategy = self.strategy

        def sums(y: Any, pred: Any, per_sample: Any) -> list[Any]:
            out = [tf.reduce_sum(tf.cast(per_sample, tf.float32))]
            out += [tf.reduce_sum(tf.cast(fn(y, pred), tf.float32)) for fn in metric_fns]
            return [*out, tf.cast(tf.shape(per_sample)[0], tf.float32)]

        def replica_step(batch: Any, stop_flag: Any) -> Any:
            x, y = batch
            with tf.GradientTape() as tape:
                pred = model(x, training=True)
                per_sample = loss_fn(y, pred)
                loss = tf.nn.compute_average_loss(per_sample, global_batch_size=gb)
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
                scaled = optimizer.scale_loss(loss)
            grads = tape.gradient(scaled, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return tf.stack([*sums(y, pred, per_sample), stop_flag])

        @tf.function  # type: ignore[untyped-decorator,unused-ignore]
        def train_step(iterator: Any, stop_flag: Any) -> Any:
            per_replica = strategy.run(replica_step, args=(next(iterator), stop_flag))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        @tf.function  # type: ignore[untyped-decorator,unused-ignore]
        def eval_step(x: Any, y: Any) -> Any:
            # Local (no collectives): every worker holds the same weights, so each scores the whole split.
            pred = model(x, training=False)
            return tf.stack(sums(y, pred, loss_fn(y, pred)))

        self.train_step, self.eval_step = train_step, eval_step

    # --- checkpoints -------------------------------------------------------------------------------

    def restore(self) -> tuple[int, dict[str, list[float]]]:
        """Resume from the newest epoch that every worker has checkpointed; (epoch, history so far)."""
        import tensorflow as tf

        local = [int(p.rsplit("-", 1)[1]) for p in self.manager.checkpoints]
        latest = max(local, default=0)
        strategy = self.strategy

        @tf.function  # type: ignore[untyped-decorator,unused-ignore]
        def newest_common(value: Any) -> Any:
            per_replica = strategy.run(lambda: tf.reshape(value, [1]))
            return tf.reduce_min(strategy.gather(per_replica, axis=0))

        agreed = int(newest_common(tf.constant(latest, tf.int64)).numpy())
        if agreed <= 0 or agreed not in local:
            return 0, {}
        self.checkpoint.restore(os.path.join(self.backup_dir, f"ckpt-{agreed}")).expect_partial()
        history: dict[str, list[float]] = {}
        try:
            with open(os.path.join(self.backup_dir, "history.json"), encoding="utf-8") as fh:
                history = {k: v[:agreed] for k, v in json.load(fh).items()}
        except (OSError, ValueError):
            history = {}
        self.sink("status", {"text": f"Resuming from the backup after epoch {agreed}."})
        return agreed, history

    def save_backup(self, epoch: int, history: dict[str, list[float]]) -> None:
        """Checkpoint this worker's state after ``epoch`` (every worker, its own folder)."""
        self.epoch_var.assign(epoch)
        self.manager.save(checkpoint_number=epoch)
        tmp = os.path.join(self.backup_dir, "history.json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(history, fh)
        os.replace(tmp, os.path.join(self.backup_dir, "history.json"))

    # --- the loop ---------------------------------------------------------------------------------

    def _logs(self, totals: Any, prefix: str = "") -> dict[str, float]:
        count = max(float(totals[-1]), 1.0)
        logs = {f"{prefix}loss": float(totals[0]) / count}
        for i, name in enumerate(self.metric_fns, start=1):
            logs[f"{prefix}{name}"] = float(totals[i]) / count
        return logs

    def evaluate(self, dataset: Any, prefix: str = "") -> dict[str, float]:
        """Loss and metrics over a whole split, computed locally."""
        import numpy as np

        totals = np.zeros(len(self.metric_fns) + 2)
        for x, y in dataset:
            totals += self.eval_step(x, y).numpy()
        return self._logs(totals, prefix)

    def fit(self, stop: threading.Event | None, pause: threading.Event | None, start_epoch: int,
            history: dict[str, list[float]]) -> tuple[dict[str, list[float]], bool]:
        """Train epochs ``start_epoch..epochs``; returns (history, stopped by user)."""
        import numpy as np
        import tensorflow as tf

        cfg, t0, seen, last_report = self.cfg, time.perf_counter(), 0, 0.0
        val = getattr(self.data, "val", None)
        # A diverging run ends with the weights of its last finite epoch, as model.fit runs do.
        keeper = self.keeper = make_weight_keeper(start_epoch, compiled=False)  # mirrored variables
        keeper.set_model(self.model)
        keeper.on_train_begin()
        for epoch in range(start_epoch, cfg.epochs):
            iterator = iter(self.train)
            totals = np.zeros(len(self.metric_fns) + 2)
            for batch in range(self.steps):
                if pause is not None and pause.is_set():
                    self.sink("paused", {"paused": True})
                    while pause.is_set() and not (stop is not None and stop.is_set()):
                        time.sleep(0.05)
                    self.sink("paused", {"paused": False})
                flag = tf.constant(1.0 if stop is not None and stop.is_set() else 0.0)
                out = self.train_step(iterator, flag).numpy()
                totals += out[:-1]
                seen += self.global_batch
                now = time.perf_counter()
                if now - last_report >= BATCH_REPORT_INTERVAL_S or batch + 1 == self.steps:
                    last_report = now
                    self.sink("batch", {"epoch": epoch + 1, "epochs": cfg.epochs, "batch": batch + 1,
                                        "batches": self.steps, "logs": self._logs(totals), "elapsed_s": now - t0,
                                        "samples_per_s": seen / (now - t0) if now > t0 else 0.0})
                if out[-1] > 0:  # some worker's user pressed Stop: every worker stops after this batch
                    return history, True
                if cfg.terminate_on_nan and not math.isfinite(float(out[0])):
                    # the reduced loss is the same number on every worker, so all stop at this step
                    history.setdefault("loss", []).append(float(out[0]))
                    keeper.restore()
                    return history, False
            logs = self._logs(totals)
            if val is not None:
                logs.update(self.evaluate(val, "val_"))
            lr = current_lr(self.model)
            for k, v in logs.items():
                history.setdefault(k, []).append(v)
            if lr is not None:
                history.setdefault("lr", []).append(lr)
            keeper.on_epoch_end(epoch, logs)
            self.save_backup(epoch + 1, history)
            self.sink("epoch", {"epoch": epoch + 1, "epochs": cfg.epochs, "logs": logs, "lr": lr,
                                "elapsed_s": time.perf_counter() - t0})
        if find_divergence(history.get("loss", [])) is not None:  # NaN kept training (terminate_on_nan off)
            keeper.restore()
        return history, False


def run_multiworker(job: TrainRequest[Project], cfg: TrainingConfig, sink: Sink, stop: threading.Event | None = None,
                    pause: threading.Event | None = None) -> TrainingResult:
    """Train as one worker of the ``TF_CONFIG`` cluster (or a one-worker cluster when it is unset)."""
    import tensorflow as tf

    t0 = time.perf_counter()
    started = _dt.datetime.now().isoformat(timespec="seconds")
    if job.continue_run:
        raise TrainingError("Continuing an earlier run is not available with the 'multiworker' strategy; a "
                            "restarted cluster resumes from its backup by itself. Use 'auto' or 'mirrored'.")
    if is_multi_io(job.project.graph):
        ins, outs = input_names(job.project.graph), output_names(job.project.graph)
        raise TrainingError(
            f"The 'multiworker' strategy trains models with one Input and one output; this model has Inputs "
            f"{', '.join(ins)} and outputs {', '.join(outs)}. Train it with the 'auto' strategy (one device) or "
            "'mirrored' (several GPUs of one machine), which take named inputs and outputs.")
    warned = WarningSink(sink)  # mixed precision on a CPU, settings not applied: also kept in the record
    sink = warned
    loop = _Loop(job, cfg, sink)
    loop.start()
    start_epoch = 0
    try:
        loop.prepare()
        start_epoch, history = loop.restore()
        sink("status", {"text": f"Training on {loop.replicas} replica(s), global batch {loop.global_batch}…"})
        history, stopped = loop.fit(stop, pause, start_epoch, history)
        final = {k: v[-1] for k, v in history.items() if v and k != "lr"}
        test = getattr(loop.data, "test", None)
        if test is not None and not stopped and history:
            final.update({f"test_{k}": v for k, v in loop.evaluate(test).items()})
    except TrainingError:
        raise
    except tf.errors.OpError as exc:
        done = max((int(p.rsplit("-", 1)[1]) for p in loop.manager.checkpoints), default=0) \
            if hasattr(loop, "manager") else 0
        kept = f"The checkpoint after epoch {done} is kept in {loop.backup_dir}; start all {loop.n_workers} " \
               "workers again with the same command to resume from the newest epoch every worker saved." \
            if done else "No epoch had finished yet: a restart begins from epoch 1."
        raise TrainingError(f"Multi-worker training stopped: {_who_failed(str(exc))} failed or became "
                            f"unreachable ({exc.message.strip() or 'no reason given'}). {kept}") from exc
    except Exception as exc:
        raise TrainingError(f"Training failed: {explain(exc)}") from exc
    finally:
        dist.reset_precision()
    shutil.rmtree(loop.backup_dir, ignore_errors=True)  # ended normally: the next run starts fresh
    try:
        os.rmdir(loop.backup_root)  # the last worker to finish removes the empty parent
    except OSError:
        pass
    run_id = job.run_id or new_run_id()
    model_path = None
    if loop.is_chief:  # saved in a partial folder, renamed runs/<run_id> once whole (core.project.run_folders)
        partial = partial_run_folder(job.base_dir, run_id)
        try:
            loop.model.save(os.path.join(partial, "model.keras"))
            model_path = os.path.join(finish_run_folder(partial, job.base_dir, run_id), "model.keras")
        except Exception as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise TrainingError(f"Training ended, but the model could not be saved into "
                                f"{os.path.join(job.base_dir, 'runs', run_id)} ({explain(exc)}); the run was not "
                                f"recorded.") from exc
    device = f"{loop.n_workers} worker(s) x {loop.replicas // max(loop.n_workers, 1)} replica(s)"
    run = make_run_record(
        run_id, started, time.perf_counter() - t0, device, cfg, job.project.graph, history, final, model_path,
        job.base_dir, stopped, loop.data, len(history.get("loss", [])),
        kept_epoch=loop.keeper.kept_epoch if loop.keeper is not None else None, warnings=warned.warnings,
        extra={"strategy": "multiworker", "chief": loop.is_chief, "rank": loop.rank, "workers": loop.n_workers,
               "replicas": loop.replicas, "global_batch": loop.global_batch, "resumed_from_epoch": start_epoch,
               "weights_sha256": weights_digest(loop.model)})
    return TrainingResult(run=run, model=loop.model, data=loop.data)
