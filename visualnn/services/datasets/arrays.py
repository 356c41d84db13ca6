"""``.npy`` / ``.npz`` arrays of any rank: choose the feature and target arrays (TF-free)."""

from __future__ import annotations

import lzma
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from visualnn.core.dataset import DEFAULT_MAX_BYTES, ArrayOptions, DatasetSpec
from visualnn.core.paths import resolve_path
from visualnn.core.tensors import MAX_INTEGER_CLASSES, human_bytes
from visualnn.services.datasets.errors import DataError, missing_path_error

FEATURE_KEYS = ("x", "X", "features", "inputs", "data", "x_train")
TARGET_KEYS = ("y", "Y", "labels", "targets", "target", "label", "y_train")


@dataclass(frozen=True)
class ArrayHeader:
    """One ``.npz`` array as its ``.npy`` header declares it, read before anything is inflated."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int  # the array's size once inflated (shape x item size): what loading it costs
    stored: int  # the zip entry's uncompressed size (header included), as its directory records it (>= nbytes)

    def describe(self) -> str:
        """``array 'x' (1000, 20) float64``."""
        return f"array {self.name!r} {self.shape} {self.dtype}"


_NOT_NUMPY = "save it with numpy.save or numpy.savez"
_ZIP_ERRORS = (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, NotImplementedError, RuntimeError,
               zlib.error, lzma.LZMAError)
"""What reading a damaged zip raises: a bad CRC or directory, a cut or corrupt deflate stream, a compression
method zipfile does not support, an encrypted entry."""


def _read_header(fh: Any, path: str, name: str, size: int, in_zip: bool) -> tuple[ArrayHeader, int]:
    """The ``.npy`` header at ``fh``'s position (``size``: the bytes of the whole ``.npy``; ``in_zip``: an entry of
    the ``.npz`` at ``path``) and the data's offset.

    Raises :class:`DataError` for an unknown format version, a damaged header, an array of Python objects and a
    header that declares more data than the ``.npy`` holds (so nothing is ever allocated for a size that the
    file cannot fill).
    """
    import tokenize

    import numpy as np
    from numpy.lib import format as npy

    try:
        version = npy.read_magic(fh)
        if version == (1, 0):
            shape, _fortran, dtype = npy.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _fortran, dtype = npy.read_array_header_2_0(fh)
        else:
            raise DataError(f"{path}: array {name!r} uses .npy format version {version[0]}.{version[1]}, "
                            f"which is not read here; {_NOT_NUMPY} (numeric arrays).", path)
    except (ValueError, EOFError, tokenize.TokenError) as exc:  # numpy parses old headers with tokenize
        what = f"{path}: array {name!r} has a damaged .npy header" if in_zip else f"{path} is not a readable NumPy file"
        raise DataError(f"{what} ({exc}); {_NOT_NUMPY}.", path) from exc
    offset = fh.tell()
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        what = f"{path}: array {name!r} has a damaged .npy header" if in_zip else f"{path} is not a readable NumPy file"
        raise DataError(f"{what} (its shape {shape!r} is not a list of sizes); {_NOT_NUMPY}.", path)
    if dtype.hasobject:
        raise DataError(f"{path}: array {name!r} holds Python objects ({dtype}), which are not loaded "
                        "(they would run pickled code); save numeric or string arrays.", path)
    shape = tuple(int(d) for d in shape)
    nbytes = int(np.prod(shape, dtype=object)) * int(dtype.itemsize)
    header = ArrayHeader(name, shape, str(dtype), nbytes, int(size))
    if offset + nbytes > size:
        raise DataError(
            f"{path}: {header.describe()} declares {human_bytes(nbytes)} of data, but "
            f"{'its zip entry' if in_zip else 'the file'} holds only "
            f"{human_bytes(max(0, size - offset))}; the file is damaged or was cut short. Write it again ({_NOT_NUMPY}).",
            path)
    return header, offset


def npz_headers(path: str) -> dict[str, ArrayHeader]:
    """Every array of the ``.npz`` at ``path``: name, shape, dtype and sizes, from the zip directory and each
    ``.npy`` header (a few hundred bytes inflated per array, whatever the arrays' size).

    Raises :class:`DataError` for a file that is not a zip of ``.npy`` arrays, an array of Python objects,
    and a header that declares more data than its zip entry holds.
    """
    headers: dict[str, ArrayHeader] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for entry in zf.infolist():
                if not entry.filename.endswith(".npy"):
                    continue
                name = entry.filename[: -len(".npy")]
                with zf.open(entry) as fh:
                    headers[name] = _read_header(fh, path, name, int(entry.file_size), in_zip=True)[0]
    except DataError:
        raise
    except _ZIP_ERRORS as exc:
        raise DataError(f"{path} is not a readable NumPy file ({exc}); {_NOT_NUMPY}.", path) from exc
    return headers


def load_npy(path: str, max_bytes: int = DEFAULT_MAX_BYTES, mmap: bool = False) -> Any:
    """The array of the ``.npy`` file at ``path``, its header checked first (:func:`_read_header`): never a pickle,
    never an allocation larger than the file holds or than ``max_bytes``; ``mmap`` maps it read-only."""
    from numpy.lib import format as npy

    name = os.path.basename(path)
    with open(path, "rb") as fh:
        header, _offset = _read_header(fh, path, name, os.path.getsize(path), in_zip=False)
        if header.nbytes > max_bytes:
            raise DataError(f"{path}: {header.describe()} is {human_bytes(header.nbytes)}, over the "
                            f"{human_bytes(max_bytes)} limit; it was not loaded. Save a smaller sample, or raise the "
                            "limit (options max_bytes) if you have the memory.", path)
        if not mmap:
            fh.seek(0)
            return npy.read_array(fh, allow_pickle=False)
    return npy.open_memmap(path, mode="r")


def check_npz_sizes(path: str, headers: list[ArrayHeader], max_bytes: int) -> None:
    """Refuse, before inflating them, arrays whose inflated size (each, then together) is over ``max_bytes``."""
    fix = "Save a smaller sample, or raise the limit (options max_bytes) if you have the memory."
    for h in headers:
        if h.nbytes > max_bytes:
            raise DataError(f"{path}: {h.describe()} is {human_bytes(h.nbytes)} once decompressed, over the "
                            f"{human_bytes(max_bytes)} limit; it was not loaded. {fix}", path)
    total = sum(h.nbytes for h in headers)
    if total > max_bytes:
        listing = ", ".join(f"{h.describe()} {human_bytes(h.nbytes)}" for h in headers)
        raise DataError(f"{path}: the arrays needed ({listing}) are {human_bytes(total)} together once decompressed, "
                        f"over the {human_bytes(max_bytes)} limit; they were not loaded. {fix}", path)


def read_npz_arrays(path: str, names: list[str], max_bytes: int) -> tuple[dict[str, ArrayHeader], dict[str, Any]]:
    """Every array's header, and the arrays ``names`` (those the file holds), each inflated once.

    Sizes are checked from the headers first (:func:`check_npz_sizes`), so an array over ``max_bytes`` is never
    inflated; the file must hold at least one array.
    """
    from numpy.lib import format as npy

    headers = npz_headers(path)
    if not headers:
        raise DataError(f"{path} holds no arrays; {_NOT_NUMPY}.", path)
    wanted = [n for n in dict.fromkeys(names) if n in headers]
    check_npz_sizes(path, [headers[n] for n in wanted], max_bytes)
    arrays: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for name in wanted:
                with zf.open(f"{name}.npy") as fh:
                    arrays[name] = npy.read_array(fh, allow_pickle=False)
    except _ZIP_ERRORS as exc:
        raise DataError(f"{path} is not a readable NumPy file ({exc}); {_NOT_NUMPY}.", path) from exc
    return headers, arrays


def check_float32_range(array: Any, name: str, path: str) -> None:
    """Refuse a float array holding a value beyond float32's range (infinity included), naming where it is.

    Models compute in float32: such a value becomes infinite, and the array's standard deviation with it, which
    scales every other value to zero. Read in blocks, so the check costs no copy of the array.
    """
    import numpy as np

    from visualnn.services.datasets.columns import FLOAT32_MAX

    if array.dtype.kind != "f" or array.size == 0:
        return
    flat = array.reshape(-1)
    step = 1 << 20
    for start in range(0, flat.size, step):
        hits = np.flatnonzero(np.abs(flat[start:start + step]) > FLOAT32_MAX)
        if hits.size:
            where = tuple(int(i) for i in np.unravel_index(start + int(hits[0]), array.shape))
            value = float(flat[start + int(hits[0])])
            raise DataError(
                f"{path}: array {name!r} holds {value:g} at index {list(where)} (sample {where[0]}), beyond the range "
                f"of the float32 numbers a model computes with (±{FLOAT32_MAX:.1e}): it would become infinite and "
                "scaling would turn the whole array into zeros. Fix that value, or rescale the array before saving "
                "it.", path)


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
    if not os.path.exists(path):
        raise missing_path_error(path)
    size = os.path.getsize(path)
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes).", path)
    npz = path.lower().endswith(".npz")
    if size > max_bytes and not npz:  # an .npz is measured by its arrays' inflated sizes, below
        raise DataError(
            f"{path} is {human_bytes(size)}, over the {human_bytes(max_bytes)} limit; raise max_bytes.", path
        )
    try:
        if npz:
            headers = npz_headers(path)
            keys = list(headers)
            if not keys:
                raise DataError(f"{path} holds no arrays; {_NOT_NUMPY}.", path)
            xk = _pick(keys, options.features, FEATURE_KEYS, path, "features") or keys[0]
            yk = _pick(keys, options.targets, TARGET_KEYS, path, "targets", exclude=xk)
            _, loaded = read_npz_arrays(path, [k for k in (xk, yk) if k is not None], max_bytes)
            x = loaded[xk]
            y = loaded[yk] if yk is not None else None
            names = {k: (h.shape, h.dtype) for k, h in headers.items()}
        else:
            x = load_npy(path, max_bytes, mmap)
            xk, yk = os.path.basename(path), None
            y = None
            names = {xk: (tuple(int(d) for d in x.shape), str(x.dtype))}
            if options.targets_path:
                tpath = options.targets_path
                tpath = resolve_path(tpath, base_dir or os.path.dirname(path))
                if not os.path.exists(tpath):
                    raise missing_path_error(tpath)
                y = load_npy(tpath, max_bytes)
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
    check_float32_range(x, str(xk), path)
    if y is not None:
        check_float32_range(y, str(yk), path)
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
        return task, ([str(i) for i in range(y.shape[1])] if task == "multilabel" else []), None, _numbers(y, path)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return task or "regression", [], None, _numbers(y, path)
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
        return task, [], None, _numbers(flat, path).reshape(-1, 1)
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


def _numbers(y: Any, path: str) -> Any:
    """``y`` as float32 targets; text (or other non-numbers) is refused: only one class name per sample can be text."""
    import numpy as np

    if y.dtype.kind not in "biuf":
        what = {"U": "text", "S": "text", "M": "dates", "m": "time spans"}.get(y.dtype.kind, f"{y.dtype} values")
        per_sample = tuple(int(d) for d in y.shape[1:])
        raise DataError(f"{path}: the targets are {what} ({per_sample or 'one'} per sample), not numbers; targets "
                        "of several values per sample, or regression targets, must be numbers. Save numeric "
                        "targets, or one class name per sample for a classifier.", path)
    return y.astype(np.float32)


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

    if not os.path.exists(path):
        raise missing_path_error(path)
    if not path.lower().endswith(".npz"):
        raise DataError(
            f"{path}: this model has several Inputs or outputs ({', '.join(inputs)} -> {', '.join(outputs)}), "
            "and named parts come from an .npz for now: save one array per Input and output node with "
            "numpy.savez(path, " + ", ".join(f"{n}=..." for n in [*inputs, *outputs]) + ").", path)
    check_mapping(options, inputs, outputs, path)
    wanted = [options.input_array(n) for n in inputs] + [options.output_array(n) for n in outputs]
    headers, arrays = read_npz_arrays(path, wanted, max_bytes)
    keys = list(headers)
    names = {k: (h.shape, h.dtype) for k, h in headers.items()}

    def take(node: str, array: str, role: str) -> tuple[str, Any]:
        if array not in keys:
            mapped = "" if array == node else f" (mapped to it in arrays.{role.lower()}s)"
            raise DataError(
                f"{path} has no array {array!r} for {role} node {node!r}{mapped}; its arrays are "
                f"{', '.join(keys) or 'none'}. Rename an array to {node!r} or {MAPPING_FIX}.", path)
        arr = arrays[array]
        if arr.ndim == 0:
            raise DataError(f"{path}: array {array!r} for {role} node {node!r} is a scalar (rank 0); it "
                            "needs a samples axis.", path)
        return array, arr

    found_in = {n: take(n, options.input_array(n), "Input") for n in inputs}
    found_out = {n: take(n, options.output_array(n), "output") for n in outputs}
    for array, arr in [*found_in.values(), *found_out.values()]:
        check_float32_range(arr, array, path)
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
