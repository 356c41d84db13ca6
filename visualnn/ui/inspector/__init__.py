"""The inspector: editors generated from a layer's ParamSpecs."""

from __future__ import annotations

from visualnn.ui.inspector.panel import InspectorPanel

__all__ = ["InspectorPanel"]
