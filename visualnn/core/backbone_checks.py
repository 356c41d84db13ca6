"""Pretrained backbones against the attached data: they take raw 0-255 pixels (their own preprocessing is inside)."""

from __future__ import annotations

from typing import Any

from visualnn.core.compile_options import CompileIssue, DataFacts
from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.specs.builtin.hub import HUB_RESNET
from visualnn.core.specs.builtin.pretrained import IMAGENET, family_of

RESCALED_PIXELS = "backbone-rescaled-pixels"


def backbone_name(type_id: str) -> str | None:
    """The network a node type is (a keras.applications family or the KerasHub ResNet), or None for other layers."""
    family = family_of(type_id)
    return family.name if family is not None else HUB_RESNET if type_id == HUB_RESNET else None
TOP_CLASSES = "backbone-top-classes"


def check_backbone_data(project: Project, facts: DataFacts | None = None) -> list[CompileIssue]:
    """Backbones against the data: pixels rescaled before them (a warning), and a backbone whose own ImageNet
    classifier (include_top) is the model's output while the data has another number of classes (an error)."""
    return _top_classes(project, facts) + _rescaled(project)


def _top_classes(project: Project, facts: DataFacts | None) -> list[CompileIssue]:
    if facts is None or facts.task != "classification" or facts.n_classes < 2:
        return []
    issues = []
    for sink in project.graph.sinks():
        node = project.graph.nodes[sink]
        family = family_of(node.type)
        params = node.params
        classes = int(params.get("classes", 1000))
        if family is None or not params.get("include_top") or classes == facts.n_classes:
            continue
        pretrained = params.get("weights", IMAGENET) is not None
        fix = None if pretrained else {"node": node.id, "param": "classes", "value": facts.n_classes}
        how = ("its ImageNet weights only come with 1000 classes: set include_top off and add a "
               f"Dense({facts.n_classes}, softmax) after it" if pretrained else f"set classes to {facts.n_classes}")
        issues.append(CompileIssue(
            "error", TOP_CLASSES,
            f"{node.label}: {family.name} with include_top predicts {classes} classes, but {facts.source or 'the data'} "
            f"has {facts.n_classes}; {how}.", node.id, fix,
        ))
    return issues


def raw_pixel_options(graph: Graph, kind: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """Image-folder options with Rescale none when ``graph`` holds a backbone and they rescale; else None."""
    if kind != "images" or not any(backbone_name(n.type) is not None for n in graph):
        return None
    image = dict(options.get("image") or {})
    if image.get("rescale", "0_1") == "none":
        return None
    return dict(options, image=dict(image, rescale="none"))


def _rescaled(project: Project) -> list[CompileIssue]:
    dataset = project.dataset
    if dataset is None or dataset.kind != "images":
        return []
    rescale = dataset.image().rescale
    if rescale == "none":
        return []
    scaled = {"0_1": "0..1", "-1_1": "-1..1"}.get(rescale, rescale)
    issues = []
    for node in project.graph:
        name = backbone_name(node.type)
        if name is not None:
            issues.append(CompileIssue(
                "warning", RESCALED_PIXELS,
                f"{node.label}: {name} takes raw 0-255 pixels (its own input preprocessing is built in), "
                f"but the image data rescales them to {scaled} first, so the pretrained weights see almost black "
                "images. Set Rescale to none in the Data panel.",
                node.id,
            ))
    return issues
