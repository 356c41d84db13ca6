"""The layers of a pretrained backbone as Keras builds them (the window's read-only "open block" view).

The node is built exactly as the model builder builds it (``keras.Sequential`` of its preprocessing and the
``keras.applications`` network), with ``weights=None`` so nothing is downloaded or read, at the node's input
shape. Its layers are listed as fine-tuning counts them (``services.finetune.keras_layers``: model order, nested
models opened, InputLayers left out). One table per :meth:`BackboneLayersRequest.key` is kept for the engine's
life: building a large family takes seconds and the answer never changes.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.backbone_layers import BackboneLayersRequest, InnerLayer, LayerTable
from visualnn.core.graph import Edge, Graph, Node

_CACHE: dict[tuple[Any, ...], LayerTable] = {}
BACKBONE_ID = "backbone"


def _weights(variables: list[Any]) -> int:
    total = 0
    for v in variables:
        size = 1
        for d in v.shape:
            size *= int(d)
        total += size
    return total


def _shape(layer: Any) -> tuple[int | None, ...] | None:
    output = layer.output  # every layer of these models is called once, so its output is defined
    shape = getattr(output, "shape", None)
    return None if shape is None else tuple(None if d is None else int(d) for d in shape)


def layer_table(request: BackboneLayersRequest) -> LayerTable:
    """The backbone's layers for ``request`` (cached per key); ``BuildError`` names the backbone when Keras refuses."""
    cached = _CACHE.get(request.key())
    if cached is not None:
        return cached
    from visualnn.services.finetune import keras_layers
    from visualnn.services.keras_builder import build_model

    graph = Graph()
    graph.add_node(Node("input", "Input", {"shape": list(request.input_shape)}))
    params: dict[str, Any] = {"weights": None, "include_top": request.include_top, "pooling": request.pooling}
    if request.include_top:
        params["classes"] = request.classes
    graph.add_node(Node(BACKBONE_ID, request.family, params, name=BACKBONE_ID))
    graph.connect(Edge.of("input", BACKBONE_ID))
    model = build_model(graph, name="backbone_layers")
    rows = tuple(InnerLayer(layer.name, type(layer).__name__, _shape(layer), _weights(layer.trainable_weights),
                            _weights(layer.non_trainable_weights))
                 for layer in keras_layers(model.get_layer(BACKBONE_ID)))
    table = LayerTable(rows)
    _CACHE[request.key()] = table
    return table


__all__ = ["layer_table"]
