"""Build generic (imported, outside-the-catalog) layers from their stored Keras config, safely."""

from __future__ import annotations

import copy
from typing import Any

SAFE_MODULE_PREFIXES = ("keras.", "keras")


class UnsafeConfigError(ValueError):
    """A Keras config that would need code VisualNN does not run (Lambda, custom objects)."""


def check_safe(config: Any, where: str = "model") -> None:
    """Refuse ``Lambda`` layers and custom objects anywhere in a Keras config (walked as data)."""
    stack: list[tuple[Any, str]] = [(config, where)]
    while stack:
        item, ctx = stack.pop()
        if isinstance(item, list):
            stack.extend((v, ctx) for v in item)
            continue
        if not isinstance(item, dict):
            continue
        cls = item.get("class_name")
        inner = item.get("config")
        name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
        here = str(name or ctx)
        if cls in ("Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda"):
            raise UnsafeConfigError(
                f"Layer {here!r} is a {cls} layer: it holds Python code, which VisualNN never runs. "
                "Replace it with built-in layers (e.g. Rescaling, Reshape, Activation) and save the model again."
            )
        if isinstance(cls, str):
            module = item.get("module")
            registered = item.get("registered_name")
            custom_module = module is not None and not str(module).startswith(SAFE_MODULE_PREFIXES)
            custom_name = isinstance(registered, str) and ">" in registered
            if custom_module or custom_name:
                raise UnsafeConfigError(
                    f"{here!r} uses the custom object {registered or cls!r} (module {module!r}); VisualNN only "
                    "loads built-in Keras objects, because custom ones need their Python code. "
                    "Rebuild that part with built-in layers."
                )
        stack.extend((v, here) for k, v in item.items() if isinstance(v, (dict, list)))


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
