"""Graph -> keras.Model: the only place VisualNN constructs models."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from visualnn.core.freezing import calls_in_inference_mode, is_frozen
from visualnn.core.graph import SEQUENTIAL, BlockDef, Graph, Node
from visualnn.core.names import layer_name_problem
from visualnn.core.sequential import sequential_problem
from visualnn.core.shapes import block_with_inputs, infer_shapes
from visualnn.core.specs import KerasCall, Registry, Shape, default_registry
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.core.specs.builtin.hub import HUB_RESNET
from visualnn.services.backbones import BackboneError, build_failure
from visualnn.services.backbones import build as build_backbone
from visualnn.services.hub_presets import build as build_hub
from visualnn.services.hub_presets import import_keras_hub


class BuildError(ValueError):
    """The graph cannot be built; the message names the node and the fix."""


def resolve_class(class_path: str) -> Any:
    """``keras.layers.Dense`` -> the class object (only ``keras.*`` and ``keras_hub.*`` paths are allowed)."""
    import keras  # type: ignore[import-untyped]  # Keras ships no type information

    parts = class_path.split(".")
    obj: Any = keras
    if parts[0] == "keras_hub":  # a KerasHub backbone node: imported only here, when one is built
        obj = import_keras_hub()
    elif parts[0] != "keras":
        raise BuildError(f"Refusing to load {class_path!r}: only keras.* and keras_hub.* classes can be built.")
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def instantiate(call: KerasCall, **extra: Any) -> Any:
    """Create the object a :class:`KerasCall` describes (nested calls first)."""
    if call.class_path == "keras.layers.deserialize":
        # Generic (imported) layers: a stored Keras config, deserialized in safe mode.
        from visualnn.services.generic_layers import deserialize_layer

        return deserialize_layer(call.kwargs["config"], extra.get("name"))
    kwargs = {k: _instantiate_value(v) for k, v in call.kwargs.items()}
    kwargs.update(extra)
    return resolve_class(call.class_path)(**kwargs)


def _instantiate_value(value: Any) -> Any:
    """A keyword value: nested calls built, lists of calls (a Sequential's layers) built item by item."""
    if isinstance(value, KerasCall):
        return instantiate(value)
    if isinstance(value, list) and any(isinstance(v, KerasCall) for v in value):
        return [_instantiate_value(v) for v in value]
    return value


def keras_message(exc: BaseException) -> str:
    """Keras's whole message (never cut to its first line: the reason often comes after it), less its terminal
    colour codes; the exception's class name only when the message is empty."""
    text = ANSI_CODE.sub("", str(exc)).strip()
    return text or type(exc).__name__


ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
"""The bold/reset codes Keras puts around the cause inside its messages (meant for a terminal)."""


def _connect_error(label: str, layer_type: str, exc: Exception) -> BuildError:
    """Keras refused an input that inference accepted: name the node, keep Keras's reason."""
    return BuildError(f"{label}: Keras could not apply {layer_type} to its input. Keras said: {keras_message(exc)}")


def build_model(
    graph: Graph, registry: Registry | None = None, name: str = "model", blocks: Mapping[str, BlockDef] | None = None
) -> Any:
    """Build a ``keras.Sequential`` (sequential mode) or functional ``keras.Model``.

    Block nodes become nested models built from their definition in ``blocks`` (default: the graph's
    own): one model per node, or one model for all the ``shared`` nodes of a block (shared weights).
    Raises :class:`BuildError` naming the first node that cannot be built.
    """
    import keras  # type: ignore[import-untyped]

    registry = registry or default_registry()
    blocks = graph.blocks if blocks is None else blocks
    report = infer_shapes(graph, registry, blocks)
    if report.errors:
        nid, msg = next(iter(report.errors.items()))
        raise BuildError(f"{graph.nodes[nid].label}: {msg}")
    if not graph.nodes:
        raise BuildError("The model is empty: add an Input and at least one layer.")
    taken = {node.label for node in graph}
    for node in graph:
        bad_name = layer_name_problem(node.label, taken)
        if bad_name:  # TensorFlow would refuse it only once training calls the model
            raise BuildError(f"{node.label}: {bad_name}")
    layers: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        spec = registry[node.type]
        if spec.type == "Input":
            continue
        if spec.type == BLOCK_TYPE:
            layers[nid] = _block_model(node, report.nodes[nid].input_shapes, blocks, registry, shared)
            if is_frozen(node) and not node.params.get("shared"):  # a shared block's one model: left as it is
                layers[nid].trainable = False
            continue
        inputs = [s for s in report.nodes[nid].input_shapes if s is not None]
        call = spec.call_for(spec.resolved(node.params), inputs)
        pretrained = spec.category == "pretrained"
        try:
            if spec.type == HUB_RESNET:
                layers[nid] = build_hub(node.label, spec.resolved(node.params), call, instantiate)
            elif pretrained:
                layers[nid] = build_backbone(node.label, spec.type, call, instantiate)
            else:
                layers[nid] = instantiate(call, name=node.label)
        except BackboneError as exc:
            raise BuildError(str(exc)) from exc
        except Exception as exc:
            if pretrained:
                raise BuildError(build_failure(node.label, spec.type, call, keras_message(exc))) from exc
            raise BuildError(f"{node.label}: Keras refused the settings of {spec.type}. Keras said: "
                             f"{keras_message(exc)}") from exc
        if is_frozen(node):  # transfer learning: training leaves its weights as they are
            layers[nid].trainable = False

    inference = {nid for nid, node in graph.nodes.items() if calls_in_inference_mode(node, registry)}
    if graph.mode == SEQUENTIAL:
        problem = sequential_problem(graph, registry)
        if problem is not None:
            raise BuildError(problem.message)
    # keras.Sequential cannot pass training=False to one layer. A frozen BatchNormalization needs none (Keras 3
    # runs it in inference mode while trainable is off); a frozen nested model does, so a chain holding one is
    # built with the functional API instead: the same layers, names and weights, called as the guide requires.
    if graph.mode == SEQUENTIAL and not any(isinstance(layers[nid], keras.Model) for nid in inference):
        order = graph.chain_order() or []  # a chain from an Input now: never None, never empty
        first = graph.nodes[order[0]]
        spec = registry["Input"]
        params = spec.resolved(first.params)
        model = keras.Sequential(name=name)
        model.add(keras.Input(shape=tuple(params["shape"]), dtype=params["dtype"], name=first.label))
        for nid in order[1:]:
            try:
                model.add(layers[nid])
            except Exception as exc:
                raise _connect_error(graph.nodes[nid].label, registry[graph.nodes[nid].type].type, exc) from exc
        return model

    tensors: dict[str, Any] = {}
    inputs = []
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        spec = registry[node.type]
        if spec.type == "Input":
            params = spec.resolved(node.params)
            tensors[nid] = keras.Input(shape=tuple(params["shape"]), dtype=params["dtype"], name=node.label)
            inputs.append(tensors[nid])
            continue
        edges = graph.in_edges(nid)
        args = [tensors[e.src.node] for e in edges]
        layer = layers[nid]
        try:
            if spec.type == BLOCK_TYPE and nid in inference:  # a frozen block: its BN statistics kept
                tensors[nid] = layer(args[0] if len(args) == 1 else args, training=False)
            elif spec.type == BLOCK_TYPE:
                tensors[nid] = layer(args[0] if len(args) == 1 else args)
            elif spec.call_style == "list":
                tensors[nid] = layer(args)
            elif spec.call_style == "named":
                named = {spec.inputs[e.dst.port]: tensors[e.src.node] for e in edges}
                tensors[nid] = layer(**named)
            elif nid in inference:  # frozen BN or backbone: its statistics are kept (Keras's transfer-learning guide)
                tensors[nid] = layer(args[0], training=False)
            else:
                tensors[nid] = layer(args[0])
        except Exception as exc:
            raise _connect_error(node.label, spec.type, exc) from exc
    outputs = [tensors[nid] for nid in graph.sinks() if graph.nodes[nid].type != "Input"]
    if not inputs:
        raise BuildError("The model has no Input; add an Input node.")
    if not outputs:
        raise BuildError("The model has no output layer; connect a layer after the Input.")
    # One Input and several outputs: the data comes as named parts ({Input name: x}); Keras maps that dict onto
    # a list of Inputs silently, but onto a bare one with "The structure of `inputs` doesn't match" every batch.
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 and len(outputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )


def _block_model(
    node: Node,
    input_shapes: tuple[Shape | None, ...],
    blocks: Mapping[str, BlockDef],
    registry: Registry,
    shared: dict[str, Any],
) -> Any:
    """The nested ``keras.Model`` of a Block node, its Inputs shaped like the tensors it is called on."""
    block = blocks[str(node.params.get("block"))]  # inference found it, or build_model stopped earlier
    if node.params.get("shared") and block.name in shared:
        return shared[block.name]
    inner = block_with_inputs(block, [s for s in input_shapes if s is not None])
    name = block.name if node.params.get("shared") else node.label
    try:
        model = build_model(inner, registry, name=name, blocks=blocks)
    except BuildError as exc:
        raise BuildError(f"{node.label}: inside block {block.name!r}, {exc}") from exc
    if node.params.get("shared"):
        shared[block.name] = model
    return model
