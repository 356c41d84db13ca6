"""The app's data preprocessing as Keras preprocessing layers in front of a trained model.

VisualNN trains on preprocessed tensors (``services.datasets``: statistics from the training split,
applied in NumPy and ``tf.data``) and keeps that model as the run's model, so training, evaluation
and prediction in the app are unchanged. An exported model has to stand alone, so
:func:`raw_model` wraps the trained model in a functional model whose first layers repeat every
step from the statistics the data service recorded (``PreparedData.stats``):

=================  ==============================================================================
source             layers in front of the trained model
=================  ==============================================================================
CSV (.keras,       one ``Input`` per column (a dict of columns; strings as in the file) ->
SavedModel)        missing numbers filled -> ``StringLookup`` + ``CategoryEncoding`` (one-hot) or
                   the category index -> ``Concatenate`` -> ``Normalization`` (the training
                   split's mean and variance; min-max as mean = min, variance = range²)
CSV (.tflite)      one float32 ``features`` row, one value per column (categories as their index
                   in the vocabulary written beside the file: string lookups do not convert)
images             ``Input`` of any height and width, raw 0..255 pixels -> ``Resizing``
                   (bilinear, as the app decodes) -> ``Rescaling``
arrays             ``Normalization`` (uint8 pixels: divided by 255; tables: per feature)
named parts        one ``Input`` per Input node, named as it, each with its own ``Normalization``
(.npz)
column groups      one ``Input`` per column as for a CSV; each Input node's columns are encoded,
(CSV)              concatenated and normalized on their own (.keras and SavedModel; no .tflite)
images + table     the images' Input as for images (raw pixels -> ``Resizing`` -> ``Rescaling``) and
                   one ``Input`` per table column as for column groups (no .tflite with text columns)
time series        ``Normalization`` over the feature axis of raw windows
=================  ==============================================================================

:func:`raw_feed` turns raw samples (what ``PreparedData.raw_samples`` returns) into what the
wrapped model takes, for the export's parity check. TensorFlow and Keras are imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.dataset import FALSE_WORDS, TRUE_WORDS, boolean_words
from visualnn.core.names import RAW_MODEL_NAME, input_key

_WORDS = f"{'/'.join(sorted(TRUE_WORDS))} (1) or {'/'.join(sorted(FALSE_WORDS))} (0)"  # core's words, as told
NO_STRING_LOOKUPS = {"tflite": "TFLite", "onnx": "ONNX"}  # formats whose converters cannot take string lookups
TABLE_INPUT = "features"  # the .tflite input of a table: one float32 value per column
IMAGE_INPUT = "image"


@dataclass
class RawModel:
    """A model that takes raw inputs, and what a caller must feed it (lines for the parity report)."""

    model: Any
    feed: list[str] = field(default_factory=list)
    vocabulary: dict[str, Any] | None = None  # the .tflite table's input description (written as JSON)
    wrapped: bool = False  # False: the model is the trained model itself (nothing to put in front)


def raw_model(model: Any, stats: dict[str, Any], fmt: str) -> RawModel:
    """``model`` with the preprocessing described by ``stats`` in front, for export format ``fmt``."""
    source = stats.get("source")
    if stats.get("image_table"):
        return _image_table(model, stats, fmt)
    if stats.get("parts") and source == "csv":
        return _csv_parts(model, stats, fmt)
    if stats.get("parts"):
        return _parts(model, stats)
    if len(getattr(model, "inputs", None) or []) != 1:
        return RawModel(model, ["The model has several inputs: feed them preprocessed, as the app does."])
    if source == "csv" and stats.get("features"):
        if fmt in NO_STRING_LOOKUPS:
            return _table_tflite(model, stats, fmt)
        return _table_keras(model, stats)
    if source == "images":
        return _images(model, stats)
    if source == "numpy":
        return _arrays(model, stats)
    if source == "timeseries":
        return _series(model, stats)
    return RawModel(model, ["Feed the same arrays the app trained on (it applies no preprocessing to them)."])


def _scaling(plan: dict[str, Any]) -> tuple[float, float]:
    """(mean, variance) of a Normalization repeating one numeric column's scaling."""
    if plan["kind"] == "categorical" or plan.get("scaling") not in ("standardize", "minmax"):
        return 0.0, 1.0
    return float(plan["center"]), float(plan["scale"]) ** 2


