"""Data for the training runner: the project's prepared dataset, or in-memory arrays (tests, inline jobs).

Both are :class:`~visualnn.services.datasets.prepared.PreparedData`, the data service's one form of
model-ready data: ``train``/``val``/``test`` (batched ``tf.data`` of ``(x, y)``), ``input_shape``,
``task``, ``class_names``, ``n_outputs``, ``stats`` and ``transform(raw)``.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.compile_options import DataFacts
from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.core.graph import Graph
from visualnn.core.model_io import input_names, model_inputs, output_names
from visualnn.core.paths import resolve_path
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.prepared import PreparedData, from_arrays


def infer_task(y: Any) -> tuple[str, int, str]:
    """(task, n_classes, label_format) guessed from a label array; the task is the data service's name."""
    import numpy as np

    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1 and set(np.unique(y)).issubset({0, 1}):
        return "multiclass", int(y.shape[1]), "onehot"
    if np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_):
        return "multiclass", int(y.max()) + 1 if y.size else 0, "int"
    return "regression", 0, "float"


def inline_data(
    x: Any,
    y: Any,
    batch_size: int,
    seed: int = 0,
    x_val: Any = None,
    y_val: Any = None,
    val_fraction: float = 0.2,
    shuffle: bool = True,
    x_test: Any = None,
    y_test: Any = None,
) -> PreparedData:
    """In-memory arrays as :class:`PreparedData` (holding out ``val_fraction`` when no validation set is given).

    There is a test split only when ``x_test``/``y_test`` are given; the validation arrays never stand
    in for it (evaluation then scores the validation split and says so). Raises the data service's
    ``DataError``.
    """
    import numpy as np

    x = np.asarray(x, dtype="float32")
    y = np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"Inputs and labels must have the same number of samples; received {len(x)} and {len(y)}.")
    if x_val is None and val_fraction > 0 and len(x) >= 10:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        n_val = max(1, int(len(x) * val_fraction))
        x, y, x_val, y_val = x[order[n_val:]], y[order[n_val:]], x[order[:n_val]], y[order[:n_val]]
    if x_val is None:
        x_val, y_val = x[:0], y[:0]  # no validation: empty splits become None
    x_val, y_val = np.asarray(x_val, dtype="float32"), np.asarray(y_val)
    if x_test is None:
        x_test, y_test = x[:0], y[:0]  # no test split
    x_test, y_test = np.asarray(x_test, dtype="float32"), np.asarray(y_test)
    task, n_classes, fmt = infer_task(y)
    stats = {"label_format": fmt, "input_max": float(np.max(x)) if x.size else 0.0, "n_train": len(x),
             "input_kind": "images" if x.ndim >= 3 else "table"}
    return from_arrays(
        {"train": x, "val": x_val, "test": x_test},
        {"train": y, "val": y_val, "test": y_test},
        task=task,
        class_names=[str(i) for i in range(n_classes)],
        n_outputs=n_classes if task != "regression" else (int(y.shape[1]) if y.ndim == 2 else 1),
        stats=stats,
        pipe=PipelineOptions(shuffle=shuffle, batch_size=int(batch_size)),
        seed=seed,
        transform=_as_float32,
        target_encoding="onehot" if fmt == "onehot" else "index",
    )


def _as_float32(raw: Any) -> Any:
    """Raw samples -> model input (in-memory arrays need no preprocessing)."""
    import numpy as np

    return np.asarray(raw, dtype="float32")


def load_data(
    dataset: DatasetSpec | None, base_dir: str, batch_size: int, seed: int, inline: dict[str, Any] | None = None,
    shuffle: bool = True, use_cache: bool = False, *, inputs: list[str] | None = None,
    outputs: list[str] | None = None, shapes: dict[str, tuple[int | None, ...] | None] | None = None,
) -> Any:
    """The job's data: ``inline`` arrays when given, else the project's ``dataset`` through the data service.

    The last prepared dataset is kept; ``use_cache`` (evaluate, predict) reuses it when the description
    and the file are unchanged. Training always prepares afresh: a reused shuffling pipeline would
    continue its random sequence, so the same seed would no longer give the same curves.
    ``inputs``/``outputs`` are the model's Input and output names (``visualnn.core.model_io``): with more
    than one of either, the data comes as named parts (see ``prepare``).
    """
    if inline is not None:
        return inline_data(inline["x"], inline["y"], batch_size, seed, inline.get("x_val"), inline.get("y_val"),
                           float(inline.get("val_fraction", 0.2)), shuffle, inline.get("x_test"),
                           inline.get("y_test"))
    if dataset is None:
        raise DataError("The project has no dataset. Choose one in the Data panel before training.")
    from visualnn.services.datasets.prepare import prepare

    key = _cache_key(dataset, base_dir, batch_size, seed,
                     [list(inputs or []), list(outputs or []), sorted((k, str(v)) for k, v in (shapes or {}).items())])
    if use_cache and key is not None and key in _CACHE:
        return _CACHE[key]
    data = prepare(dataset, base_dir, batch_size=batch_size, seed=seed, inputs=inputs, outputs=outputs, shapes=shapes)
    if key is not None:
        _CACHE.clear()  # one entry: evaluate/predict right after training reuse it; memory stays bounded
        _CACHE[key] = data
    return data


