"""Read a Keras model's config as data, safely: from a ``.keras`` archive, a legacy ``.h5`` file or a JSON file.

No code runs and nothing is deserialized here. Hostile files are refused before they cost memory: a config
larger than :data:`MAX_CONFIG_BYTES` (read from the zip entry's declared size, then read no further than that)
or nested deeper than :data:`MAX_CONFIG_DEPTH`; :func:`config_structure_problem` checks the config's shape
(layers, inbound references, shapes) so the importer (:mod:`visualnn.services.importing`) can trust it.
"""

from __future__ import annotations

import json
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any

from visualnn.core import json_limits

MODEL_CLASSES = ("Functional", "Sequential", "Model")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MB = 1 << 20

MAX_CONFIG_BYTES = 16 * MB
"""The largest model config an import reads. The biggest Keras application configs take well under 1 MB;
parsed JSON can take 25 times its size in memory, so 16 MB keeps a crafted config under ~400 MB."""

MAX_CONFIG_DEPTH = json_limits.MAX_DEPTH
"""The deepest nesting of a model config an import accepts. Keras models reach about 15 levels (4 more per
nested model); thousands of levels would overflow Python's recursion while reading."""


class ModelImportError(ValueError):
    """The file cannot be imported; the message names the file or layer and what to do."""


def is_hdf5(path: str | Path) -> bool:
    """True for an HDF5 file (a legacy Keras ``.h5`` model), by its signature rather than its name."""
    try:
        with open(path, "rb") as f:
            return f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        return False


def _read_hdf5_config(p: Path) -> Any:
    import h5py

    with h5py.File(p, "r") as f:
        if "model_config" in f.attrs:
            _check_config_size(p, "its model_config attribute is", f.attrs.get_id("model_config").get_storage_size())
        raw = f.attrs.get("model_config")
    if raw is None:
        raise ModelImportError(
            f"{p.name} holds weights only, no model config (it was saved with save_weights). "
            "Save the whole model with model.save('model.keras') and import that file."
        )
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    _check_config_size(p, "its model_config attribute is", len(text))
    return _parse_config(text, p)


def _check_config_size(p: Path, what: str, size: int) -> None:
    """Refuse a config larger than :data:`MAX_CONFIG_BYTES` (``what`` names it in the file, up to the size)."""
    if size > MAX_CONFIG_BYTES:
        raise ModelImportError(
            f"{p.name}: {what} {size / MB:.1f} MB, more than the {MAX_CONFIG_BYTES / MB:g} MB a model config may "
            "take (the largest Keras models need about 1 MB); the file is damaged or was not written by Keras. "
            "Save the model again with model.save() and import that file."
        )


def _read_zip_config(p: Path, archive: zipfile.ZipFile) -> str:
    """``config.json``, refused from its declared size before inflating and read no further than the cap."""
    try:
        info = archive.getinfo("config.json")
    except KeyError:
        raise ModelImportError(f"{p.name} is a zip file without config.json; is it a .keras model?") from None
    _check_config_size(p, "its config.json inflates to", info.file_size)
    with archive.open(info) as fh:
        raw = fh.read(MAX_CONFIG_BYTES + 1)  # bounded even if the entry's header lies about its size
    _check_config_size(p, "its config.json inflates to", len(raw))
    return raw.decode("utf-8")


def _parse_config(text: str, p: Path) -> Any:
    """JSON text as data, refused when nested deeper than :data:`MAX_CONFIG_DEPTH` (named by the file)."""
    try:
        return json_limits.loads(text, MAX_CONFIG_DEPTH, finite=False)
    except json_limits.JsonLimitError:
        raise ModelImportError(
            f"{p.name}: its model config is nested more than {MAX_CONFIG_DEPTH} levels deep (Keras models need "
            "about 15); the file is damaged or was not written by Keras. Save the model again with model.save() "
            "and import that file."
        ) from None


