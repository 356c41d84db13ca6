"""Model export (.keras, SavedModel, TFLite/LiteRT, ONNX) with a parity check on real samples.

After every export the artefact is loaded back (Keras for .keras, ``tf.saved_model.load`` for
SavedModel, the ``ai_edge_litert`` interpreter for .tflite, ``onnxruntime`` for .onnx (through
``services.export_onnx``), inputs matched by name), run on a
batch of samples and compared with the in-app model: size, max/mean absolute difference and,
for classification, class agreement and the metric difference.

With a :class:`RawCheck` (``export_project`` builds one for projects with data) the exported model
has the preprocessing inside (``services.preprocessing``) and the check feeds it raw held-out
samples, while the reference is the app's own path: its preprocessing, then the trained model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from visualnn.core.decision import DEFAULT_THRESHOLD
from visualnn.services.export_parity import ExportError, ParityReport, compare
from visualnn.services.keras_builder import keras_message

FORMATS = ("keras", "savedmodel", "tflite", "onnx")
QUANTIZE = ("none", "dynamic", "float16", "int8", "int8-io")  # int8-io: int8 inputs and outputs too


def format_for(path: str | Path) -> str:
    """The export format implied by an output path (``.keras``, ``.tflite``, else a SavedModel dir)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".keras":
        return "keras"
    if suffix in (".tflite", ".litert"):
        return "tflite"
    if suffix == ".onnx":
        return "onnx"
    if suffix in ("", ".savedmodel"):
        return "savedmodel"
    raise ExportError(f"Cannot tell the export format from {str(path)!r}; use .keras, .tflite, .onnx or a folder name.")


@dataclass
class RawCheck:
    """Raw held-out samples for the parity check of a model with the preprocessing inside.

    ``chunks`` are what the exported model takes (an array, or a dict of columns), ``positions``
    where each chunk's rows belong in the sample order, ``reference`` the app's outputs on the same
    samples (its preprocessing, then the trained model), ``representative`` raw training chunks
    for int8 calibration.
    """

    chunks: list[Any]
    positions: list[Any]
    reference: list[Any]
    labels: Any
    source: str
    representative: list[Any] = field(default_factory=list)
    feed: list[str] = field(default_factory=list)


