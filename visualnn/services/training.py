"""The training runner: job snapshot in, progress to a sink, a RunRecord and a saved model out. No Qt.

The engine process and the CLI both call :func:`run_training`, so GUI and CLI train identically.
Cancellation and pausing are ``threading.Event`` objects checked after every batch.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.protocol import TrainRequest
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.services.training_data import data_facts, load_data

Sink = Callable[[str, dict[str, Any]], None]
"""Receives ``(kind, data)`` progress messages (see ``core.protocol.MESSAGE_KINDS``)."""

BATCH_REPORT_INTERVAL_S = 0.05  # at most ~20 batch messages per second, whatever the batch rate


class TrainingError(RuntimeError):
    """Training could not run; the message names the cause in plain words."""


@dataclass
class TrainingResult:
    """What a run produced: the record (saved in the project) and the live model (in-process use)."""

    run: RunRecord
    model: Any
    data: Any


def new_run_id() -> str:
    """A sortable, unique run id such as ``run-20261126-113400-3fa2``."""
    return f"run-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def _null_sink(kind: str, data: dict[str, Any]) -> None:
    return None


# --- Keras objects from the catalog ----------------------------------------------------------


def make_metrics(metric_ids: tuple[str, ...] | list[str], task: str = "classification", loss: str = "") -> list[Any]:
    """Keras metric objects for catalog ids, named like the ids so history keys match."""
    import keras

    top_k = (keras.metrics.TopKCategoricalAccuracy if loss == "categorical_crossentropy"  # one-hot labels
             else keras.metrics.SparseTopKCategoricalAccuracy)

    makers: dict[str, Callable[[], Any]] = {
        "accuracy": lambda: "accuracy",
        "precision": lambda: keras.metrics.Precision(name="precision"),
        "recall": lambda: keras.metrics.Recall(name="recall"),
        "auc": lambda: keras.metrics.AUC(name="auc"),
        "top_k_accuracy": lambda: top_k(k=5, name="top_k_accuracy"),
        "mae": lambda: keras.metrics.MeanAbsoluteError(name="mae"),
        "mse": lambda: keras.metrics.MeanSquaredError(name="mse"),
        "rmse": lambda: keras.metrics.RootMeanSquaredError(name="rmse"),
        "r2": lambda: keras.metrics.R2Score(name="r2"),
    }
    out = []
    for mid in metric_ids:
        if mid not in makers:
            raise TrainingError(f"Unknown metric {mid!r}; choose one of {', '.join(makers)}.")
        out.append(makers[mid]())
    return out


def make_optimizer(cfg: TrainingConfig) -> Any:
    """The optimizer (with its learning-rate schedule) described by ``cfg``."""
    import keras

    lr: Any = float(cfg.learning_rate)
    if cfg.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=cfg.decay_steps, decay_rate=cfg.decay_rate)
    elif cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=cfg.decay_steps)
    name = cfg.optimizer.lower()
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, momentum=cfg.momentum)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=cfg.weight_decay or 0.004)
    classes = {"adam": "Adam", "adagrad": "Adagrad", "nadam": "Nadam", "adamax": "Adamax"}
    if name not in classes:
        raise TrainingError(f"Unknown optimizer {cfg.optimizer!r}; choose one of sgd, adam, adamw, rmsprop, "
                            "adagrad, nadam, adamax.")
    kwargs: dict[str, Any] = {"learning_rate": lr}
    if cfg.weight_decay:
        kwargs["weight_decay"] = cfg.weight_decay
    return getattr(keras.optimizers, classes[name])(**kwargs)


def current_lr(model: Any) -> float | None:
    """The optimizer's learning rate right now (schedules evaluated at the current step)."""
    try:
        import keras

        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except Exception:  # an optimizer without a readable rate must not break reporting
        return None


# --- progress, stop and pause --------------------------------------------------------------------


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    out = {}
    for k, v in (logs or {}).items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            continue
    return out


