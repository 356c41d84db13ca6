"""The augmentation preview: one image of the attached folder as the model sees it in training, several times.

The image is read as the data pipeline reads it (``datasets.images_tf.decode_fn``: the folder's decoder,
the image size and colour mode, then the data's rescale), then goes through the chain of layers after the
Input (:func:`visualnn.core.augmentation.augmentation_chain`), each built by the model builder's
``instantiate`` from its node as the model gets it and called with ``training=True``, as ``fit`` calls them.
Every variant is one call of the chain on a batch of one image, so layers that draw one transformation per
batch (RandomCrop) vary too. The random layers are seeded from the request's seed (their own ``seed``
parameter is replaced), so a request gives the same images again and another seed new ones.

The images come back as 8-bit pixels for display: the data's rescale and any Rescaling in the chain are
undone, values are rounded and clipped to 0..255; when the layers push values outside the pixel range the
result says so and names the first node that did (a RandomBrightness whose ``value_range`` does not match
its input is the usual cause).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from visualnn.core.augmentation import (
    MAX_COUNT,
    NO_IMAGES,
    AugmentationChain,
    AugmentPreviewRequest,
    augmentation_chain,
    no_augmentation_message,
    no_input_message,
)
from visualnn.core.paths import resolve_path
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import Registry, default_registry
from visualnn.services.augment_images import decode_image, encode_image
from visualnn.services.training_common import TrainingError

__all__ = ["AugmentPreviewError", "augment_preview", "decode_image", "pick_image"]

OUT_OF_RANGE = 0.5  # pixel units beyond 0..255 that rounding absorbs


class AugmentPreviewError(TrainingError):
    """The preview cannot be made; the message names the node, the file or the setting and the fix."""


@dataclass
class _Affine:
    """``x * scale + offset``: how model values relate to 0..255 pixels at a point of the chain."""

    scale: float = 1.0
    offset: float = 0.0

    def then(self, scale: float, offset: float) -> _Affine:
        return _Affine(self.scale * scale, self.offset * scale + offset)

    def pixels(self, values: Any) -> Any:
        return (values - self.offset) / self.scale

    def span(self) -> tuple[float, float]:
        lo, hi = self.offset, 255.0 * self.scale + self.offset
        return (min(lo, hi), max(lo, hi))


def pick_image(files: list[str], root: str, index: int, file: str | None) -> int:
    """The position in ``files`` of the image the request names: ``file`` (a path relative to ``root`` or a file
    name) when given, else ``index``; an AugmentPreviewError saying what exists otherwise."""
    if file:
        wanted = file.replace("\\", "/").strip("/")
        for i, path in enumerate(files):
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if rel == wanted or os.path.basename(path) == wanted or os.path.abspath(path) == os.path.abspath(file):
                return i
        raise AugmentPreviewError(f"There is no image {file!r} in {root}. Type a file name or a path relative to "
                                  f"the folder, e.g. {os.path.relpath(files[0], root)!r}, or an index 0 to {len(files) - 1}.")
    if index < 0 or index >= len(files):
        raise AugmentPreviewError(f"There is no image {index} in {root}: it holds {len(files)} images "
                                  f"(0 to {len(files) - 1}). Pick an index in that range.")
    return index


def _display(values: Any, affine: _Affine) -> Any:
    """Model values -> uint8 RGB pixels (gray repeated to three channels), rounded and clipped."""
    import numpy as np

    a = np.clip(np.rint(affine.pixels(np.asarray(values, dtype=np.float64))), 0, 255).astype(np.uint8)
    return np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a[..., :3]


def _layers(project: Project, chain: AugmentationChain, seed: int, registry: Registry) -> list[tuple[str, Any, Any]]:
    """(node id, Keras layer, its resolved params) for each node of the chain, random ones seeded from ``seed``."""
    from visualnn.services.keras_builder import instantiate, keras_message

    graph = project.graph
    report = infer_shapes(graph, registry, graph.blocks)
    out = []
    for position, nid in enumerate(chain.nodes):
        node = graph.nodes[nid]
        spec = registry[node.type]
        if nid in report.errors:
            raise AugmentPreviewError(f"{node.label}: {report.errors[nid]}")
        params = spec.resolved(node.params)
        if spec.training_only and "seed" in params:
            params = {**params, "seed": (int(seed) * 7919 + position * 104729) % (2**31 - 1)}
        inputs = [s for s in report.nodes[nid].input_shapes if s is not None]
        try:
            layer = instantiate(spec.call_for(params, inputs), name=node.label)
        except Exception as exc:
            raise AugmentPreviewError(f"{node.label}: Keras refused the settings of {spec.type}. Keras said: "
                                      f"{keras_message(exc)}") from exc
        out.append((nid, layer, params))
    return out


def _range_note(label: str, layer_type: str, value_range: Any, affine: _Affine) -> str | None:
    """A note when a layer's ``value_range`` does not match the values its input can take."""
    if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
        return None
    lo, hi = (float(v) for v in value_range)
    span_lo, span_hi = affine.span()
    if abs(lo - span_lo) <= 1e-6 * max(1.0, abs(span_hi)) and abs(hi - span_hi) <= 1e-6 * max(1.0, abs(span_hi)):
        return None
    return (f"{label} ({layer_type}) has value_range [{lo:g}, {hi:g}] but its input spans {span_lo:g}..{span_hi:g} "
            f"(the data's rescale and the Rescaling layers before it); set value_range to [{span_lo:g}, {span_hi:g}].")


