"""ONNX export: a Keras 3 model through ``tf2onnx``, run back with ``onnxruntime`` for the parity check.

``tf2onnx.convert.from_keras`` cannot read Keras 3 models (it looks their tensors up in a Keras 2 graph
and fails with ``KeyError: 'keras_tensor_...'``), so the model's call is traced as a ``tf.function``
with one ``tf.TensorSpec`` per model Input, named as the Input, and that function is converted. The
ONNX file then has one input per model Input under the same name (the app's Input node names, or the
raw-input names of the preprocessing in front: ``image``, ``features``, ``window``…) and its outputs
are renamed after the model's outputs.

tf2onnx leaves a TensorFlow operation it has no conversion for in the graph as it is, under its own
op type, so a file is only written when every node is a standard ONNX operator; otherwise
:class:`OnnxExportError` names the layer the operation belongs to (a canvas node, or a preprocessing
step in front of the model) and the operation. ``tf2onnx``, ``onnx`` and ``onnxruntime`` are the
optional extra ``visualnn[onnx]``; without them the error names the pip command.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

OPSET = 17  # onnxruntime >= 1.20 runs it; every operator the catalog's layers convert to exists in it
INSTALL = 'pip install "visualnn[onnx]"'
PACKAGES = ("tf2onnx", "onnx", "onnxruntime")


class OnnxExportError(RuntimeError):
    """The ONNX export or its reload failed; the message names the layer when known, and the fix."""


def require_onnx() -> None:
    """Raise :class:`OnnxExportError` naming the pip command when an ONNX package is not installed."""
    import importlib

    missing = []
    for name in PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise OnnxExportError(
            f"ONNX export needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed. "
            f"Install the ONNX extra with: {INSTALL} (or: pip install {' '.join(PACKAGES)}), then export again.")


def input_names(model: Any) -> list[str]:
    """The model's Input names, in ``model.inputs`` order: the ONNX file's input names."""
    return [str(t.name).split(":")[0] for t in model.inputs]


def output_names(model: Any) -> list[str]:
    """The model's output names (a Sequential model's is its last layer's)."""
    names = getattr(model, "output_names", None)
    if names:
        return [str(n) for n in names]
    layers = getattr(model, "layers", None) or []
    return [str(layers[-1].name)] if layers else []


def input_structure(model: Any) -> Any:
    """How the model takes its inputs: a tensor, a list, or a dict by name (functional models built from one)."""
    try:
        return model.input  # a functional model: its own structure
    except (AttributeError, ValueError):  # a Sequential model has none until it is called
        return model.inputs[0] if len(model.inputs) == 1 else list(model.inputs)


def export_onnx(model: Any, out: str, notes: list[str]) -> None:
    """Convert ``model`` to ONNX at ``out``; :class:`OnnxExportError` (and no file) when it cannot be converted."""
    require_onnx()
    import keras
    import tensorflow as tf
    import tf2onnx

    names = input_names(model)
    spec = tuple(tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=name)
                 for t, name in zip(model.inputs, names, strict=True))
    structure = input_structure(model)

    @tf.function(input_signature=spec)  # type: ignore[untyped-decorator]
    def call(*xs: Any) -> Any:
        outputs = model(keras.tree.pack_sequence_as(structure, list(xs)), training=False)
        if isinstance(outputs, dict):
            return [outputs[k] for k in output_names(model)]
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    try:
        proto, _ = tf2onnx.convert.from_function(call, input_signature=spec, opset=OPSET)
        _fold_captures(proto, call.get_concrete_function(), names)
    except OnnxExportError:
        raise
    except Exception as exc:  # a conversion handler failed: name the layer its operation belongs to
        raise OnnxExportError(_failure(model, str(exc), None, _reason(exc))) from exc
    unconverted = _unconverted(proto)
    if unconverted:
        node, op = unconverted[0]
        others = sorted({o for _, o in unconverted[1:]} - {op})
        more = f" (also: {', '.join(others)})" if others else ""
        raise OnnxExportError(_failure(model, node, op, f"tf2onnx has no ONNX conversion for the TensorFlow "
                                                        f"operation {op}{more}"))
    _rename_outputs(proto, output_names(model))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{out}.part"
    with open(tmp, "wb") as fh:
        fh.write(proto.SerializeToString())
    os.replace(tmp, out)
    notes.append(f"ONNX opset {OPSET}, converted by tf2onnx {tf2onnx.__version__} and checked with onnxruntime.")


def _fold_captures(proto: Any, concrete: Any, names: list[str]) -> None:
    """Turn graph inputs that are captured constants into initializers.

    Constants a layer holds as tensors rather than variables (``Normalization`` built from a given mean
    and variance) are captured by the traced function; tf2onnx freezes variables but leaves such
    captures as graph inputs, which a caller could not know to feed.
    """
    import numpy as np
    from onnx import numpy_helper

    values: dict[str, Any] = {}
    for external, internal in concrete.graph.captures:
        if hasattr(external, "numpy") and external.dtype.name != "resource":
            values[str(internal.name)] = np.asarray(external.numpy())
    graph = proto.graph
    used = _used_names(graph)
    keep = []
    for value in graph.input:
        if value.name in names:
            keep.append(value)
        elif value.name in values:
            if value.name in used:
                graph.initializer.append(numpy_helper.from_array(values[value.name], value.name))
        else:
            raise OnnxExportError(f"ONNX export failed: the converted graph needs an input {value.name!r} that is "
                                  "not one of the model's Inputs. Export .keras, a SavedModel or TFLite instead.")
    del graph.input[:]
    graph.input.extend(keep)


