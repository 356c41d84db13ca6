"""One node's output tensor for one sample: what the Activations view draws.

The sub-model from the model's inputs to the node's output is cut once per (model, node) and kept
with the model (:mod:`visualnn.services.model_probe`), so a second sample costs one forward pass.
Values travel as JSON, downsampled to a size a view can draw: at most :data:`MAX_MAPS` feature maps of
at most :data:`MAX_SIDE` x :data:`MAX_SIDE` (block means), :data:`MAX_SIDE` x :data:`MAX_SIDE` for a
sequence, :data:`MAX_VECTOR` values for a vector. The statistics are of the whole tensor.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.explain_protocol import ActivationsRequest
from visualnn.core.project import Project
from visualnn.core.tensor_card import activation_card, source_data_card
from visualnn.services.model_probe import (
    Probe,
    ProbeError,
    layer_name,
    probe_for,
    project_data,
    raw_sample,
    split_sample,
)
from visualnn.services.training_common import Sink, explain, null_sink

MAX_MAPS = 64
MAX_SIDE = 64
MAX_VECTOR = 512


def sub_model(probe: Probe, name: str) -> Any:
    """The cached model from ``probe``'s inputs to layer ``name``'s output, compiled as one graph function."""
    key = f"activation:{name}"
    if key not in probe.cache:
        import keras
        import tensorflow as tf

        inputs, outputs, _ = probe.graph_tensors()
        sub = keras.Model(inputs, outputs[name])
        probe.cache[key] = tf.function(lambda x: sub(x, training=False), reduce_retracing=True)
    return probe.cache[key]


def block_reduce(a: Any, shape: tuple[int, ...]) -> Any:
    """``a`` shrunk to at most ``shape`` along its leading axes by block means (axes already small are kept)."""
    import numpy as np

    out = np.asarray(a, dtype="float64")
    for axis, limit in enumerate(shape):
        n = out.shape[axis]
        if n <= limit:
            continue
        step = -(-n // limit)
        pad = (-n) % step
        if pad:  # repeat the edge so the last block is a mean of real values
            edge = np.take(out, [n - 1] * pad, axis=axis)
            out = np.concatenate([out, edge], axis=axis)
        new_shape = out.shape[:axis] + (out.shape[axis] // step, step) + out.shape[axis + 1:]
        out = out.reshape(new_shape).mean(axis=axis + 1)
    return out


def downsample(sample: Any) -> tuple[Any, list[int]]:
    """One sample's tensor (no samples axis) as a drawable nested list, and that list's shape."""
    import numpy as np

    a = np.asarray(sample, dtype="float64")
    if a.ndim == 4:  # frames: the middle frame
        a = a[a.shape[0] // 2]
    if a.ndim == 3:  # (height, width, channels) -> (channels, height, width) maps
        a = np.moveaxis(a, -1, 0)[:MAX_MAPS]
        a = np.moveaxis(block_reduce(np.moveaxis(a, 0, -1), (MAX_SIDE, MAX_SIDE)), -1, 0)
    elif a.ndim == 2:
        a = block_reduce(a, (MAX_SIDE * 4, MAX_SIDE))
    elif a.ndim == 1:
        a = block_reduce(a, (MAX_VECTOR,))
    a = np.round(a, 6)
    return a.tolist(), list(a.shape)


def describe_tensor(value: Any) -> dict[str, Any]:
    """Shape, statistics and the drawable values of a batch of one."""
    import numpy as np

    a = np.asarray(value)
    sample = a[0]
    finite = np.isfinite(sample)
    flat = sample[finite].astype("float64")
    values, shown = downsample(np.where(finite, sample, 0.0))
    dead: list[int] = []
    if sample.ndim >= 2:  # channels that are zero everywhere: dead ReLUs
        per_channel = np.abs(sample.reshape(-1, sample.shape[-1])).max(axis=0)
        dead = [int(i) for i in np.flatnonzero(per_channel == 0)]
    return {
        "shape": [None, *(int(d) for d in sample.shape)],
        "rank": int(a.ndim),
        "dtype": str(a.dtype),
        "min": float(flat.min()) if flat.size else 0.0,
        "max": float(flat.max()) if flat.size else 0.0,
        "mean": float(flat.mean()) if flat.size else 0.0,
        "std": float(flat.std()) if flat.size else 0.0,
        "zero_fraction": float(np.mean(sample == 0)) if sample.size else 0.0,
        "nonfinite": int(sample.size - int(finite.sum())),
        "dead_channels": dead,
        "values": values,
        "values_shape": shown,
    }


def run_activations(req: ActivationsRequest[Project], sink: Sink = null_sink) -> dict[str, Any]:
    """The output of node ``req.node`` for one sample, with its statistics and its Tensor card."""
    import numpy as np

    project = req.project
    probe = probe_for(project, req.base_dir, req.run_id)
    name = layer_name(probe, project, req.node)
    data = project_data(project, req.base_dir, probe, req.inline_data) if req.sample is None or \
        project.dataset is not None else None
    if req.sample is not None:
        x, split, y = raw_sample(data, req.sample, probe.model), None, None
    else:
        split, x, y = split_sample(data, req.split, req.index)
    fn = sub_model(probe, name)
    sink("status", {"text": f"Computing {name}'s output with {probe.label}…"})
    try:
        value = fn(x)
    except Exception as exc:
        raise ProbeError(f"{name} could not compute its output for this sample: {explain(exc)}") from exc
    if isinstance(value, list | tuple | dict):
        raise ProbeError(f"{name} has several outputs; pick one of the layers after it.")
    result = describe_tensor(np.asarray(value))
    node = probe.graph.nodes.get(req.node) or project.graph.nodes[req.node]
    kind = data_kind(data)
    if node.type == "Input":
        spec = project.dataset
        rescale = spec.image().rescale if spec is not None and spec.kind == "images" else "none"
        card = source_data_card(spec.kind if spec is not None else None, tuple(result["shape"][1:]), rescale, name)
    else:
        card = activation_card(name, node.type, tuple(result["shape"]), result["dtype"], kind, node.params)
    label = class_label(y, list(getattr(data, "class_names", None) or []))
    return {**result, "node": req.node, "layer": name, "layer_type": node.type,
            "run_id": probe.run.id if probe.run is not None else None, "split": split, "index": req.index,
            "label": label, "card": card.to_dict()}


def class_label(y: Any, names: list[str]) -> str | None:
    """The class name of a label batch of one (an index or a one-hot row), or None (no names, regression)."""
    import numpy as np

    if y is None or not names or isinstance(y, dict):
        return None
    flat = np.asarray(y).reshape(-1)
    if flat.size == 0:
        return None
    i = int(flat.argmax()) if flat.size > 1 else int(flat[0])
    return names[i] if 0 <= i < len(names) else None


def data_kind(data: Any) -> str | None:
    """The course's word for the data (``image``, ``sequence``, ``vector``, ``video``), from its sample rank."""
    shape = tuple(getattr(data, "input_shape", ()) or ())
    return {1: "vector", 2: "sequence", 3: "image", 4: "video"}.get(len(shape))
