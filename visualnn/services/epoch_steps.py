"""Steps per epoch for pipelines that repeat: one epoch is one pass over the split, never an endless one.

A training pipeline with ``Dataset.repeat()`` (the Data panel's pipeline setting "Repeat") never ends,
so ``model.fit`` needs ``steps_per_epoch``: the number of batches of one pass, ``ceil(n / batch)``.
Batching happens before the repeat, so each pass keeps its last, smaller batch and an epoch of
``ceil(n / batch)`` steps is exactly one pass in the same order as without Repeat. Finite pipelines get
``None`` (Keras counts their batches itself). Validation and test pipelines never repeat in VisualNN
(only the training one does), so they stay finite; an infinite one is given its steps the same way.
"""

from __future__ import annotations

import math
from typing import Any

from visualnn.services.training_common import TrainingError

REPEAT_FIX = ("Turn off 'Repeat' in the Data panel's pipeline settings (each epoch is then one pass over the "
              "training split), or use data whose number of samples is known.")


def _cardinality(dataset: Any) -> int | None:
    """``dataset.cardinality()`` as an int (negative: infinite or unknown); None for what is not a dataset."""
    cardinality = getattr(dataset, "cardinality", None)
    return None if cardinality is None else int(cardinality())


def is_infinite(dataset: Any) -> bool:
    """True for a ``tf.data.Dataset`` that repeats forever (``cardinality() == INFINITE``)."""
    import tensorflow as tf

    return _cardinality(dataset) == int(tf.data.INFINITE_CARDINALITY)


def dataset_steps(dataset: Any, steps_per_epoch: int | None) -> int | None:
    """The batches in one epoch as Keras counts them for its callbacks' ``params["steps"]``: ``steps_per_epoch``,
    else the dataset's cardinality when known."""
    if steps_per_epoch is not None:
        return steps_per_epoch
    n = _cardinality(dataset)
    return n if n is not None and n >= 0 else None


def steps_for(dataset: Any, n_samples: Any, batch_size: int, split: str = "training") -> int | None:
    """``ceil(n_samples / batch_size)`` when ``dataset`` repeats forever, else None (a finite pipeline).

    Raises :class:`TrainingError` naming the Repeat setting when the pipeline repeats and the number of
    samples is not known: an epoch would never end.
    """
    if dataset is None or not is_infinite(dataset):
        return None
    n = int(n_samples) if isinstance(n_samples, int | float) and n_samples > 0 else 0
    if n <= 0:
        raise TrainingError(f"The {split} data repeats forever (the 'Repeat' pipeline setting) and its number of "
                            f"samples is not known, so an epoch would never end. {REPEAT_FIX}")
    return math.ceil(n / max(1, int(batch_size)))


def epoch_steps(data: Any, batch_size: int) -> tuple[int | None, int | None, int | None]:
    """(steps_per_epoch, validation_steps, test steps) for prepared ``data`` batched with ``batch_size``."""
    return (steps_for(getattr(data, "train", None), getattr(data, "n_train", None), batch_size),
            steps_for(getattr(data, "val", None), getattr(data, "n_val", None), batch_size, "validation"),
            steps_for(getattr(data, "test", None), getattr(data, "n_test", None), batch_size, "test"))
