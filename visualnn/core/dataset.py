"""Dataset *description* stored in a project (where the data is and how to turn it into tensors).

Never the data itself. Paths are stored relative to the project file.

``DatasetSpec.options`` is plain JSON so the file format stays stable; the typed views below
(:class:`ColumnOptions`, :class:`SplitOptions`, :class:`PipelineOptions`, :class:`ImageOptions`,
:class:`ArrayOptions`, :class:`WindowOptions`) read it with defaults and write it back. Keys in
``options``::

    columns:   {name: {"role": feature|target|ignore, "kind": numeric|categorical|boolean,
                       "encoding": onehot|index, "missing": <strategy>,       (csv, timeseries)
                       "input": <Input node> (feature column group), "output": <output node> (target)}}
    csv:       {"delimiter", "encoding", "header", "decimal"}               (None = detect)
    missing:   {"strategy": drop|mean|median|most_frequent|constant, "fill_value": 0}
    scaling:   standardize|minmax|layer|none          (numeric features; statistics from training only)
    target_encoding: index|onehot                     (classification labels)
    task:      None (detect) | binary|multiclass|multilabel|regression
    split:     {"val": 0.2, "test": 0.1, "seed": 42, "stratify": true}
    pipeline:  {"shuffle": true, "shuffle_buffer": None (= number of training examples), "seed": None
                (= split seed), "batch_size": 32, "repeat": false, "cache": false, "prefetch": true}
    image:     {"image_size": [32, 32], "color_mode": rgb|grayscale, "rescale": "0_1"|"-1_1"|"none",
                "table": None (a CSV of per-image columns), "key": None (its file-name column),
                "input": None (the Input the images feed), "class_output": None (the output of the class folders)}
    arrays:    {"features": "x", "targets": "y", "targets_path": None,   (.npz keys; .npy + targets file)
                "inputs": {node: array}, "outputs": {node: array}}   (named parts, models with several Inputs/outputs)
    window:    {"length": 24, "stride": 1, "horizon": 1, "target": None, "features": None,
                "targets": None (several target columns), "outputs": {output node: column}}
    max_bytes: refuse files larger than this (default 1 GiB)
"""

from __future__ import annotations

import copy
import json
import math
import sys
import types
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

