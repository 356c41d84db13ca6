"""Image folders as streaming tf.data pipelines: paths -> parallel decode and resize -> batches.

Nothing is loaded into memory up front: the pipeline holds file paths, shuffles them (buffer =
number of training examples), decodes, resizes and rescales with ``num_parallel_calls=AUTOTUNE``,
batches and prefetches, as ``keras.utils.image_dataset_from_directory`` does.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import DatasetSpec, ImageOptions, PipelineOptions
from visualnn.core.tensors import TensorInfo, suggest_output
from visualnn.services.datasets.pipeline import steady
from visualnn.services.datasets.pipeline_code import pipeline_code, shuffle_buffer
from visualnn.services.datasets.prepared import PreparedData, class_counts
from visualnn.services.datasets.split import split_indices


def rescale_factors(rescale: str) -> tuple[float, float]:
    """(scale, offset) so that ``x * scale + offset`` maps 0..255 to the chosen range."""
    if rescale == "0_1":
        return 1.0 / 255.0, 0.0
    if rescale == "-1_1":
        return 1.0 / 127.5, -1.0
    return 1.0, 0.0


# Formats TensorFlow decodes straight to one channel; GIF and BMP decode only to 3 and are converted.
_GRAY_NATIVE = frozenset({"png", "jpeg"})


def _decode_native(data: Any, channels: int) -> Any:
    import tensorflow as tf

    return tf.io.decode_image(data, channels=channels, expand_animations=False)


def _decode_gray_via_rgb(data: Any) -> Any:
    import tensorflow as tf

    rgb = tf.cast(tf.io.decode_image(data, channels=3, expand_animations=False), tf.float32)
    return tf.cast(tf.round(tf.image.rgb_to_grayscale(rgb)), tf.uint8)


def decoder_group(fmt: str, channels: int) -> int:
    """Which decoder a file of format ``fmt`` needs: 0 decodes to ``channels`` directly, 1 via RGB to gray."""
    return 1 if channels == 1 and fmt not in _GRAY_NATIVE else 0


def _group_pixels(group: int, channels: int) -> Any:
    """A graph function encoded bytes -> uint8 pixels for one decoder group (no per-image branch)."""
    if group == 1:
        return _decode_gray_via_rgb
    return lambda data: _decode_native(data, channels)


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


def pixels_fn(opts: ImageOptions, max_pixels: int | None = None) -> Any:
    """A function path -> uint8 (height, width, channels) pixels as the file holds them (no resize), one file at a time.

    For eager use (previews, predictions): the decoder is chosen by the file's magic bytes, and an image whose
    header declares more than ``max_pixels`` pixels (default :data:`~visualnn.services.datasets.images.MAX_IMAGE_PIXELS`)
    is not decoded: the function fails with an error naming the file, its size and the cap. Pipelines choose the
    decoder per file from the folder scan instead (:func:`image_pipeline`), whose scan already skipped images
    over the cap, so their map functions hold no branch.
    """
    import tensorflow as tf

    from visualnn.services.datasets.images import MAX_IMAGE_PIXELS

    channels = opts.channels
    cap = int(MAX_IMAGE_PIXELS if max_pixels is None else max_pixels)
    side = int(cap ** 0.5)

    def pixels(path: Any) -> Any:
        data = tf.io.read_file(path)
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
            head = tf.strings.substr(data, 0, 2)
            native = tf.logical_or(tf.equal(head, b"\x89P"), tf.equal(head, b"\xff\xd8"))
            return tf.cond(native, lambda: _decode_native(data, 1), lambda: _decode_gray_via_rgb(data))
        return _decode_native(data, channels)

    return pixels


def _resized(pixels: Any, opts: ImageOptions) -> Any:
    """path -> float32 (height, width, channels) image resized like Keras does, from a path -> pixels function."""
    import tensorflow as tf

    size = (int(opts.image_size[0]), int(opts.image_size[1]))
    channels = opts.channels

    def load(path: Any) -> Any:
        img = tf.image.resize(pixels(path), size, method="bilinear")
        img.set_shape((size[0], size[1], channels))
        return img

    return load


def decode_fn(opts: ImageOptions, max_pixels: int | None = None) -> Any:
    """A function path -> float32 (height, width, channels) image, resized like Keras does (eager, one file; an
    image over ``max_pixels`` fails without being decoded, see :func:`pixels_fn`)."""
    return _resized(pixels_fn(opts, max_pixels), opts)


def group_decode_fn(opts: ImageOptions, group: int, exact_size: bool = False) -> Any:
    """A graph function path -> float32 resized image for files of one decoder group (see :func:`decoder_group`).

    ``exact_size``: every file's header declares the image size, so nothing is resized (bilinear resizing to the
    same size returns the pixels unchanged: the same numbers, without the resize ops); the pixels are only cast to
    float32. TensorFlow's decoders output the size the header declares (PNG IHDR, JPEG frame header, GIF screen,
    BMP info header); ``ensure_shape`` makes any other size fail, as a file that does not decode does.
    """
    import tensorflow as tf

    decode = _group_pixels(group, opts.channels)
    if not exact_size:
        return _resized(lambda path: decode(tf.io.read_file(path)), opts)
    shape = (int(opts.image_size[0]), int(opts.image_size[1]), opts.channels)
    return lambda path: tf.ensure_shape(tf.cast(decode(tf.io.read_file(path)), tf.float32), shape)


def _traced(fn: Any) -> Any:
    """``fn`` for ``Dataset.map``, traced as written: AutoGraph's source rewrite (about 0.3 s per map function, the
    largest part of a pipeline's set-up) is skipped. The map functions here branch only on Python values; the
    per-image branches they hold are explicit ``tf.cond``/``tf.case`` ops."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert(fn)


