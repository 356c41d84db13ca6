"""The augmentation preview's images on the wire: uint8 (height, width, 3) pixels as base64 bytes and a shape
(TF-free: the engine encodes, the Data panel decodes)."""

from __future__ import annotations

import base64
from typing import Any


def encode_image(pixels: Any) -> dict[str, Any]:
    """uint8 pixels as JSON: ``{"shape": [h, w, c], "pixels": <base64 of the bytes, row-major>}``."""
    import numpy as np

    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    return {"shape": list(a.shape), "pixels": base64.b64encode(a.tobytes()).decode("ascii")}


def decode_image(entry: dict[str, Any]) -> Any:
    """The inverse of :func:`encode_image`: a uint8 array of the entry's shape; ValueError when they disagree."""
    import numpy as np

    shape = tuple(int(s) for s in entry["shape"])
    data = np.frombuffer(base64.b64decode(entry["pixels"]), dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"The image holds {data.size} bytes but its shape {shape} needs {int(np.prod(shape))}.")
    return data.reshape(shape)


__all__ = ["decode_image", "encode_image"]
