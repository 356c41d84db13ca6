"""The Block node: a named sub-graph of the project (a nested ``keras.Model``) used as one layer.

Its shape rule and parameter count need the project's block definitions, so ``core.shapes`` walks
through the definition (``infer_block``); the spec gives the palette, inspector and canvas what they
read from every spec (category, doc, ports, parameters).
"""

from __future__ import annotations

from typing import Any

from visualnn.core.specs.base import BOOL, STR, LayerSpec, ParamSpec, Shape, ShapeError

BLOCK_TYPE = "Block"


def _infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    raise ShapeError(f"Block {params.get('block')!r}: its shape comes from the project's block definition.")


SPECS = [
    LayerSpec(
        type=BLOCK_TYPE,
        category="blocks",
        doc="A block of layers defined once in the project (a nested keras.Model), used here as one layer.",
        params=(
            ParamSpec("block", STR, "", "The name of the block definition this node uses."),
            ParamSpec(
                "shared",
                BOOL,
                False,
                "Share weights with the other shared nodes of the same block (one Keras model called several "
                "times, as in a Siamese network); off: this node has weights of its own.",
                advanced=True,
            ),
        ),
        infer=_infer,
        inputs=("input",),
        variadic=True,
        min_inputs=1,
        call_style="list",
        keras_class="keras.Model",
        key_params=("block",),
        doc_url="https://keras.io/api/layers/base_layer/"  # a nested keras.Model is a Layer,
    ),
]
