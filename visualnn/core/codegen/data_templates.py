"""Source text of the exported ``load_data()`` for each data source kind.

Each template repeats, line for line, the algorithm of ``visualnn.services.datasets`` (split rule,
column encodings, missing values, scaling statistics from the training split only, windows), so
the script and the app see the same tensors. Settings come from the ``DATA`` dict the script
defines above them; nothing from the project is pasted into this text.
"""

from __future__ import annotations

SPLIT = '''
def split_indices(n, val, test, seed, labels=None):
    """Train/validation/test row positions: VisualNN's seeded, optionally stratified rule."""
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
        n_test, n_val = int(n * test + 0.5), int(n * val + 0.5)
        parts = [
            order[n_test + n_val :],
            order[n_test : n_test + n_val],
            order[:n_test],
        ]
    else:
        parts = [[], [], []]
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            idx = idx[rng.permutation(len(idx))]
            c_test, c_val = int(len(idx) * test + 0.5), int(len(idx) * val + 0.5)
            parts[0].append(idx[c_test + c_val :])
            parts[1].append(idx[c_test : c_test + c_val])
            parts[2].append(idx[:c_test])
        parts = [np.concatenate(p) for p in parts]
    return [np.sort(p).astype(np.int64) for p in parts]
'''

READ_TABLE = '''
def read_table(path):
    """Read the table at path with the delimiter, header, decimal mark and encoding VisualNN used."""
    table = pd.read_csv(
        os.path.join(HERE, path),
        sep=DATA["delimiter"],
        header=0 if DATA["header"] else None,
        decimal=DATA["decimal"],
        encoding=DATA["encoding"],
        keep_default_na=False,
        na_values=NULL_VALUES,
    )
    if not DATA["header"]:
        table.columns = [f"column_{i + 1}" for i in range(table.shape[1])]
    return table


def column_values(column, kind):
    """A column as float64 (numeric, boolean; missing = NaN) or text (categorical; missing = None)."""
    if kind == "categorical":
        return np.array([None if pd.isna(v) else str(v) for v in column], dtype=object)
    if kind == "boolean" and not pd.api.types.is_numeric_dtype(column):
        lowered = column.astype("string").str.strip().str.lower()
        out = np.full(len(column), np.nan)
        out[lowered.isin(TRUE_WORDS).to_numpy(dtype=bool)] = 1.0
        out[lowered.isin(FALSE_WORDS).to_numpy(dtype=bool)] = 0.0
        return out
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column.astype("float64").to_numpy()
    text = column.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="raise").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
'''

NUM_SAMPLES = """def num_samples(part):
    \"\"\"The number of samples in one array or in a dict of named arrays (they all have the same).\"\"\"
    if isinstance(part, dict):
        part = next(iter(part.values()))
    return len(part)
"""

ENCODE_TARGET = """def encode_target(column, kind, task):
    \"\"\"One target column's codes (n, 1) as float64 (NaN = missing) and its class names.\"\"\"
    values = column_values(column, kind)
    if kind == "categorical":
        names = sorted({v for v in values if v is not None})
        lookup = {name: i for i, name in enumerate(names)}
        codes = np.array(
            [np.nan if v is None else lookup[v] for v in values], dtype=np.float64
        )
        return codes.reshape(-1, 1), names
    if kind == "boolean":
        return values.reshape(-1, 1), ["false", "true"]
    if task == "regression":
        return values.reshape(-1, 1), []
    classes = np.unique(values[~np.isnan(values)])
    names = [str(int(v)) if float(v).is_integer() else str(v) for v in classes]
    codes = np.where(
        np.isnan(values), np.nan, np.searchsorted(classes, np.nan_to_num(values))
    )
    return codes.reshape(-1, 1), names
"""
"""Shared by the single-CSV and the column-group templates (one target column's encoding, written once)."""

