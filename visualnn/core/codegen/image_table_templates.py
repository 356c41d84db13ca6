"""Source text of the exported ``load_data()`` for an image folder with a per-image table.

The script repeats the data service (``services.datasets.image_table``): it lists the images as training
does (class sub-folders when an output predicts the class, else every image of the folder tree), pairs
each image with its one table row by the key column (``image_keys.match_rows``: the image's path relative
to the folder, or its file name when no other image has it), then encodes the rows exactly as a CSV's
column groups (``data_templates.TABLE_PARTS``), the class folders being one output's targets. The image
Input gets each image's path; ``data_templates.IMAGE_PIPELINE`` decodes it in a ``map``.

The script is assembled from these pieces and the shared ones (see :data:`BODY`).
"""

from __future__ import annotations

from visualnn.core.codegen import data_templates as T
from visualnn.core.codegen import data_templates_parts as P
from visualnn.core.codegen import input_templates as I

MATCH_ROWS = '''
def relative_name(path):
    """An image's path relative to the image folder, with / between folders."""
    root = os.path.join(HERE, DATA["path"])
    return os.path.relpath(path, root).replace(os.sep, "/")


def key_text(value):
    """A key column value as a path: no spaces around it, / between folders, no leading ./"""
    text = str(value).strip().replace("\\\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def match_rows(files, keys):
    """The table row of each image: its key names the image's relative path, or its unique file name."""
    names = [relative_name(f) for f in files]
    owners = Counter(os.path.basename(n) for n in names)
    image_of = {}  # key text -> the image's position in files
    for i, name in enumerate(names):
        if owners[os.path.basename(name)] == 1:
            image_of[os.path.basename(name)] = i
    for i, name in enumerate(names):
        image_of[name] = i  # a relative path wins over a file name
    skipped = set(DATA["skipped"]) | {os.path.basename(n) for n in DATA["skipped"]}
    rows = [None] * len(files)
    for row, key in enumerate(keys):
        text = key_text(key)
        if text in image_of:
            if rows[image_of[text]] is not None:
                raise ValueError(f"Two rows name the image {names[image_of[text]]!r}")
            rows[image_of[text]] = row
        elif text not in skipped:  # a row of an image skipped as unreadable goes unused
            raise ValueError(f"Row {row} of the table names no image: {key!r}")
    missing = [n for n, row in zip(names, rows) if row is None]
    if missing:
        count = len(missing)
        raise ValueError(f"{count} image(s) have no table row, e.g. {missing[0]!r}")
    return np.asarray(rows, dtype=np.int64)
'''

IMAGE_TABLE = '''
def load_data():
    """Step 1, the data: the images and their table rows, one shared split.

    x is {Input name: values}: the images' Input gets each image's path (make_dataset decodes it),
    the other Inputs their column groups; y is {output name: targets}, the class folders among them.
    One Input or one output: a bare array instead of a dict.
    """
    files, labels, class_names = list_images(DATA["class_output"] is not None)
    readable = [relative_name(f) not in DATA["skipped"] for f in files]
    files, labels = files[readable], labels[readable]
    table = read_table(DATA["table"])
    rows = match_rows(files, table[DATA["key"]])
    table = table.iloc[rows].reset_index(drop=True)  # row i describes image i
    codes, names = {}, {}
    if DATA["class_output"] is not None:  # the class folders are this output's targets
        codes[DATA["class_output"]] = labels.astype(np.float64).reshape(-1, 1)
        names[DATA["class_output"]] = class_names
    splits = []
    for x, y, positions in encode_parts(table, codes, names):
        x = {DATA["image_input"]: files[positions], **x}
        splits.append((x if len(x) > 1 else x[DATA["image_input"]], y))
    return tuple(splits)
'''

IMAGE_TABLE_LAYERS = '''
def with_preprocessing(model):
    """The trained model behind Keras preprocessing layers: it takes raw pixels and raw columns (a dict).

    The images' Input takes raw pixels 0..255 of any size (resized and rescaled); each table column
    (text as tf.string, numbers as float32, NaN = missing) is encoded with the recipes of load_data().
    """
    image, pixels = raw_images(DATA["image_input"])
    inputs = {DATA["image_input"]: image}
    x = {
        group["name"]: encoded_columns(RECIPES[group["name"]], inputs)
        for group in DATA["inputs"]
    }
    outputs = model({DATA["image_input"]: pixels, **x} if x else pixels)
    if isinstance(outputs, dict):
        outputs = [outputs[part["name"]] for part in DATA["outputs"]]
    return keras.Model(inputs, outputs, name="with_preprocessing")
'''

BODY = [T.SPLIT, T.READ_TABLE, T.CSV_COLUMNS, P.TABLE_PARTS, T.IMAGE_FILES, MATCH_ROWS, IMAGE_TABLE,
        I.ENCODED_COLUMNS, I.RAW_IMAGES, IMAGE_TABLE_LAYERS, I.IMAGE_PIPELINE]
"""The image-table script's data step, in order: split, table reading and encoding, images, layers, pipeline."""

__all__ = ["BODY", "IMAGE_TABLE", "IMAGE_TABLE_LAYERS", "MATCH_ROWS"]
