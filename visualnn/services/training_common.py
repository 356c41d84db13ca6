"""What every training loop shares: the progress sink, errors, Keras objects from the settings table,
callbacks, and the run record. No Qt.

``services.training`` (``model.fit``) and ``services.distribute_loop`` (the multi-worker loop) both
build on this module and never on each other; evaluation and prediction read saved runs through it.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.project import graph_with_spec_versions
from visualnn.core.specs import KerasCall
from visualnn.core.training_config import (
    DIVERGED,
    FINISHED,
    STOPPED,
    RunRecord,
    TrainingConfig,
    divergence_message,
    flat_loss_hint,
    is_flat,
)
from visualnn.core.training_config import new_run_id as new_run_id  # its home is core: the window names runs too
from visualnn.core.training_options import KerasRef, SettingsError, callback_calls, compile_calls, monitor_for
from visualnn.services.keras_builder import instantiate, keras_message

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


def null_sink(kind: str, data: dict[str, Any]) -> None:
    """A sink that drops every message (in-process use without progress)."""
    return None


# --- Keras objects from the settings table (visualnn.core.training_settings) -------------------------


def compile_model(model: Any, cfg: TrainingConfig) -> None:
    """``model.compile`` with the optimizer, loss and metrics the settings table builds for ``cfg``.

    The exported script prints the same calls, so the app and the script compile alike.
    """
    outputs = [str(n) for n in getattr(model, "output_names", None) or []]
    try:
        calls = compile_calls(cfg, outputs)
    except SettingsError as exc:
        raise TrainingError(str(exc)) from exc
    loss, metrics = calls.loss, calls.metrics
    if isinstance(loss, dict) and isinstance(metrics, dict):  # several outputs: keyed by output name
        model.compile(optimizer=instantiate(calls.optimizer), loss={k: _object(v) for k, v in loss.items()},
                      loss_weights=calls.loss_weights,
                      metrics={k: [_object(m) for m in ms] for k, ms in metrics.items()})
        return
    if isinstance(loss, dict) or isinstance(metrics, dict):  # compile_calls gives both keyed or neither
        raise TrainingError("The compile settings mix per-output and model-wide losses or metrics.")
    model.compile(optimizer=instantiate(calls.optimizer), loss=_object(loss), metrics=[_object(m) for m in metrics])


def _object(ref: KerasRef) -> Any:
    return instantiate(ref) if isinstance(ref, KerasCall) else ref


def current_lr(model: Any) -> float | None:
    """The optimizer's learning rate right now (schedules evaluated at the current step)."""
    try:  # float() reads the variable (or the schedule's tensor) directly: ~40 us, a third of convert_to_numpy's
        return float(model.optimizer.learning_rate)
    except Exception:  # an optimizer without a readable rate must not break reporting
        return None


# --- what a run leaves in TensorFlow's process-wide state --------------------------------------------

_traced_lock = threading.Lock()
_traced_runs = 0  # training runs in progress in this process
_traced_before: frozenset[str] = frozenset()  # gradient registry keys when the first of them started


@contextmanager
def releasing_traced_gradients() -> Iterator[None]:
    """Drop the gradient functions a run's tracing registered in TensorFlow's global registry when it ends.

    Keras's TensorFlow optimizer all-reduces the gradients even without a distribution strategy, and
    ``ReplicaContext.all_reduce`` wraps that in a ``tf.custom_gradient``. Traced in a ``tf.function`` (every
    ``model.fit``), each one registers its gradient function under a new name (``CustomGradient-<n>``) in the
    process-wide ``ops._gradient_registry``, which nothing ever empties; the function's closure holds the whole
    traced training graph. That is the engine's growth of about 4 MB per run (two registrations per run with
    Adam), which ``keras.backend.clear_session()`` and ``gc`` do not free. Those gradients are looked up only
    while a graph is being traced, so once no run is in progress, the entries added since the first of the
    running ones began can go. TensorFlow has no public API for this: without its private registry nothing is
    released (the run is unaffected).
    """
    global _traced_runs, _traced_before
    registry = _gradient_registry()
    with _traced_lock:
        if _traced_runs == 0:
            _traced_before = frozenset(registry) if registry is not None else frozenset()
        _traced_runs += 1
    try:
        yield
    finally:
        with _traced_lock:
            _traced_runs -= 1
            if _traced_runs == 0 and registry is not None:
                for key in [k for k in registry if k not in _traced_before and k.startswith("CustomGradient-")]:
                    registry.pop(key, None)


