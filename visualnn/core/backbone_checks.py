"""Pretrained backbones against the attached data: they take raw 0-255 pixels (their own preprocessing is inside)."""

from __future__ import annotations

from visualnn.core.compile_options import CompileIssue
from visualnn.core.project import Project
from visualnn.core.specs.builtin.pretrained import family_of

RESCALED_PIXELS = "backbone-rescaled-pixels"


def check_backbone_data(project: Project) -> list[CompileIssue]:
    """A warning on each backbone when the image data rescales pixels before they reach the model."""
    dataset = project.dataset
    if dataset is None or dataset.kind != "images":
        return []
    rescale = dataset.image().rescale
    if rescale == "none":
        return []
    scaled = {"0_1": "0..1", "-1_1": "-1..1"}.get(rescale, rescale)
    issues = []
    for node in project.graph:
        family = family_of(node.type)
        if family is not None:
            issues.append(CompileIssue(
                "warning", RESCALED_PIXELS,
                f"{node.label}: {family.name} takes raw 0-255 pixels (its own input preprocessing is built in), "
                f"but the image data rescales them to {scaled} first, so the pretrained weights see almost black "
                "images. Set Rescale to none in the Data panel.",
                node.id,
            ))
    return issues
