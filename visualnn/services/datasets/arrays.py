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
