"""Engine handler listing a pretrained backbone's layers (the window's read-only "open block" view)."""

from __future__ import annotations

from typing import Any

from visualnn.core.backbone_layers import JOB_TYPE, BackboneLayersRequest
from visualnn.engine import JobContext, register_handler


def backbone_layers_job(ctx: JobContext) -> dict[str, Any]:
    """Build the backbone with ``weights=None`` at the payload's input shape and list its layers.

    Payload: :meth:`BackboneLayersRequest.to_dict` (``family``, ``input_shape`` [h, w, c], ``pooling``,
    ``include_top``, ``classes``). Result: :meth:`LayerTable.to_dict` (``layers``: name, type, output_shape,
    trainable_params, non_trainable_params, in model order).
    """
    request = BackboneLayersRequest.from_dict(ctx.payload)
    from visualnn.services.backbone_layers import layer_table

    ctx.sink("status", {"text": f"Building {request.family} to list its layers…"})
    return layer_table(request).to_dict()


register_handler(JOB_TYPE, backbone_layers_job)
