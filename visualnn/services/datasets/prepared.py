"""What :func:`~visualnn.services.datasets.prepare.prepare` returns: :class:`PreparedData`, and
:func:`from_arrays`, which wraps split arrays into it.

It sits below ``prepare`` and the per-source loaders (``sources``, ``images_tf``) that build it, so
they import it without importing ``prepare`` back. TensorFlow is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.tensors import OutputSuggestion, TensorInfo, suggest_output
from visualnn.services.datasets.errors import Problem
from visualnn.services.datasets.pipeline_code import pipeline_code


@dataclass(frozen=True)
class DataPart:
    """One named part of the data of a model with several Inputs or outputs.

    ``name`` is the node's name (its Keras layer name, the key of the ``x``/``y`` dicts), ``role``
    ``"input"`` or ``"target"``, ``array`` the ``.npz`` array that holds it, ``shape`` one sample (no
    samples axis) as the model receives it. ``task`` and ``class_names`` are set for targets only. From a
    CSV, ``columns`` are the part's columns (and ``array`` lists them).
    """

    name: str
    role: str
    array: str
    node_id: str | None
    shape: tuple[int, ...]
    dtype: str
    task: str | None = None
    class_names: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # a CSV's column group (an input) or target column (a target); () for arrays


@dataclass
class PreparedData:
    """Model-ready data for one project.

    ``train``/``val``/``test`` are batched ``tf.data.Dataset`` objects yielding ``(x, y)`` (``val``
    and ``test`` are None when their fraction is 0). ``input_shape`` is one sample without the batch
    axis (what the Input layer declares). ``transform(raw)`` applies exactly the training
    preprocessing to new data for ``predict``: table rows (DataFrame, list of dicts or lists in
    feature order), image paths, or raw arrays, depending on the source. ``stats`` is JSON and
    holds the normalisation statistics (computed on the training split only) and label names.
    ``raw_samples(split, n)`` gives up to ``n`` samples of a split as the source holds them, before
    any preprocessing (table rows as a DataFrame, image paths, arrays, unscaled windows), in the
    split's order: what ``transform`` takes, and what an exported model with the preprocessing
    inside takes (``services.preprocessing``). None for in-memory data.

    ``class_counts`` (a model with one binary or multiclass output) counts the training split's samples of each
    class, in class order: what balanced class weights are computed from (``core.tensors.balanced_class_weights``).

    ``parts`` is empty for a model with one Input and one output. For several (named parts), ``x`` and
    ``y`` are dicts keyed by node name, ``parts`` lists each input and target in the model's order, and
    ``input_shape``/``task``/``class_names``/``n_outputs`` describe the first Input and first output.
    ``transform`` then takes a dict of raw arrays keyed by Input name and returns the dict the model takes.
    """

    train: Any
    val: Any | None
    test: Any | None
    input_shape: tuple[int, ...]
    task: str
    class_names: list[str]
    n_outputs: int
    stats: dict[str, Any]
    n_train: int
    n_val: int
    n_test: int
    transform: Callable[[Any], Any]
    suggestion: OutputSuggestion
    tensors: list[TensorInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    code: str = ""  # the equivalent tf.data code, for display and export
    raw_samples: Callable[[str, int], Any] | None = None
    parts: list[DataPart] = field(default_factory=list)
    class_counts: tuple[int, ...] = ()  # one-output classification: training samples per class, in class order

    def inputs(self) -> list[DataPart]:
        """The input parts in the model's Input order (empty for single-input data)."""
        return [p for p in self.parts if p.role == "input"]

    def targets(self) -> list[DataPart]:
        """The target parts in the model's output order (empty for single-output data)."""
        return [p for p in self.parts if p.role == "target"]

    def normalization_layer(self) -> Any:
        """A ``keras.layers.Normalization`` holding the training mean/variance (scaling "layer"), else None."""
        feats = self.stats.get("features") or []
        if not feats or not any(f.get("scaling") == "layer" for f in feats):
            return None
        import keras
        import numpy as np

        mean, var = [], []
        for f in feats:
            width = len(f["columns"])
            layer = f.get("scaling") == "layer"
            mean += [f.get("center", 0.0) if layer else 0.0] * width
            var += [(f.get("scale", 1.0) ** 2) if layer else 1.0] * width
        return keras.layers.Normalization(mean=np.array(mean), variance=np.array(var))


