"""Source text of the exported script's step 2 for single-Input models: ``with_preprocessing()`` (the
app's scaling and encodings as layers in front of the model, so the saved model takes raw inputs) and
``make_dataset()`` (the ``tf.data`` pipeline: ``from_tensor_slices``, ``shuffle``, ``batch``, ``prefetch``).

Companion of :mod:`data_templates` (step 1, ``load_data()``); the same one-algorithm rule holds.
"""

from __future__ import annotations

# Every make_dataset() ends with these fixed tf.data settings (the app's pipelines use the same, see
# services/datasets/pipeline.steady): tf.data's autotuner keeps a tuning thread whose shutdown can hold
# up the end of an epoch for seconds when the iterator is dropped (measured: 5 s stalls on 2 cores).
STEADY_RETURN = """    # Fixed tf.data settings: the autotuner's tuning thread can hold up the end of an
    # epoch for seconds when fit() drops the iterator. AUTOTUNE then means the defaults.
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)
"""

ENCODED_COLUMNS = '''
def encoded_columns(recipes, inputs):
    """One raw Input per column (added to inputs) -> the group's encoded, scaled row."""
    parts, mean, variance = [], [], []
    for recipe in recipes:
        # The Input's name: the column's, or a Keras-safe one as VisualNN's export gives it.
        input_name = recipe.get("input", recipe["name"])
        if recipe["kind"] == "categorical":
            categories = [str(c) for c in recipe["categories"]]
            column = keras.Input(shape=(), dtype="string", name=input_name)
            # "" (missing) -> 0, text not seen in training -> 1, the categories -> 2, 3, ...
            index = keras.layers.StringLookup(
                vocabulary=categories, mask_token="", num_oov_indices=1
            )(column)
            fill = (
                categories.index(recipe["fill"]) + 2
                if recipe["fill"] in categories
                else 1
            )
            index = keras.ops.where(keras.ops.equal(index, 0), fill, index)
            if recipe["encoding"] == "onehot":
                onehot = keras.layers.CategoryEncoding(
                    len(categories) + 2, output_mode="one_hot"
                )(index)
                parts.append(onehot[:, 2:])  # unseen text: all zeros
                width = len(categories)
            else:
                parts.append(
                    keras.ops.expand_dims(keras.ops.cast(index - 2, "float32"), -1)
                )
                width = 1
            mean += [0.0] * width
            variance += [1.0] * width
        else:
            if recipe.get("text"):
                # yes/no written as words, read as load_data reads them: lowered,
                # spaces around them ignored; "" (missing), other text and several
                # words read NaN, then are filled
                words = sorted(
                    [(w, 1.0) for w in TRUE_WORDS] + [(w, 0.0) for w in FALSE_WORDS]
                )
                column = keras.Input(shape=(), dtype="string", name=input_name)
                tokens = keras.layers.TextVectorization(
                    standardize="lower",
                    split="whitespace",
                    output_mode="int",
                    vocabulary=[w for w, _ in words],
                    output_sequence_length=2,
                )(column)
                index = keras.ops.where(
                    keras.ops.equal(tokens[:, 1], 0), tokens[:, 0], 1
                )
                table = [np.nan, np.nan] + [v for _, v in words]
                value = keras.ops.take(
                    keras.ops.convert_to_tensor(table, "float32"), index
                )
            else:
                column = keras.Input(shape=(), dtype="float32", name=input_name)
                value = column
            value = keras.ops.expand_dims(value, -1)
            parts.append(keras.ops.where(keras.ops.isnan(value), recipe["fill"], value))
            scaled = recipe["scaling"] in ("standardize", "minmax")
            mean.append(recipe["center"] if scaled else 0.0)
            variance.append(recipe["scale"] ** 2 if scaled else 1.0)
        inputs[recipe["name"]] = column
    x = keras.layers.Concatenate()(parts) if len(parts) > 1 else parts[0]
    return keras.layers.Normalization(mean=mean, variance=variance)(x)
'''

