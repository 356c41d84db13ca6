"""Tensor vocabulary of the course, pure Python: axis names per rank, sizes, tasks and output suggestions.

The data panel, the CLI and the services all describe tensors with these helpers so the app speaks
the same words as the chapter: a batch of vector data is ``rank 2 (samples, features)``, images are
``rank 4 (samples, height, width, channels)``, video ``rank 5 (samples, frames, height, width, channels)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Axis names of one *batch* (the first axis is always samples), keyed by data kind then rank.
_AXES: dict[str, dict[int, tuple[str, ...]]] = {
    "vector": {1: ("samples",), 2: ("samples", "features")},
    "sequence": {2: ("samples", "time steps"), 3: ("samples", "time steps", "features")},
    "image": {3: ("samples", "height", "width"), 4: ("samples", "height", "width", "channels")},
    "video": {5: ("samples", "frames", "height", "width", "channels")},
}
# Which kind a bare rank most likely means (a .npy of rank 3 is a sequence, rank 4 images...).
_DEFAULT_KIND = {0: "scalar", 1: "vector", 2: "vector", 3: "sequence", 4: "image", 5: "video"}
DTYPE_BYTES = {
    "float16": 2, "float32": 4, "float64": 8, "bfloat16": 2,
    "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8,
    "bool": 1,
}


def axis_names(rank: int, kind: str | None = None) -> tuple[str, ...]:
    """Names of the axes of a batch of ``rank`` (``kind``: vector|sequence|image|video, None = guess)."""
    if rank <= 0:
        return ()
    kind = kind or _DEFAULT_KIND.get(rank, "")
    names = _AXES.get(kind, {}).get(rank)
    if names is None:
        names = _AXES.get(_DEFAULT_KIND.get(rank, ""), {}).get(rank)
    if names is None:
        names = ("samples", *(f"axis {i}" for i in range(1, rank)))
    return names


def rank_phrase(rank: int, kind: str | None = None) -> str:
    """``"rank 2 (samples, features)"``."""
    names = axis_names(rank, kind)
    return f"rank {rank} ({', '.join(names)})" if names else f"rank {rank} (scalar)"


def human_bytes(n: int) -> str:
    """``13312 -> "13.0 KB"`` (powers of 1024, one decimal)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover - loop always returns


GROUPED_FROM = 1000.0
"""From this size on, :func:`figure_text` groups thousands and keeps one decimal at most (tables switch to it here)."""


def figure_text(value: float, sign: bool = False) -> str:
    """A model's figure (a prediction, a metric, an importance) as a person reads it, precise enough to act on and without padding: ``533,312.4``,
    ``9,665.9``, ``19.5``, ``0.2534``, ``1.25e-06`` (``sign``: ``+151,721.8``). ``.4g`` showed a predicted price of
    533,312 as ``5.333e+05``."""
    plus = "+" if sign else ""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    size = abs(value)
    if size >= 1e15:
        return f"{value:{plus}.4e}"
    if size < 1:
        return f"{value:{plus}.4g}"  # four significant digits; below 1e-4 in scientific notation
    text = f"{value:{plus},.1f}" if size >= GROUPED_FROM else f"{value:{plus}.4f}"
    return text.rstrip("0").rstrip(".")


@dataclass(frozen=True)
class TensorInfo:
    """What the tensor view shows for one tensor: name, shape (samples first), dtype, kind, sample."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str = "float32"
    kind: str | None = None  # vector|sequence|image|video|labels; None = guess from rank
    sample: Any = None  # a small JSON-able excerpt (first sample, truncated)

    @property
    def rank(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def axes(self) -> tuple[str, ...]:
        """Axis names, samples first."""
        if self.kind == "labels":
            return ("samples",) if self.rank == 1 else ("samples", "outputs")[: self.rank]
        return axis_names(self.rank, self.kind)

    @property
    def nbytes(self) -> int:
        """Memory the tensor takes (0 when a dimension is unknown)."""
        total = DTYPE_BYTES.get(self.dtype, 4)
        for dim in self.shape:
            if dim is None:
                return 0
            total *= int(dim)
        return total

    @property
    def sample_shape(self) -> tuple[int | None, ...]:
        """Shape of one sample (what the Input layer declares)."""
        return tuple(self.shape[1:])

    def describe(self) -> str:
        """``"x_train: (480, 7) · rank 2 (samples, features) · float32 · 13.1 KB"``."""
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        dims = f"({dims},)" if len(self.shape) == 1 else f"({dims})"
        axes = f"rank {self.rank} ({', '.join(self.axes)})"
        size = f" · {human_bytes(self.nbytes)}" if self.nbytes else ""
        return f"{self.name}: {dims} · {axes} · {self.dtype}{size}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (for ``visualnn data inspect --json``)."""
        return {
            "name": self.name,
            "shape": list(self.shape),
            "rank": self.rank,
            "axes": list(self.axes),
            "dtype": self.dtype,
            "bytes": self.nbytes,
            "sample": self.sample,
        }


# ----- targets -> task -> output layer, loss and metrics -----------------------------------------


@dataclass(frozen=True)
class OutputSuggestion:
    """The output layer, loss and metrics that fit a task (one click in the data panel)."""

    task: str
    units: int
    activation: str
    loss: str
    metrics: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """``"Dense(3, softmax) with sparse_categorical_crossentropy; metrics: accuracy"``."""
        return f"Dense({self.units}, {self.activation}) with {self.loss}; metrics: {', '.join(self.metrics)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "task": self.task, "units": self.units, "activation": self.activation,
            "loss": self.loss, "metrics": list(self.metrics),
        }


# A numeric target with at most this many distinct integer values is treated as class labels.
MAX_INTEGER_CLASSES = 20