def _gradient_registry() -> dict[str, Any] | None:
    """TensorFlow's registry of gradient functions by op-type name (private; None when a version lacks it)."""
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


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

    Stop and pause are checked in ``on_train_batch_begin`` (free). After each batch, :meth:`batch_ended`
    counts it and reads the batch's logs only when a report is due (at most every
    ``BATCH_REPORT_INTERVAL_S``): reading them converts each metric tensor to a float and, on an accelerator,
    waits for the batch to finish. :func:`make_callback_list` calls it directly; where Keras dispatches the
    batch end itself (another callback needs every batch's logs), ``async_safe`` lets Keras run it on its
    helper thread. With ``terminate_on_nan`` a non-finite loss stops training at the next report or at the
    epoch's end, whichever comes first (the weight keeper restores the last finite epoch either way).
    """
    import keras

    class ProgressCallback(keras.callbacks.Callback):  # type: ignore[misc]
        """Reports batch/epoch progress; stops or pauses between batches; optionally stops on NaN."""

        async_safe = True  # when Keras dispatches it, only on_train_batch_end runs off-thread; it takes a lock

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
            self.rates: list[float | None] = []  # the learning rate at each epoch's end (the run record's "lr")

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch = epoch
            with self.lock:
                self.seen = 0

        def _check_stop(self) -> None:
            if stop is not None and stop.is_set():
                self.stopped_by_user = True
                self.model.stop_training = True

        def _check_loss(self, values: dict[str, float]) -> None:
            loss = values.get("loss")
            if terminate_on_nan and loss is not None and not math.isfinite(loss):
                self.nan_seen = True
                self.model.stop_training = True

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if pause is not None and pause.is_set() and not (stop is not None and stop.is_set()):
                sink("paused", {"paused": True})
                while pause.is_set() and not (stop is not None and stop.is_set()):
                    time.sleep(0.05)
                sink("paused", {"paused": False})
            self._check_stop()

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            self.batch_ended(batch, logs)

        def batch_ended(self, batch: int, logs: dict[str, Any] | None) -> None:
            """Count the batch; when a report is due, read its logs (tensors or floats), report, check the loss."""
            with self.lock:
                self.samples += batch_size
                self.seen = max(self.seen, batch + 1)
                now = time.perf_counter()
                report = now - self.last_report >= BATCH_REPORT_INTERVAL_S
                if report:
                    self.last_report = now
                samples = self.samples
            if report:
                values = _floats(logs)
                elapsed = now - self.t0
                sink("batch", {
                    "epoch": self.epoch + 1, "epochs": self.params.get("epochs"), "batch": batch + 1,
                    "batches": self.params.get("steps") or self.known_steps, "logs": values,
                    "elapsed_s": elapsed, "samples_per_s": samples / elapsed if elapsed > 0 else 0.0,
                })
                self._check_loss(values)
            self._check_stop()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if self.known_steps is None and not self.model.stop_training:
                self.known_steps = self.seen
            values = _floats(logs)
            self._check_loss(values)
            rate = current_lr(self.model)
            self.rates.append(rate)
            sink("epoch", {"epoch": epoch + 1, "epochs": self.params.get("epochs"), "logs": values,
                           "lr": rate, "elapsed_s": time.perf_counter() - self.t0})
            # A stop asked for during the epoch's validation, or by the sink itself (a search's pruner reads this
            # message), ends training here: caught at the next batch, it cost another batch and a validation pass,
            # whose partial-epoch figures became the run's last.
            self._check_stop()

    return ProgressCallback()


def make_callback_list(callbacks: list[Any], progress: Any, model: Any, epochs: int, steps: int | None) -> Any:
    """The fit's callbacks as a Keras ``CallbackList`` whose per-batch hooks do only what a callback needs.

    Keras's own list, for every batch, either hands the logs (tensors) to a helper thread, when every callback
    allows it, or converts them all to floats on the training thread; and it hands every validation batch to
    the helper thread even when no callback listens. On a small model (40-100 ms epochs on 2 cores) that was
    2-5 % of the epoch. Here a batch's end calls ``progress.batch_ended`` with the logs as they are (it reads
    them only when a report is due); Keras's own dispatch is kept for the batch hooks of any other callback that
    defines them (TensorBoard's batch logging, for one); batch begins call only the callbacks that define them.
    ``steps`` is what Keras would give its callbacks as ``params["steps"]`` (None when unknown).
    """
    import keras

    base = keras.callbacks.Callback

    def defines(callback: Any, *hooks: str) -> bool:
        return any(getattr(type(callback), h) is not getattr(base, h) for h in hooks)

    class RunnerCallbacks(keras.callbacks.CallbackList):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(callbacks, add_history=True, add_progbar=False, model=model, verbose=0, epochs=epochs,
                             steps=steps)
            others = [c for c in self.callbacks if c is not progress]
            self.keras_batch_ends = any(defines(c, "on_train_batch_end", "on_batch_end") for c in others)
            self.batch_begins = [c for c in self.callbacks if defines(c, "on_train_batch_begin", "on_batch_begin")]
            self.test_batches = any(defines(c, "on_test_batch_begin", "on_test_batch_end") for c in self.callbacks)

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            for callback in self.batch_begins:
                callback.on_train_batch_begin(batch, logs)

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if self.keras_batch_ends:
                super().on_train_batch_end(batch, logs)
            else:
                progress.batch_ended(batch, logs)

        def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if self.test_batches:
                super().on_test_batch_begin(batch, logs)

        def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if self.test_batches:
                super().on_test_batch_end(batch, logs)

    return RunnerCallbacks()


def make_callbacks(cfg: TrainingConfig, run_dir: str | None, has_val: bool, log_dir: str | None = None) -> list[Any]:
    """Early stopping, plateau, checkpoint and TensorBoard callbacks chosen in ``cfg`` (from the table).

    The NaN guard is left to the progress callback, which checks every batch without making Keras wait
    (``TerminateOnNaN`` would force synchronous batch hooks); the script uses ``TerminateOnNaN`` itself.
    Checkpoints need a run folder and are skipped without one; TensorBoard logs go to ``log_dir`` when given
    (a search trial's folder), else to the run folder's ``logs``, and are skipped without either.
    """
    checkpoint = os.path.join(run_dir, "best.keras") if run_dir is not None else None
    logs = log_dir or (os.path.join(run_dir, "logs") if run_dir is not None else None)
    calls = callback_calls(cfg, monitor_for(cfg, has_val), checkpoint, logs)
    skip = {"keras.callbacks.TerminateOnNaN"}
    if run_dir is None:
        skip.add("keras.callbacks.ModelCheckpoint")
    if logs is None:
        skip.add("keras.callbacks.TensorBoard")
    return [instantiate(c) for c in calls if c.class_path not in skip]


# --- errors and run records ------------------------------------------------------------------------


def explain(exc: BaseException) -> str:
    """A plain-language cause for an exception raised while building or fitting, with Keras's whole message.

    The message is never cut to its first line: Keras's first line is often only "Exception encountered
    when calling Sequential.call()." and the cause follows it. The class name is not shown (it says
    nothing to the user) unless the message is empty.
    """
    text = keras_message(exc)
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
            return f"{hint} (Keras said: {text})"
    return text


def undecodable_cause(data: Any, exc: BaseException) -> str | None:
    """The damaged image files behind ``exc`` (TensorFlow failed while reading ``data``, an image folder's), named with
    the fix; None for any other failure. The image pipelines do not drop files that fail to decode, so the run stops
    on the first one and this finds them all (each file decoded once, only after such a failure)."""
    import tensorflow as tf

    if not isinstance(exc, tf.errors.OpError) or (getattr(data, "stats", None) or {}).get("source") != "images":
        return None
    from visualnn.services.datasets.images_tf import undecodable_images, undecodable_message

    bad = undecodable_images(data)
    return undecodable_message(bad) if bad else None


def finite_or_none(value: Any) -> Any:
    """Project files are strict JSON: a NaN/inf loss is recorded as null."""
    return value if value is None or math.isfinite(value) else None


def load_run_model(base_dir: str, run: RunRecord) -> Any:
    """Load a run's saved model (compiled, with optimizer state)."""
    import keras

    if not run.model_path:
        raise TrainingError(run.no_model_reason())
    path = os.path.join(base_dir, run.model_path)
    if not os.path.exists(path):
        raise TrainingError(f"The model of run {run.id} is missing ({path}); it may have been deleted. Train again.")
    return keras.saving.load_model(path)


@dataclass(frozen=True)
class Divergence:
    """Where a run's loss stopped being a finite number: the 1-based epoch and ``NaN`` or ``infinite``."""

    epoch: int
    value: str


def find_divergence(losses: Sequence[float | None], first_epoch: int = 0) -> Divergence | None:
    """The first epoch from ``first_epoch`` on whose loss is NaN or infinite (``None`` is a saved NaN)."""
    for i, v in enumerate(losses[first_epoch:], start=first_epoch):
        if v is None or not math.isfinite(v):
            return Divergence(i + 1, "infinite" if v is not None and math.isinf(v) else "NaN")
    return None


def run_status(history: dict[str, list[float]], stopped: bool, first_epoch: int = 0) -> str:
    """How a run ended: stopped by the user, diverged (a NaN/inf loss in its own epochs), or finished."""
    if stopped:
        return STOPPED
    return DIVERGED if find_divergence(list(history.get("loss", [])), first_epoch) is not None else FINISHED


_KEEPER_THREAD: list[Any] = []
_keeper_lock = threading.Lock()


def _keeper_thread() -> Any:
    """The one helper thread (an executor) that refreshes the weight keepers' copies between epochs."""
    with _keeper_lock:
        if not _KEEPER_THREAD:
            from concurrent.futures import ThreadPoolExecutor

            _KEEPER_THREAD.append(ThreadPoolExecutor(1, thread_name_prefix="weight-keeper"))
        return _KEEPER_THREAD[0]


def make_weight_keeper(initial_epoch: int = 0, compiled: bool = True) -> Any:
    """A Keras callback keeping the weights and optimizer state of the last epoch whose loss was finite.

    A diverging run ends with NaN/inf weights; :meth:`restore` puts back the last finite ones (those the
    run started with when no epoch was finite), so the saved model still predicts. ``kept_epoch`` says
    which epoch they belong to. The copy is taken at epoch ends, which Keras calls synchronously.

    ``compiled`` (single-device ``model.fit``): from the first epoch's end the copies are CPU variables, refreshed
    by one traced function: about 0.35 ms an epoch where converting each variable to NumPy took 2.5-5 ms (a tenth
    of a small model's epoch), for one trace (~85 ms) at the end of the first epoch; the copy at train begin is
    NumPy (the optimizer may not have its slots yet). Otherwise (the multi-worker loop, whose variables are
    mirrored) NumPy copies throughout.

    When another epoch follows, the refresh runs on a helper thread while Keras starts that epoch (its
    callbacks, a new pass over the data), and the epoch's first batch waits for it before the weights change;
    so the keeper must come after every callback whose epoch end changes a variable (ReduceLROnPlateau) or
    stops the fit (EarlyStopping): it sees the epoch's final state, and the last epoch's copy is made in place,
    before any ``on_train_end`` restores weights. No callback may change a variable in ``on_epoch_begin`` (the
    copy may still be running then; none of the callback table's does: Keras's LearningRateScheduler would).
    """
    import keras

    class FiniteWeights(keras.callbacks.Callback):  # type: ignore[misc]
        """Copies the weights after every finite epoch; puts them back on demand."""

        def __init__(self) -> None:
            super().__init__()
            self.kept_epoch = initial_epoch
            self._n_weights = 0
            self._copies: list[Any] = []  # their values at the kept epoch (CPU variables or NumPy arrays)
            self._copy: Any = None  # compiled: refreshes every copy in one call
            self._pending: Any = None  # the refresh running on the helper thread (a Future)

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self._keep(initial_epoch)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            loss = _floats(logs).get("loss")
            if loss is not None and math.isfinite(loss):
                last = epoch + 1 >= int((self.params or {}).get("epochs") or 0)
                self._keep(epoch + 1, overlap=self._copy is not None and not last and not self.model.stop_training)

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            self.settle()

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            self.settle()

        def settle(self) -> None:
            """Wait for the refresh running on the helper thread, if any (its error, if any, is raised here)."""
            pending, self._pending = self._pending, None
            if pending is not None:
                pending.result()

        def _keep(self, epoch: int, overlap: bool = False) -> None:
            self.settle()
            self.kept_epoch = epoch
            if self._copy is not None:  # one fit's variables stay the same once its first step made the slots
                if overlap:
                    self._pending = _keeper_thread().submit(self._copy)
                else:
                    self._copy()
                return
            optimizer = getattr(self.model, "optimizer", None)
            variables = [*self.model.weights, *(getattr(optimizer, "variables", None) or [])]
            self._n_weights = len(self.model.weights)
            if not compiled or epoch == initial_epoch:  # before the first step the optimizer may lack its slots
                self._copies = [keras.ops.convert_to_numpy(v) for v in variables]
                return
            import tensorflow as tf

            with tf.device("/CPU:0"):  # off the accelerator's memory
                self._copies = [tf.Variable(v.value, trainable=False) for v in variables]
            pairs = list(zip(self._copies, variables, strict=True))

            def copy() -> None:
                for kept, variable in pairs:
                    kept.assign(variable.value)

            # The concrete function: calling it skips tf.function's argument matching (~0.35 ms a call instead of 0.63).
            self._copy = tf.function(copy).get_concrete_function()  # traced now, with the model's own functions
            self._copy()

        def restore(self) -> None:
            """Put the kept weights (and optimizer state, when it has the same variables) back."""
            self.settle()
            n = self._n_weights
            for variable, value in zip(self.model.weights, self._copies[:n], strict=False):
                variable.assign(value)
            variables = list(getattr(self.model.optimizer, "variables", None) or [])
            if len(variables) == len(self._copies) - n:
                for variable, value in zip(variables, self._copies[n:], strict=True):
                    variable.assign(value)

    return FiniteWeights()


class WarningSink:
    """A sink that passes every message on and keeps the text of the ``log`` warnings (for the run record)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.warnings: list[str] = []

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "log" and data.get("level") == "warning" and data.get("text"):
            text = str(data["text"])
            if text not in self.warnings:
                self.warnings.append(text)
        self.sink(kind, data)


def run_hints(history: dict[str, list[float]], cfg: TrainingConfig) -> list[str]:
    """Plain-language hints the history gives (a flat loss), for the run record and the CLI."""
    loss = [v for v in history.get("loss", []) if v is not None and math.isfinite(v)]
    return [flat_loss_hint(cfg.learning_rate)] if is_flat(loss) else []


def make_run_record(run_id: str, started: str, duration_s: float, device: str, cfg: TrainingConfig,
                    graph: Graph, history: dict[str, list[float]], final: dict[str, float],
                    model_path: str | None, base_dir: str, stopped: bool, data: Any, epochs_done: int,
                    continued_from: str | None = None, extra: dict[str, Any] | None = None,
                    first_epoch: int = 0, kept_epoch: int | None = None,
                    warnings: list[str] | None = None) -> RunRecord:
    """The run record both training loops save: JSON-safe numbers, paths relative to the project.

    ``graph`` is the trained graph; the record keeps its project-file JSON (with layer-spec versions).
    ``history`` may start with the epochs of the run this one continues (``first_epoch`` of them): only
    this run's epochs decide whether it diverged. ``kept_epoch`` is the epoch whose weights were saved
    after a divergence; ``warnings`` (mixed precision on a CPU, compile checks) are kept in ``extra``.
    """
    from visualnn.services.data_drift import data_fingerprint, kept_preprocessing
    from visualnn.services.training_data import data_facts

    status = run_status(history, stopped, first_epoch)
    error = None
    notes: dict[str, Any] = {}
    if status == DIVERGED:
        where = find_divergence(list(history.get("loss", [])), first_epoch)
        assert where is not None  # run_status found it
        kept = kept_epoch if kept_epoch is not None else first_epoch
        error = divergence_message(where.epoch, where.value, kept, first_epoch, cfg.terminate_on_nan)
        notes["diverged"] = {"epoch": where.epoch, "loss": where.value, "weights_from_epoch": kept}
    hints = run_hints(history, cfg) if status != DIVERGED else []
    learned = kept_preprocessing(data)  # a table's: predict prepares new rows as training did, whatever the file
    return RunRecord(
        id=run_id, started=started, status=status, duration_s=round(duration_s, 3), device=device,
        config=cfg.to_dict(), graph=graph_with_spec_versions(graph),
        history={k: [finite_or_none(v) for v in vals] for k, vals in history.items()},
        metrics={k: finite_or_none(v) for k, v in final.items()},
        model_path=os.path.relpath(model_path, base_dir).replace(os.sep, "/") if model_path else None,
        epochs_done=epochs_done, continued_from=continued_from, error=error,
        extra={"class_names": list(getattr(data, "class_names", []) or []), "task": getattr(data, "task", ""),
               "facts": data_facts(data).__dict__, "data": data_fingerprint(data),
               **({"preprocessing": learned} if learned is not None else {}), **notes,
               **({"hints": hints} if hints else {}),
               **({"warnings": list(warnings)} if warnings else {}), **(extra or {})},
    )