SOURCE_KINDS = ("csv", "images", "numpy", "timeseries")
ROLES = ("feature", "target", "ignore")
COLUMN_KINDS = ("numeric", "categorical", "boolean")
NULL_VALUES = ("", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none", "-")
"""The texts a table reads as a missing value (the table reader, prediction and the exported script alike)."""
TRUE_WORDS = frozenset({"true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "f"})
"""A text column whose words (stripped, in any case) are all among these is a boolean column: true words read as 1,
false words as 0. Training, prediction and the exported script read them alike."""


def boolean_word(text: str) -> float | None:
    """1.0 for a true word, 0.0 for a false word (stripped, in any case), None for any other text."""
    word = text.strip().lower()
    return 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else None


def boolean_words() -> list[tuple[str, float]]:
    """The words of a yes/no column, sorted, each with its value: the vocabulary of an exported model's yes/no input,
    which lowers the text and takes it without the spaces around it, as the app reads it."""
    return sorted([(w, 1.0) for w in TRUE_WORDS] + [(w, 0.0) for w in FALSE_WORDS])


CATEGORICAL_ENCODINGS = ("onehot", "index")
MISSING_STRATEGIES = ("drop", "mean", "median", "most_frequent", "constant")
SCALINGS = ("standardize", "minmax", "layer", "none")
TASKS = ("binary", "multiclass", "multilabel", "regression")
COLOR_MODES = ("rgb", "grayscale")
RESCALES = ("0_1", "-1_1", "none")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
DEFAULT_MAX_BYTES = 1 << 30

_T = TypeVar("_T")


def _from_mapping(cls: type[_T], data: Any) -> _T:
    """Build dataclass ``cls`` from a JSON mapping, ignoring unknown keys (forward compatibility)."""
    if not isinstance(data, dict):
        return cls()
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})


@dataclass(frozen=True)
class ColumnOptions:
    """How one table column is used: role, kind, categorical encoding, missing-value override."""

    role: str = "feature"  # ROLES
    kind: str | None = None  # COLUMN_KINDS; None = detect from the data
    encoding: str = "onehot"  # CATEGORICAL_ENCODINGS (categorical features only)
    missing: str | None = None  # MISSING_STRATEGIES; None = the dataset-wide strategy
    # Models with several Inputs or outputs (named parts, see core.model_io): the Input node a feature
    # column feeds (its column group), or the output node a target column is compared with (None: the
    # output of the column's own name).
    input: str | None = None
    output: str | None = None

    def validate(self, name: str) -> list[str]:
        """Messages for values outside their allowed sets."""
        out = []
        if self.input is not None and self.role != "feature":
            out.append(f"Column {name!r} feeds Input {self.input!r} but its role is {self.role}; only feature columns "
                       "feed an Input.")
        if self.output is not None and self.role != "target":
            out.append(f"Column {name!r} is compared with output {self.output!r} but its role is {self.role}; only "
                       "target columns feed an output.")
        if self.role not in ROLES:
            out.append(f"Column {name!r} role must be one of {', '.join(ROLES)}; received {self.role!r}.")
        if self.kind is not None and self.kind not in COLUMN_KINDS:
            out.append(f"Column {name!r} kind must be one of {', '.join(COLUMN_KINDS)}; received {self.kind!r}.")
        if self.encoding not in CATEGORICAL_ENCODINGS:
            out.append(f"Column {name!r} encoding must be onehot or index; received {self.encoding!r}.")
        if self.missing is not None and self.missing not in MISSING_STRATEGIES:
            out.append(
                f"Column {name!r} missing-value strategy must be one of {', '.join(MISSING_STRATEGIES)}; "
                f"received {self.missing!r}."
            )
        return out


@dataclass(frozen=True)
class CsvOptions:
    """How to parse a delimited text file; ``None`` means detect it."""

    delimiter: str | None = None
    encoding: str | None = None
    header: bool | None = None
    decimal: str | None = None


@dataclass(frozen=True)
class MissingOptions:
    """Dataset-wide missing-value strategy (columns may override it)."""

    strategy: str = "mean"
    fill_value: float | str = 0


@dataclass(frozen=True)
class SplitOptions:
    """Train/validation/test fractions, seed and stratification (see services.datasets.split)."""

    val: float = 0.2
    test: float = 0.0
    seed: int = 42
    stratify: bool = True

    def validate(self) -> list[str]:
        """Messages for impossible fractions."""
        out = []
        for name, value in (("validation", self.val), ("test", self.test)):
            if not 0.0 <= value < 1.0:
                out.append(f"The {name} fraction must be in [0, 1); received {value}.")
        if self.val + self.test >= 1.0:
            out.append(f"Validation + test fractions must leave data for training; received {self.val} + {self.test}.")
        return out

    @property
    def train(self) -> float:
        """Fraction left for training."""
        return max(0.0, 1.0 - self.val - self.test)


NEW_SPLIT = (0.15, 0.15)
"""Validation and test fractions of a new project's data: train/validation/test 70/15/15."""
MIN_PER_CLASS_FOR_TEST = 20
"""A new classification project gets a test split only when every class has at least this many samples."""
MIN_SAMPLES_FOR_TEST = 100
"""A new regression (or time-series) project gets a test split only with at least this many samples."""


def suggest_split(
    n_samples: int, class_counts: dict[str, int] | None = None, by_time: bool = False, seed: int = 42,
) -> tuple[SplitOptions, str | None]:
    """The split of a new project's data and, when it has no test split, the sentence saying why.

    Train/validation/test 70/15/15, seeded, stratified for classification (``class_counts`` given;
    ``by_time`` series are cut in time order). Too little data for a meaningful test split (a class
    under :data:`MIN_PER_CLASS_FOR_TEST` samples, or under :data:`MIN_SAMPLES_FOR_TEST` samples
    without classes) keeps validation 0.2 and no test split.
    """
    val, test = NEW_SPLIT
    stratify = bool(class_counts) and not by_time
    if class_counts:
        name, smallest = min(class_counts.items(), key=lambda kv: kv[1])
        if smallest < MIN_PER_CLASS_FOR_TEST:
            return SplitOptions(0.2, 0.0, seed, stratify), (
                f"No test split: class {name!r} has only {smallest} sample(s), and a test split needs at least "
                f"{MIN_PER_CLASS_FOR_TEST} per class to mean anything. Training uses 80 % and validation 20 %; "
                "evaluation reports the validation split. Add data for a test split."
            )
    elif n_samples < MIN_SAMPLES_FOR_TEST:
        what = "time steps" if by_time else "samples"
        return SplitOptions(0.2, 0.0, seed, stratify), (
            f"No test split: {n_samples} {what} are fewer than the {MIN_SAMPLES_FOR_TEST} a test split needs "
            "to mean anything. Training uses 80 % and validation 20 %; evaluation reports the validation split. "
            "Add data for a test split."
        )
    return SplitOptions(val, test, seed, stratify), None


def evaluated_split_label(used: str, has_test: bool) -> str:
    """How evaluation names the split it scored: the one wording the CLI, the window and the script use."""
    if used == "val":
        return "validation split" if has_test else NO_TEST_LABEL
    return {"test": "test split", "train": "training split"}.get(used, f"{used} split")


NO_TEST_LABEL = "validation split (this project has no test split)"
"""What evaluation says it scored when the project has no test split (the exported script prints it too)."""


@dataclass(frozen=True)
class PipelineOptions:
    """tf.data settings: shuffle (buffer defaults to the number of training examples), batch, repeat..."""

    shuffle: bool = True
    shuffle_buffer: int | None = None  # None = number of training examples
    seed: int | None = None  # None = the split seed
    batch_size: int = 32
    repeat: bool = False
    cache: bool = False
    prefetch: bool = True

    def validate(self) -> list[str]:
        """Messages for impossible settings."""
        out = []
        if int(self.batch_size) < 1:
            out.append(f"Batch size must be at least 1; received {self.batch_size}.")
        if self.shuffle_buffer is not None and int(self.shuffle_buffer) < 1:
            out.append(f"Shuffle buffer size must be at least 1; received {self.shuffle_buffer}.")
        return out


@dataclass(frozen=True)
class ImageOptions:
    """Image folder settings: target size (height, width), colour mode and rescaling."""

    image_size: tuple[int, int] = (32, 32)
    color_mode: str = "rgb"
    rescale: str = "0_1"
    # An image folder plus a table of per-image features/targets (models with several Inputs or outputs):
    # ``table`` is a CSV relative to the project (None: no table), ``key`` its column holding each image's
    # path relative to the folder or its file name (None: the column whose values match the images),
    # ``input`` the Input node the images feed (None: the model's only Input of rank 3), ``class_output``
    # the output that predicts the sub-folder class (None: the output named "class", if any).
    table: str | None = None
    key: str | None = None
    input: str | None = None
    class_output: str | None = None

    @property
    def channels(self) -> int:
        """1 for grayscale, 3 for RGB (grayscale keeps a channel axis of 1)."""
        return 1 if self.color_mode == "grayscale" else 3

    def validate(self) -> list[str]:
        """Messages for unknown settings."""
        out = []
        if len(self.image_size) != 2 or min(int(v) for v in self.image_size) < 1:
            out.append(f"Image size must be [height, width] of positive ints; received {list(self.image_size)}.")
        if self.color_mode not in COLOR_MODES:
            out.append(f"Colour mode must be rgb or grayscale; received {self.color_mode!r}.")
        if self.rescale not in RESCALES:
            out.append(f"Rescale must be one of {', '.join(RESCALES)}; received {self.rescale!r}.")
        return out


@dataclass(frozen=True)
class ArrayOptions:
    """Which arrays of a ``.npz`` hold features and targets (or a second ``.npy`` for targets)."""

    features: str | None = None  # None = "x"/"X"/"features"/first array
    targets: str | None = None  # None = "y"/"Y"/"labels"/"targets"/second array
    targets_path: str | None = None  # for a ``.npy`` features file, relative to the project
    # Models with several Inputs or outputs take named parts: Input/output node name -> .npz array name.
    # None (or a node left out) = the array with the node's own name (see visualnn.core.model_io).
    inputs: dict[str, str] | None = None
    outputs: dict[str, str] | None = None

    def input_array(self, node_name: str) -> str:
        """The array that feeds Input node ``node_name``."""
        return (self.inputs or {}).get(node_name, node_name)

    def output_array(self, node_name: str) -> str:
        """The array of targets for output node ``node_name``."""
        return (self.outputs or {}).get(node_name, node_name)


@dataclass(frozen=True)
class WindowOptions:
    """Time-series windowing: ``length`` steps in, predict ``target`` ``horizon`` steps after the window."""

    length: int = 24
    stride: int = 1
    horizon: int = 1
    target: str | None = None  # None = last numeric column
    features: tuple[str, ...] | None = None  # None = every numeric column (target included)
    # Several targets (a model with several outputs): each column is predicted by the output node of its
    # name, or the one ``outputs`` maps to it ({output node: column}). None = the one ``target``.
    targets: tuple[str, ...] | None = None
    outputs: dict[str, str] | None = None

    def validate(self) -> list[str]:
        """Messages for impossible window settings."""
        out = []
        for name in ("length", "stride", "horizon"):
            if int(getattr(self, name)) < 1:
                out.append(f"Window {name} must be at least 1; received {getattr(self, name)}.")
        return out


@dataclass(frozen=True)
class DatasetSpec:
    """Where the data lives and how it becomes tensors (roles, preprocessing, split, pipeline)."""

    kind: str  # one of SOURCE_KINDS
    path: str  # relative to the project file (POSIX separators)
    options: dict[str, Any] = field(default_factory=dict)  # loader-specific settings (JSON data)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "path": self.path, "options": copy.deepcopy(self.options)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DatasetSpec:
        """Inverse of :meth:`to_dict`."""
        return DatasetSpec(str(data["kind"]), str(data["path"]), copy.deepcopy(dict(data.get("options", {}))))

    # ----- typed views of ``options`` -------------------------------------------------------
    def columns(self) -> dict[str, ColumnOptions]:
        """Per-column settings that were set explicitly (unlisted columns are detected features)."""
        raw = self.options.get("columns") or {}
        return {str(k): _from_mapping(ColumnOptions, v) for k, v in raw.items()}

    def column(self, name: str) -> ColumnOptions:
        """Settings of one column (defaults when unset)."""
        return self.columns().get(name, ColumnOptions())

    def targets(self) -> list[str]:
        """Names of the columns whose role is ``target``, in the order they were set."""
        return [n for n, c in self.columns().items() if c.role == "target"]

    def csv(self) -> CsvOptions:
        """Parsing settings."""
        return _from_mapping(CsvOptions, self.options.get("csv"))

    def missing(self) -> MissingOptions:
        """Dataset-wide missing-value strategy."""
        return _from_mapping(MissingOptions, self.options.get("missing"))

    def scaling(self) -> str:
        """How numeric features are scaled (statistics from the training split only)."""
        return str(self.options.get("scaling", "standardize"))

    def target_encoding(self) -> str:
        """``index`` (sparse labels) or ``onehot``."""
        return str(self.options.get("target_encoding", "index"))

    def task(self) -> str | None:
        """The task forced by the user, or None to detect it from the targets."""
        task = self.options.get("task")
        return None if task is None else str(task)

    def split(self) -> SplitOptions:
        """Split fractions and seed."""
        return _from_mapping(SplitOptions, self.options.get("split"))

    def pipeline(self) -> PipelineOptions:
        """tf.data settings."""
        return _from_mapping(PipelineOptions, self.options.get("pipeline"))

    def image(self) -> ImageOptions:
        """Image folder settings."""
        opts = _from_mapping(ImageOptions, self.options.get("image"))
        return replace(opts, image_size=(int(opts.image_size[0]), int(opts.image_size[1])))

    def arrays(self) -> ArrayOptions:
        """Which ``.npz`` arrays are features and targets."""
        return _from_mapping(ArrayOptions, self.options.get("arrays"))

    def window(self) -> WindowOptions:
        """Time-series windowing."""
        opts = _from_mapping(WindowOptions, self.options.get("window"))
        feats = None if opts.features is None else tuple(str(f) for f in opts.features)
        targets = None if opts.targets is None else tuple(str(t) for t in opts.targets)
        return replace(opts, features=feats, targets=targets)

    def max_bytes(self) -> int:
        """Files above this size are refused with their size named."""
        return int(self.options.get("max_bytes", DEFAULT_MAX_BYTES))

    # ----- editing (returns new specs; DatasetSpec is immutable) -----------------------------
    def with_options(self, **changes: Any) -> DatasetSpec:
        """A copy with top-level option keys replaced; dataclass values are stored as JSON."""
        options = copy.deepcopy(self.options)
        for key, value in changes.items():
            options[key] = _to_json(value)
        return DatasetSpec(self.kind, self.path, options)

    def with_column(self, name: str, **changes: Any) -> DatasetSpec:
        """A copy with one column's settings changed (e.g. ``role="target"``)."""
        cols = copy.deepcopy(self.options.get("columns") or {})
        current = asdict(_from_mapping(ColumnOptions, cols.get(name)))
        current.update(changes)
        cols[name] = current
        return self.with_options(columns=cols)

    def with_path(self, path: str) -> DatasetSpec:
        """A copy pointing at another file (relocating moved data)."""
        return DatasetSpec(self.kind, path, copy.deepcopy(self.options))

    def validate(self) -> list[str]:
        """Every problem in the description itself (not the data); empty when it is consistent.

        Options of the wrong JSON type are reported first and alone (:func:`option_type_problems`): the typed
        views below could not read them.
        """
        typed = option_type_problems(self.options)
        if typed:
            return [f"Dataset option {where} {why}" for where, why in typed]
        out: list[str] = []
        if self.kind not in SOURCE_KINDS:
            out.append(f"Dataset kind must be one of {', '.join(SOURCE_KINDS)}; received {self.kind!r}.")
        if not self.path:
            out.append("The dataset has no path; choose a file or folder.")
        for name, col in self.columns().items():
            out += col.validate(name)
        if self.missing().strategy not in MISSING_STRATEGIES:
            out.append(
                f"Missing-value strategy must be one of {', '.join(MISSING_STRATEGIES)}; "
                f"received {self.missing().strategy!r}."
            )
        if self.scaling() not in SCALINGS:
            out.append(f"Scaling must be one of {', '.join(SCALINGS)}; received {self.scaling()!r}.")
        if self.target_encoding() not in CATEGORICAL_ENCODINGS:
            out.append(f"Target encoding must be index or onehot; received {self.target_encoding()!r}.")
        if self.task() is not None and self.task() not in TASKS:
            out.append(f"Task must be one of {', '.join(TASKS)}; received {self.task()!r}.")
        out += _csv_problems(self.csv())
        out += self.split().validate() + self.pipeline().validate()
        if self.kind == "images":
            out += self.image().validate()
        if self.kind == "timeseries":
            out += self.window().validate()
        return out


# ----- the JSON type of every option: one table, the typed views' own dataclass fields -------------------
OPTION_GROUPS: dict[str, type] = {
    "csv": CsvOptions, "missing": MissingOptions, "split": SplitOptions, "pipeline": PipelineOptions,
    "image": ImageOptions, "arrays": ArrayOptions, "window": WindowOptions,
}
"""Option groups read through a dataclass (``options["split"]`` -> :class:`SplitOptions`): each field's annotation
is the JSON type its value must have."""
OPTION_MAPS: dict[str, type] = {"columns": ColumnOptions}
"""Option groups holding one object per name (``options["columns"]["species"]`` -> :class:`ColumnOptions`)."""
OPTION_VALUES: dict[str, Any] = {"scaling": str, "target_encoding": str, "task": str | None, "max_bytes": int,
                                 "kind": str}
"""Options that are a single value, and their JSON type."""

_LARGEST = sys.float_info.max
_FIX = "Fix: correct it, or remove it to use the default."


def option_type_problems(options: Any) -> list[tuple[str, str]]:
    """(path inside ``options``, why) for every option whose JSON type is not the one its typed view reads.

    Paths look like ``split.val`` or ``columns.species.role``; the reason says what was expected and what was
    found (``must be a number; received text "0.2".``). Unknown keys are ignored (forward compatibility), as
    the typed views ignore them. Numbers must be finite. Pure data: never raises.
    """
    if not isinstance(options, dict):
        return [("(all options)", f"must be an object; received {_json_type(options)}. {_FIX}")]
    out: list[tuple[str, str]] = []
    for key, value in options.items():
        if key in OPTION_VALUES:
            why = _mismatch(value, OPTION_VALUES[key])
            if why:
                out.append((key, why))
        elif key in OPTION_GROUPS and value is not None:
            out += _group_problems(key, value, OPTION_GROUPS[key])
        elif key in OPTION_MAPS and value is not None:
            if not isinstance(value, dict):
                out.append((key, f"must be an object of names; received {_json_type(value)}. {_FIX}"))
                continue
            for name, entry in value.items():
                if entry is not None:
                    out += _group_problems(f"{key}.{name}", entry, OPTION_MAPS[key])
    return out


def _group_problems(where: str, value: Any, cls: type) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [(where, f"must be an object; received {_json_type(value)}. {_FIX}")]
    hints = typing.get_type_hints(cls)
    return [(f"{where}.{k}", why) for k, v in value.items() if k in hints and (why := _mismatch(v, hints[k]))]


def _mismatch(value: Any, hint: Any) -> str | None:
    """Why ``value`` is not of the JSON type ``hint`` (a dataclass field's annotation), or None when it is."""
    if _fits(value, hint):
        return None
    return f"must be {_describe(hint)}; received {_json_type(value)}. {_FIX}"


def _fits(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _LARGEST
    if hint is float:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and (math.isfinite(value) if isinstance(value, float) else abs(value) <= _LARGEST))
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        if not isinstance(value, list):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        return isinstance(value, dict) and all(_fits(v, args[1]) for v in value.values())
    return True  # Any


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_plural(args[0])}"
        return f"a list of {len(args)} {_plural(args[0])}"
    if origin is dict:
        return f"an object of {_plural(args[1])}"
    return {type(None): "null", bool: "true or false", int: "an integer", float: "a finite number",
            str: "text"}.get(hint, str(hint))


