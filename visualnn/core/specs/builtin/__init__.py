"""Built-in layer specs, one module per category."""

from __future__ import annotations

from visualnn.core.specs.registry import Registry

MODULES = (
    "io",
    "core",
    "activations",
    "convolution",
    "pooling",
    "normalization",
    "recurrent",
    "attention",
    "merge",
    "reshaping",
    "preprocessing",
    "pretrained",
    "hub",
    "generic",
    "blocks",
)


def register_all(registry: Registry) -> None:
    """Register every built-in spec into ``registry``."""
    import importlib

    for name in MODULES:
        module = importlib.import_module(f"visualnn.core.specs.builtin.{name}")
        for spec in module.SPECS:
            registry.register(spec)
