"""The model canvas: a QGraphicsScene that mirrors the project graph, its view and controller."""

from __future__ import annotations

LAYER_MIME = "application/x-visualnn-layer"
"""MIME type of a palette drag: the payload is the layer type id (UTF-8)."""
BLOCK_MIME = "application/x-visualnn-block"
"""MIME type of a palette drag of one of the project's blocks: the payload is the block's name (UTF-8)."""
CLIPBOARD_MIME = "application/x-visualnn-fragment"
"""MIME type of copied layers: a JSON fragment {"nodes": [...], "edges": [...]}."""
GRID = 20.0
"""Snap grid of node positions in scene units."""