def _used_names(graph: Any) -> set[str]:
    """Every tensor name a node of ``graph`` or of its subgraphs reads."""
    import onnx

    used: set[str] = set()
    graphs = [graph]
    while graphs:
        g = graphs.pop()
        for node in g.node:
            used.update(node.input)
            graphs += [a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH]
            graphs += [s for a in node.attribute if a.type == onnx.AttributeProto.GRAPHS for s in a.graphs]
    return used


def _reason(exc: Exception) -> str:
    from visualnn.services.keras_builder import keras_message

    text = keras_message(exc)
    text = re.sub(r"^make_sure failure:\s*", "", text)
    return f"tf2onnx could not convert it: {text}"


def _unconverted(proto: Any) -> list[tuple[str, str]]:
    """(node name, op type) of every node that is no standard ONNX operator: TensorFlow ops left as they were."""
    import onnx

    found = []
    graphs = [proto.graph]
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            domain = node.domain or ""
            if domain in ("", "ai.onnx", "ai.onnx.ml") and not onnx.defs.has(node.op_type, domain):
                found.append((str(node.name), str(node.op_type)))
            graphs += [a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH]
            graphs += [g for a in node.attribute if a.type == onnx.AttributeProto.GRAPHS for g in a.graphs]
    return found


def _rename_outputs(proto: Any, names: list[str]) -> None:
    """Give the graph's outputs the model's output names (tf2onnx calls them ``Identity:0``…)."""
    graph = proto.graph
    if len(names) != len(graph.output) or len(set(names)) != len(names):
        return
    taken = {v.name for v in graph.input} | {o for n in graph.node for o in n.output} - {o.name for o in graph.output}
    if taken & set(names):
        return
    mapping = {o.name: new for o, new in zip(graph.output, names, strict=True)}
    for node in graph.node:
        node.output[:] = [mapping.get(o, o) for o in node.output]
        node.input[:] = [mapping.get(i, i) for i in node.input]
    for out in graph.output:
        out.name = mapping[out.name]


def layer_paths(model: Any) -> list[tuple[str, str, bool]]:
    """(layer name, class name, on the canvas) for every layer, nested models' layers included.

    Layers of the outermost model are the preprocessing steps in front of the trained model when it
    is wrapped (``with_preprocessing``); the trained model's own layers are the canvas's nodes.
    """
    wrapped = str(getattr(model, "name", "")) == "with_preprocessing"
    found: list[tuple[str, str, bool]] = []

    def walk(layer: Any, depth: int) -> None:
        for sub in getattr(layer, "layers", None) or []:
            if getattr(sub, "layers", None):
                walk(sub, depth + 1)
            else:
                found.append((str(sub.name), type(sub).__name__, depth > 0 or not wrapped))

    walk(model, 0)
    return found


def culprit(model: Any, text: str) -> tuple[str, str, bool] | None:
    """The layer an operation name or message points at: a path segment equal to its name (Keras may add ``_1``)."""
    layers = layer_paths(model)
    segments = re.split(r"[/\s'\"(),:]+", text)
    for exact in (True, False):
        for name, cls, canvas in sorted(layers, key=lambda x: len(x[0]), reverse=True):
            pattern = re.compile(re.escape(name) + ("" if exact else r"(_\d+)?") + "$")
            if any(pattern.match(s) for s in segments):
                return name, cls, canvas
    return None


def _failure(model: Any, where: str, op: str | None, reason: str) -> str:
    found = culprit(model, where)
    if found is None:
        what = f"Operation {op!r}" if op else "The model"
        fix = "Export .keras, a SavedModel or TFLite instead."
    else:
        name, cls, canvas = found
        what = f"Node {name!r} ({cls})" if canvas else f"The exported preprocessing step {name!r} ({cls})"
        fix = (f"Replace or remove {name!r}, or export .keras, a SavedModel or TFLite instead." if canvas
               else "Export .keras, a SavedModel or TFLite instead.")
    return f"ONNX export failed. {what} cannot be converted to ONNX: {reason}. {fix}"


ONNX_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int32)": "int32",
              "tensor(int64)": "int64", "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(bool)": "bool",
              "tensor(float16)": "float16", "tensor(string)": "object"}


def run_onnx(path: str, model: Any, chunks: list[Any]) -> list[list[Any]]:
    """Run the ONNX file with onnxruntime on each chunk, as ``model`` takes it: an array, a list in
    ``model.inputs`` order, or a dict keyed as ``model.input`` (column names) or by Input name."""
    require_onnx()
    import keras
    import numpy as np
    import onnxruntime as ort

    names = input_names(model)
    structure = input_structure(model)

    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: its warnings are for the file's author, not the user
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise OnnxExportError(f"onnxruntime could not load {path}: {exc}") from exc
    inputs = {i.name: i for i in session.get_inputs()}
    results = []
    for chunk in chunks:
        if isinstance(chunk, dict) and isinstance(structure, dict) and set(chunk) == set(structure):
            given = dict(zip(names, keras.tree.flatten(chunk), strict=True))  # same order as model.inputs
        elif isinstance(chunk, dict):
            given = dict(chunk)
        else:
            arrays = list(chunk) if isinstance(chunk, (list, tuple)) else [chunk]
            given = dict(zip(names, arrays, strict=True))
        feed = {}
        for name, value in given.items():
            if name not in inputs:
                raise OnnxExportError(f"The ONNX file has no input named {name!r}; it has {', '.join(sorted(inputs))}.")
            feed[name] = np.asarray(value).astype(ONNX_TYPES.get(inputs[name].type, "float32"))
        results.append([np.asarray(v) for v in session.run(None, feed)])
    return results