def read_config(path: str | Path) -> dict[str, Any]:
    """The model config (``{"class_name", "config"}``) from a ``.keras`` zip, a ``.h5`` model or a JSON file."""
    p = Path(path)
    if not p.exists():
        raise ModelImportError(f"Cannot import {str(p)!r}: the file does not exist.")
    if p.is_dir():
        raise ModelImportError(f"{p.name} is a folder; choose a .keras, .h5 or Keras JSON file.")
    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as archive:
                data = _parse_config(_read_zip_config(p, archive), p)
        elif is_hdf5(p):
            data = _read_hdf5_config(p)
        else:
            _check_config_size(p, "its model config is", p.stat().st_size)
            data = _parse_config(p.read_text(encoding="utf-8"), p)
        if isinstance(data, dict) and "config" in data and isinstance(data.get("config"), str):
            data = _parse_config(data["config"], p)  # some tools wrap to_json() output once more
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error,
            lzma.LZMAError) as exc:
        # A damaged zip: a bad CRC or directory (BadZipFile), a corrupt deflate stream (zlib.error),
        # a compression method zipfile lacks (NotImplementedError), an encrypted entry (RuntimeError).
        if isinstance(exc, ModelImportError):
            raise
        raise ModelImportError(
            f"Cannot read {p.name}: {exc}. Expected a .keras or .h5 file saved with model.save(), "
            "or model.to_json() output."
        ) from None
    if not isinstance(data, dict) or data.get("class_name") not in MODEL_CLASSES:
        found = data.get("class_name") if isinstance(data, dict) else type(data).__name__
        raise ModelImportError(
            f"{p.name} does not hold a Keras model config (class_name {found!r}); "
            "expected a Functional or Sequential model saved with model.save() or model.to_json()."
        )
    problem = config_structure_problem(data)
    if problem is not None:
        raise ModelImportError(
            f"{p.name}: the model config's {problem}; the file is damaged or was not written by Keras. "
            "Save the model again with model.save() and import that file."
        )
    return data