def _fill_code(plan: dict[str, Any]) -> int:
    """The category index a missing value becomes (-1: the fill value is not a category)."""
    cats = list(plan["categories"])
    return cats.index(plan["fill"]) if plan["fill"] in cats else -1


def _normalize(x: Any, means: list[float], variances: list[float]) -> Any:
    import keras

    return keras.layers.Normalization(mean=means, variance=variances, name="normalization")(x)


def _finish(inputs: Any, x: Any, model: Any, name: str) -> Any:
    import keras

    return keras.Model(inputs, model(x), name=name)


def _table_keras(model: Any, stats: dict[str, Any]) -> RawModel:
    inputs: dict[str, Any] = {}
    feed: list[str] = []
    x = _columns_keras(stats["features"], inputs, set(), feed, "")
    lines = [f"Feed a dict with one entry per column, each a 1-D batch (e.g. {_frame_feed(stats['features'])} through "
             "tf.data.Dataset.from_tensor_slices; text columns as tf.string, a missing text as ''):", *feed]
    return RawModel(_finish(inputs, x, model, RAW_MODEL_NAME), lines, wrapped=True)


FRAME_COLUMNS_SHOWN = 8
"""Up to this many feature columns, the feed recipe names them; with more it names them ``columns`` (listed below)."""


def _frame_feed(plans: list[dict[str, Any]]) -> str:
    """How a pandas DataFrame of the raw rows becomes the feed: its feature columns only (a CSV read whole also holds
    the target and the columns the model ignores, such as an id, which the model cannot take), and, as pandas reads a
    missing text as NaN, which a string tensor cannot hold, '' (the model's missing text) in its text columns."""
    names = [str(p["name"]) for p in plans]
    frame = f"dataframe[{names!r}]" if len(names) <= FRAME_COLUMNS_SHOWN else "dataframe[columns]"
    text = [p["name"] for p in plans if p["kind"] == "categorical" or p.get("text")]
    if text:
        frame += ".fillna({" + ", ".join(f"{name!r}: ''" for name in text) + "})"
    where = "" if len(names) <= FRAME_COLUMNS_SHOWN else f", columns being the {len(names)} column names below"
    return f"dict({frame}){where}"


def _csv_parts(model: Any, stats: dict[str, Any], fmt: str) -> RawModel:
    """A CSV's column groups: one raw ``Input`` per column, each group encoded and scaled for its Input node."""
    import keras

    if fmt in NO_STRING_LOOKUPS:
        raise ValueError(f"A .{fmt} of a model fed by a CSV's column groups cannot take the raw columns (text "
                         f"columns need string lookups, which {NO_STRING_LOOKUPS[fmt]} does not convert, and each Input its own "
                         "group). "
                         "Export .keras or a SavedModel, which take the raw columns.")
    groups = {str(p["name"]): p for p in stats["parts"] if p.get("role") == "input"}
    inputs: dict[str, Any] = {}
    taken: set[str] = set()
    feed: list[str] = []
    encoded: list[Any] = []
    for tensor in model.inputs:
        name = str(tensor.name).split(":")[0]
        encoded.append(_group_keras(name, groups, inputs, taken, feed))
    lines = [f"Feed a dict with one entry per column, each a 1-D batch (e.g. {_frame_feed(stats['features'])}; text "
             "columns as tf.string, a missing text as ''); the model groups the columns for its Inputs:", *feed]
    outputs = model(encoded if len(encoded) > 1 else encoded[0])
    return RawModel(keras.Model(inputs, outputs, name=RAW_MODEL_NAME), lines, wrapped=True)