def detect_task(
    values_kind: str,
    n_unique: int,
    n_targets: int = 1,
    all_binary: bool = False,
    n_rows: int | None = None,
) -> str:
    """Guess the task from a summary of the target column(s).

    ``values_kind``: ``"float"`` (non-integer numbers), ``"int"``, ``"bool"`` or ``"str"``;
    ``n_unique``: distinct values of the (single) target; ``all_binary``: every target is 0/1
    (several target columns then mean multi-label).
    """
    if n_targets > 1:
        return "multilabel" if all_binary else "regression"
    if values_kind == "float":
        return "regression"
    if values_kind == "int" and n_unique > MAX_INTEGER_CLASSES:
        return "regression"
    if values_kind == "int" and n_rows is not None and n_unique > max(2, n_rows // 2):
        return "regression"  # mostly-distinct integers are amounts, not labels
    return "binary" if n_unique <= 2 else "multiclass"


IMBALANCE_SHARE = 0.2
"""Two classes are imbalanced when the rarer one has less than this share of the samples: always answering the
other class then scores over 80 % accuracy, so accuracy alone says little."""


IDENTIFIER_MIN_ROWS = 20
IDENTIFIER_SHARE = 0.95


def is_identifier(kind: str, n_unique: int, present: int) -> bool:
    """Whether a feature column of this kind, with ``n_unique`` distinct values among its ``present`` (non-missing)
    values, looks like an identifier, a timestamp or free text: a categorical column (of at least
    :data:`IDENTIFIER_MIN_ROWS` values) with a different value in at least :data:`IDENTIFIER_SHARE` of its rows.
    Its one-hot columns (or codes) only tell the training rows apart: a model memorises them, and no new row
    matches any of them."""
    return kind == "categorical" and present >= IDENTIFIER_MIN_ROWS and n_unique >= IDENTIFIER_SHARE * present


def class_label(names: Sequence[str], index: int) -> str:
    """Class ``index`` as messages name it: its name, or ``class <index>`` when the data gave none."""
    return str(names[index]) if 0 <= index < len(names) else f"class {index}"


def rare_class(counts: Sequence[int]) -> int | None:
    """The index of the rarer of two classes (``counts`` in class order) when it has under
    :data:`IMBALANCE_SHARE` of the samples, else None."""
    total = sum(counts)
    if len(counts) != 2 or total <= 0:
        return None
    rare = 0 if counts[0] < counts[1] else 1
    return rare if counts[rare] / total < IMBALANCE_SHARE else None


def rare_classes(counts: Sequence[int]) -> list[int]:
    """Of three or more classes, the indexes of those with under ``2 * IMBALANCE_SHARE / k`` of the samples (``k``
    classes; the two-class rule of :func:`rare_class` carried over: 13 % of three classes, 4 % of ten), rarest
    first. Accuracy can stay high while the model never answers them."""
    total, k = sum(counts), len(counts)
    if k < 3 or total <= 0:
        return []
    limit = 2 * IMBALANCE_SHARE / k
    return sorted((i for i, c in enumerate(counts) if c / total < limit), key=lambda i: (counts[i], i))


def rare_class_metrics(counts: Sequence[int]) -> tuple[str, ...]:
    """What to watch besides accuracy on imbalanced yes/no data (``()`` when balanced). Keras's precision and
    recall measure class 1: when that is the rare class, how many of its answers are right and how many of it are
    found; when class 0 is the rare one they would measure the common class, so AUC (the same either way)."""
    rare = rare_class(counts)
    return () if rare is None else ("precision", "recall") if rare == 1 else ("auc",)


def balanced_class_weights(counts: Sequence[int]) -> dict[int, float]:
    """Keras's ``class_weight`` that gives every class the same share of the loss: class ``i`` weighs
    ``n / (k * counts[i])`` (``n`` samples over ``k`` classes that have any), so the weights average 1 over the
    samples and a class ten times rarer weighs ten times more (scikit-learn calls this "balanced"). Classes
    without samples are left out (Keras weighs them 1). The exported script computes the same from its
    ``y_train`` (``core.codegen.script.BALANCED_CLASS_WEIGHTS``)."""
    present = [(i, int(c)) for i, c in enumerate(counts) if c > 0]
    n = sum(c for _, c in present)
    return {i: n / (len(present) * c) for i, c in present}


def suggest_output(
    task: str, n_classes: int = 0, n_outputs: int = 1, target_encoding: str = "index", class_counts: Sequence[int] = ()
) -> OutputSuggestion:
    """Output units/activation, loss and metrics for ``task`` (Keras's own names); imbalanced yes/no classes
    (``class_counts``) also get :func:`rare_class_metrics`."""
    if task == "binary":
        return OutputSuggestion(task, 1, "sigmoid", "binary_crossentropy", ("accuracy", *rare_class_metrics(class_counts)))
    if task == "multiclass":
        loss = "categorical_crossentropy" if target_encoding == "onehot" else "sparse_categorical_crossentropy"
        return OutputSuggestion(task, max(n_classes, 2), "softmax", loss, ("accuracy",))
    if task == "multilabel":
        return OutputSuggestion(task, max(n_outputs, 1), "sigmoid", "binary_crossentropy", ("binary_accuracy",))
    if task == "regression":
        return OutputSuggestion(task, max(n_outputs, 1), "linear", "mse", ("mae",))
    raise ValueError(f"Task must be one of binary, multiclass, multilabel, regression; received {task!r}.")


def sample_excerpt(values: Sequence[Any], limit: int = 8) -> list[Any]:
    """The first ``limit`` items of a flat sample, for display (JSON-able)."""
    return list(values[:limit])