def make_progress_callback(
    sink: Sink, stop: threading.Event | None, pause: threading.Event | None, batch_size: int, initial_epoch: int = 0,
    terminate_on_nan: bool = False,
) -> Any:
    """A Keras callback reporting to ``sink`` and honouring stop/pause between batches.

    Stop and pause are checked in ``on_train_batch_begin`` (synchronous, free). Reporting happens in
    ``on_train_batch_end``, which is marked ``async_safe``: Keras then runs it on a helper thread, so
    reading the batch's logs never stalls the training loop (plain ``model.fit`` gets the same
    treatment), and the stop flag it sets is seen by Keras right after the current batch.
    """
    import keras

    class ProgressCallback(keras.callbacks.Callback):  # type: ignore[misc]
        """Reports batch/epoch progress; stops or pauses between batches; optionally stops on NaN."""

        async_safe = True  # only on_train_batch_end runs off-thread; it guards its state with a lock

        def __init__(self) -> None:
            super().__init__()
            self.stopped_by_user = False
            self.nan_seen = False
            self.t0 = time.perf_counter()
            self.last_report = 0.0
            self.samples = 0
            self.epoch = initial_epoch
            self.known_steps: int | None = None  # learnt in epoch 1 when the dataset's length is unknown
            self.seen = 0
            self.lock = threading.Lock()

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch = epoch
            with self.lock:
                self.seen = 0

        def _check_stop(self) -> None:
            if stop is not None and stop.is_set():
                self.stopped_by_user = True
                self.model.stop_training = True

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if pause is not None and pause.is_set() and not (stop is not None and stop.is_set()):
                sink("paused", {"paused": True})
                while pause.is_set() and not (stop is not None and stop.is_set()):
                    time.sleep(0.05)
                sink("paused", {"paused": False})
            self._check_stop()

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            values = _floats(logs)
            with self.lock:
                self.samples += batch_size
                self.seen = max(self.seen, batch + 1)
                now = time.perf_counter()
                report = now - self.last_report >= BATCH_REPORT_INTERVAL_S
                if report:
                    self.last_report = now
                samples = self.samples
            if report:
                elapsed = now - self.t0
                sink("batch", {
                    "epoch": self.epoch + 1, "epochs": self.params.get("epochs"), "batch": batch + 1,
                    "batches": self.params.get("steps") or self.known_steps, "logs": values,
                    "elapsed_s": elapsed, "samples_per_s": samples / elapsed if elapsed > 0 else 0.0,
                })
            loss = values.get("loss")
            if terminate_on_nan and loss is not None and not math.isfinite(loss):
                self.nan_seen = True
                self.model.stop_training = True
            self._check_stop()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if self.known_steps is None and not self.model.stop_training:
                self.known_steps = self.seen
            sink("epoch", {"epoch": epoch + 1, "epochs": self.params.get("epochs"), "logs": _floats(logs),
                           "lr": current_lr(self.model), "elapsed_s": time.perf_counter() - self.t0})

    return ProgressCallback()


def make_callbacks(cfg: TrainingConfig, run_dir: str | None, has_val: bool) -> list[Any]:
    """Early stopping, plateau, NaN guard, checkpoint and TensorBoard callbacks chosen in ``cfg``."""
    import keras

    monitor = cfg.monitor if has_val or not cfg.monitor.startswith("val_") else cfg.monitor[4:]
    out: list[Any] = []  # NaN termination lives in the progress callback (keeps batch hooks asynchronous)
    if cfg.early_stopping:
        out.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.patience,
                                                 restore_best_weights=cfg.restore_best))
    if cfg.schedule == "plateau":
        out.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=cfg.plateau_factor,
                                                     patience=cfg.plateau_patience, min_lr=cfg.min_lr))
    if run_dir is not None and cfg.checkpoint_best:
        out.append(keras.callbacks.ModelCheckpoint(os.path.join(run_dir, "best.keras"), monitor=monitor,
                                                   save_best_only=True))
    if run_dir is not None and cfg.tensorboard:
        out.append(keras.callbacks.TensorBoard(log_dir=os.path.join(run_dir, "logs")))
    return out


def fit_model(
    model: Any, data: Any, cfg: TrainingConfig, sink: Sink = _null_sink, stop: threading.Event | None = None,
    pause: threading.Event | None = None, epochs: int | None = None, initial_epoch: int = 0,
    run_dir: str | None = None,
) -> tuple[dict[str, list[float]], bool]:
    """``model.fit`` with the runner's callbacks; returns (per-epoch history, stopped by user)."""
    progress = make_progress_callback(sink, stop, pause, cfg.batch_size, initial_epoch, cfg.terminate_on_nan)
    callbacks = [progress, *make_callbacks(cfg, run_dir, getattr(data, "val", None) is not None)]
    n_epochs = epochs if epochs is not None else cfg.epochs
    hist = model.fit(data.train, validation_data=getattr(data, "val", None), epochs=initial_epoch + n_epochs,
                     initial_epoch=initial_epoch, callbacks=callbacks, verbose=0, shuffle=False)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    if "learning_rate" in history:  # ReduceLROnPlateau logs it; keep one name for the rate
        history["lr"] = history.pop("learning_rate")
    return history, bool(progress.stopped_by_user)


# --- the runner ------------------------------------------------------------------------------------