CSV_HEAD = '''
RECIPES = []  # each feature column's recipe, fitted on the training rows by load_data()


def encode_targets(table):
    """Target codes (n, k) as float64 (NaN = missing) and the class names, as VisualNN encodes them."""
    targets = DATA["targets"]
    if len(targets) > 1:
        values = [column_values(table[t["name"]], "numeric") for t in targets]
        return np.stack(values, axis=1), []
    target = targets[0]
    return encode_target(table[target["name"]], target["kind"], DATA["task"])


''' + ENCODE_TARGET + "\n\n"

CSV_COLUMNS = '''
def fit_column(feature, train, everything):
    """One column's recipe; fill values and scaling statistics come from the training rows only."""
    recipe = dict(feature)
    if feature["kind"] == "categorical":
        counts = Counter(v for v in train if v is not None)
        recipe["categories"] = sorted({v for v in everything if v is not None})
        first = recipe["categories"][0] if recipe["categories"] else ""
        recipe["fill"] = counts.most_common(1)[0][0] if counts else first
        if feature["missing"] == "constant":
            recipe["fill"] = str(DATA["fill_value"])
        return recipe
    finite = train[~np.isnan(train)]
    fill = 0.0
    if finite.size and feature["missing"] == "mean":
        fill = float(finite.mean())
    elif finite.size and feature["missing"] == "median":
        fill = float(np.median(finite))
    elif finite.size and feature["missing"] == "most_frequent":
        values, counts = np.unique(finite, return_counts=True)
        fill = float(values[np.argmax(counts)])
    elif feature["missing"] == "constant":
        fill = float(DATA["fill_value"])
    filled = np.where(np.isnan(train), fill, train)
    center, scale = 0.0, 1.0
    if feature["scaling"] in ("standardize", "layer") and filled.size:
        center, scale = float(filled.mean()), float(filled.std())
    elif feature["scaling"] == "minmax" and filled.size:
        center, scale = float(filled.min()), float(filled.max() - filled.min())
    recipe.update(fill=fill, center=center, scale=scale if scale > 0 else 1.0)
    return recipe


def apply_column(recipe, raw):
    """Fill, encode and scale one column with its recipe (float32, shape (n, width))."""
    if recipe["kind"] == "categorical":
        lookup = {c: i for i, c in enumerate(recipe["categories"])}
        codes = np.array(
            [lookup.get(recipe["fill"] if v is None else v, -1) for v in raw]
        )
        if recipe["encoding"] == "onehot":
            out = np.zeros((len(raw), len(lookup)), dtype=np.float32)
            known = codes >= 0  # categories never seen stay all zeros
            out[np.flatnonzero(known), codes[known]] = 1.0
            return out
        return codes.astype(np.float32).reshape(-1, 1)
    values = np.where(np.isnan(raw), recipe["fill"], raw)
    if recipe["scaling"] in ("standardize", "minmax"):
        values = (values - recipe["center"]) / recipe["scale"]
    return values.astype(np.float32).reshape(-1, 1)


'''

CSV_TAIL = '''
def encode_labels(codes, n_classes):
    """Labels as the loss expects them: class indices or one-hot rows (multiclass), else float32."""
    if DATA["task"] == "multiclass":
        labels = codes[:, 0].astype(np.int32)
        if DATA["target_encoding"] == "onehot":
            return np.eye(n_classes, dtype=np.float32)[labels]
        return labels
    return codes.astype(np.float32)


def load_data():
    """Step 1, the data: read the table, encode columns, split, and scale with training statistics."""
    table = read_table(DATA["path"])
    codes, class_names = encode_targets(table)
    keep = ~np.isnan(codes).any(axis=1)  # rows without a target cannot be learned from
    values = {}
    for feature in DATA["features"]:
        values[feature["name"]] = column_values(table[feature["name"]], feature["kind"])
        if feature["missing"] == "drop":
            col = values[feature["name"]]
            missing = (
                np.array([v is None for v in col])
                if col.dtype == object
                else np.isnan(col)
            )
            keep &= ~missing
    rows = np.flatnonzero(keep)
    codes = codes[rows]
    classification = DATA["task"] in ("binary", "multiclass")
    labels = (
        codes[:, 0].astype(np.int64) if classification and DATA["stratify"] else None
    )
    splits = split_indices(
        len(rows), DATA["val"], DATA["test"], DATA["split_seed"], labels
    )
    x = [[] for _ in splits]
    RECIPES.clear()
    for feature in DATA["features"]:
        column = values[feature["name"]]
        recipe = fit_column(feature, column[rows[splits[0]]], column[rows])
        RECIPES.append(recipe)  # with_preprocessing() builds Keras layers from these
        for blocks, idx in zip(x, splits):
            blocks.append(apply_column(recipe, column[rows[idx]]))
    return tuple(
        (np.concatenate(blocks, axis=1), encode_labels(codes[idx], len(class_names)))
        for blocks, idx in zip(x, splits)
    )
'''

