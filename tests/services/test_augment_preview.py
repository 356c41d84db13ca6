"""The augmentation preview on a tiny image folder with real Keras layers: a horizontal flip gives exactly the
mirrored image or the original, a rotation changes pixels, a seed gives the same images again and another seed
new ones, values pushed out of the pixel range are reported with the node, and every refusal says what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.augment_helpers import chain_graph, image_project, write_folder
from visualnn.core.augmentation import NO_IMAGES, AugmentPreviewRequest, augmentation_types
from visualnn.core.project import Project

pytestmark = pytest.mark.tf


def preview(project: Project, base: Path, **fields: Any) -> dict[str, Any]:
    from visualnn.services.augment_preview import augment_preview

    return augment_preview(AugmentPreviewRequest(project, str(base), **fields))


def images(result: dict[str, Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    from visualnn.services.augment_preview import decode_image

    return decode_image(result["original"]), [decode_image(v) for v in result["variants"]]


def test_a_horizontal_flip_gives_the_mirrored_image_or_the_original(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    project = image_project(chain_graph([("flip", "RandomFlip", {"mode": "horizontal"})]), folder)
    result = preview(project, tmp_path, index=4, count=12, seed=3)
    original, variants = images(result)
    on_disk = np.asarray(Image.open(folder / "dogs" / "dogs_1.png"))
    assert result["file"] == "dogs/dogs_1.png" and result["class_name"] == "dogs" and result["n_images"] == 6
    assert np.array_equal(original, on_disk)  # 0_1 rescale undone: the very pixels of the file
    mirrored = [bool(np.array_equal(v, on_disk[:, ::-1])) for v in variants]
    same = [bool(np.array_equal(v, on_disk)) for v in variants]
    assert all(m != s for m, s in zip(mirrored, same, strict=True))  # each one exactly one of the two
    assert any(mirrored) and any(same)
    assert result["clipped"] is None and result["notes"] == []
    assert result["layers"] == [{"node": "flip", "label": "flip", "type": "RandomFlip", "random": True}]
    assert result["stop"] == "flatten"
    again = preview(project, tmp_path, index=4, count=12, seed=3)
    assert again["variants"] == result["variants"]  # the same request, the same images
    other = preview(project, tmp_path, index=4, count=12, seed=4)
    assert [bool(np.array_equal(v, on_disk)) for v in images(other)[1]] != same  # Re-sample: new draws


def test_a_rotation_changes_pixels_and_a_file_name_picks_the_image(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    graph = chain_graph([("scale", "Rescaling", {"scale": 2.0, "offset": -1.0}),
                         ("rot", "RandomRotation", {"factor": 0.25, "fill_mode": "constant"})])
    project = image_project(graph, folder)
    result = preview(project, tmp_path, file="cats_2.png", count=4, seed=0)
    original, variants = images(result)
    assert result["file"] == "cats/cats_2.png" and result["index"] == 2
    assert np.array_equal(original, np.asarray(Image.open(folder / "cats" / "cats_2.png")))
    assert all(v.shape == original.shape for v in variants)
    assert all(np.mean(v != original) > 0.2 for v in variants)
    assert len({v.tobytes() for v in variants}) == 4
    assert [layer["random"] for layer in result["layers"]] == [False, True]


def test_resizing_in_the_chain_and_grayscale_data(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "gray", mode="L")
    graph = chain_graph([("resize", "Resizing", {"height": 6, "width": 8}), ("contrast", "RandomContrast",
                                                                               {"factor": 0.5, "value_range": [0, 1]})],
                        shape=(12, 16, 1))
    project = image_project(graph, folder, color_mode="grayscale")
    original, variants = images(preview(project, tmp_path, count=3, seed=1))
    assert original.shape == (12, 16, 3) and np.array_equal(original[..., 0], original[..., 2])
    assert all(v.shape == (6, 8, 3) for v in variants)


def test_values_out_of_the_pixel_range_are_clipped_and_the_node_named(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    # The data are rescaled to 0..1 but RandomBrightness is told they span 0..255: the usual mistake.
    project = image_project(chain_graph([("bright", "RandomBrightness", {"factor": 0.5})]), folder)
    result = preview(project, tmp_path, count=4, seed=2)
    assert result["clipped"]["label"] == "bright" and result["clipped"]["max"] > 255
    assert "After bright the values leave the pixel range" in result["notes"][0]
    assert "set value_range to [0, 1]" in result["notes"][1]
    assert all(v.dtype == np.uint8 for v in images(result)[1])
    fixed = image_project(chain_graph([("bright", "RandomBrightness", {"factor": 0.5, "value_range": [0, 1]})]),
                          folder)
    assert preview(fixed, tmp_path, count=4, seed=2)["clipped"] is None


def test_refusals_say_what_to_do(tmp_path: Path) -> None:
    from visualnn.services.augment_preview import AugmentPreviewError

    folder = write_folder(tmp_path / "pets")
    plain = image_project(chain_graph([("scale", "Rescaling", {}), ("flip_later", "Dense", {"units": 3})],
                                      head=False), folder)
    with pytest.raises(AugmentPreviewError, match="no augmentation layer after its Input. Add RandomFlip"):
        preview(plain, tmp_path)
    later = image_project(chain_graph([("conv", "Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
                                       ("flip", "RandomFlip", {})]), folder)
    with pytest.raises(AugmentPreviewError, match="Not shown: flip"):
        preview(later, tmp_path)
    flip = chain_graph([("flip", "RandomFlip", {})])
    with pytest.raises(AugmentPreviewError, match="Attach an image folder"):
        preview(Project(flip), tmp_path)
    assert "Attach an image folder" in NO_IMAGES
    project = image_project(flip, folder)
    with pytest.raises(AugmentPreviewError, match=r"no image 6 .* 6 images \(0 to 5\)"):
        preview(project, tmp_path, index=6)
    with pytest.raises(AugmentPreviewError, match="no image 'birds/b.png'"):
        preview(project, tmp_path, file="birds/b.png")
    gray_input = image_project(chain_graph([("flip", "RandomFlip", {})], shape=(12, 16, 1)), folder)
    with pytest.raises(AugmentPreviewError, match="input_1: the Input takes 1 channel"):
        preview(gray_input, tmp_path)
    with pytest.raises(AugmentPreviewError, match="pets/missing"):
        preview(image_project(flip, tmp_path / "pets" / "missing"), tmp_path / "pets")


@pytest.mark.parametrize("layer_type", augmentation_types())
def test_every_augmentation_layer_of_the_catalog_previews_with_its_defaults(layer_type: str, tmp_path: Path) -> None:
    from visualnn.core.shapes import infer_shapes

    folder = write_folder(tmp_path / "pets", per_class=1)
    graph = chain_graph([("aug", layer_type, {})])
    project = image_project(graph, folder)
    result = preview(project, tmp_path, count=2, seed=5)
    out = infer_shapes(graph).nodes["aug"].output
    assert out is not None
    assert all(v.shape == (out[1], out[2], 3) for v in images(result)[1])
    assert result["layers"][0]["random"] is True