def export_model(
    model: Any,
    path: str | Path,
    samples: Any = None,
    labels: Any = None,
    quantize: str = "none",
    fmt: str | None = None,
    representative: Any = None,
    n_random: int = 64,
    raw: RawCheck | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ParityReport:
    """Export ``model`` to ``path`` and check parity on ``samples`` (random inputs when ``None``).

    ``samples`` is one array or a list of arrays (one per model input); ``labels`` (optional)
    enables the metric comparison. ``representative`` (defaults to ``samples``) calibrates
    full-integer int8 quantization. With ``raw``, ``model`` takes raw inputs and the check runs on
    ``raw``'s samples against ``raw.reference`` (``samples``, ``labels`` and ``representative`` unused).
    ``threshold``: where a single yes/no unit's class changes (the run's decision threshold), for the class
    agreement and the accuracy compared.
    """
    import numpy as np

    fmt = fmt or format_for(path)
    if fmt not in FORMATS:
        raise ExportError(f"Export format must be one of {', '.join(FORMATS)}; received {fmt!r}.")
    if quantize not in QUANTIZE:
        raise ExportError(f"Quantization must be one of {', '.join(QUANTIZE)}; received {quantize!r}.")
    if quantize != "none" and fmt != "tflite":
        raise ExportError(f"Quantization {quantize!r} applies to TFLite only; export to a .tflite path.")
    out = str(path)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if raw is None:
        source = "dataset"
        if samples is None:
            samples, source = random_inputs(model, n_random), "random"
        xs = [np.asarray(s) for s in (samples if isinstance(samples, (list, tuple)) else [samples])]
        chunks: list[Any] = [xs if len(xs) > 1 else xs[0]]
        positions: list[Any] | None = None
        reference = _as_list(model.predict(chunks[0], verbose=0))
        rep_source = xs if representative is None else [
            np.asarray(r) for r in (representative if isinstance(representative, (list, tuple)) else [representative])
        ]
        rep_chunks: list[Any] = [rep_source]
        feed: list[str] = []
    else:
        chunks, positions, reference, labels, source = raw.chunks, raw.positions, raw.reference, raw.labels, raw.source
        rep_chunks = [_inputs_of(c) for c in (raw.representative or raw.chunks)]
        feed = list(raw.feed)
    if fmt == "keras":
        model.save(out)
        exported = _gather(_run_keras(out, chunks), positions)
    elif fmt == "savedmodel":
        _guard(lambda: model.export(out, format="tf_saved_model", verbose=False), model, "SavedModel")
        exported = _gather(_run_savedmodel(out, chunks), positions)
    elif fmt == "onnx":
        exported = _gather(_onnx(model, out, chunks, notes), positions)
    else:
        _export_tflite(model, out, quantize, rep_chunks, notes)
        results, more = _run_tflite(out, model, [_inputs_of(c) for c in chunks])
        exported = _gather(results, positions)
        notes += more
    report = compare(fmt, quantize, out, source, reference, exported, labels, notes, threshold)
    return replace(report, feed=feed)


def _onnx(model: Any, out: str, chunks: list[Any], notes: list[str]) -> list[list[Any]]:
    """Convert with tf2onnx and run the file with onnxruntime on each chunk (``services.export_onnx``)."""
    from visualnn.services.export_onnx import OnnxExportError, export_onnx, run_onnx

    try:
        export_onnx(model, out, notes)
        return run_onnx(out, model, chunks)
    except OnnxExportError as exc:
        raise ExportError(str(exc)) from exc


def _inputs_of(chunk: Any) -> list[Any]:
    """A chunk as a list of arrays, one per model input."""
    import numpy as np

    if isinstance(chunk, dict):
        return [np.asarray(v) for v in chunk.values()]
    if isinstance(chunk, (list, tuple)):
        return [np.asarray(v) for v in chunk]
    return [np.asarray(chunk)]


def _gather(per_chunk: list[list[Any]], positions: list[Any] | None) -> list[Any]:
    """Outputs of each chunk put back in sample order (``positions`` None: one chunk, already in order)."""
    import numpy as np

    if positions is None:
        return per_chunk[0]
    n = sum(len(p) for p in positions)
    out = []
    for k in range(len(per_chunk[0])):
        first = np.asarray(per_chunk[0][k])
        merged = np.zeros((n, *first.shape[1:]), dtype=first.dtype)
        for pos, outputs in zip(positions, per_chunk, strict=True):
            merged[np.asarray(pos)] = np.asarray(outputs[k])
        out.append(merged)
    return out


RECURRENT = ("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "RNN")


def unrolled_for_tflite(model: Any, notes: list[str] | None = None) -> Any:
    """``model`` with every recurrent layer unrolled (same weights, same numbers), else ``model`` itself.

    Keras 3 runs LSTM/GRU/SimpleRNN as a TensorFlow while-loop over TensorLists; TFLite has no built-in
    kernels for those (the .tflite would need the Flex delegate, which the LiteRT interpreter and phones
    lack). Unrolled over the known number of time steps, the same layers become plain built-in ops. A
    sequence Input with no fixed number of time steps cannot be unrolled: :class:`ExportError` says so.
    """
    import keras

    found: list[str] = []
    unknown: list[str] = []

    def walk(layer: Any) -> None:
        for sub in getattr(layer, "layers", []) or []:
            walk(sub)
        inner = [x for x in (layer, getattr(layer, "forward_layer", None), getattr(layer, "layer", None))
                 if x is not None and type(x).__name__ in RECURRENT]
        found.extend(x.name for x in inner)
        try:
            steps = layer.input.shape[1] if inner else 0
        except (AttributeError, ValueError, IndexError):  # a layer used twice has no single input
            steps = 0
        if steps is None:
            unknown.append(layer.name)

    walk(model)
    if not found:
        return model
    if unknown:
        raise ExportError(
            f"TFLite runs {', '.join(unknown)} only unrolled over a fixed number of time steps, and its input has "
            "none (shape (None, None, ...)). Give the sequence Input a fixed number of time steps, or export .keras "
            "or a SavedModel instead.")

    def unroll(cfg: Any) -> Any:
        if isinstance(cfg, dict):
            return {k: True if k == "unroll" else unroll(v) for k, v in cfg.items()}
        return [unroll(v) for v in cfg] if isinstance(cfg, list) else cfg

    def clone(layer: Any) -> Any:
        if isinstance(layer, keras.Model):
            return keras.models.clone_model(layer, clone_function=clone)
        return type(layer).from_config(unroll(layer.get_config()))

    try:
        copy = keras.models.clone_model(model, clone_function=clone)
        copy.set_weights(model.get_weights())
    except Exception as exc:
        raise ExportError(
            f"TFLite runs {', '.join(found)} only unrolled over a fixed number of time steps, and this model could "
            f"not be unrolled ({keras_message(exc)}). Give the "
            "sequence Input a fixed number of time steps, or export .keras or a SavedModel instead.") from exc
    if notes is not None:
        notes.append(f"{', '.join(found)} unrolled over the time steps for TFLite (same weights and results): "
                     "TFLite has no built-in kernel for Keras's recurrent loop.")
    return copy


def _export_tflite(model: Any, out: str, quantize: str, rep_chunks: list[list[Any]], notes: list[str]) -> None:
    """Convert with the options for ``quantize``; int8 falls back to float kernels for ops without int8 ones."""
    model = unrolled_for_tflite(model, notes)
    kwargs = converter_options(quantize, _representative(model, rep_chunks))
    try:
        model.export(out, format="litert", verbose=False, **kwargs)
    except Exception as exc:
        if quantize != "int8":
            raise _export_error(exc, model, f"TFLite ({quantize})") from exc
    else:
        if quantize == "int8":
            notes.append("Weights and activations are int8; inputs and outputs stay float32 (int8-io gives int8 "
                         "inputs and outputs).")
        return
    import tensorflow as tf

    kwargs["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]}
    _guard(lambda: model.export(out, format="litert", verbose=False, **kwargs), model, f"TFLite ({quantize})")
    notes.append("Weights and activations are int8 where TFLite has int8 kernels; the preprocessing steps without "
                 "one run in float32. Inputs and outputs stay float32.")


def converter_options(quantize: str, representative: Callable[[], Iterator[Any]] | None) -> dict[str, Any]:
    """Keyword arguments for the internal ``TFLiteConverter`` for one quantization mode."""
    import tensorflow as tf

    if quantize == "none":
        return {}
    options: dict[str, Any] = {"optimizations": [tf.lite.Optimize.DEFAULT]}
    if quantize == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    elif quantize in ("int8", "int8-io"):
        if representative is None:
            raise ExportError("Full-integer int8 quantization needs representative samples to calibrate.")
        options["representative_dataset"] = representative
        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]}
        if quantize == "int8-io":  # only on request: callers must then quantize inputs themselves
            options["inference_input_type"] = tf.int8
            options["inference_output_type"] = tf.int8
    return options


def _representative(model: Any, chunks: list[list[Any]]) -> Callable[[], Iterator[Any]]:
    """Calibration samples one at a time (at most 200), from chunks of arrays (one per model input)."""
    names = [_input_name(t) for t in model.inputs]

    def gen() -> Iterator[Any]:
        given = 0
        for xs in chunks:
            for i in range(len(xs[0])):
                if given >= 200:
                    return
                given += 1
                yield {name: x[i : i + 1].astype("float32") for name, x in zip(names, xs, strict=True)}

    return gen


def _input_name(tensor: Any) -> str:
    return str(tensor.name).split(":")[0]


def _guard(fn: Callable[[], Any], model: Any, what: str) -> None:
    try:
        fn()
    except Exception as exc:
        raise _export_error(exc, model, what) from exc


def _export_error(exc: Exception, model: Any, what: str) -> ExportError:
    layer = culprit_layer(model, str(exc))
    where = f" Layer {layer!r} cannot be converted." if layer else ""
    return ExportError(f"{what} export failed.{where} Reason: {keras_message(exc)}")


def culprit_layer(model: Any, message: str) -> str | None:
    """The model layer named in a converter/interpreter error message, if any (longest name wins)."""
    names = sorted((layer.name for layer in getattr(model, "layers", [])), key=len, reverse=True)
    for name in names:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message):
            return str(name)
    return None