CSV = CSV_HEAD + CSV_COLUMNS.lstrip("\n") + CSV_TAIL.lstrip("\n")


TIMESERIES = '''
SCALING = {}  # the training split's per-feature center and scale, set by load_data()


def make_windows(values, target):
    """Sliding windows (samples, time steps, features) and the target horizon steps after each."""
    length, stride, horizon = DATA["length"], DATA["stride"], DATA["horizon"]
    if len(values) == 0:  # an empty split (fraction 0)
        return np.zeros((0, length, values.shape[1]), np.float32), np.zeros(
            (0, 1), np.float32
        )
    starts = np.arange(0, len(values) - length - horizon + 1, stride)
    views = np.lib.stride_tricks.sliding_window_view(values, length, axis=0)
    x = np.ascontiguousarray(views[starts].transpose(0, 2, 1), dtype=np.float32)
    y = np.asarray(target[starts + length + horizon - 1], dtype=np.float32).reshape(
        -1, 1
    )
    return x, y


def load_data():
    """Step 1, the data: read the series, split by time (no look-ahead), scale, cut windows."""
    table = read_table(DATA["path"])
    names = list(dict.fromkeys([*DATA["features"], DATA["target"]]))
    cols = {name: column_values(table[name], "numeric") for name in names}
    values = np.stack([cols[name] for name in DATA["features"]], axis=1)
    target = cols[DATA["target"]]
    if np.isnan(values).any() or np.isnan(target).any():
        values = (
            pd.DataFrame(values).ffill().bfill().to_numpy()
        )  # carry the last value forward
        target = pd.Series(target).ffill().bfill().to_numpy()
    n = len(values)
    n_test, n_val = int(n * DATA["test"] + 0.5), int(n * DATA["val"] + 0.5)
    n_train = n - n_val - n_test
    train = values[:n_train]
    if DATA["scaling"] == "minmax":
        center, scale = train.min(axis=0), np.ptp(train, axis=0)
    elif DATA["scaling"] == "none":
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    else:
        center, scale = train.mean(axis=0), train.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    # with_preprocessing() puts these in a Normalization layer
    SCALING.update(center=center, scale=scale)
    scaled = (values - center) / scale
    bounds = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n)]
    return tuple(make_windows(scaled[a:b], target[a:b]) for a, b in bounds)
'''

ENCODE_ARRAY_TARGETS = '''
def encode_array_targets(y, task):
    """(labels for stratification or None, encoded targets) of one target array, following VisualNN's rules."""
    if y.ndim == 2 and y.shape[1] > 1:
        if task == "multiclass":
            labels = y.argmax(axis=1)
            if DATA["target_encoding"] == "onehot":
                return labels, y.astype(np.float32)
            return labels, labels.astype(np.int32)
        return None, y.astype(np.float32)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1 or task == "regression":
        return None, (y if flat.shape[1] != 1 else flat).astype(np.float32)
    labels = np.searchsorted(np.unique(flat[:, 0]), flat[:, 0])
    if task == "binary":
        return labels, labels.astype(np.float32).reshape(-1, 1)
    if DATA["target_encoding"] == "onehot":
        return labels, np.eye(labels.max() + 1, dtype=np.float32)[labels]
    return labels, labels.astype(np.int32)
'''