def explain(exc: BaseException) -> str:
    """A plain-language cause for an exception raised while building or fitting."""
    text = str(exc).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    hints = [
        ("logits and labels must have the same", "The output layer's shape does not match the labels. "
         "Check the output units and the loss (sparse vs categorical crossentropy)."),
        ("Received a label value of", "A label is out of range for the output layer: set the output units to the "
         "number of classes."),
        ("Incompatible shapes", "The model's output and the target have incompatible shapes: check the output "
         "units and the loss."),
        ("Arguments `target` and `output` must have the same", "The output layer's shape does not match the "
         "target: check the output units and the loss."),
        ("is incompatible with the layer: expected shape", "The Input shape does not match the shape of the data "
         "samples: set the Input node's shape to the data's shape (shown in the Data panel)."),
        ("expected axis -1 of input shape", "The Input shape does not match the data's features: set the Input "
         "shape to the data's shape."),
        ("Could not convert", "The labels or inputs are not numeric: set the column roles and encodings in the "
         "Data panel."),
    ]
    for needle, hint in hints:
        if needle in text:
            return f"{hint} (Keras said: {first[:300]})"
    return f"{type(exc).__name__}: {first[:500]}"


def resolve_device(device: str | None) -> str:
    """``auto``/``cpu``/``gpu:N`` -> a TensorFlow device name that exists here."""
    import tensorflow as tf

    want = (device or "auto").lower()
    gpus = tf.config.list_logical_devices("GPU")
    if want == "cpu" or (want == "auto" and not gpus):
        return "/CPU:0"
    if want == "auto":
        return str(gpus[0].name)
    if want.startswith("gpu"):
        index = int(want.split(":")[1]) if ":" in want else 0
        if index >= len(gpus):
            raise TrainingError(f"There is no GPU {index} on this machine ({len(gpus)} found). Choose the CPU.")
        return str(gpus[index].name)
    raise TrainingError(f"Unknown device {device!r}; use auto, cpu or gpu:N.")


