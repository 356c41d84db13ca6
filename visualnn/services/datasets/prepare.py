"""``prepare(spec, base_dir, batch_size, seed) -> PreparedData``: the one entry point training uses.

Each source kind becomes batched ``tf.data`` pipelines of ``(x, y)`` for train/validation/test,
plus the shapes, task and statistics the rest of the app needs. TensorFlow is imported lazily.
"""

from __future__ import annotations

import os
from dataclasses import replace

from visualnn.core.dataset import DatasetSpec
from visualnn.core.paths import resolve_path
from visualnn.services.datasets.errors import DataError, missing_path_error
from visualnn.services.datasets.prepared import PreparedData


def prepare(
    spec: DatasetSpec, base_dir: str = ".", batch_size: int | None = None, seed: int | None = None, *,
    inputs: list[str] | None = None, outputs: list[str] | None = None,
    shapes: dict[str, tuple[int | None, ...] | None] | None = None,
) -> PreparedData:
    """Load and preprocess the data ``spec`` describes (paths relative to ``base_dir``).

    ``batch_size``/``seed`` override the pipeline settings (the training config owns them); the
    split always uses ``spec``'s split seed so it never changes between runs. Raises
    :class:`DataError` with a message naming the file, row and column on bad input.

    ``inputs``/``outputs`` are the model's Input and output node names
    (:func:`visualnn.core.model_io.input_names`/``output_names``). With more than one of either the
    model takes named parts: an ``.npz`` with one array per node (``visualnn.services.datasets.parts``) or
    a CSV with a column group per Input and a target column per output (``...datasets.csv_parts``),
    and the pipelines yield ``({input: batch}, {output: batch})``. An image folder with a per-image table
    (``image.table``), or feeding several Inputs/outputs, gives named parts too (``...datasets.image_table``);
    ``shapes`` (each Input's declared sample shape) finds the images' Input when ``image.input`` names none.
    """
    problems = spec.validate()
    if problems:
        raise DataError(problems[0])
    path = resolve_path(spec.path, base_dir)
    if not os.path.exists(path):
        raise missing_path_error(path, "folder" if spec.kind == "images" else "file")
    pipe = spec.pipeline()
    if batch_size is not None:
        pipe = replace(pipe, batch_size=int(batch_size))
    if seed is not None:
        pipe = replace(pipe, seed=int(seed))
    abs_spec = spec.with_path(path)
    ins, outs = list(inputs or []), list(outputs or [])
    if spec.kind == "images" and (len(ins) > 1 or len(outs) > 1 or spec.image().table is not None):
        from visualnn.services.datasets.image_table import prepare_image_parts
        from visualnn.services.datasets.sources import seed_of

        table = spec.image().table
        if table is not None:
            image = dict(spec.options.get("image") or {})
            image["table"] = resolve_path(table, base_dir)
            abs_spec = abs_spec.with_options(image=image)
        if not ins or not outs:
            raise DataError(f"{path}: an image folder with a per-image table needs the model's Input and output names "
                            "(train, evaluate or predict the project, not the data alone).", path)
        return prepare_image_parts(abs_spec, pipe, seed_of(abs_spec, pipe), ins, outs, shapes)
    if (len(ins) > 1 or len(outs) > 1) and spec.kind == "csv":
        from visualnn.services.datasets.csv_parts import prepare_csv_parts
        from visualnn.services.datasets.sources import seed_of

        return prepare_csv_parts(abs_spec, pipe, seed_of(abs_spec, pipe), ins, outs)
    if spec.kind == "timeseries":
        from visualnn.services.datasets.sources import prepare_timeseries

        return prepare_timeseries(abs_spec, pipe, ins, outs)  # several outputs: one target column each
    if len(ins) > 1 or len(outs) > 1:
        if spec.kind != "numpy" or not path.lower().endswith(".npz"):
            raise DataError(
                f"{path}: this model has several Inputs or outputs (Inputs {', '.join(ins) or '?'}; outputs "
                f"{', '.join(outs) or '?'}), so it takes named parts: arrays of an .npz, column groups of a CSV, or "
                f"target columns of a time series, or an image folder with a per-image table; {spec.kind} data gives one tensor. Save one array per node "
                "with numpy.savez(path, " + ", ".join(f"{n}=..." for n in [*ins, *outs]) + ") and choose that "
                "file in the Data panel.", path)
        from visualnn.services.datasets.parts import prepare_named_numpy
        from visualnn.services.datasets.sources import seed_of

        return prepare_named_numpy(abs_spec, pipe, seed_of(abs_spec, pipe), ins, outs)
    if spec.kind == "csv":
        from visualnn.services.datasets.sources import prepare_csv

        return prepare_csv(abs_spec, pipe)
    if spec.kind == "numpy":
        from visualnn.services.datasets.sources import prepare_numpy

        return prepare_numpy(abs_spec, pipe)
    if spec.kind == "images":
        from visualnn.services.datasets.images_tf import prepare_images

        return prepare_images(abs_spec, pipe)
    raise DataError(f"Dataset kind must be one of csv, images, numpy, timeseries; received {spec.kind!r}.")