FIT_SCALING = '''
def fit_scaling(train, dtype):
    """(center, scale, scaled) from the training split: per feature for tables, one number otherwise."""
    axis = 0 if train.ndim == 2 else None
    if dtype == np.uint8:
        center, scale = 0.0, 255.0  # pixels: rescale to [0, 1]
    elif DATA["scaling"] in ("standardize", "layer"):
        center, scale = train.mean(axis=axis), train.std(axis=axis)
    elif DATA["scaling"] == "minmax":
        center, scale = (
            train.min(axis=axis),
            train.max(axis=axis) - train.min(axis=axis),
        )
    else:
        center, scale = 0.0, 1.0
    center = np.asarray(center, dtype=np.float32)
    scale = np.asarray(np.where(np.asarray(scale) > 0, scale, 1.0), dtype=np.float32)
    return center, scale, dtype == np.uint8 or DATA["scaling"] != "layer"
'''

NUMPY = '''
SCALING = {}  # the training split's center and scale and the sample shape, set by load_data()


def load_data():
    """Step 1, the data: load the arrays, encode targets, split, scale with training statistics."""
    path = os.path.join(HERE, DATA["path"])
    if path.lower().endswith(".npz"):
        with np.load(path, allow_pickle=False) as arrays:
            x_all, y_all = arrays[DATA["features_array"]], arrays[DATA["targets_array"]]
    else:
        x_all = np.load(path, allow_pickle=False)
        targets = os.path.join(
            os.path.dirname(path), DATA["targets_path"]
        )  # beside the features file
        y_all = np.load(targets, allow_pickle=False)
    labels, y = encode_array_targets(y_all, DATA["task"])
    stratify = DATA["stratify"] and DATA["task"] in ("binary", "multiclass")
    splits = split_indices(
        len(x_all),
        DATA["val"],
        DATA["test"],
        DATA["split_seed"],
        labels if stratify else None,
    )
    train = x_all[splits[0]].astype(np.float32)
    center, scale, scaled = fit_scaling(train, x_all.dtype)
    SCALING.update(center=center, scale=scale, scaled=scaled, shape=x_all.shape[1:])

    def transform(raw):
        raw = np.asarray(raw, dtype=np.float32)
        if not scaled:
            return raw
        return ((raw - center) / scale).astype(np.float32)

    return tuple((transform(x_all[idx]), y[idx]) for idx in splits)
'''

IMAGE_FILES = '''
def list_images(classes=True):
    """Image paths and class indices: one sub-folder per class, in sorted order.

    classes=False: every image of the folder tree (hidden folders left out), all of class 0.
    """
    root = os.path.join(HERE, DATA["path"])
    files, labels, class_names = [], [], []
    folders = sorted(
        d.name for d in os.scandir(root) if d.is_dir() and not d.name.startswith(".")
    )
    for name in folders if classes else [""]:
        found = []
        for folder, subfolders, filenames in os.walk(os.path.join(root, name)):
            if not classes:
                subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            subfolders.sort()
            for filename in sorted(filenames):
                if not filename.startswith(".") and filename.lower().endswith(
                    IMAGE_EXTENSIONS
                ):
                    found.append(os.path.join(folder, filename))
        if found:
            files += found
            labels += [len(class_names)] * len(found)
            class_names.append(name)
    return np.asarray(files), np.asarray(labels, dtype=np.int64), class_names


def load_image(path):
    """Decode one image and resize it (bilinear), as keras.utils.image_dataset_from_directory does."""
    height, width = DATA["image_size"]
    image = tf.io.decode_image(
        tf.io.read_file(path), channels=DATA["channels"], expand_animations=False
    )
    image = tf.image.resize(image, (height, width), method="bilinear")
    image.set_shape((height, width, DATA["channels"]))
    return image
'''

