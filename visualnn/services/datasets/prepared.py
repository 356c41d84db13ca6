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
    )


def _sample(arr: Any, limit: int = 8) -> Any:
    """The first sample, flattened and truncated, as JSON numbers."""
    import numpy as np

    if not len(arr):
        return []
    first = np.asarray(arr[0]).ravel()[:limit]
    return [round(float(v), 4) for v in first]
