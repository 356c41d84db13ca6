"""Build generic (imported, outside-the-catalog) layers from their stored Keras config, safely.

The safety rule (:func:`check_safe`) is pure Python and lives with the generic layer spec in ``core``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from visualnn.core.specs.builtin.generic import UnsafeConfigError, check_safe

__all__ = ["UnsafeConfigError", "check_safe", "deserialize_layer", "without_weights"]


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


@contextmanager
def without_weights() -> Iterator[None]:
    """Layers built inside get variables with a shape and no values: no weight is ever allocated.

    The import calls a generic layer on symbolic inputs to learn its output shape and weight counts;
    outside this scope Keras would build the layer and allocate every weight (a 464-byte config can
    declare gigabytes of them). Inside a Keras ``StatelessScope`` variables are deferred instead; the
    scope is told not to initialize them on exit, and the deferred ones are dropped from Keras's
    pending list so that no later scope initializes them either.
    """
    import keras
    from keras.src.backend.common import global_state

    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)