CSV_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind Keras preprocessing layers: it takes raw columns, as VisualNN exports it.

    One input per column (a dict; text and yes/no words as tf.string, '' = missing; numbers
    as float32, NaN = missing), then the recipes of load_data(): missing values filled,
    StringLookup + CategoryEncoding for text columns, Normalization with the training
    split's statistics (min-max: mean = min, variance = range**2). From pandas, give the
    text columns '' for a missing value first: dict(df.fillna({"colour": ""})).
    """
    inputs = {}
    x = encoded_columns(RECIPES, inputs)
    return keras.Model(inputs, model(x), name="with_preprocessing")
'''

RAW_IMAGES = '''
def raw_images(name):
    """(an Input of raw pixels 0..255 of any size, those pixels resized and rescaled as load_data()'s)."""
    height, width = DATA["image_size"]
    image = keras.Input(shape=(None, None, DATA["channels"]), name=name)
    x = keras.layers.Resizing(height, width, interpolation="bilinear")(image)
    scale, offset = RESCALE
    return image, keras.layers.Rescaling(scale, offset)(x)  # x * scale + offset
'''

IMAGE_LAYERS = RAW_IMAGES + '''

def with_preprocessing(model):
    """The trained model behind Keras preprocessing layers: it takes raw pixels 0..255 of any size."""
    image, x = raw_images("image")
    return keras.Model(image, model(x), name="with_preprocessing")
'''

NUMPY_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind a Normalization layer: it takes the arrays as the file holds them.

    The layer repeats load_data()'s scaling with the training split's statistics ((x - mean) / std,
    min-max as mean = min and variance = range**2, uint8 pixels as mean 0 and variance 255**2).
    """
    if not SCALING["scaled"]:
        return model  # the model already takes the raw arrays
    center, scale = SCALING["center"], SCALING["scale"]
    raw = keras.Input(shape=SCALING["shape"], name="x")
    x = keras.layers.Normalization(
        axis=-1 if center.ndim else None,  # per feature for tables, one value otherwise
        mean=center.tolist(),
        variance=(scale.astype(np.float64) ** 2).tolist(),
    )(raw)
    return keras.Model(raw, model(x), name="with_preprocessing")
'''

SERIES_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind a Normalization layer: it takes windows of the values as in the file.

    Input: (samples, time steps, features); the layer scales each feature with the training split's
    statistics, as load_data() does.
    """
    center, scale = SCALING["center"], SCALING["scale"]
    window = keras.Input(shape=(DATA["length"], len(DATA["features"])), name="window")
    x = keras.layers.Normalization(
        axis=-1, mean=center.tolist(), variance=(scale**2).tolist()
    )(window)
    return keras.Model(window, model(x), name="with_preprocessing")
'''

PIPELINE = '''
def make_dataset(x, y, batch_size, training):
    """The tf.data pipeline: from_tensor_slices, zip((ds_x, ds_y)), shuffle, batch, prefetch."""
    ds_x = tf.data.Dataset.from_tensor_slices(x)  # one element per sample
    ds_y = tf.data.Dataset.from_tensor_slices(y)
    ds = tf.data.Dataset.zip((ds_x, ds_y))  # keeps each x with its y
    if PIPELINE["cache"]:
        ds = ds.cache()
    if training and PIPELINE["shuffle"]:
        buffer_size = PIPELINE["shuffle_buffer"] or len(
            y
        )  # default: the number of training examples
        ds = ds.shuffle(
            buffer_size=buffer_size, seed=SEED, reshuffle_each_iteration=True
        )
    ds = ds.batch(batch_size)
    if training and PIPELINE["repeat"]:
        ds = ds.repeat()
    if PIPELINE["prefetch"]:
        ds = ds.prefetch(tf.data.AUTOTUNE)
''' + STEADY_RETURN

IMAGE_PIPELINE = '''
def on_images(x, transform):
    """transform applied to the images: x itself, or the image Input's entry of a dict of Inputs."""
    if isinstance(x, dict):
        image = DATA["image_input"]
        return {k: transform(v) if k == image else v for k, v in x.items()}
    return transform(x)


def make_dataset(x, y, batch_size, training):
    """Streaming images: shuffle the paths, decode in parallel, batch, rescale, prefetch.

    x is the image paths, or a dict {Input name: values} whose image Input holds the paths.
    """
    # One element per sample; from a dict of Inputs, each element is {Input name: one sample}.
    ds_x = tf.data.Dataset.from_tensor_slices(x)
    ds_y = tf.data.Dataset.from_tensor_slices(y)
    ds = tf.data.Dataset.zip((ds_x, ds_y))  # keeps each image with its row and target
    count = len(x[DATA["image_input"]] if isinstance(x, dict) else x)
    shuffle = training and PIPELINE["shuffle"]
    buffer_size = PIPELINE["shuffle_buffer"] or count  # default: every training example
    if shuffle and not PIPELINE["cache"]:
        # Shuffle the paths, not the pixels: the buffer then holds file names, not images.
        ds = ds.shuffle(
            buffer_size=buffer_size, seed=SEED, reshuffle_each_iteration=True
        )
    ds = ds.map(
        lambda x, label: (on_images(x, load_image), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    # A file that fails to decode stops the run, as in VisualNN (which then names the damaged files); with a
    # table, every image also has its row. Nothing goes between map and batch: tf.data runs them as one stage.
    if PIPELINE["cache"]:
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(
                buffer_size=buffer_size, seed=SEED, reshuffle_each_iteration=True
            )
    ds = ds.batch(batch_size)
    scale, offset = RESCALE
    if scale != 1.0 or offset != 0.0:
        ds = ds.map(
            lambda x, label: (on_images(x, lambda img: img * scale + offset), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if training and PIPELINE["repeat"]:
        ds = ds.repeat()
    if PIPELINE["prefetch"]:
        ds = ds.prefetch(tf.data.AUTOTUNE)
''' + STEADY_RETURN
