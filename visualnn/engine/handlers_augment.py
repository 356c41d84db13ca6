"""Engine handler ``augment_preview``: one image of the attached folder through the model's augmentation layers
with ``training=True``, several times (TensorFlow stays in :mod:`visualnn.services.augment_preview`)."""

from __future__ import annotations

from typing import Any

from visualnn.core.augmentation import AugmentPreviewRequest
from visualnn.engine import JobContext, register_handler


def augment_preview(ctx: JobContext) -> dict[str, Any]:
    """The original image and its augmented variants as 8-bit pixels, with notes naming nodes."""
    req = AugmentPreviewRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.augment_preview import augment_preview as run

    ctx.sink("status", {"text": f"Augmenting one image {req.count} times…"})
    return run(req)


register_handler("augment_preview", augment_preview)
