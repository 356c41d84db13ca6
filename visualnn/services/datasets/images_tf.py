"""Image folders as streaming tf.data pipelines: paths -> parallel decode and resize -> batches.

Nothing is loaded into memory up front: the pipeline holds file paths, shuffles them (buffer =
number of training examples), decodes with ``num_parallel_calls=AUTOTUNE``, batches, rescales
and prefetches, as ``keras.utils.image_dataset_from_directory`` does.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import DatasetSpec, ImageOptions, PipelineOptions
from visualnn.core.tensors import TensorInfo, suggest_output
from visualnn.services.datasets.pipeline_code import pipeline_code, shuffle_buffer
from visualnn.services.datasets.prepared import PreparedData
from visualnn.services.datasets.split import split_indices


def rescale_factors(rescale: str) -> tuple[float, float]:
    """(scale, offset) so that ``x * scale + offset`` maps 0..255 to the chosen range."""
    if rescale == "0_1":
        return 1.0 / 255.0, 0.0
    if rescale == "-1_1":
        return 1.0 / 127.5, -1.0
    return 1.0, 0.0


def header_size(data: Any) -> Any:
    """int64 [width, height] that a PNG, GIF, BMP or JPEG's header declares, read in the graph without decoding
    ([0, 0] for other bytes: the decoder then refuses them itself)."""
    import tensorflow as tf

    # The first 32 bytes padded with zeros, so a short file still slices (and fails in the decoder, not here).
    head = tf.strings.substr(tf.strings.join([tf.strings.substr(data, 0, 32), b"\x00" * 32]), 0, 32)

    def ints(pos: int, dtype: Any, little: bool) -> Any:
        raw = tf.io.decode_raw(tf.strings.substr(head, pos, 2 * dtype.size), dtype, little_endian=little)
        return tf.abs(tf.cast(raw, tf.int64))

    magic2, magic6 = tf.strings.substr(head, 0, 2), tf.strings.substr(head, 0, 6)
    return tf.case([
        (tf.equal(tf.strings.substr(head, 0, 8), b"\x89PNG\r\n\x1a\n"), lambda: ints(16, tf.int32, False)),
        (tf.equal(magic2, b"\xff\xd8"),
         lambda: tf.reverse(tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64), [0])),
        (tf.logical_or(tf.equal(magic6, b"GIF87a"), tf.equal(magic6, b"GIF89a")), lambda: ints(6, tf.uint16, True)),
        (tf.equal(magic2, b"BM"), lambda: ints(18, tf.int32, True)),
    ], default=lambda: tf.zeros((2,), tf.int64))


def pixels_fn(opts: ImageOptions, max_pixels: int | None = None, checked: bool = False) -> Any:
    """A graph function path -> uint8 (height, width, channels) pixels as the file holds them (no resize).

    An image whose header declares more than ``max_pixels`` pixels (default
    :data:`~visualnn.services.datasets.images.MAX_IMAGE_PIXELS`) is not decoded: the function fails with an
    error naming the file, its size and the cap. ``checked``: the paths are files the folder scan (or the
    image table's key check) has already passed through ``check_image_bytes``, pixel cap included, so the
    graph skips reading the header again: in a ``Dataset.map`` that check is a multi-branch ``tf.case`` per
    image, which doubled the decoding time of small images.
    """
    import tensorflow as tf

    from visualnn.services.datasets.images import MAX_IMAGE_PIXELS

    channels = opts.channels
    cap = int(MAX_IMAGE_PIXELS if max_pixels is None else max_pixels)
    side = int(cap ** 0.5)

    def decode_gray(data: Any) -> Any:
        # TensorFlow decodes BMP and GIF only to 3 channels: convert those; PNG/JPEG decode to 1 directly.
        head = tf.strings.substr(data, 0, 2)
        native = tf.logical_or(tf.equal(head, b"\x89P"), tf.equal(head, b"\xff\xd8"))
        return tf.cond(
            native,
            lambda: tf.io.decode_image(data, channels=1, expand_animations=False),
            lambda: tf.cast(
                tf.round(tf.image.rgb_to_grayscale(
                    tf.cast(tf.io.decode_image(data, channels=3, expand_animations=False), tf.float32))),
                tf.uint8,
            ),
        )

    def pixels(path: Any) -> Any:
        data = tf.io.read_file(path)
        if checked:
            return decode_gray(data) if channels == 1 else tf.io.decode_image(data, channels=channels,
                                                                               expand_animations=False)
        size = header_size(data)
        message = tf.strings.join([
            "The image ", path, " is ", tf.strings.as_string(size[0]), "x", tf.strings.as_string(size[1]),
            f" pixels, over the cap of {cap} pixels ({side}x{side}) for decoding; shrink it (it is resized to the "
            "image size anyway).",
        ])
        check = tf.debugging.Assert(size[0] * size[1] <= cap, [message])
        with tf.control_dependencies([check]):
            data = tf.identity(data)
        if channels == 1:
            return decode_gray(data)
        return tf.io.decode_image(data, channels=channels, expand_animations=False)

    return pixels


def decode_fn(opts: ImageOptions, max_pixels: int | None = None, checked: bool = False) -> Any:
    """A graph function path -> float32 (height, width, channels) image, resized like Keras does (an image over
    ``max_pixels`` fails without being decoded; ``checked``: the scan has checked the files, see :func:`pixels_fn`)."""
    import tensorflow as tf

    size = (int(opts.image_size[0]), int(opts.image_size[1]))
    channels = opts.channels
    pixels = pixels_fn(opts, max_pixels, checked)

    def load(path: Any) -> Any:
        img = tf.image.resize(pixels(path), size, method="bilinear")
        img.set_shape((size[0], size[1], channels))
        return img

    return load


def image_pipeline(files: list[str], y: Any, opts: ImageOptions, pipe: PipelineOptions, training: bool,
                   seed: int) -> Any:
    """Batched ``(images, labels)`` dataset over ``files`` (files the folder scan has checked)."""
    import tensorflow as tf

    load = decode_fn(opts, checked=True)
    scale, offset = rescale_factors(opts.rescale)
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(files), tf.data.Dataset.from_tensor_slices(y)))
    shuffle = training and pipe.shuffle
    if shuffle and not pipe.cache:
        # Shuffle paths, not pixels: the buffer then costs bytes per file, not per image.
        ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda p, label: (load(p), label), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.ignore_errors()  # files that pass the byte checks but still fail to decode are dropped
    if pipe.cache:
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(pipe.batch_size))
    if scale != 1.0 or offset != 0.0:
        ds = ds.map(lambda x, label: (x * scale + offset, label), num_parallel_calls=tf.data.AUTOTUNE)
    if training and pipe.repeat:
        ds = ds.repeat()
    if pipe.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


def image_parts_pipeline(files: list[str], image_input: str, x: dict[str, Any], y: Any, opts: ImageOptions,
                         pipe: PipelineOptions, training: bool, seed: int, order: list[str] | None = None) -> Any:
    """Batched ``({image_input: images, <table Input>: rows...}, y)`` over ``files`` and their table rows.

    The image is decoded from its path in the pipeline, as :func:`image_pipeline` does; the table parts ``x``
    (one array per Input, row i belonging to ``files[i]``) and the targets ``y`` (an array, or a dict per
    output) are sliced alongside. ``order`` is the model's Input order (the batches' dict keys follow it).
    The files are those the image table's key check has passed (``check_image_bytes``, pixel cap included).
    """
    import tensorflow as tf

    load = decode_fn(opts, checked=True)
    scale, offset = rescale_factors(opts.rescale)
    rows = tf.data.Dataset.from_tensor_slices(dict(x)) if x else tf.data.Dataset.from_tensor_slices(
        {"_": tf.zeros((len(files),))})  # no table Input: a placeholder the map below drops
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(files), rows, tf.data.Dataset.from_tensor_slices(y)))
    shuffle = training and pipe.shuffle
    if shuffle and not pipe.cache:
        ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    names = [n for n in (order or [*x, image_input]) if n in x or n == image_input]

    def element(p: Any, row: Any, target: Any) -> Any:
        if names == [image_input]:  # one Input: Keras takes the bare batch, as a single-input model
            return load(p), target
        return {n: (load(p) if n == image_input else row[n]) for n in names}, target

    ds = ds.map(element, num_parallel_calls=tf.data.AUTOTUNE)
    # Every image has its row: a file that passes the byte checks but fails to decode stops the run with the
    # count, and the known size lets Keras count an epoch's steps.
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(files)))
    if pipe.cache:
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(pipe.batch_size))
    if scale != 1.0 or offset != 0.0:
        def rescale(xs: Any, target: Any) -> Any:
            if names == [image_input]:
                return xs * scale + offset, target
            return {n: (xs[n] * scale + offset if n == image_input else xs[n]) for n in names}, target

        ds = ds.map(rescale, num_parallel_calls=tf.data.AUTOTUNE)
    if training and pipe.repeat:
        ds = ds.repeat()
    if pipe.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


def prepare_images(spec: DatasetSpec, pipe: PipelineOptions) -> PreparedData:
    """Image folder -> streaming train/validation/test pipelines of (samples, height, width, channels)."""
    import numpy as np

    from visualnn.services.datasets.images import scan_image_folder

    opts = spec.image()
    scan = scan_image_folder(spec.path)
    labels = np.asarray(scan.labels, dtype=np.int64)
    split = spec.split()
    seed = int(pipe.seed if pipe.seed is not None else split.seed)
    idx = split_indices(len(labels), split.val, split.test, split.seed, labels, split.stratify, scan.class_names)
    task = spec.task() or ("binary" if len(scan.class_names) == 2 else "multiclass")
    n_classes = len(scan.class_names)
    if task == "binary":
        y_all: Any = labels.astype(np.float32).reshape(-1, 1)
    elif spec.target_encoding() == "onehot":
        y_all = np.eye(n_classes, dtype=np.float32)[labels]
    else:
        y_all = labels.astype(np.int32)
    files = np.asarray(scan.files)
    sets = {}
    counts = {}
    for k in ("train", "val", "test"):
        sel = getattr(idx, k)
        counts[k] = int(sel.size)
        sets[k] = image_pipeline(files[sel].tolist(), y_all[sel], opts, pipe, k == "train", seed) if sel.size else None
    shape = (int(opts.image_size[0]), int(opts.image_size[1]), opts.channels)
    stats = {"source": "images", "task": task, "class_names": scan.class_names, "counts": scan.counts,
             "rescale": opts.rescale, "image_size": list(opts.image_size), "color_mode": opts.color_mode,
             "channels": opts.channels,
             "skipped": [[p, why] for p, why in scan.skipped]}
    load = decode_fn(opts)
    scale, offset = rescale_factors(opts.rescale)

    def transform(paths: Any) -> Any:
        import tensorflow as tf

        items = [paths] if isinstance(paths, str) else list(paths)
        return np.stack([load(tf.constant(p)).numpy() * scale + offset for p in items]).astype(np.float32)

    split_files = {k: files[getattr(idx, k)] for k in ("train", "val", "test")}

    def raw_paths(split: str, n: int) -> list[str]:
        """The split's first ``n`` image files (what ``transform`` takes)."""
        return [str(p) for p in split_files[split][: max(0, n)]]

    tensors = [TensorInfo(f"x_{k}", (counts[k], *shape), "float32", "image") for k in counts if counts[k]]
    tensors += [
        TensorInfo(f"y_{k}", (counts[k], *y_all.shape[1:]), str(y_all.dtype), "labels") for k in counts if counts[k]
    ]
    suggestion = suggest_output(task, n_classes, n_classes, spec.target_encoding())
    code = pipeline_code(pipe, counts["train"], seed, "image_paths_train", "labels_train")
    return PreparedData(
        sets["train"], sets["val"], sets["test"], shape, task, scan.class_names,
        1 if task == "binary" else n_classes, stats, counts["train"], counts["val"], counts["test"],
        transform, suggestion, tensors, scan.problems, code, raw_paths,
    )
