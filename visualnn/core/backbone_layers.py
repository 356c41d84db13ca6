"""A pretrained backbone opened as a block: the engine job that lists its Keras layers, and their trainable flags.

A backbone node is one ``keras.Sequential`` of its preprocessing and the ``keras.applications`` network. Opening it
shows that model's layers read-only, as Keras builds them: the ``backbone_layers`` engine job builds the node with
``weights=None`` at its input shape and answers a :class:`LayerTable` (name, type, output shape, weights). The
table depends only on :meth:`BackboneLayersRequest.key` (family, input shape, pooling, top), so the window keeps one
per key. Which layers train is the document's business, computed here without TensorFlow
(:func:`trainable_flags`): a frozen node trains none in phase 1, and phase 2 of fine-tuning unfreezes what
``services.finetune.unfreeze`` unfreezes (the plan's top layers, BatchNormalization kept frozen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from visualnn.core.finetune import FineTunePlan
from visualnn.core.freezing import is_frozen
from visualnn.core.graph import Graph
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.core.specs.builtin.pretrained import family_of

JOB_TYPE = "backbone_layers"
"""The engine job that lists a backbone's layers."""
BATCH_NORM = "BatchNormalization"


@dataclass(frozen=True)
class BackboneLayersRequest:
    """What the layer list of a backbone node depends on (its weights do not change it: built with None)."""

    family: str
    input_shape: tuple[int | None, ...]  # (height, width, channels)
    pooling: str | None
    include_top: bool = False
    classes: int = 1000

    def key(self) -> tuple[Any, ...]:
        """The cache key: one table per family, shape, pooling and top."""
        return (self.family, self.input_shape, self.pooling, self.include_top, self.classes if self.include_top else 0)

    def to_dict(self) -> dict[str, Any]:
        """The job's payload."""
        return {"family": self.family, "input_shape": list(self.input_shape), "pooling": self.pooling,
                "include_top": self.include_top, "classes": self.classes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BackboneLayersRequest:
        """Read a payload; ValueError names the field that is wrong."""
        family = data.get("family")
        if not isinstance(family, str) or family_of(family) is None:
            raise ValueError(f"backbone_layers: family must be a backbone family name; received {family!r}.")
        shape = data.get("input_shape")
        if not isinstance(shape, list) or len(shape) != 3 or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape):
            raise ValueError(f"backbone_layers: input_shape must be [height, width, channels]; received {shape!r}.")
        pooling = data.get("pooling")
        if pooling not in (None, "avg", "max"):
            raise ValueError(f"backbone_layers: pooling must be None, 'avg' or 'max'; received {pooling!r}.")
        classes = data.get("classes", 1000)
        if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
            raise ValueError(f"backbone_layers: classes must be a positive integer; received {classes!r}.")
        return cls(family, tuple(shape), pooling, bool(data.get("include_top", False)), classes)


def request_for(graph: Graph, node_id: str, input_shape: Sequence[int | None] | None) -> BackboneLayersRequest | None:
    """The request for backbone node ``node_id`` fed ``input_shape`` (batch axis included); None when the node is
    not a backbone or its input is not an image yet (the Input has no shape, or an error upstream)."""
    node = graph.nodes.get(node_id)
    if node is None or family_of(node.type) is None or input_shape is None or len(input_shape) != 4:
        return None
    params = node.params
    return BackboneLayersRequest(node.type, tuple(input_shape[1:]), params.get("pooling", "avg"),
                                 bool(params.get("include_top", False)), int(params.get("classes", 1000) or 1000))


@dataclass(frozen=True)
class InnerLayer:
    """One Keras layer inside the backbone (model order; InputLayers left out, as fine-tuning counts them)."""

    name: str
    type: str
    output_shape: tuple[int | None, ...] | None
    trainable_params: int
    non_trainable_params: int

    @property
    def params(self) -> int:
        """All its weights."""
        return self.trainable_params + self.non_trainable_params


@dataclass(frozen=True)
class LayerTable:
    """The layers of one backbone as Keras built them."""

    layers: tuple[InnerLayer, ...]

    @property
    def trainable_params(self) -> int:
        """Weights Keras would train with every layer trainable."""
        return sum(layer.trainable_params for layer in self.layers)

    @property
    def non_trainable_params(self) -> int:
        """Weights that never train (BatchNormalization's moving statistics)."""
        return sum(layer.non_trainable_params for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """The job's result."""
        return {"layers": [{"name": x.name, "type": x.type,
                            "output_shape": None if x.output_shape is None else list(x.output_shape),
                            "trainable_params": x.trainable_params, "non_trainable_params": x.non_trainable_params}
                           for x in self.layers]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LayerTable:
        """Read the job's result; ValueError names the row that is malformed."""
        rows = data.get("layers")
        if not isinstance(rows, list):
            raise ValueError("backbone_layers result: 'layers' must be a list.")
        layers = []
        for i, row in enumerate(rows):
            try:
                shape = row["output_shape"]
                layers.append(InnerLayer(str(row["name"]), str(row["type"]), None if shape is None else tuple(shape),
                                         int(row["trainable_params"]), int(row["non_trainable_params"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"backbone_layers result: layers[{i}] is malformed ({exc}).") from exc
        return cls(tuple(layers))


@dataclass(frozen=True)
class LayerFlags:
    """Whether one inner layer trains in phase 1, and in phase 2 of fine-tuning (None: no phase 2)."""

    phase1: bool
    phase2: bool | None
    kept_frozen: bool = False  # phase 2 reaches it, but it is BatchNormalization: its statistics stay as they are


def trainable_flags(graph: Graph, node_id: str, table: LayerTable, plan: FineTunePlan | None,
                    nested_sizes: Mapping[str, int] | None = None) -> list[LayerFlags]:
    """Each inner layer's trainable flag under the document's freezing and fine-tuning, as the engine applies them.

    A trainable node trains every layer in both phases. A frozen one trains none in phase 1; phase 2 unfreezes
    the plan's layers, counted over the Keras layers of all frozen nodes in model order (``services.finetune``):
    every one from ``plan.start`` on, or the top ``plan.layers``. The frozen nodes after this one count one layer
    each, or ``nested_sizes[label]`` layers for another backbone or block (assumed to fill the top when unknown).
    BatchNormalization stays frozen in phase 2.
    """
    node = graph.nodes[node_id]
    n = len(table.layers)
    if not is_frozen(node):
        return [LayerFlags(True, None if plan is None else True)] * n
    if plan is None or node.label not in plan.frozen:
        return [LayerFlags(False, None)] * n
    position = plan.frozen.index(node.label)
    if plan.start is not None:
        chosen = [position >= plan.frozen.index(plan.start)] * n
    else:
        after = 0
        for label in plan.frozen[position + 1:]:
            size = (nested_sizes or {}).get(label)
            if size is None:
                other = next((m for m in graph if m.label == label), None)
                nested = other is not None and (family_of(other.type) is not None or other.type == BLOCK_TYPE)
                size = plan.layers if nested else 1
            after += size
        top = max(0, plan.layers - after)
        chosen = [i >= n - top for i in range(n)] if top else [False] * n
    return [LayerFlags(False, bool(pick) and layer.type != BATCH_NORM, bool(pick) and layer.type == BATCH_NORM)
            for pick, layer in zip(chosen, table.layers, strict=True)]


__all__ = ["BATCH_NORM", "JOB_TYPE", "BackboneLayersRequest", "InnerLayer", "LayerFlags", "LayerTable", "request_for",
           "trainable_flags"]