def run_training(
    job: TrainRequest,
    sink: Sink = _null_sink,
    stop_event: threading.Event | None = None,
    pause_event: threading.Event | None = None,
) -> TrainingResult:
    """Train the project snapshot in ``job``; save the model under ``runs/<id>/`` and return its record.

    Raises :class:`TrainingError` with a plain-language cause when training cannot run.
    """
    import keras
    import tensorflow as tf

    from visualnn.services.distribute import keep_outputs_float32
    from visualnn.services.keras_builder import BuildError, build_model

    t0 = time.perf_counter()
    started = _dt.datetime.now().isoformat(timespec="seconds")
    cfg = TrainingConfig.from_dict(dict(job.project.get("training") or {}))
    overrides = {k: v for k, v in (("epochs", job.epochs), ("batch_size", job.batch_size), ("seed", job.seed),
                                   ("device", job.device)) if v is not None}
    cfg = cfg.with_changes(**overrides)
    if problems := cfg.problems():
        raise TrainingError(" ".join(problems))
    if cfg.strategy == "multiworker":  # distribution: a custom loop (model.fit fails under 2-worker MWMS)
        from visualnn.services.distribute_loop import run_multiworker

        return run_multiworker(job, cfg, sink, stop_event, pause_event)
    run_id = job.run_id or new_run_id()
    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    else:  # the engine is long-lived: a deterministic run must not slow every later one down
        _disable_op_determinism()
    device = resolve_device(cfg.device)
    from visualnn.core.distribution import DistributionError
    from visualnn.services.distribute import plan_placement

    try:  # distribution: strategy + mixed precision; the data is batched with the global batch
        place = plan_placement(cfg.to_dict(), device, cfg.batch_size, sink)
    except DistributionError as exc:
        raise TrainingError(str(exc)) from exc
    sink("status", {"text": f"Preparing data on {device}…"})
    try:
        data = load_data(job.project, job.base_dir, place.global_batch, cfg.seed, job.inline_data, cfg.shuffle)
        data = place.prepare_data(data)
    except Exception as exc:
        raise TrainingError(f"Could not prepare the data: {explain(exc)}") from exc

    if not job.continue_run:
        _check_before_fit(job.project, cfg, data, sink)
    run_dir = os.path.join(job.base_dir, "runs", run_id)
    os.makedirs(run_dir, exist_ok=True)
    previous: RunRecord | None = None
    initial_epoch = 0
    try:
        with place.scope(device):
            if job.continue_run:
                previous = _find_run(job.project, job.continue_run)
                model = load_run_model(job.base_dir, previous)
                initial_epoch = previous.epochs_done
            else:
                model = build_model(Graph.from_dict(job.project["graph"]))
                keep_outputs_float32(model)  # mixed precision: outputs (softmax, loss) stay float32
                model.compile(optimizer=make_optimizer(cfg), loss=cfg.loss,
                              metrics=make_metrics(cfg.metrics, str(getattr(data, "task", "")), cfg.loss))
            sink("status", {"text": "Training…"})
            history, stopped = fit_model(model, data, cfg.with_changes(batch_size=place.global_batch), sink,
                                         stop_event, pause_event, cfg.epochs, initial_epoch, run_dir)
            final = {k: v[-1] for k, v in history.items() if v}
            test = getattr(data, "test", None)
            if test is not None and not stopped and history:
                sink("status", {"text": "Evaluating on the test split…"})
                scores = model.evaluate(test, verbose=0, return_dict=True)
                final.update({f"test_{k}": float(v) for k, v in scores.items()})
    except Exception as exc:
        shutil.rmtree(run_dir, ignore_errors=True)  # a failed run leaves no half-filled folder behind
        if isinstance(exc, TrainingError):
            raise
        if isinstance(exc, BuildError):
            raise TrainingError(str(exc)) from exc
        raise TrainingError(f"Training failed: {explain(exc)}") from exc
    finally:
        keras.mixed_precision.set_global_policy("float32")

    model_path = os.path.join(run_dir, "model.keras")
    model.save(model_path)
    epochs_done = initial_epoch + len(history.get("loss", []))
    if previous is not None:  # one continuous curve across continued runs
        history = {k: list(previous.history.get(k, [])) + v for k, v in history.items()}
    nan = any(math.isnan(v) for v in history.get("loss", []) if v is not None)
    status = "stopped" if stopped else ("failed" if nan else "finished")
    run = RunRecord(
        id=run_id, started=started, status=status, duration_s=round(time.perf_counter() - t0, 3),
        device=place.describe(device), config=cfg.to_dict(), graph=dict(job.project.get("graph") or {}),
        history={k: [_finite_or_none(v) for v in vals] for k, vals in history.items()},
        metrics={k: _finite_or_none(v) for k, v in final.items()},
        model_path=os.path.relpath(model_path, job.base_dir).replace(os.sep, "/"),
        epochs_done=epochs_done, continued_from=job.continue_run,
        error="The loss became NaN: training was stopped. Try a lower learning rate." if nan else None,
        extra={"class_names": list(getattr(data, "class_names", []) or []), "task": getattr(data, "task", ""),
               "facts": data_facts(data).__dict__, **place.extra()},
    )
    return TrainingResult(run=run, model=model, data=data)


def _disable_op_determinism() -> None:
    """Undo ``enable_op_determinism`` (TensorFlow has no public switch back; the internal one is optional)."""
    try:
        from tensorflow.python.framework import config as tf_config

        if tf_config.is_op_determinism_enabled():
            tf_config.disable_op_determinism()
    except (ImportError, AttributeError):  # a future TF without it: stay deterministic, only slower
        pass


def _check_before_fit(project: dict[str, Any], cfg: TrainingConfig, data: Any, sink: Sink) -> None:
    """Data-aware compile checks: warnings go to the sink, errors stop the run with their fix."""
    from visualnn.core.compile_options import check_compile

    issues = check_compile(Graph.from_dict(project["graph"]), cfg.loss, cfg.metrics, data_facts(data))
    for issue in issues:
        sink("log", {"level": issue.severity, "code": issue.code, "text": issue.message, "fix": issue.fix})
    errors = [i.message for i in issues if i.severity == "error"]
    if errors:
        raise TrainingError(" ".join(errors))


def _finite_or_none(value: Any) -> Any:
    """Project files are strict JSON: a NaN/inf loss is recorded as null."""
    return value if value is None or math.isfinite(value) else None


def _find_run(project: dict[str, Any], run_id: str) -> RunRecord:
    for raw in project.get("runs") or []:
        if raw.get("id") == run_id:
            return RunRecord.from_dict(raw)
    raise TrainingError(f"There is no run {run_id!r} in the project to continue from.")


def load_run_model(base_dir: str, run: RunRecord) -> Any:
    """Load a run's saved model (compiled, with optimizer state)."""
    import keras

    if not run.model_path:
        raise TrainingError(f"Run {run.id} has no saved model; train again.")
    path = os.path.join(base_dir, run.model_path)
    if not os.path.exists(path):
        raise TrainingError(f"The model of run {run.id} is missing ({path}); it may have been deleted. Train again.")
    return keras.saving.load_model(path)