def _group_keras(name: str, groups: dict[str, Any], inputs: dict[str, Any], taken: set[str], feed: list[str]) -> Any:
    """Input ``name``'s column group: one raw Input per column (added to ``inputs``) -> its encoded row."""
    group = groups.get(name)
    if group is None:
        raise ValueError(f"The data has no column group for the model's Input {name!r}; its groups are "
                         f"{', '.join(groups) or 'none'}. Choose the Input of its columns in the Data panel.")
    feed.append(f"  columns of Input {name!r}: {', '.join(group['columns'])}")
    return _columns_keras(group["features"], inputs, taken, feed, f"{name}_")


def _columns_keras(plans: list[dict[str, Any]], inputs: dict[str, Any], taken: set[str], feed: list[str],
                   prefix: str) -> Any:
    """One raw Input per column of ``plans`` (added to ``inputs``) -> their encoded, scaled, concatenated row."""
    import keras
    import numpy as np
    from keras import ops

    parts: list[Any] = []
    means: list[float] = []
    variances: list[float] = []
    for plan in plans:
        name = plan["name"]
        key = input_key(name, taken)
        if plan["kind"] == "categorical":
            cats = [str(c) for c in plan["categories"]]
            col = keras.Input(shape=(), dtype="string", name=key)
            # mask "" (missing) -> 0, a value not seen in training -> 1, the categories -> 2..n+1.
            idx = keras.layers.StringLookup(vocabulary=cats, mask_token="", num_oov_indices=1, name=f"{key}_lookup")(col)
            idx = ops.where(ops.equal(idx, 0), _fill_code(plan) + 2, idx)
            if plan["encoding"] == "onehot":
                onehot = keras.layers.CategoryEncoding(len(cats) + 2, output_mode="one_hot", name=f"{key}_onehot")(idx)
                parts.append(onehot[:, 2:])  # unseen values stay all zeros, as in the app
                width = len(cats)
            else:
                parts.append(ops.expand_dims(ops.cast(idx - 2, "float32"), -1))  # unseen: -1, as in the app
                width = 1
            means += [0.0] * width
            variances += [1.0] * width
            feed.append(f"  {name!r}: text; one of {len(cats)} categories (others count as unseen, '' as missing)")
            inputs[name] = col
            continue
        if plan.get("text"):  # a yes/no column written as words: the words in, 1 and 0 out (else missing)
            col = keras.Input(shape=(), dtype="string", name=key)
            words = boolean_words()
            # As the app reads the column: the text lowered, without the spaces around it. Two tokens are kept so that
            # a value of several words ("yes no") is missing, as it is in the app, not its first word.
            tokens = keras.layers.TextVectorization(standardize="lower", split="whitespace", output_mode="int",
                                                    vocabulary=[w for w, _ in words], output_sequence_length=2,
                                                    name=f"{key}_words")(col)
            index = ops.where(ops.equal(tokens[:, 1], 0), tokens[:, 0], 1)  # 0: no word, 1: not one of the words
            values = ops.convert_to_tensor([np.nan, np.nan, *(v for _, v in words)], dtype="float32")
            value = ops.expand_dims(ops.take(values, index), -1)
            feed.append(f"  {name!r}: text, {_WORDS} in any letter case, spaces around it ignored ('' or other text = "
                        f"missing, filled with {plan['fill']:g})")
        else:
            col = keras.Input(shape=(), dtype="float32", name=key)
            value = ops.expand_dims(col, -1)
            what = "0 or 1" if plan["kind"] == "boolean" else "a number"
            feed.append(f"  {name!r}: {what} as in the file (NaN = missing, filled with {plan['fill']:g})")
        parts.append(ops.where(ops.isnan(value), float(plan["fill"]), value))
        mean, variance = _scaling(plan)
        means.append(mean)
        variances.append(variance)
        inputs[name] = col
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name=f"{prefix}columns")(parts)
    return keras.layers.Normalization(mean=means, variance=variances, name=f"{prefix}normalization")(x)


