"""The runner's callback list (``make_callback_list``): per-batch hooks do only what a callback needs, and every
callback still sees what Keras's own list would give it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from visualnn.services.epoch_steps import dataset_steps
from visualnn.services.training_common import (
    make_callback_list,
    make_progress_callback,
    make_weight_keeper,
)

pytestmark = pytest.mark.tf


def _model_and_data(n: int = 96, batch: int = 16, nan_from: int | None = None) -> tuple[Any, Any]:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(n, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")
    if nan_from is not None:
        y[nan_from:] = np.nan
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model, tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


class Recorder:
    """Every batch-level call a callback receives, with the type of its logs' loss."""

    def __init__(self) -> None:
        import keras

        calls: list[tuple[str, int, str]] = []
        self.calls = calls

        class Rec(keras.callbacks.Callback):  # type: ignore[misc]
            def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
                calls.append(("train_begin", batch, ""))

            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                calls.append(("train_end", batch, type((logs or {}).get("loss")).__name__))

            def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
                calls.append(("test_end", batch, ""))

        self.callback = Rec()


def _fit(model: Any, data: Any, callbacks: list[Any], progress: Any, epochs: int = 2, val: Any = None) -> Any:
    listed = make_callback_list(callbacks, progress, model, epochs, dataset_steps(data, None))
    return model.fit(data, validation_data=val, epochs=epochs, callbacks=listed, verbose=0, shuffle=False), listed


def test_progress_alone_counts_every_batch_and_reports_with_keras_params() -> None:
    model, data = _model_and_data()
    messages: list[tuple[str, dict[str, Any]]] = []
    progress = make_progress_callback(lambda kind, d: messages.append((kind, d)), None, None, 16)
    history, listed = _fit(model, data, [progress], progress, val=data)
    assert not listed.keras_batch_ends and not listed.test_batches  # nobody else listens to batches
    assert progress.seen == 6 and progress.samples == 2 * 96  # the last epoch's 6 batches; both epochs' samples
    assert progress.params["steps"] == 6 and progress.params["epochs"] == 2
    batches = [d for kind, d in messages if kind == "batch"]
    assert batches and batches[0]["batch"] == 1 and batches[0]["batches"] == 6
    assert isinstance(batches[0]["logs"]["loss"], float)  # read (converted) when the report was due
    epochs = [d for kind, d in messages if kind == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert epochs[-1]["logs"]["loss"] == pytest.approx(history.history["loss"][-1])
    assert "val_loss" in history.history and len(history.history["loss"]) == 2  # History was added


def test_another_callback_with_batch_hooks_gets_every_batch_as_keras_gives_it() -> None:
    model, data = _model_and_data()
    progress = make_progress_callback(lambda kind, d: None, None, None, 16)
    rec = Recorder()
    _, listed = _fit(model, data, [progress, make_weight_keeper(0), rec.callback], progress, val=data)
    assert listed.keras_batch_ends and listed.test_batches
    train_ends = [c for c in rec.calls if c[0] == "train_end"]
    assert [b for _, b, _ in train_ends] == list(range(6)) * 2
    assert {t for _, _, t in train_ends} == {"float"}  # Keras converted the logs for it
    assert [b for k, b, _ in rec.calls if k == "train_begin"] == list(range(6)) * 2
    assert len([c for c in rec.calls if c[0] == "test_end"]) == 12
    assert progress.samples == 2 * 96  # the progress callback still counted every batch


def test_a_nan_loss_stops_training_within_its_epoch_when_asked() -> None:
    model, data = _model_and_data(nan_from=40)
    progress = make_progress_callback(lambda kind, d: None, None, None, 16, terminate_on_nan=True)
    history, _ = _fit(model, data, [progress], progress, epochs=5)
    assert progress.nan_seen and len(history.history["loss"]) == 1  # stopped in epoch 1, not after 5

    model, data = _model_and_data(nan_from=40)
    progress = make_progress_callback(lambda kind, d: None, None, None, 16, terminate_on_nan=False)
    history, _ = _fit(model, data, [progress], progress, epochs=3)
    assert not progress.nan_seen and len(history.history["loss"]) == 3


def test_a_stop_request_ends_training_after_the_current_batch() -> None:
    import threading

    model, data = _model_and_data()
    stop = threading.Event()
    stop.set()
    progress = make_progress_callback(lambda kind, d: None, stop, None, 16)
    history, _ = _fit(model, data, [progress], progress, epochs=3)
    assert progress.stopped_by_user and len(history.history["loss"]) == 1 and progress.samples == 16


def test_a_stop_asked_for_at_an_epochs_end_starts_no_other_epoch() -> None:
    """The search's pruner stops a trial from the epoch message; it ran one more batch and a whole validation
    pass, and that partial epoch's figures became the run's last."""
    import threading

    model, data = _model_and_data()
    stop = threading.Event()
    progress = make_progress_callback(lambda kind, d: stop.set() if kind == "epoch" else None, stop, None, 16)
    history, _ = _fit(model, data, [progress], progress, epochs=3, val=data)
    assert progress.stopped_by_user and len(history.history["val_loss"]) == 1 and progress.samples == 96


def test_dataset_steps_is_what_keras_counts() -> None:
    import tensorflow as tf

    ds = tf.data.Dataset.range(10).batch(4)
    assert dataset_steps(ds, None) == 3
    assert dataset_steps(ds, 7) == 7
    assert dataset_steps(ds.repeat(), None) is None  # infinite
    assert dataset_steps(tf.data.Dataset.range(10).filter(lambda v: v > 2), None) is None  # unknown
    assert dataset_steps(np.zeros((3, 2)), None) is None  # not a dataset
