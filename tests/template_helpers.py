"""Templates as tests build them: never downloading ImageNet weights (no network here or in CI)."""

from __future__ import annotations

from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES


def offline_graph(graph: Graph) -> Graph:
    """``graph`` with each pretrained backbone's ``weights="imagenet"`` set to None (random weights: the same
    layers, shapes and parameter counts); changed in place and returned."""
    for node in list(graph):
        if node.params.get("weights") == "imagenet":
            graph.set_param(node.id, "weights", None)
    return graph


def offline_template(name: str) -> Project:
    """``TEMPLATES[name]`` built, its backbones with random weights (:func:`offline_graph`)."""
    project = TEMPLATES[name].build()
    offline_graph(project.graph)
    return project

