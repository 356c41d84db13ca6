"""Build generic (imported, outside-the-catalog) layers from their stored Keras config, safely.

The safety rule (:func:`check_safe`) is pure Python and lives with the generic layer spec in ``core``.
"""

from __future__ import annotations

import copy
from typing import Any

from visualnn.core.specs.builtin.generic import UnsafeConfigError, check_safe

__all__ = ["UnsafeConfigError", "check_safe", "deserialize_layer"]


def deserialize_layer(config: dict[str, Any], name: str | None = None) -> Any:
    """A new Keras layer from ``{"module", "class_name", "config"}`` (safe mode), named ``name``."""
    import keras

    check_safe(config, name or "layer")
    data = copy.deepcopy(config)
    inner = dict(data.get("config") or {})
    if name is not None:
        inner["name"] = name
    data["config"] = inner
    data.pop("build_config", None)  # the graph call builds it for the real input shape
    layer = keras.saving.deserialize_keras_object(data, safe_mode=True)
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"{name or config.get('class_name')!r}: the stored config is not a Keras layer.")
    return layer