def _image_table(model: Any, stats: dict[str, Any], fmt: str) -> RawModel:
    """Images with their per-image table: raw pixels resized and rescaled, each table group's raw columns encoded."""
    import keras

    text = [p["name"] for p in stats.get("features") or [] if p["kind"] == "categorical"]
    if fmt in NO_STRING_LOOKUPS and text:
        raise ValueError(f"A .{fmt} of this model cannot take the raw table columns: text column(s) "
                         f"{', '.join(map(repr, text))} need string lookups, which {NO_STRING_LOOKUPS[fmt]} does not convert. Export "
                         ".keras or a SavedModel, which take the raw pixels and columns.")
    image_input = str(stats["image_input"])
    if any(p["name"] == image_input for p in stats.get("features") or []):
        raise ValueError(f"Table column {image_input!r} has the name of the images' Input, so the exported model "
                         "could not take both by name. Rename the column or the Input node, train again and export.")
    groups = {str(p["name"]): p for p in stats["parts"] if p.get("role") == "input" and not p.get("images")}
    height, width = (int(v) for v in stats["image_size"])
    channels = int(stats.get("channels") or 3)
    from visualnn.services.datasets.images_tf import rescale_factors

    scale, offset = rescale_factors(str(stats.get("rescale")))
    taken = {image_input}
    image = keras.Input(shape=(None, None, channels), dtype="float32", name=image_input)
    inputs: dict[str, Any] = {image_input: image}
    pixels = keras.layers.Resizing(height, width, interpolation="bilinear", name=f"{image_input}_resizing")(image)
    if scale != 1.0 or offset != 0.0:
        pixels = keras.layers.Rescaling(scale, offset, name=f"{image_input}_rescaling")(pixels)
    mode = "grayscale (1 channel)" if channels == 1 else "RGB (3 channels)"
    feed = [f"  {image_input!r}: raw pixels 0..255 of shape (batch, height, width, {channels}), {mode}, any height "
            f"and width (the model resizes to {height}x{width} and rescales)"]
    encoded: list[Any] = []
    for tensor in model.inputs:
        name = str(tensor.name).split(":")[0]
        if name == image_input:
            encoded.append(pixels)
            continue
        encoded.append(_group_keras(name, groups, inputs, taken, feed))
    lines = ["Feed a dict: the images' raw pixels under the image Input's name, and one entry per table column, "
             "each a 1-D batch as the CSV holds it (text columns as tf.string, a missing text as ''; from pandas: "
             f"{_frame_feed(stats.get('features') or [])}):", *feed]
    outputs = model(encoded if len(encoded) > 1 else encoded[0])
    return RawModel(keras.Model(inputs, outputs, name=RAW_MODEL_NAME), lines, wrapped=True)


