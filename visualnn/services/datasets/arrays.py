"""``.npy`` / ``.npz`` arrays of any rank: choose the feature and target arrays (TF-free)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from visualnn.core.dataset import DEFAULT_MAX_BYTES, ArrayOptions, DatasetSpec
from visualnn.core.paths import resolve_path
from visualnn.core.tensors import MAX_INTEGER_CLASSES, human_bytes
from visualnn.services.datasets.errors import DataError, missing_path_error

FEATURE_KEYS = ("x", "X", "features", "inputs", "data", "x_train")
TARGET_KEYS = ("y", "Y", "labels", "targets", "target", "label", "y_train")


@dataclass
class ArrayPair:
    """Feature and target arrays (targets may be None for a lone ``.npy``) and their names."""

    x: Any
    y: Any
    x_name: str
    y_name: str | None
    names: dict[str, tuple[tuple[int, ...], str]]  # every array in the file: shape, dtype


def _pick(keys: list[str], wanted: str | None, preferred: tuple[str, ...], path: str, role: str,
          exclude: str | None = None) -> str | None:
    if wanted is not None:
        if wanted not in keys:
            raise DataError(f"{path} has no array named {wanted!r} for the {role}; its arrays are {', '.join(keys)}.")
        return wanted
    for key in preferred:
        if key in keys and key != exclude:
            return key
    rest = [k for k in keys if k != exclude]
    return rest[0] if rest else None


def load_arrays(path: str, options: ArrayOptions, base_dir: str = "", max_bytes: int = DEFAULT_MAX_BYTES,
                mmap: bool = False) -> ArrayPair:
    """Load features/targets; checks that both have the same number of samples (axis 0)."""
    import numpy as np

    if not os.path.exists(path):
        raise missing_path_error(path)
    size = os.path.getsize(path)
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes).", path)
    if size > max_bytes:
        raise DataError(
            f"{path} is {human_bytes(size)}, over the {human_bytes(max_bytes)} limit; raise max_bytes.", path
        )
    try:
        if path.lower().endswith(".npz"):
            with np.load(path, allow_pickle=False) as npz:
                keys = list(npz.files)
                if not keys:
                    raise DataError(f"{path} holds no arrays.", path)
                xk = _pick(keys, options.features, FEATURE_KEYS, path, "features")
                yk = _pick(keys, options.targets, TARGET_KEYS, path, "targets", exclude=xk)
                x = npz[xk]
                y = npz[yk] if yk is not None else None
                names = {k: (tuple(int(d) for d in npz[k].shape), str(npz[k].dtype)) for k in keys}
        else:
            x = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
            xk, yk = os.path.basename(path), None
            y = None
            names = {xk: (tuple(int(d) for d in x.shape), str(x.dtype))}
            if options.targets_path:
                tpath = options.targets_path
                tpath = resolve_path(tpath, base_dir or os.path.dirname(path))
                if not os.path.exists(tpath):
                    raise missing_path_error(tpath)
                y = np.load(tpath, allow_pickle=False)
                yk = os.path.basename(tpath)
                names[yk] = (tuple(int(d) for d in y.shape), str(y.dtype))
    except DataError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(
            f"{path} is not a readable NumPy file ({exc}); save it with numpy.save or numpy.savez.", path
        ) from exc
    if x.ndim == 0:
        raise DataError(f"{path}: array {xk!r} is a scalar (rank 0); features need a samples axis.", path)
    if y is not None and (y.ndim == 0 or len(y) != len(x)):
        raise DataError(
            f"{path}: features {xk!r} have {len(x)} samples (shape {tuple(x.shape)}) but targets {yk!r} have "
            f"{len(y) if y.ndim else 0} (shape {tuple(y.shape)}); both need the same number of samples on axis 0.",
            path,
        )
    return ArrayPair(x, y, str(xk), yk, names)


def encode_array_targets(y: Any, spec: DatasetSpec, path: str) -> tuple[str, list[str], Any, Any]:
    """(task, class_names, labels for stratification or None, encoded y) for a NumPy target array."""
    import numpy as np

    task = spec.task()
    if y.ndim == 2 and y.shape[1] > 1:
        binary = bool(np.isin(y, (0, 1)).all())
        onehot = binary and bool((y.sum(axis=1) == 1).all())
        if task in (None, "multiclass") and onehot:
            labels = y.argmax(axis=1)
            names = [str(i) for i in range(y.shape[1])]
            enc = y.astype(np.float32) if spec.target_encoding() == "onehot" else labels.astype(np.int32)
            return "multiclass", names, labels, enc
        task = task or ("multilabel" if binary else "regression")
        return task, ([str(i) for i in range(y.shape[1])] if task == "multilabel" else []), None, y.astype(np.float32)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return task or "regression", [], None, y.astype(np.float32)
    flat = flat[:, 0]
    if task is None:
        if flat.dtype.kind in "biuU" or (flat.dtype.kind == "f" and np.all(flat == np.round(flat))):
            uniq = np.unique(flat)
            task = "regression" if flat.dtype.kind == "f" and uniq.size > MAX_INTEGER_CLASSES else (
                "binary" if uniq.size <= 2 else "multiclass" if uniq.size <= MAX_INTEGER_CLASSES or flat.dtype.kind == "U"
                else "regression")
        else:
            task = "regression"
    if task == "regression":
        return task, [], None, flat.astype(np.float32).reshape(-1, 1)
    uniq = np.unique(flat)
    if uniq.size < 2:
        raise DataError(f"{path}: the targets hold a single class ({uniq[0] if uniq.size else 'none'}); a classifier "
                        "needs at least two classes.", path)
    labels = np.searchsorted(uniq, flat)
    names = [str(v.item() if hasattr(v, "item") else v) for v in uniq]
    if task == "binary":
        return task, names, labels, labels.astype(np.float32).reshape(-1, 1)
    enc = (
        np.eye(len(names), dtype=np.float32)[labels] if spec.target_encoding() == "onehot" else labels.astype(np.int32)
    )
    return task, names, labels, enc


@dataclass
class NamedArrays:
    """A ``.npz``'s named parts: each Input node's array and each output node's target array.

    ``inputs``/``targets`` map a node name to ``(array name, array)`` in the model's order;
    ``names`` lists every array in the file (shape, dtype).
    """

    inputs: dict[str, tuple[str, Any]]
    targets: dict[str, tuple[str, Any]]
    names: dict[str, tuple[tuple[int, ...], str]]


MAPPING_FIX = "map it in the Data panel (arrays.inputs / arrays.outputs in the project file)"


def check_mapping(options: ArrayOptions, inputs: list[str], outputs: list[str], path: str) -> None:
    """Refuse a mapping that names a node the model does not have, or feeds one array to two nodes."""
    for field, names, role in (("inputs", inputs, "Input"), ("outputs", outputs, "output")):
        for node in getattr(options, field) or {}:
            if node not in names:
                raise DataError(
                    f"{path}: arrays.{field} maps array {getattr(options, field)[node]!r} to {role} node {node!r}, "
                    f"but the model has no {role} node of that name (its {role} nodes are {', '.join(names)}). "
                    f"Rename the entry to one of them or remove it.", path)
    users: dict[str, list[str]] = {}
    for node in inputs:
        users.setdefault(options.input_array(node), []).append(f"Input node {node!r}")
    for node in outputs:
        users.setdefault(options.output_array(node), []).append(f"output node {node!r}")
    for array, nodes in users.items():
        if len(nodes) > 1:
            raise DataError(
                f"{path}: array {array!r} is mapped to {' and '.join(nodes)}; each array feeds one node. "
                f"Give each node its own array: rename the arrays or {MAPPING_FIX}.", path)


def load_named_arrays(path: str, options: ArrayOptions, inputs: list[str], outputs: list[str],
                      max_bytes: int = DEFAULT_MAX_BYTES) -> NamedArrays:
    """The ``.npz`` arrays named after the model's Input and output nodes (or mapped to them in ``options``).

    Raises :class:`DataError` naming the array and the node for a missing array, a mapping to a node the
    model does not have, one array mapped to two nodes, and arrays with different numbers of samples.
    """
    import numpy as np

    if not os.path.exists(path):
        raise missing_path_error(path)
    if not path.lower().endswith(".npz"):
        raise DataError(
            f"{path}: this model has several Inputs or outputs ({', '.join(inputs)} -> {', '.join(outputs)}), "
            "and named parts come from an .npz for now: save one array per Input and output node with "
            "numpy.savez(path, " + ", ".join(f"{n}=..." for n in [*inputs, *outputs]) + ").", path)
    size = os.path.getsize(path)
    if size > max_bytes:
        raise DataError(
            f"{path} is {human_bytes(size)}, over the {human_bytes(max_bytes)} limit; raise max_bytes.", path
        )
    check_mapping(options, inputs, outputs, path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            names = {k: (tuple(int(d) for d in npz[k].shape), str(npz[k].dtype)) for k in keys}

            def take(node: str, array: str, role: str) -> tuple[str, Any]:
                if array not in keys:
                    mapped = "" if array == node else f" (mapped to it in arrays.{role.lower()}s)"
                    raise DataError(
                        f"{path} has no array {array!r} for {role} node {node!r}{mapped}; its arrays are "
                        f"{', '.join(keys) or 'none'}. Rename an array to {node!r} or {MAPPING_FIX}.", path)
                arr = npz[array]
                if arr.ndim == 0:
                    raise DataError(f"{path}: array {array!r} for {role} node {node!r} is a scalar (rank 0); it "
                                    "needs a samples axis.", path)
                return array, arr

            found_in = {n: take(n, options.input_array(n), "Input") for n in inputs}
            found_out = {n: take(n, options.output_array(n), "output") for n in outputs}
    except DataError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable NumPy file ({exc}); save it with numpy.savez.", path) from exc
    parts = [(f"Input node {n!r}", a, arr) for n, (a, arr) in found_in.items()]
    parts += [(f"output node {n!r}", a, arr) for n, (a, arr) in found_out.items()]
    first_role, first_array, first = parts[0]
    for role, array, arr in parts[1:]:
        if len(arr) != len(first):
            raise DataError(
                f"{path}: array {array!r} ({role}) has {len(arr)} samples but array {first_array!r} ({first_role}) "
                f"has {len(first)}; every part needs the same number of samples on axis 0 (one row per sample).",
                path)
    return NamedArrays(found_in, found_out, names)


def raw_inputs(raw: Any, inputs: list[str], where: str) -> dict[str, Any]:
    """Raw samples for a model with several Inputs: one array per Input name, in the model's Input order.

    ``raw`` is a dict (or an open ``.npz``) keyed by Input name; a bare array is taken for a model with
    one Input. Raises :class:`DataError` naming a missing Input and the arrays given, and for arrays
    with different numbers of samples.
    """
    import numpy as np

    if not hasattr(raw, "keys"):
        if len(inputs) == 1:
            return {inputs[0]: np.asarray(raw)}
        raise DataError(f"{where}: this model has several Inputs ({', '.join(inputs)}); give an .npz (or a dict) "
                        "with one array per Input name.")
    given = [str(k) for k in raw.keys()]
    missing = [n for n in inputs if n not in given]
    if missing:
        raise DataError(f"{where} has no array {missing[0]!r} for Input node {missing[0]!r}; its arrays are "
                        f"{', '.join(given) or 'none'}. Save one array per Input name, e.g. numpy.savez(path, "
                        + ", ".join(f"{n}=..." for n in inputs) + ").")
    out = {n: np.asarray(raw[n]) for n in inputs}
    counts = {n: len(a) if a.ndim else 0 for n, a in out.items()}
    if len(set(counts.values())) > 1:
        (a, na), (b, nb) = sorted(counts.items(), key=lambda kv: kv[1])[:: len(counts) - 1]
        raise DataError(f"{where}: array {a!r} has {na} samples but array {b!r} has {nb}; every Input needs the "
                        "same number of samples.")
    return out