IMAGES_LOAD = '''
def load_data():
    """Step 1, the data: image paths and labels, split per class with the same seed as VisualNN."""
    files, labels, class_names = list_images()
    splits = split_indices(
        len(files),
        DATA["val"],
        DATA["test"],
        DATA["split_seed"],
        labels if DATA["stratify"] else None,
    )
    if DATA["task"] == "binary":
        y = labels.astype(np.float32).reshape(-1, 1)
    elif DATA["target_encoding"] == "onehot":
        y = np.eye(len(class_names), dtype=np.float32)[labels]
    else:
        y = labels.astype(np.int32)
    return tuple((files[idx], y[idx]) for idx in splits)
'''

IMAGES = IMAGE_FILES + "\n\n" + IMAGES_LOAD.lstrip("\n")

ENCODED_COLUMNS = '''
def encoded_columns(recipes, inputs):
    """One raw Input per column (added to inputs) -> the group's encoded, scaled row."""
    parts, mean, variance = [], [], []
    for recipe in recipes:
        if recipe["kind"] == "categorical":
            categories = [str(c) for c in recipe["categories"]]
            column = keras.Input(shape=(), dtype="string")
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
            column = keras.Input(shape=(), dtype="float32")
            value = keras.ops.expand_dims(column, -1)
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

    One input per column (a dict; text as tf.string, numbers as float32, NaN = missing), then the
    recipes of load_data(): missing values filled, StringLookup + CategoryEncoding for text columns,
    Normalization with the training split's statistics (min-max: mean = min, variance = range**2).
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
    return ds
'''

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
    if DATA.get("table"):
        # Every image has its table row: a file that fails to decode stops the run.
        ds = ds.apply(tf.data.experimental.assert_cardinality(count))
    else:
        ds = ds.ignore_errors()  # files that fail to decode are dropped
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
    return ds
'''

RANDOM = '''
def load_data():
    """Step 1, the data: the project has no dataset, so random samples of the right shapes stand in.

    Replace this with your own arrays: return (x_train, y_train), (x_val, y_val), (x_test, y_test).
    """
    rng = np.random.default_rng(SEED)
    splits = []
    for n in (256, 64, 64):
        x = [
            rng.standard_normal((n, *shape)).astype(np.float32)
            for shape in INPUT_SHAPES
        ]
        y = [
            rng.standard_normal((n, *shape)).astype(np.float32)
            for shape in OUTPUT_SHAPES
        ]
        if CLASSES:  # class indices for sparse categorical crossentropy
            y = [rng.integers(0, CLASSES, size=(n,)).astype(np.int32)]
        elif BINARY:  # 0/1 targets for binary crossentropy
            y = [
                (rng.random((n, *shape)) > 0.5).astype(np.float32)
                for shape in OUTPUT_SHAPES
            ]
        splits.append(
            (tuple(x) if len(x) > 1 else x[0], tuple(y) if len(y) > 1 else y[0])
        )
    return tuple(splits)
'''

NUMPY_PARTS = '''
SCALING = {}  # per Input: the training split's center and scale and the sample shape, set by load_data()


''' + NUM_SAMPLES + '''

