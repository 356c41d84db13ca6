"""Image pipelines pick each file's decoder from the folder scan: the same pixels as decoding file by file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visualnn.core.dataset import DatasetSpec, ImageOptions
from visualnn.services.datasets.images import image_format, scan_image_folder

tf = pytest.importorskip("tensorflow")

W, H = 8, 6


def _variants(rng: np.random.Generator) -> dict[str, tuple[Image.Image, str]]:
    """One image per format and colour mode: name -> (image, file extension)."""
    rgb = Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8), "RGB")
    gray = Image.fromarray(rng.integers(0, 255, (H, W), dtype=np.uint8), "L")
    rgba = Image.fromarray(rng.integers(0, 255, (H, W, 4), dtype=np.uint8), "RGBA")
    return {
        "gray_png": (gray, "png"), "rgb_png": (rgb, "png"), "palette_png": (rgb.convert("P"), "png"),
        "rgba_png": (rgba, "png"), "gray_jpeg": (gray, "jpg"), "rgb_jpeg": (rgb, "jpg"), "rgb_bmp": (rgb, "bmp"),
        "gray_bmp": (gray, "bmp"), "gif": (rgb.convert("P"), "gif"), "gray_gif": (gray, "gif"),
    }


def _folder(root: Path) -> Path:
    """Two classes, every variant twice (interleaved names, so the formats alternate in file order)."""
    rng = np.random.default_rng(3)
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for rep in range(2):
            for i, (name, (img, ext)) in enumerate(_variants(rng).items()):
                img.save(root / cls / f"{rep}{i:02d}_{name}.{ext}")
    return root


def _pipeline(root: Path, color_mode: str, shuffle: bool) -> Any:
    from visualnn.services.datasets import prepare

    spec = DatasetSpec("images", str(root), {"image": {"image_size": [H, W], "color_mode": color_mode,
                                                         "rescale": "none"}, "split": {"val": 0.0},
                                          "pipeline": {"shuffle": shuffle}})
    return prepare(spec, str(root), batch_size=7, seed=5)


def _per_file(root: Path, color_mode: str) -> tuple[list[np.ndarray], list[int]]:
    """Each scanned file decoded on its own (the eager decoder), with its label, in scan order."""
    from visualnn.services.datasets.images_tf import decode_fn

    scan = scan_image_folder(str(root))
    load = decode_fn(ImageOptions((H, W), color_mode, "none"))
    return [load(tf.constant(p)).numpy() for p in scan.files], list(scan.labels)


def _batches(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_the_scan_records_each_files_format(tmp_path: Path) -> None:
    root = _folder(tmp_path / "imgs")
    scan = scan_image_folder(str(root))
    expected = {"png": "png", "jpg": "jpeg", "bmp": "bmp", "gif": "gif"}
    assert scan.formats == [expected[p.rsplit(".", 1)[1]] for p in scan.files]
    assert set(scan.formats) == {"png", "jpeg", "bmp", "gif"}
    assert image_format(str(tmp_path / "nothing.png"))[0] is None


@pytest.mark.parametrize("color_mode", ["grayscale", "rgb"])
def test_pipeline_pixels_equal_file_by_file_decoding_in_file_order(tmp_path: Path, color_mode: str) -> None:
    """Mixed formats (PNG gray/RGB/palette/RGBA, JPEG, BMP, GIF): one map per decoder, merged back in file order."""
    root = _folder(tmp_path / "imgs")
    expected, labels = _per_file(root, color_mode)
    x, y = _batches(_pipeline(root, color_mode, shuffle=False).train)
    assert x.shape == (len(expected), H, W, 1 if color_mode == "grayscale" else 3)
    np.testing.assert_array_equal(x, np.stack(expected))
    np.testing.assert_array_equal(y.ravel(), labels)  # two classes: binary labels (n, 1)


def test_shuffled_pipeline_keeps_each_image_with_its_label(tmp_path: Path) -> None:
    root = _folder(tmp_path / "imgs")
    expected, labels = _per_file(root, "grayscale")
    train = _pipeline(root, "grayscale", shuffle=True).train
    x, y = _batches(train)
    x2, _ = _batches(train)
    assert not np.array_equal(x, np.stack(expected))  # really shuffled
    assert not np.array_equal(x, x2)  # and reshuffled each epoch
    pairs = sorted((img.tobytes(), int(lab)) for img, lab in zip(expected, labels, strict=True))
    assert sorted((img.tobytes(), int(lab)) for img, lab in zip(x, y.ravel(), strict=True)) == pairs


def test_gray_pixels_of_each_format(tmp_path: Path) -> None:
    """Grayscale PNG is read as stored; GIF/BMP/JPEG-colour go through RGB: the numbers the app has always used."""
    root = _folder(tmp_path / "imgs")
    expected, _ = _per_file(root, "grayscale")
    scan = scan_image_folder(str(root))
    # The first images drawn (class a, first repeat) are the ones _variants draws again from the same seed.
    by_name = {Path(p).name[4:]: img[..., 0] for p, img in zip(scan.files, expected, strict=True)
               if Path(p).parent.name == "a" and Path(p).name.startswith("0")}
    rng = np.random.default_rng(3)
    variants = _variants(rng)
    np.testing.assert_array_equal(by_name["gray_png.png"], np.asarray(variants["gray_png"][0]))
    rgb = np.asarray(variants["rgb_bmp"][0]).astype(np.float32)
    # TensorFlow's rgb_to_grayscale weights, rounded: the BMP (decoded only to RGB) is converted this way.
    want = np.round(rgb @ np.array([0.2989, 0.587, 0.114], np.float32))
    np.testing.assert_allclose(by_name["rgb_bmp.bmp"], want, atol=1)


@pytest.mark.parametrize("rescale", ["0_1", "-1_1"])
def test_rescaled_pipeline_equals_rescaling_the_decoded_batch(tmp_path: Path, rescale: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each image is rescaled in the decoding map (no second map over batches): the same float32 numbers as
    ``batch * scale + offset``; and preparing for training opens no image with Pillow (no header sampling)."""
    from PIL import Image as PILImage

    from visualnn.services.datasets import prepare
    from visualnn.services.datasets.images_tf import rescale_factors

    root = _folder(tmp_path / "imgs")
    expected, labels = _per_file(root, "rgb")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow opened an image while preparing the training pipelines")

    monkeypatch.setattr(PILImage, "open", refuse)
    spec = DatasetSpec("images", str(root), {"image": {"image_size": [H, W], "color_mode": "rgb", "rescale": rescale},
                                             "split": {"val": 0.0}, "pipeline": {"shuffle": False}})
    x, y = _batches(prepare(spec, str(root), batch_size=7, seed=5).train)
    scale, offset = rescale_factors(rescale)
    np.testing.assert_array_equal(x, (tf.constant(np.stack(expected)) * scale + offset).numpy())
    np.testing.assert_array_equal(y.ravel(), labels)


@pytest.mark.parametrize("color_mode", ["grayscale", "rgb"])
def test_images_of_other_sizes_are_resized_like_file_by_file_decoding(tmp_path: Path, color_mode: str) -> None:
    """Images all of the image size are only cast (resizing to the same size changes nothing: the test above); one
    image of another size sends the folder through the resize, with the numbers of decoding file by file."""
    root = _folder(tmp_path / "imgs")
    rng = np.random.default_rng(9)
    Image.fromarray(rng.integers(0, 255, (2 * H + 1, 3 * W, 3), dtype=np.uint8), "RGB").save(root / "b" / "999_big.png")
    Image.fromarray(rng.integers(0, 255, (H - 2, W + 3), dtype=np.uint8), "L").save(root / "a" / "999_small.jpg")
    expected, labels = _per_file(root, color_mode)
    x, y = _batches(_pipeline(root, color_mode, shuffle=False).train)
    assert x.shape[0] == len(expected) == 2 * 2 * 10 + 2
    np.testing.assert_array_equal(x, np.stack(expected))
    np.testing.assert_array_equal(y.ravel(), labels)