def _plural(hint: Any) -> str:
    return {int: "integers", float: "numbers", str: "texts", bool: "true/false values"}.get(hint, _describe(hint))


def _json_type(value: Any) -> str:
    """``text "abc"``, ``an integer 7``, ``a list [1, 2]``: the kind and (shortened) value of a JSON value."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"the non-finite number {value}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST:
        return "an integer too large for a number"
    kind = {bool: "true/false", int: "an integer", float: "a number", str: "text", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        shown = "…"
    return kind if value is None else f"{kind} {shown[:60]}{'…' if len(shown) > 60 else ''}"


def _csv_problems(opts: CsvOptions) -> list[str]:
    """Parsing settings the CSV reader cannot use: a delimiter or decimal mark that is not one ASCII
    character, an encoding Python does not know as a text encoding."""
    out = []
    for name, value in (("delimiter", opts.delimiter), ("decimal mark", opts.decimal)):
        if value is not None and (len(value) != 1 or not value.isascii() or value in "\r\n\"'"):
            out.append(f"The CSV {name} must be one ASCII character other than a quote or a line break; received "
                       f"{value!r}. Fix: set it in the Data panel, or remove it to detect it.")
    if opts.encoding is not None:
        try:
            b"\x00\x00\x00\x00".decode(opts.encoding)  # empty bytes would skip the codec's text-encoding check
        except UnicodeDecodeError:
            pass  # a text encoding, just not of these bytes
        except (LookupError, ValueError):
            out.append(f"The CSV encoding {opts.encoding!r} is not a text encoding Python knows. Fix: use utf-8, "
                       "latin-1 or another standard name, or remove it to detect it.")
    return out


def _to_json(value: Any) -> Any:
    """Dataclasses -> dicts and tuples -> lists, so options stay plain JSON."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return copy.deepcopy(value)
