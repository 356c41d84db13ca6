"""Named parts: the data of a model with several Inputs or outputs, from a ``.npz`` (TensorFlow lazily).

Each Input node is fed by the array of its name (or the one ``arrays.inputs`` maps to it), each output
node is compared with the target array of its name (``arrays.outputs``). All parts share one split:
``split_indices`` as for a single array, stratified by the first classification output. Each input is
scaled like a single features array (statistics from the training split); each target is encoded on
its own (task and class names per output).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.prepared import DataPart, PreparedData, from_parts
from visualnn.services.datasets.split import split_indices

CLASSIFICATION = ("binary", "multiclass")
SPLITS = ("train", "val", "test")


def _array_kind(rank: int) -> str | None:
    return {2: "vector", 3: "sequence", 4: "image", 5: "video"}.get(rank)


def prepare_named_numpy(spec: DatasetSpec, pipe: PipelineOptions, seed: int, inputs: list[str],
                        outputs: list[str]) -> PreparedData:
    """A ``.npz`` with one array per Input and output node -> dict pipelines ``({input: x}, {output: y})``."""
    import numpy as np

    from visualnn.services.datasets.arrays import encode_array_targets, load_named_arrays, raw_inputs
    from visualnn.services.datasets.sources import array_scaling, scaler

    named = load_named_arrays(spec.path, spec.arrays(), inputs, outputs, spec.max_bytes())
    # A task forced in the Data panel describes one target; with several, each output's task is detected.
    per_output_spec = spec if len(outputs) == 1 else dataclasses.replace(
        spec, options={k: v for k, v in spec.options.items() if k != "task"})
    encoded: dict[str, tuple[str, list[str], Any, Any]] = {}
    for name, (array, values) in named.targets.items():
        try:
            encoded[name] = encode_array_targets(values, per_output_spec, spec.path)
        except DataError as exc:
            raise DataError(f"{exc} (array {array!r}, output node {name!r})", spec.path) from exc
    split = spec.split()
    first_cls = next((name for name in outputs if encoded[name][0] in CLASSIFICATION), None)
    labels = encoded[first_cls][2] if first_cls is not None else None
    n = len(next(iter(named.inputs.values()))[1])
    idx = split_indices(n, split.val, split.test, split.seed, labels, bool(split.stratify and first_cls),
                        encoded[first_cls][1] if first_cls is not None else None)
    rows = {k: getattr(idx, k) for k in SPLITS}
    x: dict[str, dict[str, Any]] = {k: {} for k in SPLITS}
    y: dict[str, Any] = {k: {} for k in SPLITS}
    parts: list[DataPart] = []
    stats_parts: list[dict[str, Any]] = []
    transforms: dict[str, Any] = {}
    kinds: dict[str, str | None] = {}
    for name, (array, values) in named.inputs.items():
        train = values[rows["train"]].astype(np.float32)
        scaling, center, scale = array_scaling(values, train, spec.scaling())
        transforms[name] = scaler(scaling, center, scale)
        for k in SPLITS:
            x[k][name] = transforms[name](train if k == "train" else values[rows[k]])
        del train
        kinds[name] = _array_kind(values.ndim)
        parts.append(DataPart(name, "input", array, None, tuple(int(d) for d in values.shape[1:]), str(values.dtype)))
        stats_parts.append({"name": name, "role": "input", "array": array, "shape": list(values.shape[1:]),
                            "dtype": str(values.dtype), "scaling": scaling, "center": np.asarray(center).tolist(),
                            "scale": np.asarray(scale).tolist()})
    for name in outputs:
        array = named.targets[name][0]
        task, class_names, _, enc = encoded[name]
        for k in SPLITS:
            y[k][name] = enc[rows[k]]
        label_format = "onehot" if enc.ndim == 2 and task == "multiclass" else (
            "float" if task == "regression" else "multilabel" if task == "multilabel" else "int")
        parts.append(DataPart(name, "target", array, None, tuple(int(d) for d in enc.shape[1:]), str(enc.dtype),
                              task, tuple(class_names)))
        stats_parts.append({"name": name, "role": "target", "array": array, "shape": list(enc.shape[1:]),
                            "dtype": str(named.targets[name][1].dtype), "task": task, "class_names": class_names,
                            "label_format": label_format})
    if len(outputs) == 1:  # one output: Keras compares it with a bare target array, as a single-output model
        y = {k: y[k][outputs[0]] for k in SPLITS}
    first_target = encoded[outputs[0]]
    stats: dict[str, Any] = {
        "source": "numpy", "task": first_target[0], "class_names": first_target[1], "inputs": list(inputs),
        "outputs": list(outputs), "parts": stats_parts, "label_format": stats_parts[len(inputs)]["label_format"],
    }

    def transform(raw: Any) -> dict[str, Any]:
        """Raw arrays keyed by Input name (a dict or an open ``.npz``) -> the dict the model takes."""
        return {name: transforms[name](array) for name, array in raw_inputs(raw, inputs, "The input").items()}

    def raw_samples(split: str, count: int) -> dict[str, Any]:
        """The split's first ``count`` samples of each input as the file holds them (read again)."""
        again = load_named_arrays(spec.path, spec.arrays(), inputs, outputs, spec.max_bytes())
        pick = rows[split][: max(0, count)]
        return {name: np.asarray(values[pick]) for name, (_, values) in again.inputs.items()}

    return from_parts(x, y, parts, stats=stats, pipe=pipe, seed=seed, transform=transform,
                      target_encoding=spec.target_encoding(), kinds=kinds, raw_samples=raw_samples)