def _rescaled(load: Any, opts: ImageOptions) -> Any:
    """``load`` followed by the rescale of ``opts``, image by image: the same float32 operations as on a batch, without
    a second ``map`` stage over the batches (a stage costs more than the arithmetic it runs)."""
    scale, offset = rescale_factors(opts.rescale)
    if scale == 1.0 and offset == 0.0:
        return load
    return lambda path: load(path) * scale + offset


def _decoded(items: Any, groups: Any, opts: ImageOptions, element: Any, shuffle: int | None, seed: int,
             exact_size: bool = False) -> Any:
    """``items`` (a nested structure of arrays, one row per file; paths first) mapped by ``element(load, *row)``,
    ``load`` a path's decoded, resized and rescaled image (``exact_size``: see :func:`group_decode_fn`).

    Each decoder group gets its own ``map`` with a branch-free decoder; two groups are merged back in file order
    (``shuffle``: a shuffled order) by ``choose_from_datasets`` over the files' group sequence. Shuffled, each
    group and the group sequence are shuffled independently: every order of the files is equally likely.
    """
    import numpy as np
    import tensorflow as tf

    present = sorted({int(g) for g in groups})
    parts = []
    for k, group in enumerate(present):
        rows = items if len(present) == 1 else tf.nest.map_structure(lambda a, g=group: a[groups == g], items)
        ds = tf.data.Dataset.from_tensor_slices(rows)
        if shuffle is not None:
            ds = ds.shuffle(shuffle, seed=seed + k, reshuffle_each_iteration=True)
        load = _rescaled(group_decode_fn(opts, group, exact_size), opts)
        ds = ds.map(_traced(lambda *row, load=load: element(load, *row)), num_parallel_calls=tf.data.AUTOTUNE)
        parts.append(ds)
    if len(parts) == 1:
        return parts[0]
    order = tf.data.Dataset.from_tensor_slices(np.searchsorted(present, groups).astype(np.int64))
    if shuffle is not None:
        order = order.shuffle(len(groups), seed=seed + len(parts), reshuffle_each_iteration=True)
    return tf.data.Dataset.choose_from_datasets(parts, order, stop_on_empty_dataset=False)


def _counted(ds: Any, n: int) -> Any:
    """``ds`` (``n`` elements) with its length known, so that Keras can count an epoch's steps.

    ``from_tensor_slices`` and ``map`` keep the length: only the merge of several decoder groups
    (``choose_from_datasets``) loses it and is told. Any stage between a ``map`` and the ``batch`` stops tf.data
    from running them as one fused stage: an ``assert_cardinality`` there made a fresh process's pass over 4,000
    PNGs 0.19 s instead of 0.15 s (median of 4).
    """
    import tensorflow as tf

    if int(ds.cardinality()) >= 0:
        return ds
    return ds.apply(tf.data.experimental.assert_cardinality(n))


def _groups(formats: list[str], opts: ImageOptions) -> Any:
    import numpy as np

    return np.array([decoder_group(f, opts.channels) for f in formats], dtype=np.int64)


def image_pipeline(files: list[str], y: Any, opts: ImageOptions, pipe: PipelineOptions, training: bool,
                   seed: int, formats: list[str], exact_size: bool = False) -> Any:
    """Batched ``(images, labels)`` dataset over ``files`` (``formats``: each file's format, from the scan;
    ``exact_size``: every file's header declares the image size, see :func:`group_decode_fn`)."""
    import numpy as np
    import tensorflow as tf

    shuffle = training and pipe.shuffle
    # Shuffle paths, not pixels: the buffer then costs bytes per file, not per image.
    buffer = shuffle_buffer(pipe, len(files)) if shuffle and not pipe.cache else None
    ds = _decoded((np.asarray(files), np.asarray(y)), _groups(formats, opts), opts,
                  lambda load, p, label: (load(p), label), buffer, seed, exact_size=exact_size)
    # A file that passes the scan's byte checks but does not decode stops the run, and the run's error names it
    # (undecodable_images). Dropping such files silently (ignore_errors) also cost a third of a pass: it sat between
    # the map and the batch, which tf.data otherwise runs as one fused stage.
    ds = _counted(ds, len(files))
    if pipe.cache:
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(pipe.batch_size))
    if training and pipe.repeat:
        ds = ds.repeat()
    if pipe.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return steady(ds)


