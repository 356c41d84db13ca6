"""The augmentation preview's rules and its engine job's payload (pure Python).

Random augmentation layers (RandomFlip, RandomRotation ... every spec with ``training_only``) change the
data only while the model trains (``training=True``). The preview applies the layers that sit right after
the image Input, in graph order, to one image of the attached folder, as training feeds it to the model:
:func:`augmentation_chain` finds them. The chain runs from the Input through the image layers the preview
can apply (the random ones and the deterministic ``Rescaling``/``Resizing``/``CenterCrop`` among them) and
stops at the first other layer (a Conv2D, a Normalization, a pretrained backbone with its own
preprocessing), or where the graph branches. Random layers further down the graph are named, not applied.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Generic

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Graph, Node
from visualnn.core.project import Project
from visualnn.core.protocol import ProjectT, parse_job_project
from visualnn.core.specs import Registry, default_registry

PASS_THROUGH = ("Rescaling", "Resizing", "CenterCrop")
"""Deterministic image layers the preview applies when they sit among the random ones (same on every call)."""

DEFAULT_COUNT = 11  # augmented variants: with the original, a 3 x 4 grid
MAX_COUNT = 48
PALETTE_GROUP = "Preprocessing"  # the palette's group that holds RandomFlip, RandomRotation ...

NO_IMAGES = ("The augmentation preview shows one image of the attached data as the model sees it in training. "
             "Attach an image folder (one sub-folder per class) in the Data panel and apply it to the project.")


def augmentation_types(registry: Registry | None = None) -> list[str]:
    """The catalog's random augmentation layers (active only with ``training=True``), in catalog order."""
    registry = registry or default_registry()
    return [spec.type for spec in registry if spec.training_only]


def _shown(registry: Registry | None) -> str:
    names = augmentation_types(registry)
    return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")


def no_input_message(registry: Registry | None = None) -> str:
    """What to do when the model has no Input yet."""
    return (f"The model has no Input yet. Add an Input, then {_shown(registry)} from the palette's {PALETTE_GROUP} "
            "group after it: they change the images only while the model trains.")


def no_augmentation_message(registry: Registry | None = None) -> str:
    """What to do when the model has no augmentation layer after its Input."""
    shown = _shown(registry)
    return (f"The model has no augmentation layer after its Input. Add {shown} from the palette's "
            f"{PALETTE_GROUP} group between the Input and the first layer: they change the images only while "
            "the model trains.")


@dataclass(frozen=True)
class AugmentationChain:
    """The layers the preview applies, from the image Input on.

    ``input``: the Input node's id (None: the model has no Input); ``nodes``: the chain's node ids in graph
    order; ``stop``: the id of the first node the chain does not include (None: the chain reaches the end or
    a branch); ``elsewhere``: random layers of the graph that are not in the chain (named in a note).
    """

    input: str | None
    nodes: tuple[str, ...] = ()
    stop: str | None = None
    elsewhere: tuple[str, ...] = ()
    random: tuple[str, ...] = field(default=())  # the chain's random (training-only) nodes

    @property
    def empty(self) -> bool:
        """No random layer to preview."""
        return not self.random


def _image_input(graph: Graph, spec: DatasetSpec | None, registry: Registry) -> Node | None:
    inputs = [n for n in graph if n.type == "Input"]
    if not inputs:
        return None
    wanted = spec.image().input if spec is not None and spec.kind == "images" else None
    if wanted:
        named = next((n for n in inputs if n.label == wanted), None)
        if named is not None:
            return named
    spec_in = registry["Input"]
    images = [n for n in inputs if len(spec_in.resolved(n.params).get("shape") or ()) == 3]
    return (images or inputs)[0]


def _is_random(registry: Registry, node: Node) -> bool:
    spec = registry.get(node.type)
    return spec is not None and spec.training_only


def augmentation_chain(graph: Graph, dataset: DatasetSpec | None = None,
                       registry: Registry | None = None) -> AugmentationChain:
    """The chain of image layers right after the image Input that the preview applies (see the module doc)."""
    registry = registry or default_registry()
    start = _image_input(graph, dataset, registry)
    random_all = [n.id for n in graph if _is_random(registry, n)]
    if start is None:
        return AugmentationChain(None, elsewhere=tuple(random_all))
    chain: list[str] = []
    current, stop = start.id, None
    while True:
        nxt = sorted(set(graph.successors(current)))
        if len(nxt) != 1 or len(graph.predecessors(nxt[0])) != 1:
            break  # the end, a branch or a merge: the preview follows one path only
        node = graph.nodes[nxt[0]]
        spec = registry.get(node.type)
        if spec is None or not (spec.training_only or spec.type in PASS_THROUGH):
            stop = node.id
            break
        chain.append(node.id)
        current = node.id
    random = tuple(nid for nid in chain if _is_random(registry, graph.nodes[nid]))
    elsewhere = tuple(nid for nid in random_all if nid not in chain)
    return AugmentationChain(start.id, tuple(chain), stop, elsewhere, random)


@dataclass(frozen=True)
class AugmentPreviewRequest(Generic[ProjectT]):
    """Payload of an ``augment_preview`` job: one image of the attached folder through the chain, ``count`` times.

    ``index`` numbers the folder's images as the Data panel lists them (class folders in name order, files
    in name order); ``file``, when given, picks the image by its path relative to the folder or its file name
    instead. ``seed`` seeds the random layers, so the same request gives the same images and another seed
    ("Re-sample") new ones.
    """

    project: ProjectT
    base_dir: str
    index: int = 0
    file: str | None = None
    count: int = DEFAULT_COUNT
    seed: int = 0

    def to_dict(self: AugmentPreviewRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> AugmentPreviewRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(AugmentPreviewRequest)}
        return AugmentPreviewRequest(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})

    def parsed(self: AugmentPreviewRequest[dict[str, Any]]) -> AugmentPreviewRequest[Project]:
        """This request with its project built by the loader."""
        rest = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "project"}
        return AugmentPreviewRequest(parse_job_project(self.project, "augment_preview"), **rest)


def preview_payload(index: int, file: str | None, count: int, seed: int) -> dict[str, Any]:
    """An ``augment_preview`` job's fields other than the project and its folder."""
    req: AugmentPreviewRequest[dict[str, Any]] = AugmentPreviewRequest({}, "", index, file, count, seed)
    return {k: v for k, v in req.to_dict().items() if k not in ("project", "base_dir")}


__all__ = [
    "DEFAULT_COUNT", "MAX_COUNT", "NO_IMAGES", "PASS_THROUGH", "AugmentPreviewRequest", "AugmentationChain",
    "augmentation_chain", "augmentation_types", "no_augmentation_message", "no_input_message", "preview_payload",
]
