"""Frozen layers (transfer learning): which nodes are frozen, which must run in inference mode, and the
undoable edits "Freeze everything before this node" and "Unfreeze all".

A node is frozen when its common ``trainable`` setting (:data:`visualnn.core.specs.TRAINABLE`) is false. The
builder and the code generator set ``layer.trainable = False`` for it; a frozen nested model (a backbone) or
BatchNormalization is also *called* with ``training=False`` (Keras's transfer-learning guide: its statistics are
kept, and they stay kept when phase 2 of fine-tuning unfreezes layers inside it).
"""

from __future__ import annotations

from collections.abc import Sequence

from visualnn.core.command_base import CommandError, Macro
from visualnn.core.commands import SetParam
from visualnn.core.graph import Graph, Node
from visualnn.core.project import Project
from visualnn.core.specs import TRAINABLE, LayerSpec, Registry, default_registry
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE

INFERENCE_MODE_TYPES = ("BatchNormalization",)
"""Catalog layers that behave differently in training and must run with ``training=False`` while frozen."""
NESTED_MODEL_PREFIXES = ("keras.applications.", "keras_hub.")
"""Dotted Keras paths whose object is a whole ``keras.Model`` nested as one node (backbones)."""


def is_frozen(node: Node) -> bool:
    """Whether the node's ``trainable`` setting is off."""
    return node.params.get(TRAINABLE.name, True) is False


def frozen_ids(graph: Graph) -> list[str]:
    """The frozen nodes, in document order."""
    return [nid for nid, node in graph.nodes.items() if is_frozen(node)]


def is_nested_model(spec: LayerSpec) -> bool:
    """Whether the spec's Keras object is a nested ``keras.Model`` (a backbone) rather than one layer."""
    if spec.type == BLOCK_TYPE or spec.class_path.startswith(NESTED_MODEL_PREFIXES):
        return True
    try:  # a spec may name its Keras object only in its call (the class path is then the layer default)
        return spec.keras_call(spec, spec.defaults()).class_path.startswith(NESTED_MODEL_PREFIXES)
    except Exception:  # a spec that cannot describe its call without settings is not a backbone we know of
        return False


def needs_inference_mode(spec: LayerSpec) -> bool:
    """Whether a frozen node of this spec must be called with ``training=False``."""
    return spec.type in INFERENCE_MODE_TYPES or is_nested_model(spec)


def calls_in_inference_mode(node: Node, registry: Registry | None = None) -> bool:
    """Whether the builder and the code call ``node``'s layer with ``training=False`` (frozen and it matters; a
    shared block, one model for several nodes, is left as it is)."""
    spec = (registry or default_registry()).get(node.type)
    return spec is not None and is_frozen(node) and needs_inference_mode(spec) and not node.params.get("shared")


def before(graph: Graph, node_id: str) -> list[str]:
    """Every node with a path to ``node_id`` (the layers its input flows through), in document order."""
    return [nid for nid in graph.nodes if nid != node_id and graph.reaches(nid, node_id)]


def _freezable(graph: Graph, node_id: str, registry: Registry) -> bool:
    spec = registry.get(graph.nodes[node_id].type)
    return spec is not None and bool(spec.common_params)  # an Input has no weights and no switch


class FreezeBefore(Macro):
    """Freeze every layer before a node (its Input excepted), as one undo step; the node itself stays as it is."""

    def __init__(self, node_id: str, registry: Registry | None = None) -> None:
        super().__init__("Freeze everything before this layer", [])
        self.node_id = node_id
        self.registry = registry

    def redo(self, project: Project) -> None:
        """Plan the SetParam of each trainable layer before the node, then apply them all."""
        graph = project.graph
        if self.node_id not in graph.nodes:
            raise CommandError(f"There is no layer {self.node_id!r} in the model.")
        registry = self.registry or default_registry()
        ids = [nid for nid in before(graph, self.node_id)
               if _freezable(graph, nid, registry) and not is_frozen(graph.nodes[nid])]
        if not ids:
            label = graph.nodes[self.node_id].label
            raise CommandError(f"Every layer before {label} is already frozen (or there is none): nothing to freeze.")
        self.commands = [SetParam(nid, TRAINABLE.name, False, registry) for nid in ids]
        super().redo(project)


class UnfreezeAll(Macro):
    """Make every frozen layer trainable again, as one undo step."""

    def __init__(self, ids: Sequence[str] | None = None) -> None:
        super().__init__("Unfreeze all layers", [])
        self.ids = None if ids is None else list(ids)

    def redo(self, project: Project) -> None:
        """Switch ``trainable`` back on for every frozen layer (or the given ones); set, not removed, so that undo
        puts each value back where it was in the node's parameters."""
        ids = [nid for nid in (self.ids if self.ids is not None else frozen_ids(project.graph))
               if nid in project.graph.nodes and is_frozen(project.graph.nodes[nid])]
        if not ids:
            raise CommandError("No layer is frozen: nothing to unfreeze.")
        self.commands = [SetParam(nid, TRAINABLE.name, True) for nid in ids]
        super().redo(project)


__all__ = [
    "INFERENCE_MODE_TYPES",
    "NESTED_MODEL_PREFIXES",
    "FreezeBefore",
    "UnfreezeAll",
    "before",
    "calls_in_inference_mode",
    "frozen_ids",
    "is_frozen",
    "is_nested_model",
    "needs_inference_mode",
]