def _table_tflite(model: Any, stats: dict[str, Any], fmt: str = "tflite") -> RawModel:
    import keras
    import numpy as np
    from keras import ops

    plans = stats["features"]
    row = keras.Input(shape=(len(plans),), dtype="float32", name=TABLE_INPUT)
    parts: list[Any] = []
    means: list[float] = []
    variances: list[float] = []
    columns: list[dict[str, Any]] = []
    for i, plan in enumerate(plans):
        value = row[:, i : i + 1]
        if plan["kind"] == "categorical":
            cats = [str(c) for c in plan["categories"]]
            code = ops.where(ops.isnan(value), float(_fill_code(plan)), value)
            if plan["encoding"] == "onehot":
                # max(0, 1 - |code - k|): 1 at the category's index, all zeros for -1 (unseen) as in the
                # app; unlike an integer one_hot it stays right when int8 quantization nudges the code.
                positions = np.arange(len(cats), dtype="float32")[None, :]
                parts.append(ops.relu(1.0 - ops.abs(code - positions)))
                width = len(cats)
            else:
                parts.append(code)
                width = 1
            means += [0.0] * width
            variances += [1.0] * width
            columns.append({"name": plan["name"], "kind": "categorical", "feed": "index in vocabulary, -1 if absent",
                            "vocabulary": cats, "fill": plan["fill"]})
            continue
        parts.append(ops.where(ops.isnan(value), float(plan["fill"]), value))
        mean, variance = _scaling(plan)
        means.append(mean)
        variances.append(variance)
        if plan.get("text"):
            columns.append({"name": plan["name"], "kind": "boolean", "feed": "1 for a true word, 0 for a false word "
                            "(any case)", "true_words": sorted(TRUE_WORDS), "false_words": sorted(FALSE_WORDS),
                            "fill": plan["fill"]})
        else:
            columns.append({"name": plan["name"], "kind": plan["kind"], "feed": "raw value", "fill": plan["fill"]})
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="columns")(parts)
    x = _normalize(x, means, variances)
    vocabulary = {
        "about": (
            f"Input {TABLE_INPUT!r} of the .{fmt} file: one float32 row per sample, one value per column in "
            "this order. Numeric and boolean columns: the value as in the CSV file (a yes/no column written as words: "
            "1 for its 'true_words', 0 for its 'false_words', in any case). "
            "Categorical columns: the 0-based position of the text in 'vocabulary', -1 for text not in it. "
            "NaN means missing: the model fills it as VisualNN did in training ('fill'). Scaling and one-hot "
            "encoding happen inside the model."
        ),
        "input": TABLE_INPUT,
        "dtype": "float32",
        "columns": columns,
    }
    order = ", ".join(c["name"] for c in columns)
    lines = [f"Feed input {TABLE_INPUT!r}: float32 rows of {len(columns)} raw values in column order: {order}."]
    words = [c["name"] for c in columns if "true_words" in c]
    if words:
        lines.append(f"Yes/no columns written as words ({', '.join(words)}) go in as {_WORDS}, in any case.")
    cats = [c["name"] for c in columns if c["kind"] == "categorical"]
    if cats:
        lines.append(f"Text columns ({', '.join(cats)}) go in as their index in the vocabulary JSON beside the "
                     f"file (-1 when absent): {NO_STRING_LOOKUPS.get(fmt, fmt)} cannot convert string lookups.")
    return RawModel(_finish(row, x, model, RAW_MODEL_NAME), lines, vocabulary, wrapped=True)


def _images(model: Any, stats: dict[str, Any]) -> RawModel:
    import keras

    height, width = (int(v) for v in stats["image_size"])
    channels = int(stats.get("channels") or (1 if stats.get("color_mode") == "grayscale" else 3))
    from visualnn.services.datasets.images_tf import rescale_factors

    scale, offset = rescale_factors(str(stats.get("rescale")))
    image = keras.Input(shape=(None, None, channels), dtype="float32", name=IMAGE_INPUT)
    x = keras.layers.Resizing(height, width, interpolation="bilinear", name="resizing")(image)
    if scale != 1.0 or offset != 0.0:
        x = keras.layers.Rescaling(scale, offset, name="rescaling")(x)
    mode = "grayscale (1 channel)" if channels == 1 else "RGB (3 channels)"
    lines = [f"Feed raw pixels 0..255 (uint8 or float32) of shape (batch, height, width, {channels}), {mode}, "
             f"any height and width: the model resizes to {height}x{width} and rescales."]
    return RawModel(_finish(image, x, model, RAW_MODEL_NAME), lines, wrapped=True)


def _arrays(model: Any, stats: dict[str, Any]) -> RawModel:
    import keras
    import numpy as np

    shape = tuple(model.inputs[0].shape[1:])
    raw = keras.Input(shape=shape, dtype="float32", name="x")
    scaling = stats.get("scaling")
    center = np.asarray(stats.get("center", 0.0), dtype="float64")
    scale = np.asarray(stats.get("scale", 1.0), dtype="float64")
    if scaling == "layer" or (center.ndim == 0 and float(center) == 0.0 and float(scale) == 1.0):
        return RawModel(model, [f"Feed the raw array ({stats.get('dtype')}) as the file holds it."])
    axis = -1 if center.ndim else None
    x = keras.layers.Normalization(axis=axis, mean=center.tolist(), variance=(scale**2).tolist(), name="normalization")(raw)
    lines = [f"Feed the raw array ({stats.get('dtype')}, samples of shape {shape}) as the file holds it; "
             "the model scales it with the training split's statistics."]
    return RawModel(_finish(raw, x, model, RAW_MODEL_NAME), lines, wrapped=True)