def load_data():
    """Step 1, the data: one named array per Input and per output, one shared split, scaled inputs.

    x and y are dicts keyed by the Input and output layer names, as model.fit takes them.
    """
    with np.load(os.path.join(HERE, DATA["path"]), allow_pickle=False) as arrays:
        x_all = {part["name"]: arrays[part["array"]] for part in DATA["inputs"]}
        y_all = {part["name"]: arrays[part["array"]] for part in DATA["outputs"]}
    y, labels = {}, None
    for part in DATA["outputs"]:
        part_labels, y[part["name"]] = encode_array_targets(
            y_all[part["name"]], part["task"]
        )
        if labels is None and part["task"] in ("binary", "multiclass"):
            labels = part_labels  # the first classification output stratifies the split
    splits = split_indices(
        num_samples(y),
        DATA["val"],
        DATA["test"],
        DATA["split_seed"],
        labels if DATA["stratify"] else None,
    )
    x = {}
    for name, values in x_all.items():
        center, scale, scaled = fit_scaling(
            values[splits[0]].astype(np.float32), values.dtype
        )
        SCALING[name] = {
            "center": center,
            "scale": scale,
            "scaled": scaled,
            "shape": values.shape[1:],
        }
        x[name] = values.astype(np.float32)
        if scaled:
            x[name] = ((x[name] - center) / scale).astype(np.float32)
    if len(y) == 1:  # one output: its targets as a bare array
        y = next(iter(y.values()))
        return tuple(({k: v[idx] for k, v in x.items()}, y[idx]) for idx in splits)
    return tuple(
        ({k: v[idx] for k, v in x.items()}, {k: v[idx] for k, v in y.items()})
        for idx in splits
    )
'''

TABLE_PARTS = '''
RECIPES = {}  # per Input: its columns' recipes, fitted on the training rows by load_data()


''' + NUM_SAMPLES + '''

''' + ENCODE_TARGET + '''

def encode_labels(codes, task, n_classes):
    """One output's labels as its loss expects them: class indices or one-hot rows, else float32."""
    if task == "multiclass":
        labels = codes[:, 0].astype(np.int32)
        if DATA["target_encoding"] == "onehot":
            return np.eye(n_classes, dtype=np.float32)[labels]
        return labels
    return codes.astype(np.float32)


def encode_parts(table, codes, names):
    """Each Input's column group and each output's targets, split once; per split (x, y, table rows).

    x and y are dicts keyed by the Input and output layer names, as model.fit takes them. codes and
    names hold the outputs whose targets are not a column (codes (n, 1) and class names).
    """
    codes, names = dict(codes), dict(names)
    keep = np.ones(len(table), dtype=bool)
    for target in DATA["outputs"]:
        if target["name"] not in codes:
            column = table[target["column"]]
            coded = encode_target(column, target["kind"], target["task"])
            codes[target["name"]], names[target["name"]] = coded
        keep &= ~np.isnan(codes[target["name"]]).any(axis=1)  # rows without a target
    values = {}
    for group in DATA["inputs"]:
        for feature in group["features"]:
            column = column_values(table[feature["name"]], feature["kind"])
            values[feature["name"]] = column
            if feature["missing"] == "drop":
                missing = (
                    np.array([v is None for v in column])
                    if column.dtype == object
                    else np.isnan(column)
                )
                keep &= ~missing
    rows = np.flatnonzero(keep)
    labels = None
    for target in DATA["outputs"]:
        if target["task"] in ("binary", "multiclass"):
            labels = codes[target["name"]][rows, 0].astype(np.int64)
            break  # the first classification output stratifies the split
    splits = split_indices(
        len(rows),
        DATA["val"],
        DATA["test"],
        DATA["split_seed"],
        labels if DATA["stratify"] else None,
    )
    x = [{} for _ in splits]
    RECIPES.clear()
    for group in DATA["inputs"]:
        RECIPES[group["name"]] = []
        blocks = [[] for _ in splits]
        for feature in group["features"]:
            column = values[feature["name"]]
            recipe = fit_column(feature, column[rows[splits[0]]], column[rows])
            RECIPES[group["name"]].append(recipe)  # with_preprocessing() uses them
            for block, idx in zip(blocks, splits):
                block.append(apply_column(recipe, column[rows[idx]]))
        for part, block in zip(x, blocks):
            part[group["name"]] = np.concatenate(block, axis=1)
    y = [
        {
            t["name"]: encode_labels(
                codes[t["name"]][rows[idx]], t["task"], len(names[t["name"]])
            )
            for t in DATA["outputs"]
        }
        for idx in splits
    ]
    if len(DATA["outputs"]) == 1:  # one output: its targets as a bare array
        y = [next(iter(part.values())) for part in y]
    return [(part, targets, rows[idx]) for part, targets, idx in zip(x, y, splits)]
