"""Source text of the exported ``load_data()`` for models with several Inputs or outputs (named parts).

The multi-input/multi-output counterparts of :mod:`data_templates` (arrays from an .npz, column groups
of a CSV, random parts, a time series with several target columns), held to the same rule: each repeats
line for line the algorithm of ``visualnn.services.datasets``; settings come from the script's ``DATA``.
"""

from __future__ import annotations

from visualnn.core.codegen.data_templates import ENCODE_TARGET, NUM_SAMPLES
from visualnn.core.codegen.input_templates import STEADY_RETURN

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
''' + STEADY_RETURN

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
