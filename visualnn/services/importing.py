"""Open a ``.keras`` archive, a legacy ``.h5`` model or a Keras JSON config as an editable VisualNN graph.

The config is parsed as data (``config.json`` read from the zip, the ``model_config`` attribute of an
HDF5 file); no code is executed and
``Lambda`` layers or custom objects are refused. Each layer becomes a catalog node when its
Keras config round-trips exactly through the catalog spec (so nothing is silently lost),
otherwise a generic ``KerasLayer`` node that keeps the full config. Nested models (a Functional or
Sequential model called inside another) become blocks: one block definition per nested model and one
Block node per call, shared when the model is called more than once (its weights are shared, as in Keras).
A nested model that cannot be a block (several outputs) is flattened, with a warning.

Hostile files are refused before they cost memory: an oversized or too deeply nested config by
:mod:`visualnn.services.keras_config`, which reads it; weights that the archive cannot hold by
:mod:`visualnn.services.imported_weights`, which loads them. Importing the architecture never
allocates a weight: generic layers learn their output shape and weight counts with deferred variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visualnn.core.block_rules import structure_problem
from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, BlockDef, Edge, Graph, Node
from visualnn.core.names import RAW_MODEL_NAME, snake_case
from visualnn.core.sequential import sequential_problem
from visualnn.core.shapes import infer_block
from visualnn.core.specs import LayerSpec, ParamSpec, Registry, Shape, ShapeError, default_registry
from visualnn.core.specs.base import CHOICE, CONFIGURED_INITIALIZERS
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.core.specs.builtin.generic import config_text
from visualnn.services.generic_layers import UnsafeConfigError, check_safe, deserialize_layer, without_weights
from visualnn.services.keras_config import MODEL_CLASSES, ModelImportError, count_layers, read_config

Progress = Callable[[int, int, str], None]
"""Told after each layer: layers done, layers in all, that layer's name. It may raise to end the import."""


@dataclass
class ImportResult:
    """The imported graph, its model name and what the user should know about it."""

    graph: Graph
    name: str
    generic: list[str] = field(default_factory=list)  # layer names kept as generic nodes
    warnings: list[str] = field(default_factory=list)
    weight_paths: dict[str, str] = field(default_factory=dict)  # node id -> its layer's path in the weights file


def _canonical(cfg: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in cfg.items() if k != "name"}, sort_keys=True, default=list)


