"""Deployability precheck: convert the untrained model to TFLite (no data) and say, per node, whether it runs on
TFLite's built-in kernels, needs Flex (Select TF ops, a larger runtime phones seldom ship) or fails to convert.

The model is built as the app builds it, and prepared as the app's TFLite export prepares it (recurrent layers
over a fixed number of steps are unrolled, see :func:`services.export.unrolled_for_tflite`). It is converted with
built-in ops only; when that fails, again with Select TF ops allowed, and the Flex ops of the result are mapped
back to the canvas nodes through the layer names in TFLite's tensor names. The .tflite sizes for float16 and int8
are estimated from the float32 file: each weight shrinks from 4 bytes to 2 or 1.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.services.keras_builder import build_model, keras_message

log = logging.getLogger(__name__)

BUILTIN, FLEX, FAILS = "builtin", "flex", "fails"


@dataclass(frozen=True)
class NodeDeploy:
    """One node's verdict: ``builtin``, ``flex`` or ``fails``, with the TFLite ops it became."""

    id: str
    name: str
    status: str
    ops: tuple[str, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "name": self.name, "status": self.status, "ops": list(self.ops),
                "message": self.message}


@dataclass(frozen=True)
class DeployReport:
    """The precheck's result: per node verdicts, the overall one, sizes and notes."""

    nodes: tuple[NodeDeploy, ...]
    status: str
    sizes: dict[str, int] = field(default_factory=dict)  # fp32 (measured), fp16 and int8 (estimated), bytes
    message: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``visualnn analyze --deploy --json``, the engine's ``deploy_check`` result)."""
        return {"status": self.status, "message": self.message, "sizes": dict(self.sizes),
                "notes": list(self.notes), "nodes": [n.to_dict() for n in self.nodes]}


def deploy_check(project: Project) -> DeployReport:
    """Convert ``project``'s untrained model to TFLite and report per node (raises ``BuildError`` for a broken graph)."""
    import keras  # type: ignore[import-untyped]

    from visualnn.services.export import ExportError, unrolled_for_tflite

    graph = project.graph
    keras.utils.set_random_seed(0)
    model = build_model(graph)
    notes: list[str] = []
    try:
        model = unrolled_for_tflite(model, notes)
    except ExportError as exc:  # variable-length sequences: the loop stays, as TensorList ops
        notes.append(str(exc))
    params = int(model.count_params())
    flat, error = _convert(model, select_ops=False)
    if flat is not None:
        nodes = tuple(NodeDeploy(nid, graph.nodes[nid].label, BUILTIN, tuple(ops))
                      for nid, ops in _ops_by_node(graph, flat).items())
        return DeployReport(nodes, BUILTIN, _sizes(len(flat), params), "Every node converts to TFLite built-in ops.",
                            tuple(notes))
    flex_bytes, flex_error = _convert(model, select_ops=True)
    if flex_bytes is None:
        located = _failing_ops(graph, model, flex_error or "")
        if located is not None:
            return located
        failing = _nodes_named_in(graph, flex_error or error or "")
        message = _short(flex_error or error or "the TFLite converter failed without a message")
        nodes = tuple(
            NodeDeploy(nid, node.label, FAILS if nid in failing or not failing else "unknown",
                       message=message if nid in failing or not failing else "")
            for nid, node in graph.nodes.items())
        return DeployReport(nodes, FAILS, {}, f"TFLite cannot convert this model: {message}", tuple(notes))
    by_node = _ops_by_node(graph, flex_bytes)
    verdicts = []
    for nid, ops in by_node.items():
        flex = sorted({op for op in ops if op.startswith("Flex")})
        message = (f"needs Select TF ops ({', '.join(op[4:] for op in flex)}): a .tflite that runs only with the "
                   "Flex delegate" if flex else "")
        verdicts.append(NodeDeploy(nid, graph.nodes[nid].label, FLEX if flex else BUILTIN, tuple(ops), message))
    flex_names = [v.name for v in verdicts if v.status == FLEX]
    summary = (f"{', '.join(flex_names)} need{'s' if len(flex_names) == 1 else ''} Select TF ops (Flex); "
               "the rest converts to built-in ops." if flex_names else
               "The model needs Select TF ops (Flex) that could not be tied to a node.")
    return DeployReport(tuple(verdicts), FLEX, _sizes(len(flex_bytes), params), summary, tuple(notes))