def _parts(model: Any, stats: dict[str, Any]) -> RawModel:
    """One raw ``Input`` per Input node (same name), each scaled with its own training statistics."""
    import keras
    import numpy as np

    plans = {str(p["name"]): p for p in stats["parts"] if p.get("role") == "input"}
    raws: dict[str, Any] = {}
    scaled: list[Any] = []
    feed: list[str] = []
    for tensor in model.inputs:
        name = str(tensor.name).split(":")[0]
        plan = plans.get(name)
        if plan is None:
            raise ValueError(f"The data has no part for the model's Input {name!r}; its parts are "
                             f"{', '.join(plans)}. Rename the Input node or the array so they match.")
        shape = tuple(tensor.shape[1:])
        raw = keras.Input(shape=shape, dtype="float32", name=name)
        raws[name] = raw
        center = np.asarray(plan.get("center", 0.0), dtype="float64")
        scale = np.asarray(plan.get("scale", 1.0), dtype="float64")
        if plan.get("scaling") == "layer" or (center.ndim == 0 and float(center) == 0.0 and float(scale) == 1.0):
            scaled.append(raw)
            feed.append(f"  {name!r}: array {plan.get('array')!r} ({plan.get('dtype')}, samples of shape {shape}) "
                        "as the file holds it")
            continue
        axis = -1 if center.ndim else None
        scaled.append(keras.layers.Normalization(axis=axis, mean=center.tolist(), variance=(scale**2).tolist(),
                                                 name=f"{name}_normalization")(raw))
        feed.append(f"  {name!r}: array {plan.get('array')!r} ({plan.get('dtype')}, samples of shape {shape}) as the "
                    "file holds it; the model scales it with the training split's statistics")
    lines = ["Feed a dict with one raw array per Input name (the .npz arrays as the file holds them):", *feed]
    outputs = model(scaled if len(scaled) > 1 else scaled[0])
    # A list in the trained model's Input order (a dict would be re-ordered by name): the .tflite runner and
    # the int8 calibration pair inputs with arrays by that order; Keras still takes a dict keyed by name.
    return RawModel(keras.Model(list(raws.values()), outputs, name=RAW_MODEL_NAME), lines, wrapped=True)


def _series(model: Any, stats: dict[str, Any]) -> RawModel:
    import keras
    import numpy as np

    shape = tuple(model.inputs[0].shape[1:])
    raw = keras.Input(shape=shape, dtype="float32", name="window")
    center = np.asarray(stats["center"], dtype="float64")
    scale = np.asarray(stats["scale"], dtype="float64")
    x = keras.layers.Normalization(axis=-1, mean=center.tolist(), variance=(scale**2).tolist(), name="normalization")(raw)
    features = ", ".join(stats.get("features") or [])
    lines = [f"Feed raw windows (batch, {shape[0]} time steps, features {features}) with values as in the file."]
    return RawModel(_finish(raw, x, model, RAW_MODEL_NAME), lines, wrapped=True)


@dataclass
class RawFeed:
    """Raw samples as the wrapped model takes them, in chunks (images of one size per chunk)."""

    chunks: list[Any]  # each: an array or a dict of column arrays (text columns as object arrays)
    positions: list[Any]  # each: the sample positions of a chunk's rows, for putting outputs back in order
    count: int


