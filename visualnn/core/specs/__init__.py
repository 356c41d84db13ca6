"""Layer catalog: one declarative spec per Keras layer."""

from __future__ import annotations

from visualnn.core.specs.base import (
    COMMON_PARAMS,
    TRAINABLE,
    Cost,
    KerasCall,
    LayerSpec,
    ParamCount,
    ParamSpec,
    Shape,
    ShapeError,
    UpgradeFn,
    fmt_shape,
    renamed_params,
)
from visualnn.core.specs.registry import CATEGORIES, Registry

_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The built-in catalog (built once, on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        from visualnn.core.specs.builtin import register_all

        registry = Registry()
        register_all(registry)
        _DEFAULT = registry
    return _DEFAULT


__all__ = [
    "COMMON_PARAMS",
    "TRAINABLE",
    "CATEGORIES",
    "Cost",
    "KerasCall",
    "LayerSpec",
    "ParamCount",
    "ParamSpec",
    "Registry",
    "Shape",
    "ShapeError",
    "UpgradeFn",
    "default_registry",
    "fmt_shape",
    "renamed_params",
]