def _failing_ops(graph: Graph, model: Any, error: str) -> DeployReport | None:
    """The verdict when some ops have no TFLite kernel at all (neither built-in nor Flex): converted once more with
    those ops let through as custom ops, so that each can be tied to the node that made it through the layer names
    in its tensor names. None when that conversion fails too, or ties no such op to a node."""
    flat, _ = _convert(model, select_ops=True, custom_ops=True)
    if flat is None:
        return None
    by_node = _ops_by_node(graph, flat)
    verdicts: list[NodeDeploy] = []
    for nid, ops in by_node.items():
        node = graph.nodes[nid]
        custom = sorted({op for op in ops if _is_custom(op)})
        flex = sorted({op[4:] for op in ops if op.startswith("Flex")})
        if custom:
            hint = ("Choose bilinear, nearest or bicubic interpolation." if "interpolation" in node.params
                    else "Change its settings or replace it before exporting to TFLite.")
            message = (f"{node.label}: TFLite has no kernel for {', '.join(custom)}, neither built-in nor Select TF "
                       f"ops (Flex), so the model cannot be converted. {hint}")
            verdicts.append(NodeDeploy(nid, node.label, FAILS, tuple(ops), message))
        elif flex:
            verdicts.append(NodeDeploy(nid, node.label, FLEX, tuple(ops),
                                       f"needs Select TF ops ({', '.join(flex)}): a .tflite that runs only with the "
                                       "Flex delegate"))
        else:
            verdicts.append(NodeDeploy(nid, node.label, BUILTIN, tuple(ops)))
    failing = [v for v in verdicts if v.status == FAILS]
    if not failing:
        return None
    ops = sorted({op for v in failing for op in v.ops if _is_custom(op)})
    summary = (f"TFLite cannot convert this model: {', '.join(v.name for v in failing)} "
               f"need{'s' if len(failing) == 1 else ''} {', '.join(ops)}, which TFLite has no kernel for. "
               + failing[0].message.split(". ", 1)[-1])
    return DeployReport(tuple(verdicts), FAILS, {}, summary, (_short(error),) if error else ())


def _is_custom(op: str) -> bool:
    """An op the converter let through as a custom op: not a built-in (upper case) nor a Flex op."""
    return op != op.upper() and not op.startswith("Flex")


def _sizes(fp32: int, params: int) -> dict[str, int]:
    """Measured float32 size; float16 and int8 weights take 2 and 1 of each weight's 4 bytes."""
    return {"fp32": fp32, "fp16": max(fp32 - 2 * params, 0), "int8": max(fp32 - 3 * params, 0)}


def _convert(model: Any, select_ops: bool, custom_ops: bool = False) -> tuple[bytes | None, str | None]:
    """The .tflite bytes of ``model`` (built-in ops only, or with Select TF ops; ``custom_ops``: ops with no kernel
    kept as custom ops, only to locate them), or the converter's error."""
    import tensorflow as tf

    specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in model.inputs]

    @tf.function(input_signature=specs)  # type: ignore[untyped-decorator]
    def serve(*inputs: Any) -> Any:
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])  # frozen weights
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if select_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        converter._experimental_lower_tensor_list_ops = False  # keep TensorLists as Flex ops, as the converter advises
    converter.target_spec.supported_ops = ops
    converter.allow_custom_ops = custom_ops
    try:
        return bytes(converter.convert()), None
    except Exception as exc:  # the converter's failure is the verdict, not a crash; the log keeps the traceback
        log.info("TFLite conversion (select_ops=%s, custom_ops=%s) failed", select_ops, custom_ops, exc_info=True)
        return None, keras_message(exc)


def _op_names(flat: bytes) -> list[tuple[str, list[str]]]:
    """(op name, output tensor names) of every op in a .tflite flatbuffer."""
    from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]

    # Reading the op list allocates nothing, so Flex ops need no delegate here.
    interpreter = Interpreter(model_content=flat)
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    return [(str(op["op_name"]), [str(names.get(i, "")) for i in op["outputs"]])
            for op in interpreter._get_ops_details()]


def layer_of(tensor_name: str, labels: dict[str, str]) -> str | None:
    """The node whose layer produced ``tensor_name`` (``functional_1/lstm_1/while`` -> the ``lstm`` node).

    Keras names a layer's ops ``<layer name>_<call>``; a part that names a layer once its call suffix is dropped
    wins over one that names it as written (a layer called ``dense_1`` scopes its ops ``dense_1_1``).
    """
    for part in tensor_name.split(";")[0].split("/")[1:]:
        stripped = re.sub(r"_\d+$", "", part)
        if stripped in labels:
            return labels[stripped]
        if part in labels:
            return labels[part]
    return None


def _ops_by_node(graph: Graph, flat: bytes) -> dict[str, list[str]]:
    labels = {node.label: nid for nid, node in graph.nodes.items()}
    out: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for op, outputs in _op_names(flat):
        for name in outputs:
            nid = layer_of(name, labels)
            if nid is not None:
                if op not in out[nid]:
                    out[nid].append(op)
                break
    return out


def _nodes_named_in(graph: Graph, message: str) -> set[str]:
    labels = {node.label: nid for nid, node in graph.nodes.items()}
    found = set()
    for scope in re.findall(r"[\w.-]+/([\w.-]+)/", message):
        nid = labels.get(re.sub(r"_\d+$", "", scope)) or labels.get(scope)
        if nid:
            found.add(nid)
    return found


def _short(message: str) -> str:
    """The converter's first error line (its full text is in the log)."""
    for line in message.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:300]
    return message.strip().splitlines()[0][:300] if message.strip() else message


__all__ = ["BUILTIN", "FAILS", "FLEX", "DeployReport", "NodeDeploy", "deploy_check", "layer_of"]