def from_arrays(
    x: dict[str, Any], y: dict[str, Any], *, task: str, class_names: list[str], n_outputs: int,
    stats: dict[str, Any], pipe: Any, seed: int, transform: Callable[[Any], Any], target_encoding: str = "index",
    problems: list[Problem] | None = None, x_kind: str | None = None,
    raw_samples: Callable[[str, int], Any] | None = None,
) -> PreparedData:
    """Wrap in-memory split arrays into :class:`PreparedData` with tf.data pipelines."""
    from visualnn.services.datasets.pipeline import make_dataset

    n = {k: int(len(v)) for k, v in y.items()}
    datasets = {
        k: (make_dataset(x[k], y[k], pipe, k == "train", seed) if n[k] else None) for k in ("train", "val", "test")
    }
    suggestion = suggest_output(task, len(class_names), n_outputs, target_encoding)
    tensors = []
    for k in ("train", "val", "test"):
        if n[k]:
            tensors.append(TensorInfo(f"x_{k}", tuple(x[k].shape), str(x[k].dtype), x_kind, _sample(x[k])))
            tensors.append(TensorInfo(f"y_{k}", tuple(y[k].shape), str(y[k].dtype), "labels", _sample(y[k])))
    return PreparedData(
        datasets["train"], datasets["val"], datasets["test"], tuple(int(d) for d in x["train"].shape[1:]), task,
        class_names, n_outputs, stats, n["train"], n["val"], n["test"], transform, suggestion, tensors,
        list(problems or []), pipeline_code(pipe, n["train"], seed), raw_samples,
        class_counts=class_counts(task, y["train"], len(class_names)),
    )


def from_parts(
    x: dict[str, dict[str, Any]], y: dict[str, Any], parts: list[DataPart], *, stats: dict[str, Any],
    pipe: Any, seed: int, transform: Callable[[Any], Any], target_encoding: str = "index",
    kinds: dict[str, str | None] | None = None, raw_samples: Callable[[str, int], Any] | None = None,
    problems: list[Problem] | None = None,
) -> PreparedData:
    """Wrap split named parts (``x[split][input name]``, ``y[split][output name]``) into :class:`PreparedData`.

    ``y[split]`` is the bare target array when the model has one output (Keras takes it as such).

    The pipelines are ``zip(from_tensor_slices(x dict), from_tensor_slices(y dict))``: each element is
    ``({input name: sample}, {output name: target})``, what ``model.fit`` takes for a functional model.
    """
    from visualnn.services.datasets.pipeline import make_dataset

    inputs = [p for p in parts if p.role == "input"]
    targets = [p for p in parts if p.role == "target"]
    ys = {k: (y[k] if isinstance(y[k], dict) else {targets[0].name: y[k]}) for k in ("train", "val", "test")}
    n = {k: int(len(ys[k][targets[0].name])) for k in ("train", "val", "test")}
    datasets = {
        k: (make_dataset(x[k], y[k], pipe, k == "train", seed) if n[k] else None) for k in ("train", "val", "test")
    }
    first = targets[0]
    task = str(first.task)
    names = list(first.class_names)
    n_outputs = _units(task, names, first.shape)
    suggestion = suggest_output(task, len(names), n_outputs, target_encoding)
    tensors = []
    for k in ("train", "val", "test"):
        if not n[k]:
            continue
        for p in inputs:
            arr = x[k][p.name]
            tensors.append(TensorInfo(f"{p.name} ({k})", tuple(arr.shape), str(arr.dtype), (kinds or {}).get(p.name),
                                      _sample(arr)))
        for p in targets:
            arr = ys[k][p.name]
            tensors.append(TensorInfo(f"{p.name} ({k})", tuple(arr.shape), str(arr.dtype), "labels", _sample(arr)))
    code = pipeline_code(pipe, n["train"], seed, x_names=[p.name for p in inputs], y_names=[p.name for p in targets])
    return PreparedData(
        datasets["train"], datasets["val"], datasets["test"], inputs[0].shape, task, names, n_outputs, stats,
        n["train"], n["val"], n["test"], transform, suggestion, tensors, list(problems or []), code, raw_samples,
        list(parts), class_counts(task, ys["train"][first.name], len(names)) if len(targets) == 1 else (),
    )


def class_counts(task: str, y: Any, n_classes: int) -> tuple[int, ...]:
    """Samples per class of the targets ``y`` (class numbers, one-hot rows or a yes/no column, as the pipelines
    deliver them; Keras reads classes from them the same way), in class order; ``()`` unless ``task`` is binary
    or multiclass."""
    import numpy as np

    if task not in ("binary", "multiclass") or not len(y):
        return ()
    arr = np.asarray(y)
    labels = arr.argmax(axis=-1) if arr.ndim == 2 and arr.shape[1] > 1 else np.rint(arr.reshape(len(arr))).astype(np.int64)
    return tuple(int(c) for c in np.bincount(labels, minlength=max(n_classes, 2 if task == "binary" else 1)))


def _units(task: str, names: list[str], shape: tuple[int, ...]) -> int:
    """The output units a target needs: 1 for binary, one per class or label, else one per target value."""
    if task == "binary":
        return 1
    if task in ("multiclass", "multilabel"):
        return len(names)
    units = 1
    for d in shape:
        units *= int(d)
    return units


def _sample(arr: Any, limit: int = 8) -> Any:
    """The first sample, flattened and truncated, as JSON numbers."""
    import numpy as np

    if not len(arr):
        return []
    first = np.asarray(arr[0]).ravel()[:limit]
    return [round(float(v), 4) for v in first]
