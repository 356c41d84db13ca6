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


def _stage_after_map(ds: Any) -> list[str]:
    """The op of the dataset stage that consumes each parallel map's output, in the dataset's graph."""
    import tensorflow as tf

    graph = tf.compat.v1.GraphDef.FromString(ds._as_serialized_graph().numpy())
    maps = {n.name for n in graph.node if n.op == "ParallelMapDatasetV2"}
    return [n.op for n in graph.node if any(i.split(":")[0] in maps for i in n.input)]


@pytest.mark.parametrize("table", [False, True])
def test_each_map_feeds_the_batch_directly_so_tf_data_fuses_them(tmp_path: Path, table: bool) -> None:
    """A stage between the decoding map and the batch (assert_cardinality was one) keeps tf.data from running the
    two as one stage: a pass over a folder took a quarter longer. The batch count is still known to Keras."""
    from visualnn.core.dataset import ImageOptions, PipelineOptions
    from visualnn.services.datasets.images_tf import image_parts_pipeline, image_pipeline

    root = _folder(tmp_path / "imgs")
    files = sorted(str(p) for p in root.rglob("*.png"))
    labels = np.arange(len(files)) % 2
    pipe = PipelineOptions(batch_size=4)
    opts = ImageOptions(image_size=(8, 8), color_mode="rgb")
    if table:
        ds = image_parts_pipeline(files, "image", {"meta": np.ones((len(files), 1), "float32")}, labels, opts, pipe,
                                  True, 1, ["png"] * len(files))
    else:
        ds = image_pipeline(files, labels, opts, pipe, True, 1, ["png"] * len(files))
    assert _stage_after_map(ds) == ["BatchDatasetV2"]
    assert int(ds.cardinality()) == 3  # 12 files in batches of 4


def test_files_of_two_decoder_groups_are_still_counted(tmp_path: Path) -> None:
    """In grayscale, PNGs decode straight to one channel and a GIF via RGB: two groups merged by
    choose_from_datasets, which loses the count: it is told."""
    from visualnn.core.dataset import ImageOptions, PipelineOptions
    from visualnn.services.datasets.images_tf import image_pipeline

    root = _folder(tmp_path / "imgs")
    gif = root / "cat" / "extra.gif"
    Image.fromarray(np.zeros((12, 12, 3), dtype=np.uint8)).save(gif)
    files = sorted(str(p) for p in root.rglob("*.png")) + [str(gif)]
    ds = image_pipeline(files, np.zeros(len(files)), ImageOptions(image_size=(8, 8), color_mode="grayscale"),
                        PipelineOptions(batch_size=4), True, 1, ["png"] * (len(files) - 1) + ["gif"])
    assert int(ds.cardinality()) == 4  # 13 files in batches of 4
    assert sum(int(x.shape[0]) for x, _ in ds) == 13
