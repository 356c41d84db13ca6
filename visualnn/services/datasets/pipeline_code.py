"""The tf.data pipeline as the code a learner would write (shown in the data panel; TF-free)."""

from __future__ import annotations

import re

from visualnn.core.dataset import PipelineOptions


def shuffle_buffer(options: PipelineOptions, n_train: int) -> int:
    """The shuffle buffer size: the setting, else the number of training examples (a full shuffle)."""
    return int(options.shuffle_buffer) if options.shuffle_buffer else max(1, int(n_train))


def pipeline_code(
    options: PipelineOptions, n_train: int, seed: int = 42, x_name: str = "x_train", y_name: str = "y_train",
    x_names: list[str] | None = None, y_names: list[str] | None = None,
) -> str:
    """Python source equivalent to what :func:`visualnn.services.datasets.pipeline.make_dataset` builds.

    ``x_names``/``y_names`` (a model with several Inputs or outputs): the pipeline slices dicts keyed by
    the Input and output node names, so each element is ``({input: sample}, {output: target})``.
    """
    seed = options.seed if options.seed is not None else seed
    lines = ["import tensorflow as tf", "", f"tf.random.set_seed({seed})"]
    if x_names or y_names:
        xs, ys = list(x_names or []), list(y_names or [])
        lines += [
            "# One array per Input node and per output node, keyed by the node's name (the model's layer names)",
            f"{x_name} = {{" + ", ".join(f"{n!r}: {_var(n)}_train" for n in xs) + "}",
            (f"{y_name} = {{" + ", ".join(f"{n!r}: {_var(n)}_train" for n in ys) + "}") if len(ys) > 1
            else f"{y_name} = {_var(ys[0])}_train  # the one output's targets" if ys else f"# {y_name}: the targets",
            f"ds_x = tf.data.Dataset.from_tensor_slices({x_name})  # one dict of inputs per sample",
            f"ds_y = tf.data.Dataset.from_tensor_slices({y_name})  # one dict of targets per sample",
            "train_ds = tf.data.Dataset.zip((ds_x, ds_y))  # (inputs, targets) pairs, as fit() takes them",
        ]
    else:
        lines += [
            f"ds_x = tf.data.Dataset.from_tensor_slices({x_name})  # one element per sample",
            f"ds_y = tf.data.Dataset.from_tensor_slices({y_name})",
            "train_ds = tf.data.Dataset.zip((ds_x, ds_y))  # keeps each x with its y",
        ]
    if options.cache:
        lines.append("train_ds = train_ds.cache()")
    if options.shuffle:
        buf = shuffle_buffer(options, n_train)
        note = "  # number of training examples" if not options.shuffle_buffer else ""
        lines.append(
            f"train_ds = train_ds.shuffle(buffer_size={buf}, seed={seed}, reshuffle_each_iteration=True){note}"
        )
    lines.append(f"train_ds = train_ds.batch({int(options.batch_size)})")
    if options.repeat:
        lines.append("train_ds = train_ds.repeat()  # endless: fit() needs steps_per_epoch")
    if options.prefetch:
        lines.append("train_ds = train_ds.prefetch(tf.data.AUTOTUNE)")
    lines += [
        "options = tf.data.Options()",
        "options.autotune.enabled = False  # fixed settings: the autotuner's thread can stall an epoch's end",
        "train_ds = train_ds.with_options(options)",
    ]
    if options.repeat:
        batch = max(1, int(options.batch_size))
        steps = max(1, -(-int(n_train) // batch))
        lines += [
            "",
            f"steps_per_epoch = {steps}  # ceil({int(n_train)} training samples / batch {batch}): one epoch = one pass",
            "# model.fit(train_ds, epochs=..., steps_per_epoch=steps_per_epoch)",
        ]
    return "\n".join(lines) + "\n"


def _var(name: str) -> str:
    """A Python variable name for a node name (letters, digits and underscores)."""
    var = re.sub(r"\W", "_", name)
    return var if var and not var[0].isdigit() else f"part_{var}"