def augment_preview(req: AugmentPreviewRequest[Project], registry: Registry | None = None) -> dict[str, Any]:
    """The original image and ``req.count`` augmented variants, as JSON for the Data panel (see the module doc)."""
    import numpy as np

    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.images import scan_image_folder
    from visualnn.services.datasets.images_tf import decode_fn, rescale_factors

    registry = registry or default_registry()
    project = req.project
    spec = project.dataset
    if spec is None or spec.kind != "images":
        raise AugmentPreviewError(NO_IMAGES)
    chain = augmentation_chain(project.graph, spec, registry)
    if chain.input is None:
        raise AugmentPreviewError(no_input_message(registry))
    if chain.empty:
        raise AugmentPreviewError(_with_elsewhere(no_augmentation_message(registry), project, chain))
    count = int(req.count)
    if count < 1 or count > MAX_COUNT:
        raise AugmentPreviewError(f"The preview shows 1 to {MAX_COUNT} variants; received {count}.")
    root = resolve_path(spec.path, req.base_dir)
    try:
        scan = scan_image_folder(root, sample_size=0)
    except DataError as exc:
        raise AugmentPreviewError(str(exc)) from exc
    pick = pick_image(scan.files, root, int(req.index), req.file)
    path = scan.files[pick]
    opts = spec.image()
    _check_input(project, chain, opts.channels, registry)

    import tensorflow as tf

    try:
        image = decode_fn(opts)(tf.constant(path))
    except Exception as exc:
        raise AugmentPreviewError(f"The image {path} could not be read: {exc}") from exc
    scale, offset = rescale_factors(opts.rescale)
    x = image.numpy().astype(np.float32) * scale + offset
    start = _Affine(scale, offset)
    layers = _layers(project, chain, int(req.seed), registry)
    notes: list[str] = []
    affine = start
    for nid, _layer, params in layers:
        node = project.graph.nodes[nid]
        if "value_range" in params:
            note = _range_note(node.label, node.type, params["value_range"], affine)
            if note:
                notes.append(note)
        if node.type == "Rescaling":
            affine = affine.then(float(params["scale"]), float(params["offset"]))
    if abs(affine.scale) < 1e-12:
        raise AugmentPreviewError("The Rescaling layers of the chain multiply the image by 0, so nothing is left "
                                  "to show; check their scale.")
    variants: list[dict[str, Any]] = []
    leaves: dict[str, tuple[float, float]] = {}  # node id -> (min, max) in pixel units, first node only
    for _ in range(count):
        y = tf.constant(x[None])
        running = start
        for nid, layer, params in layers:
            try:
                y = layer(y, training=True)
            except Exception as exc:
                from visualnn.services.keras_builder import keras_message

                label = project.graph.nodes[nid].label
                raise AugmentPreviewError(f"{label}: Keras could not apply {project.graph.nodes[nid].type} to the "
                                          f"image. Keras said: {keras_message(exc)}") from exc
            if project.graph.nodes[nid].type == "Rescaling":
                running = running.then(float(params["scale"]), float(params["offset"]))
            values = running.pixels(np.asarray(y, dtype=np.float64))
            lo, hi = float(values.min()), float(values.max())
            if (lo < -OUT_OF_RANGE or hi > 255 + OUT_OF_RANGE) and not leaves:
                leaves[nid] = (lo, hi)
            elif nid in leaves:
                leaves[nid] = (min(lo, leaves[nid][0]), max(hi, leaves[nid][1]))
        variants.append(encode_image(_display(np.asarray(y)[0], affine)))
    clipped = None
    if leaves:
        nid, (lo, hi) = next(iter(leaves.items()))
        label = project.graph.nodes[nid].label
        clipped = {"node": nid, "label": label, "min": lo, "max": hi}
        notes.insert(0, f"After {label} the values leave the pixel range (they reach {lo:.4g}..{hi:.4g} in 0..255 "
                        "units); the preview shows them clipped to 0..255, but the model is fed the unclipped values.")
    if chain.elsewhere:
        notes.append(_elsewhere_note(project, chain))
    graph = project.graph
    return {
        "file": os.path.relpath(path, root).replace(os.sep, "/"),
        "index": pick,
        "n_images": len(scan.files),
        "class_name": scan.class_names[scan.labels[pick]],
        "seed": int(req.seed),
        "original": encode_image(_display(x, start)),
        "variants": variants,
        "layers": [{"node": nid, "label": graph.nodes[nid].label, "type": graph.nodes[nid].type,
                    "random": nid in chain.random} for nid in chain.nodes],
        "stop": graph.nodes[chain.stop].label if chain.stop else None,
        "clipped": clipped,
        "notes": notes,
    }