def random_inputs(model: Any, n: int, seed: int = 0) -> list[Any]:
    """Seeded random samples matching every model input (integers for integer inputs)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for tensor in model.inputs:
        shape = (n, *[d or 1 for d in tensor.shape[1:]])
        if "int" in str(tensor.dtype):
            out.append(rng.integers(0, 10, size=shape).astype(str(tensor.dtype)))
        else:
            out.append(rng.standard_normal(shape).astype("float32"))
    return out


def _as_list(value: Any) -> list[Any]:
    import numpy as np

    if isinstance(value, dict):
        return [np.asarray(v) for _, v in sorted(value.items(), key=lambda kv: _natural(kv[0]))]
    if isinstance(value, (list, tuple)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def _natural(key: str) -> tuple[str, int]:
    m = re.match(r"(.*?)(\d+)$", key)
    return (m.group(1), int(m.group(2))) if m else (key, -1)


def _tensor(x: Any) -> Any:
    """Text columns (object arrays) as tf.string tensors, which Keras accepts; other arrays as they are."""
    import numpy as np
    import tensorflow as tf

    arr = np.asarray(x)
    return tf.constant(arr.astype(str)) if arr.dtype.kind in "OUS" else arr


def _feedable(chunk: Any) -> Any:
    if isinstance(chunk, dict):
        return {k: _tensor(v) for k, v in chunk.items()}
    if isinstance(chunk, (list, tuple)):
        return [_tensor(v) for v in chunk]
    return _tensor(chunk)


def _run_keras(path: str, chunks: list[Any]) -> list[list[Any]]:
    import keras

    reloaded = keras.saving.load_model(path, safe_mode=True)
    return [_as_list(reloaded.predict(_feedable(chunk), verbose=0)) for chunk in chunks]


def _run_savedmodel(path: str, chunks: list[Any]) -> list[list[Any]]:
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    results = []
    for chunk in chunks:
        if isinstance(chunk, dict):
            args: Any = {k: tf.constant(_tensor(v)) for k, v in chunk.items()}
        elif isinstance(chunk, (list, tuple)):
            args = [tf.constant(x) for x in chunk]
        else:
            args = tf.constant(chunk)
        result = loaded.serve(args)
        if isinstance(result, dict):
            results.append(_as_list({k: v.numpy() for k, v in result.items()}))
        else:
            results.append(_as_list(result.numpy() if hasattr(result, "numpy") else [r.numpy() for r in result]))
    return results


def _run_tflite(path: str, model: Any, chunks: list[list[Any]]) -> tuple[list[list[Any]], list[str]]:
    """Run the .tflite file with the LiteRT interpreter on each chunk, matching inputs by name."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    notes: list[str] = []
    try:
        interpreter = Interpreter(model_path=path)
        signatures = interpreter.get_signature_list()
        runner = interpreter.get_signature_runner(next(iter(signatures)))
    except Exception as exc:
        layer = culprit_layer(model, str(exc))
        where = f" Layer {layer!r} needs operations LiteRT cannot run." if layer else ""
        raise ExportError(f"The TFLite file could not be loaded by LiteRT.{where} Reason: {exc}") from exc
    details = runner.get_input_details()
    out_details = runner.get_output_details()
    names = [_input_name(t) for t in model.inputs]
    results = []
    for xs in chunks:
        feed: dict[str, Any] = {}
        for name, x in zip(names, xs, strict=True):
            key = name if name in details else next((k for k in details if name in k or k in name), None)
            if key is None:
                if len(details) != len(xs):
                    raise ExportError(f"The TFLite model has no input named {name!r}; it lists {sorted(details)}.")
                key = list(details)[names.index(name)]
            feed[key] = _quantize(np.asarray(x), details[key])
        outputs = runner(**feed)
        results.append([_dequantize(outputs[k], out_details[k]) for k in sorted(outputs, key=_natural)])
    for kind, table in (("Input", details), ("Output", out_details)):
        for key, detail in table.items():
            if detail["dtype"] in (np.int8, np.uint8):
                scale, zero = detail["quantization"]
                how = "feed q = round(x / scale) + zero_point" if kind == "Input" else "x = (q - zero_point) * scale"
                notes.append(f"{kind} {key!r} is {np.dtype(detail['dtype']).name} with scale {scale:.6g} and zero point "
                             f"{zero}: {how}.")
    return results, notes


def _quantize(x: Any, detail: dict[str, Any]) -> Any:
    import numpy as np

    dtype = detail["dtype"]
    if dtype in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)
    return x.astype(dtype)


def _dequantize(y: Any, detail: dict[str, Any]) -> Any:
    import numpy as np

    if detail["dtype"] in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        return (y.astype("float32") - zero) * scale
    return np.asarray(y, dtype="float32")


__all__ = ["FORMATS", "QUANTIZE", "RECURRENT", "ExportError", "ParityReport", "RawCheck", "converter_options",
           "culprit_layer", "export_model", "format_for", "random_inputs", "unrolled_for_tflite"]