def image_parts_pipeline(files: list[str], image_input: str, x: dict[str, Any], y: Any, opts: ImageOptions,
                         pipe: PipelineOptions, training: bool, seed: int, formats: list[str],
                         order: list[str] | None = None) -> Any:
    """Batched ``({image_input: images, <table Input>: rows...}, y)`` over ``files`` and their table rows.

    The image is decoded from its path in the pipeline, as :func:`image_pipeline` does (``formats``: each file's
    format, from the scan); the table parts ``x`` (one array per Input, row i belonging to ``files[i]``) and the
    targets ``y`` (an array, or a dict per output) are sliced alongside. ``order`` is the model's Input order
    (the batches' dict keys follow it).
    """
    import numpy as np
    import tensorflow as tf

    rows: dict[str, Any] = {k: np.asarray(v) for k, v in x.items()} if x else {
        "_": np.zeros((len(files),), np.float32)}  # no table Input: a placeholder the map below drops
    targets = tf.nest.map_structure(np.asarray, y)
    shuffle = training and pipe.shuffle
    buffer = shuffle_buffer(pipe, len(files)) if shuffle and not pipe.cache else None
    names = [n for n in (order or [*x, image_input]) if n in x or n == image_input]

    def element(load: Any, p: Any, row: Any, target: Any) -> Any:
        if names == [image_input]:  # one Input: Keras takes the bare batch, as a single-input model
            return load(p), target
        return {n: (load(p) if n == image_input else row[n]) for n in names}, target

    ds = _decoded((np.asarray(files), rows, targets), _groups(formats, opts), opts, element, buffer, seed)
    # Every image has its row: a file that passes the byte checks but fails to decode stops the run.
    ds = _counted(ds, len(files))
    if pipe.cache:
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(shuffle_buffer(pipe, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(pipe.batch_size))
    if training and pipe.repeat:
        ds = ds.repeat()
    if pipe.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return steady(ds)


def undecodable_images(data: PreparedData, limit: int = 10_000) -> list[str]:
    """The image files of an image folder's prepared ``data`` (with or without a table) that do not decode (the
    first ``limit`` files of each split, in its order): what a pipeline error during training or evaluation is
    explained with. Each file (each row, with a table) is decoded on its own, eagerly, as predictions decode them."""
    if data.raw_samples is None:
        return []
    bad: list[str] = []
    for split, count in (("train", data.n_train), ("val", data.n_val), ("test", data.n_test)):
        samples = data.raw_samples(split, min(count, limit))
        if hasattr(samples, "iloc"):  # images with a table: rows whose first column is each image's path
            items = [(str(samples.iat[i, 0]), samples.iloc[[i]]) for i in range(len(samples))]
        else:
            items = [(str(path), [path]) for path in samples]
        for path, raw in items:
            try:
                data.transform(raw)
            except Exception:  # noqa: BLE001 (any failure to decode counts; the caller names the files)
                bad.append(path)
    return bad


def undecodable_message(bad: list[str]) -> str:
    """What the user reads when training or evaluation stopped on image files that do not decode."""
    shown = "\n".join(f"  {p}" for p in bad[:10]) + (f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else "")
    return (f"{len(bad)} image file(s) could not be decoded, although the header and the end of each look valid "
            f"(the image data inside is damaged):\n{shown}\nOpen and save each again in an image editor, or move it "
            "out of the folder, then try again.")


def prepare_images(spec: DatasetSpec, pipe: PipelineOptions) -> PreparedData:
    """Image folder -> streaming train/validation/test pipelines of (samples, height, width, channels)."""
    import numpy as np

    from visualnn.services.datasets.images import scan_image_folder

    opts = spec.image()
    scan = scan_image_folder(spec.path, sample_size=0)  # no Pillow header sampling: see scan_image_folder
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
    formats = np.asarray(scan.formats)
    height, width = int(opts.image_size[0]), int(opts.image_size[1])
    exact = all(size == (width, height) for size in scan.declared)  # no image needs resizing
    sets = {}
    counts = {}
    for k in ("train", "val", "test"):
        sel = getattr(idx, k)
        counts[k] = int(sel.size)
        sets[k] = (image_pipeline(files[sel].tolist(), y_all[sel], opts, pipe, k == "train", seed,
                                  formats[sel].tolist(), exact) if sel.size else None)
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
        class_counts=class_counts(task, y_all[idx.train], n_classes),
    )