def _check_input(project: Project, chain: AugmentationChain, channels: int, registry: Registry) -> None:
    """An AugmentPreviewError naming the Input when its channels differ from the data's colour mode."""
    assert chain.input is not None
    node = project.graph.nodes[chain.input]
    shape: list[Any] = list(registry["Input"].resolved(node.params).get("shape") or [])
    if len(shape) != 3:
        raise AugmentPreviewError(f"{node.label}: the Input takes samples of shape {tuple(shape)}, not images "
                                  "(height, width, channels); set its shape to the data's (the Data panel's Tensors "
                                  "tab suggests it).")
    if shape[-1] is not None and int(shape[-1]) != channels:
        mode = "grayscale (1 channel)" if channels == 1 else "RGB (3 channels)"
        raise AugmentPreviewError(f"{node.label}: the Input takes {shape[-1]} channel(s) but the data are read as "
                                  f"{mode}; set the Input's shape or the colour mode in the Data panel.")


def _elsewhere_note(project: Project, chain: AugmentationChain) -> str:
    names = ", ".join(project.graph.nodes[n].label for n in chain.elsewhere)
    return (f"Not shown: {names}: the preview applies the augmentation layers directly after the Input, up to the "
            "first other layer.")


def _with_elsewhere(message: str, project: Project, chain: AugmentationChain) -> str:
    return f"{message} {_elsewhere_note(project, chain)}" if chain.elsewhere else message