_CACHE: dict[str, Any] = {}


def _cache_key(spec: DatasetSpec, base_dir: str, batch_size: int, seed: int, names: Any = None) -> str | None:
    """Identity of a prepared dataset: its description plus the data file's size and modification time."""
    import json
    import os

    try:
        st = os.stat(resolve_path(spec.path, base_dir))
    except OSError:
        return None
    return json.dumps([spec.to_dict(), os.path.abspath(base_dir), batch_size, seed, st.st_size, st.st_mtime_ns, names],
                      sort_keys=True, default=str)


def graph_names(graph: Graph) -> tuple[list[str], list[str]]:
    """(Input names, output names) of a model drawn as ``graph``: ``load_data``'s ``inputs``/``outputs``."""
    return input_names(graph), output_names(graph)


def model_names(model: Any) -> tuple[list[str], list[str]]:
    """(Input names, output names) of a trained Keras model (its Input and output layer names).

    A saved run's model is what evaluation and prediction feed, so its own names key the parts even
    when a node was renamed after training.
    """
    inputs = [str(getattr(t, "name", "") or "").split(":")[0] for t in getattr(model, "inputs", None) or []]
    return inputs, [str(n) for n in getattr(model, "output_names", None) or []]


def graph_shapes(graph: Graph) -> dict[str, tuple[int | None, ...] | None]:
    """Each Input node's sample shape (``load_data``'s ``shapes``: an image folder's Input is the one of rank 3)."""
    return {port.name: port.shape for port in model_inputs(graph)}


def model_shapes(model: Any) -> dict[str, tuple[int | None, ...] | None]:
    """Each Input's sample shape of a trained Keras model, keyed as :func:`model_names` names them."""
    names, _ = model_names(model)
    out: dict[str, tuple[int | None, ...] | None] = {}
    for name, tensor in zip(names, getattr(model, "inputs", None) or [], strict=False):
        shape = getattr(tensor, "shape", None)
        out[name] = None if shape is None else tuple(None if d is None else int(d) for d in tuple(shape)[1:])
    return out


def check_part_shapes(graph: Graph, data: Any) -> None:
    """Refuse named parts whose sample shape differs from their Input node's shape, naming node and array."""
    parts = {p.name: p for p in getattr(data, "parts", None) or [] if p.role == "input"}
    if not parts:
        return
    for port in model_inputs(graph):
        part = parts.get(port.name)
        if part is None or port.shape is None:
            continue
        if len(port.shape) != len(part.shape) or any(
            d is not None and int(d) != int(s) for d, s in zip(port.shape, part.shape, strict=False)
        ):
            want = list(port.shape)
            if part.columns:
                raise DataError(
                    f"Input node {port.name!r} takes samples of shape {want}, but its columns ({', '.join(part.columns)}) "
                    f"encode to {list(part.shape)[0]} numbers per row. Set the Input node's shape to {list(part.shape)}, "
                    "or choose its columns again in the Data panel (Columns tab).")
            raise DataError(
                f"Input node {port.name!r} takes samples of shape {want}, but its array {part.array!r} holds "
                f"samples of shape {list(part.shape)}. Set the Input node's shape to {list(part.shape)}, or feed "
                "it an array of the node's shape (rename the array or map it in the Data panel).")


_LABEL_FORMATS = {"index": "int", "onehot": "onehot"}  # the data service's target_encoding names


def data_facts(data: Any) -> DataFacts:
    """What the compile checks need, read from prepared data's attributes and stats."""
    stats = dict(getattr(data, "stats", {}) or {})
    task = str(getattr(data, "task", "classification"))
    class_names = list(getattr(data, "class_names", []) or [])
    return DataFacts(
        task="regression" if task == "regression" else "classification",
        n_classes=len(class_names) if class_names else int(getattr(data, "n_outputs", 0) or 0),
        label_format=str(stats.get("label_format") or _LABEL_FORMATS.get(str(stats.get("target_encoding")))
                         or ("float" if task == "regression" else "int")),
        input_kind=str(stats.get("input_kind") or ("images" if stats.get("source") == "images" else "table")),
        input_max=float(stats["input_max"]) if stats.get("input_max") is not None else None,
    )


def output_facts(data: Any) -> dict[str, DataFacts]:
    """What the compile checks need about each output's targets (named parts), keyed by output name."""
    stats = dict(getattr(data, "stats", {}) or {})
    plans = {str(p["name"]): p for p in stats.get("parts") or [] if p.get("role") == "target"}
    facts = {}
    for part in getattr(data, "parts", None) or []:
        if part.role != "target":
            continue
        task = str(part.task)
        regression = task == "regression"
        units = 1
        for d in part.shape:
            units *= int(d)
        facts[part.name] = DataFacts(
            task="regression" if regression else "classification",
            n_classes=len(part.class_names) if part.class_names else units,
            label_format=str(plans.get(part.name, {}).get("label_format") or ("float" if regression else "int")),
            target_shape=tuple(part.shape) if regression else None,
            source=part.array,
        )
    return facts