'''

CSV_PARTS_LOAD = '''
def load_data():
    """Step 1, the data: one column group per Input, one target column per output, one shared split.

    x and y are dicts keyed by the Input and output layer names, as model.fit takes them.
    """
    splits = encode_parts(read_table(DATA["path"]), {}, {})
    return tuple((x, y) for x, y, _ in splits)
'''

CSV_PARTS = TABLE_PARTS + "\n\n" + CSV_PARTS_LOAD.lstrip("\n")

CSV_PARTS_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind Keras preprocessing layers: it takes the raw columns (a dict).

    Each Input's column group is filled, encoded and scaled with the recipes of load_data().
    """
    inputs = {}
    groups = {
        group["name"]: encoded_columns(RECIPES[group["name"]], inputs)
        for group in DATA["inputs"]
    }
    outputs = model(groups)
    if isinstance(outputs, dict):
        outputs = [outputs[part["name"]] for part in DATA["outputs"]]
    return keras.Model(inputs, outputs, name="with_preprocessing")
'''

PARTS_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind one Normalization layer per Input: it takes the arrays as the file holds them.

    Each layer repeats load_data()'s scaling of its Input with the training split's statistics.
    """
    raw, scaled = [], []
    for part in DATA["inputs"]:
        stats = SCALING[part["name"]]
        tensor = keras.Input(shape=stats["shape"], name=part["name"])
        raw.append(tensor)
        if stats["scaled"]:
            tensor = keras.layers.Normalization(
                axis=-1 if stats["center"].ndim else None,
                mean=stats["center"].tolist(),
                variance=(stats["scale"].astype(np.float64) ** 2).tolist(),
                name=f"{part['name']}_scaling",
            )(tensor)
        scaled.append(tensor)
    outputs = model({part["name"]: t for part, t in zip(DATA["inputs"], scaled)})
    if isinstance(outputs, dict):
        outputs = [outputs[part["name"]] for part in DATA["outputs"]]
    return keras.Model(raw, outputs, name="with_preprocessing")
'''

PARTS_PIPELINE = '''
def make_dataset(x, y, batch_size, training):
    """The tf.data pipeline for named parts: from_tensor_slices on the dicts, zip, shuffle, batch."""
    # Each element of ds_x is {Input name: one sample}; of ds_y, {output name: its target}.
    ds_x = tf.data.Dataset.from_tensor_slices(x)
    ds_y = tf.data.Dataset.from_tensor_slices(y)
    ds = tf.data.Dataset.zip((ds_x, ds_y))  # inputs stay with targets
    if PIPELINE["cache"]:
        ds = ds.cache()
    if training and PIPELINE["shuffle"]:
        buffer_size = PIPELINE["shuffle_buffer"] or num_samples(
            y
        )  # default: every training example
        ds = ds.shuffle(
            buffer_size=buffer_size, seed=SEED, reshuffle_each_iteration=True
        )
    ds = ds.batch(batch_size)
    if training and PIPELINE["repeat"]:
        ds = ds.repeat()
    if PIPELINE["prefetch"]:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
'''

RANDOM_PARTS = "\n" + NUM_SAMPLES + '''

def load_data():
    """Step 1, the data: the project has no dataset, so random samples of the right shapes stand in.

    Replace this with your own arrays: dicts keyed by the Input and output layer names,
    return (x_train, y_train), (x_val, y_val), (x_test, y_test).
    """
    rng = np.random.default_rng(SEED)
    splits = []
    for n in (256, 64, 64):
        x = {
            part["name"]: rng.standard_normal((n, *part["shape"])).astype(np.float32)
            for part in INPUTS
        }
        y = {}
        for part in OUTPUTS:
            if (
                part["targets"] == "classes"
            ):  # class indices for sparse categorical crossentropy
                y[part["name"]] = rng.integers(0, part["shape"][-1], size=(n,)).astype(
                    np.int32
                )
            elif part["targets"] == "binary":  # 0/1 targets for binary crossentropy
                y[part["name"]] = (rng.random((n, *part["shape"])) > 0.5).astype(
                    np.float32
                )
            else:
                y[part["name"]] = rng.standard_normal((n, *part["shape"])).astype(
                    np.float32
                )
        if len(y) == 1:  # one output: its targets as a bare array
            y = next(iter(y.values()))
        splits.append((x, y))
    return tuple(splits)
'''

TIMESERIES_TARGETS = '''
SCALING = {}  # the training split's per-feature center and scale, set by load_data()


''' + NUM_SAMPLES + '''

def make_windows(values, targets):
    """Sliding windows (samples, time steps, features) and the target columns horizon steps after each."""
    length, stride, horizon = DATA["length"], DATA["stride"], DATA["horizon"]
    if len(values) == 0:  # an empty split (fraction 0)
        return np.zeros((0, length, values.shape[1]), np.float32), np.zeros(
            (0, targets.shape[1]), np.float32
        )
    starts = np.arange(0, len(values) - length - horizon + 1, stride)
    views = np.lib.stride_tricks.sliding_window_view(values, length, axis=0)
    x = np.ascontiguousarray(views[starts].transpose(0, 2, 1), dtype=np.float32)
    y = np.asarray(targets[starts + length + horizon - 1], dtype=np.float32)
    return x, y


def load_data():
    """Step 1, the data: read the series, split by time (no look-ahead), scale, cut windows.

    x is the windows (the model's one Input); with one output per target column, y is
    {output name: its column}; with one output, the target columns side by side (one vector per window).
    """
    table = read_table(DATA["path"])
    names = list(dict.fromkeys([*DATA["features"], *DATA["targets"]]))
    cols = {name: column_values(table[name], "numeric") for name in names}
    values = np.stack([cols[name] for name in DATA["features"]], axis=1)
    targets = np.stack([cols[name] for name in DATA["targets"]], axis=1)
    if np.isnan(values).any() or np.isnan(targets).any():
        # carry the last value forward
        values = pd.DataFrame(values).ffill().bfill().to_numpy()
        targets = pd.DataFrame(targets).ffill().bfill().to_numpy()
    n = len(values)
    n_test, n_val = int(n * DATA["test"] + 0.5), int(n * DATA["val"] + 0.5)
    n_train = n - n_val - n_test
    train = values[:n_train]
    if DATA["scaling"] == "minmax":
        center, scale = train.min(axis=0), np.ptp(train, axis=0)
    elif DATA["scaling"] == "none":
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    else:
        center, scale = train.mean(axis=0), train.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    # with_preprocessing() puts these in a Normalization layer
    SCALING.update(center=center, scale=scale)
    scaled = (values - center) / scale
    bounds = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n)]
    splits = [make_windows(scaled[a:b], targets[a:b]) for a, b in bounds]
    if not DATA.get("outputs"):  # one output: a vector of the target columns per window
        return tuple(splits)
    return tuple(
        (x, {part["name"]: y[:, i : i + 1] for i, part in enumerate(DATA["outputs"])})
        for x, y in splits
    )
'''

SERIES_PARTS_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind a Normalization layer: it takes windows of the values as in the file.

    Input: (samples, time steps, features), named as the model's Input; the layer scales each feature
    with the training split's statistics, as load_data() does. One prediction per output.
    """
    center, scale = SCALING["center"], SCALING["scale"]
    window = keras.Input(
        shape=(DATA["length"], len(DATA["features"])), name=DATA["input"]
    )
    x = keras.layers.Normalization(
        axis=-1, mean=center.tolist(), variance=(scale**2).tolist()
    )(window)
    outputs = model(x)
    if isinstance(outputs, dict):
        outputs = [outputs[part["name"]] for part in DATA["outputs"]]
    return keras.Model(window, outputs, name="with_preprocessing")
'''