def raw_feed(stats: dict[str, Any], raw: Any, fmt: str) -> RawFeed:
    """What the model of :func:`raw_model` takes for ``raw`` (``PreparedData.raw_samples`` output)."""
    import numpy as np

    source = stats.get("source")
    if stats.get("image_table"):
        return _image_table_feed(stats, raw)
    if source == "csv" and stats.get("features"):
        from visualnn.services.datasets.tabular import raw_columns

        columns = raw_columns(stats, raw)
        n = len(next(iter(columns.values())))
        if fmt in NO_STRING_LOOKUPS and not stats.get("parts"):
            matrix = np.stack([_column_codes(p, columns[p["name"]]) for p in stats["features"]], axis=1)
            return RawFeed([matrix.astype("float32")], [np.arange(n)], n)
        feed = {plan["name"]: _column_feed(plan, columns[plan["name"]], raw) for plan in stats["features"]}
        return RawFeed([feed], [np.arange(n)], n)
    if source == "images":
        return _image_feed(stats, list(raw))
    if stats.get("parts"):
        names = [str(p["name"]) for p in stats["parts"] if p.get("role") == "input"]
        chunk = {name: np.asarray(raw[name], dtype="float32") for name in names}
        count = int(len(chunk[names[0]]))
        return RawFeed([chunk], [np.arange(count)], count)
    arr = np.asarray(raw, dtype="float32")
    return RawFeed([arr], [np.arange(len(arr))], int(len(arr)))


def _column_feed(plan: dict[str, Any], values: Any, raw: Any) -> Any:
    """One column as the raw-input model takes it: text as the file holds it ('' = missing), else float32 numbers.
    ``values``: the column as :func:`~visualnn.services.datasets.tabular.raw_columns` read it; ``raw``: the rows."""
    import numpy as np

    from visualnn.services.datasets.tabular import is_missing

    if plan["kind"] == "categorical":
        return np.array(["" if v is None else v for v in values], dtype=object)
    if plan.get("text"):  # a yes/no column written as words: the words themselves
        name = plan["name"]
        words = raw[name].tolist() if hasattr(raw, "columns") else [r.get(name) for r in raw]
        return np.array(["" if is_missing(v) else str(v) for v in words], dtype=object)
    return values.astype("float32")


def _image_table_feed(stats: dict[str, Any], raw: Any) -> RawFeed:
    """Raw rows (key column = image paths, the feature columns) -> dicts of raw pixels and columns, by image size."""

    from visualnn.services.datasets.tabular import raw_columns

    key = str(stats.get("key") or "file")
    images = _image_feed(stats, [str(p) for p in raw[key]])
    columns = raw_columns(stats, raw) if stats.get("features") else {}
    for plan in stats.get("features") or []:
        columns[plan["name"]] = _column_feed(plan, columns[plan["name"]], raw)
    image_input = str(stats["image_input"])
    chunks = [{image_input: pixels, **{n: v[idx] for n, v in columns.items()}}
              for pixels, idx in zip(images.chunks, images.positions, strict=True)]
    return RawFeed(chunks, images.positions, images.count)


def _column_codes(plan: dict[str, Any], values: Any) -> Any:
    import numpy as np

    if plan["kind"] != "categorical":
        return values
    lookup = {c: i for i, c in enumerate(str(c) for c in plan["categories"])}
    return np.array([np.nan if v is None else lookup.get(v, -1) for v in values], dtype="float64")


def _image_feed(stats: dict[str, Any], paths: list[str]) -> RawFeed:
    """Decode each file to raw uint8 pixels (the app's decoder, no resize), grouped by size."""
    import numpy as np
    import tensorflow as tf

    from visualnn.core.dataset import ImageOptions
    from visualnn.services.datasets.images_tf import pixels_fn

    opts = ImageOptions(tuple(stats["image_size"]), str(stats.get("color_mode") or "rgb"),  # type: ignore[arg-type]
                        str(stats.get("rescale") or "0_1"))
    pixels = pixels_fn(opts)
    groups: dict[tuple[int, ...], list[int]] = {}
    images: list[Any] = []
    for i, path in enumerate(paths):
        img = pixels(tf.constant(path)).numpy()
        images.append(img)
        groups.setdefault(tuple(img.shape), []).append(i)
    chunks = [np.stack([images[i] for i in idx]).astype("float32") for idx in groups.values()]
    return RawFeed(chunks, [np.asarray(idx) for idx in groups.values()], len(paths))
