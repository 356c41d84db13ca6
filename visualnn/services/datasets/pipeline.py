"""NumPy arrays or file lists -> batched tf.data pipelines (imports TensorFlow lazily)."""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import PipelineOptions
from visualnn.services.datasets.pipeline_code import shuffle_buffer


def make_dataset(x: Any, y: Any, options: PipelineOptions, training: bool, seed: int = 42) -> Any:
    """``zip(from_tensor_slices(x), from_tensor_slices(y))``, then cache, shuffle, batch, repeat, prefetch.

    Only the training pipeline shuffles and repeats; validation and test keep their order.
    ``x`` may be an array or a dict/tuple of arrays (multi-input models).
    """
    import tensorflow as tf

    ds_x = tf.data.Dataset.from_tensor_slices(x)
    ds_y = tf.data.Dataset.from_tensor_slices(y)
    ds = tf.data.Dataset.zip((ds_x, ds_y))
    return finish(ds, options, training, _length(y), seed)


def _length(y: Any) -> int:
    """Samples in ``y``: one array, or a dict/tuple of named target arrays (all of the same length)."""
    if isinstance(y, dict):
        y = next(iter(y.values()))
    elif isinstance(y, tuple | list):
        y = y[0]
    return int(len(y))


def finish(ds: Any, options: PipelineOptions, training: bool, n: int, seed: int, batched: bool = False) -> Any:
    """Apply cache/shuffle/batch/repeat/prefetch to a dataset of single samples."""
    import tensorflow as tf

    seed = options.seed if options.seed is not None else seed
    if options.cache:
        ds = ds.cache()
    if training and options.shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer(options, n), seed=seed, reshuffle_each_iteration=True)
    if not batched:
        ds = ds.batch(int(options.batch_size))
    if training and options.repeat:
        ds = ds.repeat()
    if options.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return steady(ds)


def steady(ds: Any) -> Any:
    """``ds`` with tf.data's autotuner off (``AUTOTUNE`` then means TF's fixed defaults).

    The autotuner's tuning thread can hold up the end of an epoch for seconds when ``fit()`` drops the
    epoch's iterator: measured on 2 cores, a third of MobileNetV3Small's epochs took 5 s longer with no CPU
    spent. Every pipeline the app trains on ends here, and the exported script's ``make_dataset()`` ends
    with the same settings (``core/codegen/input_templates.STEADY_RETURN``).
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)
