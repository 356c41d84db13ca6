"""The image folder's training pipeline decodes like the exported script: no per-image branches or asserts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.tf

# Ops that run a branch or a check per image inside Dataset.map: each costs as much as decoding a small image.
PER_IMAGE_CONTROL = {"Case", "StatelessCase", "If", "StatelessIf", "Assert"}


def _folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def _op_types(ds: Any) -> set[str]:
    """Every op type in the dataset's graph, the map functions' bodies included."""
    import tensorflow as tf

    graph = tf.compat.v1.GraphDef.FromString(ds._as_serialized_graph().numpy())
    ops = {n.op for n in graph.node}
    for fn in graph.library.function:
        ops |= {n.op for n in fn.node_def}
    return ops


def test_the_training_pipeline_reads_no_image_header_in_the_graph(tmp_path: Path) -> None:
    from visualnn.core.dataset import DatasetSpec, PipelineOptions
    from visualnn.services.datasets.images_tf import prepare_images

    root = _folder(tmp_path / "imgs")
    spec = DatasetSpec("images", str(root), {"image": {"image_size": [8, 8], "color_mode": "rgb"},
                                              "split": {"val": 0.25, "test": 0.0, "seed": 1}})
    data = prepare_images(spec, PipelineOptions(batch_size=4))
    for split in (data.train, data.val):
        ops = _op_types(split)
        assert "DecodeImage" in ops  # the map function is in the graph looked at
        assert not ops & PER_IMAGE_CONTROL, sorted(ops & PER_IMAGE_CONTROL)
    assert sum(int(x.shape[0]) for x, _ in data.train) == data.n_train  # every scanned file still decodes


def test_paths_the_scan_never_saw_are_still_checked_in_the_graph(tmp_path: Path) -> None:
    """``transform`` (prediction, export checks) takes any path: there the header check stays in the graph."""
    import tensorflow as tf

    from visualnn.core.dataset import ImageOptions
    from visualnn.services.datasets.images_tf import decode_fn

    path = tmp_path / "wide.png"
    Image.new("RGB", (120, 50)).save(path)
    with pytest.raises(tf.errors.InvalidArgumentError, match="over the cap of 5999 pixels"):
        decode_fn(ImageOptions(image_size=(8, 8)), max_pixels=5999)(tf.constant(str(path)))
    load = tf.function(decode_fn(ImageOptions(image_size=(8, 8))))
    graph = load.get_concrete_function(tf.TensorSpec([], tf.string)).graph.as_graph_def()
    assert "Assert" in {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}