# ---------------------------------------------------------------------------------------- config structure
def config_structure_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a model config, as ``<JSON path> must be ...; received ...``, or None.

    Checks the JSON type of every field the conversion reads (models nested inside models included): a
    model's ``config`` and ``layers``, each layer's ``class_name``, ``name``, ``config`` and calls
    (``inbound_nodes``: Keras 3 ``{"args", "kwargs"}`` or the legacy lists), the ``keras_history`` of every
    tensor a call names, ``input_layers``/``output_layers``, an ``InputLayer``'s shape and dtype. Values of
    the right type that make no model (a call naming a layer defined nowhere) are the conversion's to refuse.
    Walked without recursion: the depth is already bounded (:data:`MAX_CONFIG_DEPTH`).
    """
    models: list[tuple[dict[str, Any], str]] = [(config, "")]
    while models:
        model, at = models.pop()
        inner = model.get("config")
        if inner is None:
            continue
        if not isinstance(inner, dict):
            return _shape_problem(f"{at}config", "an object", inner)
        if (why := _refs_problem(inner, at)) is not None:
            return why
        for key in ("build_input_shape",):
            if inner.get(key) is not None and not _is_shape(inner[key]):
                return _shape_problem(f"{at}config.{key}", "a shape (a list of integers or null)", inner[key])
        layers = inner.get("layers")
        if layers is None:
            continue
        if not isinstance(layers, list):
            return _shape_problem(f"{at}config.layers", "a list of layers", layers)
        for i, entry in enumerate(layers):
            where = f"{at}config.layers[{i}]"
            if not isinstance(entry, dict):
                return _shape_problem(where, "an object (one layer)", entry)
            if (why := _layer_problem(entry, where)) is not None:
                return why
            if entry.get("class_name") in MODEL_CLASSES:
                models.append((entry, f"{where}."))
        first = layers[0] if layers and model.get("class_name") == "Sequential" else None
        shape = (first.get("build_config") or {}).get("input_shape") if first is not None else None
        if shape is not None and not _is_shape(shape):  # a Sequential without an InputLayer takes its input from here
            return _shape_problem(f"{at}config.layers[0].build_config.input_shape",
                                  "a shape (a list of integers or null)", shape)
    return None


def _shape_problem(where: str, what: str, value: Any) -> str:
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        shown = type(value).__name__
    return f"{where} must be {what}; received {shown[:60]}{'…' if len(shown) > 60 else ''}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(d is None or _is_int(d) for d in value)


def _is_ref(value: Any) -> bool:
    """``[layer name, node index, tensor index]`` (legacy refs may carry a fourth item, the call's kwargs)."""
    return (isinstance(value, list) and len(value) >= 3 and isinstance(value[0], str) and _is_int(value[1])
            and _is_int(value[2]))


def _refs_problem(inner: dict[str, Any], at: str) -> str | None:
    for key in ("input_layers", "output_layers"):
        value = inner.get(key)
        if not value:
            continue
        refs = [value] if isinstance(value, list) and isinstance(value[0], str) else value
        refs = list(refs.values()) if isinstance(refs, dict) else refs  # named inputs: {"age": [...], ...}
        if not isinstance(refs, list) or not all(_is_ref(r) for r in refs):
            return _shape_problem(f"{at}config.{key}", "[layer name, node index, tensor index], a list of them or "
                                  "a dict of them", value)
    return None


def _layer_problem(entry: dict[str, Any], where: str) -> str | None:
    if not isinstance(entry.get("class_name"), str):
        return _shape_problem(f"{where}.class_name", "text (the layer's class)", entry.get("class_name"))
    for key, what in (("name", "text"), ("module", "text"), ("registered_name", "text")):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            return _shape_problem(f"{where}.{key}", what, entry[key])
    cfg = entry.get("config")
    if cfg is not None and not isinstance(cfg, dict):
        return _shape_problem(f"{where}.config", "an object", cfg)
    cfg = cfg or {}
    if cfg.get("name") is not None and not isinstance(cfg["name"], str):
        return _shape_problem(f"{where}.config.name", "text", cfg["name"])
    build = entry.get("build_config")
    if build is not None and not isinstance(build, dict):
        return _shape_problem(f"{where}.build_config", "an object", build)
    if entry["class_name"] == "InputLayer":
        for key in ("batch_shape", "batch_input_shape", "shape"):
            value = cfg.get(key)
            if value is not None and not (_is_shape(value) and (key == "shape" or value)):
                return _shape_problem(f"{where}.config.{key}", "a shape (a list of integers or null)", value)
        dtype = cfg.get("dtype")
        if dtype is not None and not isinstance(dtype, str) and not (
                isinstance(dtype, dict) and isinstance(dtype.get("config") or {}, dict)
                and isinstance((dtype.get("config") or {}).get("name", ""), str)):
            return _shape_problem(f"{where}.config.dtype", 'a dtype name or {"config": {"name": ...}}', dtype)
    calls = entry.get("inbound_nodes")
    if calls is None:
        return None
    if not isinstance(calls, list):
        return _shape_problem(f"{where}.inbound_nodes", "a list of calls", calls)
    for c, call in enumerate(calls):
        if (why := _call_problem(call, f"{where}.inbound_nodes[{c}]")) is not None:
            return why
    return None


def _call_problem(call: Any, where: str) -> str | None:
    """A Keras 3 call ``{"args": [...], "kwargs": {...}}`` or a legacy list of refs."""
    if isinstance(call, list):
        for i, ref in enumerate(call):
            if not _is_ref(ref):
                return _shape_problem(f"{where}[{i}]", "[layer name, node index, tensor index, kwargs]", ref)
        return None
    if not isinstance(call, dict):
        return _shape_problem(where, 'a call ({"args": [...], "kwargs": {...}})', call)
    args, kwargs = call.get("args"), call.get("kwargs")
    if args is not None and not isinstance(args, list):
        return _shape_problem(f"{where}.args", "a list", args)
    if kwargs is not None and not isinstance(kwargs, dict):
        return _shape_problem(f"{where}.kwargs", "an object", kwargs)
    tensors = [(f"{where}.args[{i}]", a) for i, a in enumerate(args or [])]
    tensors += [(f"{where}.args[{i}][{j}]", t) for i, a in enumerate(args or []) if isinstance(a, list)
                for j, t in enumerate(a)]
    tensors += [(f"{where}.kwargs.{k}", v) for k, v in (kwargs or {}).items()]
    for at, value in tensors:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            inner = value.get("config")
            history = inner.get("keras_history") if isinstance(inner, dict) else None
            if not _is_ref(history):
                return _shape_problem(f"{at}.config.keras_history", "[layer name, node index, tensor index]", history)
    return None


def count_layers(config: dict[str, Any]) -> int:
    """How many layers a model config holds, nested models' layers included (the import's progress total)."""
    total = 0
    for entry in (config.get("config") or {}).get("layers") or []:
        total += count_layers(entry) if entry.get("class_name") in MODEL_CLASSES else 1
    return total
