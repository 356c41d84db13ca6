"""The training runner: job snapshot in, progress to a sink, a RunRecord and a saved model out. No Qt.

The engine process and the CLI both call :func:`run_training` with the project already parsed (a
``TrainRequest[Project]``), so GUI and CLI train identically.
Cancellation and pausing are ``threading.Event`` objects checked after every batch.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import shutil
import threading
import time
from dataclasses import replace
from typing import Any

from visualnn.core.compile_options import CompileIssue, check_class_weight_parts, check_compile, check_outputs
from visualnn.core.decision import EXTRA_KEY, kept_thresholds
from visualnn.core.distribution import DistributionError
from visualnn.core.finetune import FineTuneError, FineTunePlan, fine_tune_plan
from visualnn.core.graph import Graph
from visualnn.core.model_io import output_names
from visualnn.core.project import Project
from visualnn.core.project.run_folders import (
    RUNS,
    RunFolderError,
    finish_run_folder,
    partial_run_folder,
    remove_stale_run_folders,
)
from visualnn.core.protocol import TrainRequest
from visualnn.core.tensors import balanced_class_weights
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.services.data_drift import data_change
from visualnn.services.devices import resolve_device
from visualnn.services.distribute import keep_outputs_float32, plan_placement
from visualnn.services.epoch_steps import dataset_steps, epoch_steps
from visualnn.services.keras_builder import BuildError, build_model
from visualnn.services.training_common import (
    Sink,
    TrainingError,
    TrainingResult,
    WarningSink,
    compile_model,
    explain,
    find_divergence,
    load_run_model,
    make_callback_list,
    make_callbacks,
    make_progress_callback,
    make_run_record,
    make_weight_keeper,
    new_run_id,
    null_sink,
    releasing_traced_gradients,
    undecodable_cause,
)
from visualnn.services.training_data import (
    check_part_shapes,
    data_facts,
    graph_names,
    graph_shapes,
    load_data,
    output_facts,
)

log = logging.getLogger(__name__)


def fit_model(
    model: Any, data: Any, cfg: TrainingConfig, sink: Sink = null_sink, stop: threading.Event | None = None,
    pause: threading.Event | None = None, epochs: int | None = None, initial_epoch: int = 0,
    run_dir: str | None = None, log_dir: str | None = None,
) -> tuple[dict[str, list[float]], bool, int]:
    """``model.fit`` with the runner's callbacks; returns (per-epoch history, stopped by user, kept epoch).

    When the loss became NaN or infinite, the model ends with the weights of the last epoch whose loss
    was finite (the kept epoch; ``initial_epoch`` when none was), not the diverged ones.
    """
    progress = make_progress_callback(sink, stop, pause, cfg.batch_size, initial_epoch, cfg.terminate_on_nan)
    keeper = make_weight_keeper(initial_epoch)
    # The keeper last: its epoch-end copy sees the epoch's final state (see make_weight_keeper).
    callbacks = [progress, *make_callbacks(cfg, run_dir, getattr(data, "val", None) is not None, log_dir), keeper]
    n_epochs = epochs if epochs is not None else cfg.epochs
    steps, val_steps, _ = epoch_steps(data, cfg.batch_size)  # a repeating pipeline: one epoch = one pass
    if steps is not None:
        sink("log", {"level": "info", "text": f"The training pipeline repeats: each epoch runs {steps} steps "
                                              f"(ceil({data.n_train} samples / batch {cfg.batch_size}))."})
    epochs_to = initial_epoch + n_epochs
    listed = make_callback_list(callbacks, progress, model, epochs_to, dataset_steps(data.train, steps))
    weights = class_weight_for(cfg, data, sink)
    hist = model.fit(data.train, validation_data=getattr(data, "val", None), epochs=epochs_to,
                     initial_epoch=initial_epoch, callbacks=listed, verbose=0, shuffle=False,
                     steps_per_epoch=steps, validation_steps=val_steps, class_weight=weights)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    if "learning_rate" in history:  # ReduceLROnPlateau logs it; keep one name for the rate
        history["lr"] = history.pop("learning_rate")
    rates = progress.rates
    if "lr" not in history and rates and len(rates) == len(history.get("loss", [])) and None not in rates:
        # The record keeps the rate of every epoch, as the live plot shows it (phase 2's lower rate included).
        history["lr"] = [float(r) for r in rates if r is not None]
    kept = initial_epoch + len(history.get("loss", []))
    if find_divergence(history.get("loss", [])) is not None or progress.nan_seen:
        keeper.restore()
        kept = int(keeper.kept_epoch)
    return history, bool(progress.stopped_by_user), kept


def class_weight_for(cfg: TrainingConfig, data: Any, sink: Sink = null_sink) -> dict[int, float] | None:
    """Keras's ``class_weight`` for ``fit``: None unless the settings ask for balanced weights, which come from the
    training split's class counts (``data.class_counts``); the weights are written to the run's log."""
    if cfg.class_weight != "balanced":
        return None
    counts = tuple(getattr(data, "class_counts", ()) or ())
    if sum(counts) <= 0:
        raise TrainingError("Class weights are balanced, but preparing this data counted no classes in its training "
                            "split (it is not one target of class labels); set Class weights to none.")
    weights = balanced_class_weights(counts)
    named = named_class_weights(data, weights)
    shown = ", ".join(f"{name} {w:.3g} ({counts[i]} samples)" for (name, w), i in zip(named.items(), weights, strict=True))
    sink("log", {"level": "info", "text": f"Balanced class weights from the training split: {shown}. They weigh the "
                                          "training loss; validation and test figures weigh every sample alike."})
    return weights


def named_class_weights(data: Any, weights: dict[int, float]) -> dict[str, float]:
    """``weights`` keyed by class name (the run record keeps them so, as the Evaluation tab names the classes)."""
    names = list(getattr(data, "class_names", []) or [])
    return {str(names[i]) if i < len(names) else str(i): w for i, w in weights.items()}


def run_training(
    job: TrainRequest[Project],
    sink: Sink = null_sink,
    stop_event: threading.Event | None = None,
    pause_event: threading.Event | None = None,
) -> TrainingResult:
    """Train the project snapshot in ``job``; save the model under ``runs/<id>/`` and return its record.

    Raises :class:`TrainingError` with a plain-language cause when training cannot run. What the run's
    tracing left in TensorFlow's global state is released when it ends (the engine trains many runs).
    """
    tracker = _open_tracker(job)  # before any epoch: a missing package or a bad store stops the run now
    with releasing_traced_gradients():
        result = _run_training(job, sink, stop_event, pause_event)
    if tracker is not None and result.run.extra.get("chief", True):  # a cluster's chief logs the one run
        result = _track(tracker, result, job.base_dir, sink)
    return result


def _open_tracker(job: TrainRequest[Project]) -> Any:
    """The MLflow tracker the job asks for (``mlflow_uri``), or None; raises :class:`TrainingError` with the fix."""
    if not job.mlflow_uri.strip():
        return None
    from visualnn.core.tracking import experiment_name
    from visualnn.services.tracking import MlflowTracker, TrackingError

    try:
        return MlflowTracker(job.mlflow_uri, experiment_name(job.mlflow_experiment, None))
    except TrackingError as exc:
        raise TrainingError(str(exc)) from exc


def _track(tracker: Any, result: TrainingResult, base_dir: str, sink: Sink) -> TrainingResult:
    """Log the finished run to MLflow; the record notes where (``extra["mlflow"]``) or why it could not be.

    The run trained and its model is saved: a store that fails now costs the MLflow copy, not the run, so the
    failure is a warning the user sees (and the record keeps), not an error.
    """
    from visualnn.services.tracking import TrackingError, masked_uri, tracking_note

    try:
        note = tracking_note(tracker, tracker.log_run(result.run, base_dir))
    except TrackingError as exc:
        log.warning("MLflow logging failed: %s", exc)
        sink("log", {"level": "warning", "text": f"The run was not logged to MLflow: {exc}"})
        note = {"uri": masked_uri(tracker.uri), "experiment": tracker.experiment, "error": str(exc)}
    else:
        sink("log", {"level": "info", "text": f"Logged to MLflow {note['uri']}, experiment {note['experiment']}, "
                                              f"run {note['run_id']}."})
    return replace(result, run=replace(result.run, extra={**result.run.extra, "mlflow": note}))


def _run_training(
    job: TrainRequest[Project], sink: Sink, stop_event: threading.Event | None, pause_event: threading.Event | None,
) -> TrainingResult:
    import keras
    import tensorflow as tf

    t0 = time.perf_counter()
    started = _dt.datetime.now().isoformat(timespec="seconds")
    warned = WarningSink(sink)  # warnings sent at the start (mixed precision on a CPU...) also go into the record
    sink = warned
    project = job.project
    cfg = project.training
    overrides = {k: v for k, v in (("epochs", job.epochs), ("batch_size", job.batch_size), ("seed", job.seed),
                                   ("device", job.device)) if v is not None}
    cfg = cfg.with_changes(**overrides)
    if problems := cfg.problems():
        raise TrainingError(" ".join(problems))
    try:  # refused before any data is read: no frozen layer, an unknown layer to unfreeze from
        plan = None if job.continue_run else fine_tune_plan(project.graph, cfg)
    except FineTuneError as exc:
        raise TrainingError(str(exc)) from exc
    if plan is not None and cfg.strategy == "multiworker":
        raise TrainingError("Two-phase fine-tuning runs with the auto or mirrored strategy; the multi-worker loop "
                            "trains one phase. Choose another strategy, or switch fine-tuning off.")
    if cfg.strategy == "multiworker":  # distribution: a custom loop (model.fit fails under 2-worker MWMS)
        from visualnn.services.distribute_loop import run_multiworker  # imports TF at module level

        return run_multiworker(job, cfg, sink, stop_event, pause_event)
    run_id = job.run_id or new_run_id()
    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    else:  # the engine is long-lived: a deterministic run must not slow every later one down
        _disable_op_determinism()
    device = resolve_device(cfg.device)
    try:  # distribution: strategy + mixed precision; the data is batched with the global batch
        place = plan_placement(cfg, device, cfg.batch_size, sink)
    except DistributionError as exc:
        raise TrainingError(str(exc)) from exc
    sink("status", {"text": f"Preparing data on {device}…"})
    try:
        ins, outs = graph_names(project.graph)
        data = load_data(project.dataset, job.base_dir, place.global_batch, cfg.seed, job.inline_data, cfg.shuffle,
                         inputs=ins, outputs=outs, shapes=graph_shapes(project.graph))
        check_part_shapes(project.graph, data)
        data = place.prepare_data(data)
    except Exception as exc:
        raise TrainingError(f"Could not prepare the data: {explain(exc)}") from exc

    if not job.continue_run:
        _check_before_fit(project.graph, cfg, data, sink)
    if not job.continue_run:
        _fetch_weights(project.graph, sink)
    run_dir = _start_run_folder(job.base_dir, run_id)
    place_extra: dict[str, Any] = {}  # what the run record keeps besides the history (the fine-tuning phases)
    weights = class_weight_for(cfg, data)  # said to the sink once fit starts (fit_model)
    if weights is not None:
        place_extra["class_weights"] = named_class_weights(data, weights)
    previous: RunRecord | None = None
    initial_epoch = 0
    try:
        with place.scope(device):
            if job.continue_run:
                previous = _find_run(project, job.continue_run)
                model = load_run_model(job.base_dir, previous)
                initial_epoch = previous.epochs_done
                kept = kept_thresholds(previous.extra)
                if kept:  # the model goes on from the same place: so does where it decides (said, to check it)
                    place_extra[EXTRA_KEY] = kept
                    shown = ", ".join(f"{t:g} for {name!r}" for name, t in kept.items())
                    sink("log", {"level": "info", "text": f"The decision threshold kept for {previous.id} ({shown}) "
                                 "carries over to this run; check it in the Evaluation tab once it ends, as the model "
                                 "changes."})
                changed = data_change(previous, data)
                if changed:  # it goes on, on what the data is now: the person chose to continue
                    sink("log", {"level": "warning", "text": f"{changed} Training continues on the data as it is "
                                 "now, prepared with its new statistics; the model first sees inputs shifted from "
                                 "those it learned."})
            else:
                model = build_model(project.graph)
                keep_outputs_float32(model)  # mixed precision: outputs (softmax, loss) stay float32
                compile_model(model, cfg)
            sink("status", {"text": "Training…"})
            fit_cfg = cfg.with_changes(batch_size=place.global_batch)
            history, stopped, kept_epoch = fit_model(model, data, fit_cfg, sink, stop_event, pause_event, cfg.epochs,
                                                     initial_epoch, run_dir, job.tensorboard_dir)
            if plan is not None and not stopped and kept_epoch == initial_epoch + len(history.get("loss", [])):
                history, stopped, kept_epoch, phases = _fine_tune(model, data, fit_cfg, plan, history, sink,
                                                                  stop_event, pause_event, run_dir, job.tensorboard_dir)
                place_extra.update(phases)
            final = {k: v[-1] for k, v in history.items() if v and k != "lr"}  # metrics; the rate is no metric
            test = getattr(data, "test", None)
            if test is not None and not stopped and history:
                sink("status", {"text": "Evaluating on the test split…"})
                test_steps = epoch_steps(data, place.global_batch)[2]
                scores = model.evaluate(test, verbose=0, return_dict=True, steps=test_steps)
                final.update({f"test_{k}": float(v) for k, v in scores.items()})
    except Exception as exc:
        shutil.rmtree(run_dir, ignore_errors=True)  # a failed run leaves no half-filled folder behind
        if isinstance(exc, TrainingError):
            raise
        if isinstance(exc, BuildError):
            raise TrainingError(str(exc)) from exc
        damaged = undecodable_cause(data, exc)
        if damaged is not None:
            raise TrainingError(f"Training stopped: {damaged}") from exc
        raise TrainingError(f"Training failed: {explain(exc)}") from exc
    finally:
        keras.mixed_precision.set_global_policy("float32")

    model_path = os.path.join(_finish_run_folder(model, run_dir, job.base_dir, run_id), "model.keras")
    epochs_done = initial_epoch + len(history.get("loss", []))
    if previous is not None:  # one continuous curve across continued runs
        history = {k: list(previous.history.get(k, [])) + v for k, v in history.items()}
    run = make_run_record(
        run_id, started, time.perf_counter() - t0, place.describe(device), cfg, project.graph, history, final,
        model_path, job.base_dir, stopped, data, epochs_done, continued_from=job.continue_run,
        extra={**place.extra(), **place_extra},
        first_epoch=initial_epoch, kept_epoch=kept_epoch, warnings=warned.warnings)
    return TrainingResult(run=run, model=model, data=data)


def _fetch_weights(graph: Graph, sink: Sink) -> None:
    """Download the backbones' missing ImageNet weights into Keras's cache, the window showing the progress."""
    from visualnn.services.backbones import BackboneError
    from visualnn.services.weights_download import fetch_missing

    try:
        fetch_missing(graph, lambda text, done, total: sink("status", {"text": text, "done": done, "total": total}))
    except BackboneError as exc:
        raise TrainingError(str(exc)) from exc


def _fine_tune(
    model: Any, data: Any, cfg: TrainingConfig, plan: FineTunePlan, history: dict[str, list[float]], sink: Sink,
    stop: threading.Event | None, pause: threading.Event | None, run_dir: str, log_dir: str | None = None,
) -> tuple[dict[str, list[float]], bool, int, dict[str, Any]]:
    """Phase 2: unfreeze the plan's layers, recompile at its learning rate and train its epochs on from where
    phase 1 ended (``initial_epoch``), so the history goes on as one sequence. Returns (whole history, stopped by
    the user, kept epoch, the record's ``fine_tune`` entry: the boundary epoch and what was unfrozen)."""
    from visualnn.services.finetune import unfreeze

    boundary = len(history.get("loss", []))
    try:
        names = unfreeze(model, plan)
    except FineTuneError as exc:
        raise TrainingError(str(exc)) from exc
    compile_model(model, cfg.with_changes(learning_rate=plan.learning_rate))
    sink("log", {"level": "info", "text": f"Phase 2 (fine-tuning) from epoch {boundary + 1}: unfroze {len(names)} "
                                          f"layer(s), learning rate {plan.learning_rate:g}, {plan.epochs} epoch(s)."})
    sink("status", {"text": "Fine-tuning (phase 2)…", "phase_boundary": boundary})
    more, stopped, kept_epoch = fit_model(model, data, cfg, sink, stop, pause, plan.epochs, boundary, run_dir, log_dir)
    whole = {k: list(history.get(k, [])) + list(more.get(k, [])) for k in {**history, **more}}
    entry = {**plan.to_dict(), "boundary": boundary, "unfrozen": names}
    return whole, stopped, kept_epoch, {"fine_tune": entry}


def _start_run_folder(base_dir: str, run_id: str) -> str:
    """The hidden partial folder the run trains in (what killed runs left in ``runs/`` is removed first)."""
    for folder in remove_stale_run_folders(base_dir):
        log.info("removed %s, left by a run that failed or was killed", folder)
    try:
        return partial_run_folder(base_dir, run_id)
    except OSError as exc:
        raise TrainingError(f"Cannot create the run folder in {os.path.join(base_dir, RUNS)} ({exc.strerror or exc}). "
                            f"Make that folder writable, or save the project somewhere you can write to, then "
                            f"train again.") from exc


def _finish_run_folder(model: Any, run_dir: str, base_dir: str, run_id: str) -> str:
    """Save the trained model into the run's partial folder and give the folder its name, ``runs/<run_id>``.

    A save that fails (disk full, a layer Keras cannot serialise) removes the partial folder and raises
    :class:`TrainingError`: the run is not recorded, and nothing of it stays in ``runs/``.
    """
    target = os.path.join(base_dir, RUNS, run_id)
    try:
        model.save(os.path.join(run_dir, "model.keras"))
        return finish_run_folder(run_dir, base_dir, run_id)
    except Exception as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        if isinstance(exc, RunFolderError):
            raise TrainingError(str(exc)) from exc
        reason = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else explain(exc)
        raise TrainingError(f"Training ended, but the model could not be saved into {target} ({reason}). Free some "
                            f"disk space or make the folder writable, then train again; the run was not recorded.") from exc


def _disable_op_determinism() -> None:
    """Undo ``enable_op_determinism`` (TensorFlow has no public switch back; the internal one is optional)."""
    try:
        from tensorflow.python.framework import config as tf_config

        if tf_config.is_op_determinism_enabled():
            tf_config.disable_op_determinism()
    except (ImportError, AttributeError):  # a future TF without it: stay deterministic, only slower
        pass


def _check_before_fit(graph: Graph, cfg: TrainingConfig, data: Any, sink: Sink) -> None:
    """Data-aware compile checks: warnings go to the sink, errors stop the run with their fix.

    A model with several outputs is checked one output at a time: that output's branch of the graph,
    its loss and metrics (``cfg.outputs``), and its own targets; each message starts with the output's name.
    """
    names = output_names(graph)
    if len(names) > 1:
        issues: list[tuple[str, CompileIssue]] = check_outputs(graph, cfg, output_facts(data))
    else:
        issues = [("", i) for i in check_compile(graph, cfg.loss, cfg.metrics, data_facts(data), cfg.class_weight)]
    issues += [("", i) for i in check_class_weight_parts(graph, cfg.class_weight, bool(getattr(data, "parts", ())))]
    for prefix, issue in issues:
        sink("log", {"level": issue.severity, "code": issue.code, "text": prefix + issue.message, "fix": issue.fix})
    errors = [prefix + i.message for prefix, i in issues if i.severity == "error"]
    if errors:
        raise TrainingError(" ".join(errors))


def _find_run(project: Project, run_id: str) -> RunRecord:
    for run in project.runs:
        if run.id == run_id:
            return run
    raise TrainingError(f"There is no run {run_id!r} in the project to continue from.")


