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
def as_float32(values):
    """Numeric values as the model receives them: rounded to float32, held as float64 for the arithmetic."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


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
    train = as_float32(train)
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
    raw = as_float32(raw)
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