def _unshared(value: Any) -> Any:
    """The config without ``shared_object_id`` markers (saving bookkeeping, not architecture)."""
    if isinstance(value, dict):
        return {k: _unshared(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_unshared(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=list))


class _Converter:
    """Walks (possibly nested) model configs, adding nodes and edges to one graph."""

    def __init__(
        self, registry: Registry, progress: Progress | None = None, total: int = 0, root: _Converter | None = None
    ) -> None:
        self.registry = registry
        self.progress = progress
        self.total = total
        self.done = 0
        self.graph = Graph(FUNCTIONAL)
        self.root = self if root is None else root  # the outer model's converter: it holds the block table
        self.shapes: dict[str, Shape | None] = {}
        self.dtypes: dict[str, str] = {}
        self.generic: list[str] = []
        self.warnings: list[str] = []
        self._verified: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._names: set[str] = set()
        self.paths: dict[str, str] = {}

    def _tick(self, entry: dict[str, Any]) -> None:
        """One more layer read: tell the progress callback (which may end the import by raising)."""
        root = self.root
        root.done += 1
        if root.progress is not None:
            name = entry.get("name") or (entry.get("config") or {}).get("name") or entry.get("class_name")
            root.progress(min(root.done, root.total), root.total, str(name))

    def _nested(self, entry: dict[str, Any], calls: list[list[str]], path: str) -> list[str]:
        """A nested model called on ``calls`` (the source nodes of each call): one block, one Block node per call.

        Returns the output node of each call. A model that cannot be a block is flattened as before.
        """
        sub = _Converter(self.registry, root=self.root)
        outs = sub.model(entry)
        block = BlockDef(_block_name(entry, self.root.graph.blocks), sub.graph)
        if len(outs) != 1 or structure_problem(block) is not None:
            self.warnings.append(f"Nested model {block.name!r} has {len(outs)} outputs; its layers were flattened "
                                 "into the model (a block has one output).")
            return [self.model(entry, srcs, path)[0] for srcs in calls]
        if entry.get("class_name") == "Sequential" and sequential_problem(sub.graph, self.registry) is None:
            sub.graph.set_mode(SEQUENTIAL)  # built as keras.Sequential again: its weights keep their place in the file
        _layout(sub.graph)
        self.warnings += sub.warnings
        self.generic += sub.generic
        self.root.graph.blocks[block.name] = block  # loading is not an edit: no signals
        shared = len(calls) > 1
        results = []
        for srcs in calls:
            params: dict[str, Any] = {"block": block.name, **({"shared": True} if shared else {})}
            node = self._new_node(BLOCK_TYPE, block.name, params)
            for port, src in enumerate(srcs):
                self.graph.connect(Edge.of(src, node.id, dst_port=port))
            self.shapes[node.id] = self._block_shape(block, [self.shapes.get(s) for s in srcs])
            results.append(node.id)
        return results

    def _block_shape(self, block: BlockDef, shapes: list[Shape | None]) -> Shape | None:
        if any(s is None for s in shapes):
            return None
        try:
            return infer_block(block, [s for s in shapes if s is not None], self.root.graph.blocks, self.registry)[0]
        except ShapeError as exc:
            self.warnings.append(f"{block.name}: shape could not be inferred ({exc}).")
            return None

    # ------------------------------------------------------------------ models
    def model(self, cfg: dict[str, Any], bound: list[str] | None = None, path: str = "") -> list[str]:
        """Add a Functional or Sequential config; returns its output node ids.

        ``path`` is the model's place in Keras's weights file (``""`` for the outer model).
        """
        kind = cfg.get("class_name")
        inner = cfg.get("config") or {}
        if kind == "Sequential":
            return self._sequential(inner, bound, path)
        return self._functional(inner, bound, path)

    def _child(self, path: str, used: dict[str, int], entry: dict[str, Any]) -> str:
        return _child_path(path, used, entry)

    def _sequential(self, cfg: dict[str, Any], bound: list[str] | None, path: str = "") -> list[str]:
        layers = list(cfg.get("layers") or [])
        used: dict[str, int] = {}
        current: str | None = bound[0] if bound else None
        if layers and layers[0].get("class_name") == "InputLayer":
            first = layers.pop(0)
            self._tick(first)
            if current is None:
                current = self._input(first.get("config") or {})
        if current is None:
            shape = cfg.get("build_input_shape") or (layers[0].get("build_config") or {}).get("input_shape") if layers else None
            if not shape:
                raise ModelImportError(
                    f"Sequential model {cfg.get('name')!r} has no input shape; build or call it once before saving."
                )
            current = self._input({"batch_shape": shape, "name": f"{cfg.get('name', 'model')}_input"})
        for entry in layers:
            where = self._child(path, used, entry)
            if entry.get("class_name") in MODEL_CLASSES:
                current = self._nested(entry, [[current]], where)[0]
            else:
                current = self._layer(entry, [current], "single", [current])[0]
                self.paths[current] = where
                self._tick(entry)
        return [current]

    def _functional(self, cfg: dict[str, Any], bound: list[str] | None, path: str = "") -> list[str]:
        tensors: dict[tuple[str, int, int], str] = {}
        used: dict[str, int] = {}
        inputs = _refs(cfg.get("input_layers"))
        bind = dict(zip([r[0] for r in inputs], bound or [], strict=False))
        for entry in cfg.get("layers") or []:
            cls = entry.get("class_name")
            lname = str(entry.get("name") or (entry.get("config") or {}).get("name"))
            where = self._child(path, used, entry)
            if cls not in MODEL_CLASSES:
                self._tick(entry)
            if cls == "InputLayer":
                tensors[(lname, 0, 0)] = bind[lname] if lname in bind else self._input(entry.get("config") or {})
                continue
            calls = entry.get("inbound_nodes") or []
            if cls in MODEL_CLASSES and calls:
                sources = []
                for call in calls:
                    args, kwargs, _ = _inbound(call)
                    refs = [*args, *kwargs.values()]
                    if any(r not in tensors for r in refs):
                        raise ModelImportError(
                            f"Model {lname!r} is called on a tensor that no earlier layer of model {cfg.get('name')!r} "
                            "makes; the model config is damaged. Save the model again with model.save() and import that."
                        )
                    sources.append([tensors[r] for r in refs])
                for k, out in enumerate(self._nested(entry, sources, where)):
                    tensors[(lname, k, 0)] = out
                continue
            if len(calls) > 1:
                raise ModelImportError(
                    f"Layer {lname!r} is shared (called {len(calls)} times); a VisualNN graph calls each layer once. "
                    "Use separate layers in the original model."
                )
            if not calls:
                self.warnings.append(f"Layer {lname!r} is never called in the model; it was left out.")
                continue
            args, kwargs, style = _inbound(calls[0])
            unknown = [r for r in [*args, *kwargs.values()] if r not in tensors]
            if unknown:
                name, node, index = unknown[0]
                raise ModelImportError(
                    f"Layer {lname!r} is called on output {index} of call {node} of {name!r}, which no earlier layer "
                    f"of model {cfg.get('name')!r} makes; the model config is damaged or was not written by Keras. "
                    "Save the model again with model.save() and import that file."
                )
            srcs = [tensors[r] for r in args]
            named = {k: tensors[r] for k, r in kwargs.items()}
            if cls in MODEL_CLASSES:  # never called: nothing reads it
                continue
            op = self._operation(entry, lname, calls[0], srcs) if _is_operation(entry) else None
            if op is not None:  # no weights: no path in the weights file
                tensors[(lname, 0, 0)] = op
                continue
            outs = self._layer(entry, srcs, style, [*srcs, *named.values()], named)
            tensors[(lname, 0, 0)] = outs[0]
            self.paths[outs[0]] = where
        missing = [r for r in _refs(cfg.get("output_layers")) if r not in tensors]
        if missing:
            raise ModelImportError(f"Model {cfg.get('name')!r} outputs {missing[0][0]!r}, which is not one of its layers.")
        return [tensors[r] for r in _refs(cfg.get("output_layers"))]

    # ------------------------------------------------------------------ layers
    def _new_node(self, type_id: str, keras_name: str, params: dict[str, Any]) -> Node:
        nid = keras_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", keras_name) else self.graph.new_id(type_id)
        if nid in self.graph.nodes:
            nid = self.graph.new_id(type_id)
        name = keras_name
        while name in self._names:  # flattened nested models may repeat layer names
            name = f"{keras_name}_{len(self._names)}"
        self._names.add(name)
        node = Node(nid, type_id, params, name=None if name == nid else name)
        self.graph.add_node(node)
        return node

    def _input(self, cfg: dict[str, Any]) -> str:
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape") or [None, *(cfg.get("shape") or [])]
        dtype = cfg.get("dtype") or "float32"
        if isinstance(dtype, dict):
            dtype = (dtype.get("config") or {}).get("name", "float32")
        node = self._new_node("Input", str(cfg.get("name") or "input"), {"shape": list(shape[1:]), "dtype": dtype})
        self.shapes[node.id] = tuple(shape)
        self.dtypes[node.id] = str(dtype)
        return node.id

    def _layer(
        self,
        entry: dict[str, Any],
        srcs: list[str],
        style: str,
        all_srcs: list[str],
        named: dict[str, str] | None = None,
    ) -> list[str]:
        cls = str(entry.get("class_name"))
        cfg = _unshared(dict(entry.get("config") or {}))
        lname = str(cfg.get("name") or entry.get("name") or snake_case(cls))
        spec = self.registry.get(cls)
        params = None
        if spec is not None and spec.category != "generic" and (style == spec.call_style or len(all_srcs) == 1):
            frozen = cfg.get("trainable") is False  # matched as a trainable layer; the node's switch freezes it
            params = self._catalog_params(spec, cls, {**cfg, "trainable": True} if frozen else cfg)
            if params is not None and frozen:
                params["trainable"] = False
        in_shapes = [self.shapes.get(s) for s in all_srcs]
        if spec is not None and params is not None:
            node = self._new_node(spec.type, lname, params)
            self._connect(spec, node.id, srcs, named or {})
            self.shapes[node.id] = self._infer(spec, params, in_shapes, lname)
            return [node.id]
        return [self._generic(entry, cls, cfg, lname, all_srcs, in_shapes)]

    def _connect(self, spec: LayerSpec, nid: str, srcs: list[str], named: dict[str, str]) -> None:
        for port, src in enumerate(srcs):
            self.graph.connect(Edge.of(src, nid, dst_port=port))
        for key, src in named.items():
            port = spec.inputs.index(key) if key in spec.inputs else len(srcs)
            self.graph.connect(Edge.of(src, nid, dst_port=port))

    def _infer(self, spec: LayerSpec, params: dict[str, Any], shapes: list[Shape | None], lname: str) -> Shape | None:
        if any(s is None for s in shapes):
            return None
        try:
            return tuple(spec.infer(spec.resolved(params), [s for s in shapes if s is not None]))
        except (ShapeError, ValueError, KeyError, TypeError) as exc:
            self.warnings.append(f"{lname}: shape could not be inferred ({exc}).")
            return None

    def _catalog_params(self, spec: LayerSpec, cls: str, cfg: dict[str, Any]) -> dict[str, Any] | None:
        """Spec params reproducing ``cfg`` exactly, or ``None`` (then the layer stays generic)."""
        key = (cls, _canonical(cfg))
        if key in self._verified:
            cached = self._verified[key]
            return None if cached is None else dict(cached)
        params: dict[str, Any] | None = {}
        for p in spec.params:
            if p.name not in cfg or params is None:
                continue
            value = _param_value(p, cfg[p.name])
            if value is _FAIL or p.check(value, spec.type) is not None:
                params = None
            else:
                params[p.name] = value
        if params is not None and not _round_trips(spec, params, cfg):
            params = None
        self._verified[key] = params
        return None if params is None else dict(params)

    def _operation(self, entry: dict[str, Any], lname: str, call: Any, srcs: list[str]) -> str | None:
        """A Keras operation the functional API recorded (``x + y``, ``x + 3.0``, ``x * (1/6)``) as a catalog node.

        Two tensors become the catalog's merge layer of the same name (the same broadcasting arithmetic). A tensor
        and a number become a Rescaling (``x * scale + offset``), which computes the same float32 values: ``x + c`` is
        ``x * 1 + c`` and ``x * c`` is ``x * c + 0`` exactly. Anything else returns ``None`` and stays generic.
        """
        cls = str(entry.get("class_name"))
        args = call.get("args") if isinstance(call, dict) else None
        if not isinstance(args, list) or len(args) != 2 or call.get("kwargs"):
            return None
        tensors = [a for a in args if _history(a) is not None]
        numbers = [float(a) for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        if len(tensors) + len(numbers) != 2:
            return None
        if len(tensors) == 2 and cls in MERGE_OPERATIONS:
            spec, params = self.registry.get(cls), {}
        elif len(tensors) == 1 and _dtype_of(tensors[0]) == "float32" and cls in SCALAR_OPERATIONS:
            first = _history(args[0]) is not None
            if cls == "Subtract" and not first:  # c - x is not a scale and an offset of x
                return None
            spec, (scale, offset) = self.registry.get("Rescaling"), SCALAR_OPERATIONS[cls](numbers[0])
            params = {"scale": scale, "offset": offset}
        else:
            return None
        if spec is None:
            return None
        node = self._new_node(spec.type, lname, params)
        self._connect(spec, node.id, srcs, {})
        self.shapes[node.id] = self._infer(spec, params, [self.shapes.get(s) for s in srcs], lname)
        return node.id

    def _generic(
        self, entry: dict[str, Any], cls: str, cfg: dict[str, Any], lname: str, srcs: list[str], shapes: list[Shape | None]
    ) -> str:
        import keras

        stored: dict[str, Any] = {k: entry[k] for k in ("module", "class_name", "registered_name") if k in entry}
        stored["config"] = cfg
        out_shape: list[int | None] | None = None
        trainable = non_trainable = 0
        if all(s is not None for s in shapes) and shapes:
            try:
                with without_weights():  # shapes and counts only: a crafted config may declare gigabytes of weights
                    layer = deserialize_layer(stored, lname)
                    xs = [
                        keras.KerasTensor(s, dtype=self.dtypes.get(src, "float32"))
                        for src, s in zip(srcs, shapes, strict=True)
                        if s is not None
                    ]
                    y = layer(xs if len(xs) > 1 else xs[0])
                out_shape = list(y.shape[1:])
                trainable = sum(int(_prod(w.shape)) for w in layer.trainable_weights)
                non_trainable = sum(int(_prod(w.shape)) for w in layer.non_trainable_weights)
            except UnsafeConfigError:
                raise
            except Exception as exc:
                self.warnings.append(f"{lname}: Keras could not compute the output of this {cls} ({exc}).")
        type_id = "KerasMergeLayer" if len(srcs) > 1 else "KerasLayer"
        params = {
            "config": config_text(_jsonable(stored)),
            "output_shape": out_shape,
            "trainable_params": trainable,
            "non_trainable_params": non_trainable,
        }
        node = self._new_node(type_id, lname, params)
        for port, src in enumerate(srcs):
            self.graph.connect(Edge.of(src, node.id, dst_port=port))
        self.shapes[node.id] = None if out_shape is None else (None, *out_shape)
        self.generic.append(node.label)
        return node.id


_FAIL = object()

OPERATIONS_MODULE = "keras.src.ops"
"""Where Keras's operations live; a functional config records ``x + y`` on tensors as one of them."""

MERGE_OPERATIONS = ("Add", "Subtract", "Multiply", "Maximum", "Minimum")
"""Operations on two tensors that the catalog's merge layer of the same name computes identically."""

SCALAR_OPERATIONS: dict[str, Callable[[float], tuple[float, float]]] = {
    "Add": lambda c: (1.0, c),
    "Subtract": lambda c: (1.0, -c),
    "Multiply": lambda c: (c, 0.0),
}
"""Operations of a tensor and a number as a Rescaling's (scale, offset)."""


def _is_operation(entry: dict[str, Any]) -> bool:
    module = entry.get("module")
    return isinstance(module, str) and module.startswith(OPERATIONS_MODULE + ".")


def _dtype_of(tensor: dict[str, Any]) -> str:
    dtype = (tensor.get("config") or {}).get("dtype")
    return str(dtype) if isinstance(dtype, str) else ""


def _param_value(param: ParamSpec, value: Any) -> Any:
    """A Keras config value as a spec parameter value (JSON), or ``_FAIL``.

    A serialized object becomes its name when that is one of the choices (``GlorotUniform`` ->
    ``glorot_uniform``), or, for an initializer with settings (EfficientNet's ``VarianceScaling``),
    the configured initializer ``{"class_name", "config"}``; the round-trip check then decides.
    """
    if isinstance(value, dict):
        if param.kind != CHOICE or "class_name" not in value:
            return _FAIL
        cls = str(value["class_name"])
        name = snake_case(cls)
        if name in param.choices:
            return name
        if param.takes_initializer_config and cls in CONFIGURED_INITIALIZERS:
            raw = value.get("config")
            config: dict[str, Any] = raw if isinstance(raw, dict) else {}
            # Only the settings VisualNN edits; the round-trip check rejects any other one left at a non-default.
            kept = {k: v for k, v in config.items() if k in CONFIGURED_INITIALIZERS[cls]}
            return {"class_name": cls, "config": _jsonable(kept)}
        return _FAIL
    return _jsonable(value)


def _round_trips(spec: LayerSpec, params: dict[str, Any], cfg: dict[str, Any]) -> bool:
    """True when the catalog spec with ``params`` builds a layer with exactly the config ``cfg``."""
    from visualnn.services.keras_builder import instantiate

    try:
        layer = instantiate(spec.keras_call(spec, spec.resolved(params)), name=str(cfg.get("name", "x")))
        return _canonical(_jsonable(layer.get_config())) == _canonical(_jsonable(cfg))
    except Exception:
        return False


def _block_name(entry: dict[str, Any], taken: dict[str, BlockDef]) -> str:
    """The nested model's name as a block name (letters, digits, _; starting with a letter), unique in the project."""
    raw = str((entry.get("config") or {}).get("name") or entry.get("name") or "block")
    base = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_") or "block"
    if not base[0].isalpha():
        base = f"block_{base}"
    name, n = base, 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    return name


def _prod(shape: Any) -> int:
    out = 1
    for d in shape:
        out *= int(d)
    return out


def _refs(value: Any) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers`` as a list of (layer, node index, tensor index); a model built on a dict
    of named inputs (``keras.Model({"age": a, "city": c}, y)``) lists them in the dict's order."""
    if not value:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value[0], str):
        value = [value]
    return [(str(v[0]), int(v[1]), int(v[2])) for v in value]


def _inbound(call: Any) -> tuple[list[tuple[str, int, int]], dict[str, tuple[str, int, int]], str]:
    """Tensor references of one call: positional, named, and whether they came as a list."""
    if isinstance(call, list):  # legacy tf.keras: [[name, node_index, tensor_index, kwargs], ...]
        refs = [(str(c[0]), int(c[1]), int(c[2])) for c in call]
        return refs, {}, "list" if len(refs) > 1 else "single"
    args = call.get("args") or []
    kwargs = call.get("kwargs") or {}
    style = "single"
    positional: list[tuple[str, int, int]] = []
    for arg in args:
        if isinstance(arg, list):
            style = "list"
            positional += [_history(a) for a in arg if _history(a) is not None]  # type: ignore[misc]
        elif _history(arg) is not None:
            positional.append(_history(arg))  # type: ignore[arg-type]
    if len(positional) > 1 and style == "single":
        style = "named"
    named = {k: h for k, v in kwargs.items() if (h := _history(v)) is not None}
    if named:
        style = "named"
    return positional, named, style


def _history(value: Any) -> tuple[str, int, int] | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        h = value["config"]["keras_history"]
        return (str(h[0]), int(h[1]), int(h[2]))
    return None


def _child_path(path: str, used: dict[str, int], entry: dict[str, Any]) -> str:
    """Where Keras saves this layer's weights: snake-case class name, numbered when repeated."""
    name = snake_case(str(entry.get("class_name")))
    if name in used:
        used[name] += 1
        name = f"{name}_{used[name]}"
    else:
        used[name] = 0
    return f"{path}/layers/{name}" if path else f"layers/{name}"


def wrapped_model(config: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """VisualNN's export of a trained model behind its preprocessing layers: (the trained model's config entry,
    its place in the weights file), or None for any other model.

    The layers in front (StringLookup, Normalization, ``ops.where`` on NaN, ...) are the data's preprocessing,
    which the Data panel repeats from the data; the canvas cannot edit the operations among them.
    """
    inner = config.get("config") or {}
    if config.get("class_name") != "Functional" or inner.get("name") != RAW_MODEL_NAME:
        return None
    layers = [e for e in inner.get("layers") or [] if isinstance(e, dict)]
    models = [e for e in layers if e.get("class_name") in MODEL_CLASSES]
    if len(models) != 1:
        return None
    used: dict[str, int] = {}
    for entry in layers:  # every layer counts towards the numbering, as _functional walks them
        where = _child_path("", used, entry)
        if entry is models[0]:
            return entry, where
    return None


def graph_from_config(
    config: dict[str, Any], registry: Registry | None = None, progress: Progress | None = None
) -> ImportResult:
    """Convert a model config (already read as data) into a laid-out graph, telling ``progress`` after each layer.

    A model VisualNN exported with its preprocessing in front imports as the trained model it wraps (see
    :func:`wrapped_model`), with a warning saying so.
    """
    try:
        check_safe(config, str((config.get("config") or {}).get("name", "model")))
    except UnsafeConfigError as exc:
        raise ModelImportError(str(exc)) from None
    wrapped = wrapped_model(config)
    model, where = wrapped if wrapped is not None else (config, "")
    conv = _Converter(registry or default_registry(), progress, count_layers(model))
    conv.model(model, None, where)
    if wrapped is not None:
        conv.warnings.insert(0, "This is a model exported with its preprocessing in front (one raw input per "
                                "column or raw pixels); the trained model it wraps was imported. Attach the data "
                                "in the Data panel: it repeats the preprocessing from the data.")
    graph = conv.graph
    if model.get("class_name") == "Sequential" and sequential_problem(graph, conv.registry) is None:
        graph.set_mode(SEQUENTIAL)
    _layout(graph)
    name = str((model.get("config") or {}).get("name") or "imported")
    return ImportResult(graph, name, conv.generic, conv.warnings, conv.paths)


def _layout(graph: Graph) -> None:
    from visualnn.core.layout import auto_layout

    for nid, pos in auto_layout(graph).items():
        graph.nodes[nid].pos = (float(pos[0]), float(pos[1]))


def import_model(path: str | Path, registry: Registry | None = None, progress: Progress | None = None) -> ImportResult:
    """Read ``path`` (``.keras``, ``.h5`` or Keras JSON) as data and convert it into a graph."""
    return graph_from_config(read_config(path), registry, progress)
