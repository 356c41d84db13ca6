"""Image folders without TensorFlow: classes, skipped files, bad layouts, sizes and modes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.images import check_image_bytes, scan_image_folder
from visualnn.services.datasets.inspect import inspect_source


def make_folder(root: Path, classes: dict[str, int], size: tuple[int, int] = (16, 16), mode: str = "RGB") -> Path:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(root / name / f"{i}.png")
    return root


def test_classes_counts_and_tensor_shape(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "imgs", {"cat": 4, "dog": 3, "fox": 2})
    info = inspect_source(str(root), {"image": {"image_size": [8, 10], "color_mode": "grayscale"}})
    assert info.classes == {"cat": 4, "dog": 3, "fox": 2}
    assert info.tensors[0].shape == (9, 8, 10, 1)  # grayscale keeps a channel axis of 1
    assert info.tensors[0].axes == ("samples", "height", "width", "channels")
    assert info.task == "multiclass" and info.suggestion is not None and info.suggestion.units == 3
    assert len(info.examples["cat"]) == 4


def test_non_images_and_truncated_files_are_skipped_and_listed(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "imgs", {"a": 3, "b": 3})
    (root / "a" / "readme.txt").write_text("hello")
    good = (root / "b" / "0.png").read_bytes()
    (root / "b" / "cut.png").write_bytes(good[: len(good) // 2])
    (root / "b" / "fake.jpg").write_bytes(b"this is not a jpeg")
    scan = scan_image_folder(str(root))
    reasons = {Path(p).name: why for p, why in scan.skipped}
    assert reasons["readme.txt"].startswith("is not an image")
    assert "truncated PNG" in reasons["cut.png"]
    assert reasons["fake.jpg"] == "is not a PNG, JPEG, BMP or GIF image"
    assert len(scan.files) == 6
    assert any("Skipped 3 file(s)" in p.message for p in scan.problems)


def test_every_format_passes_the_byte_check(tmp_path: Path) -> None:
    img = Image.fromarray(np.zeros((4, 4, 3), np.uint8))
    for ext in ("png", "jpeg", "bmp", "gif"):
        path = tmp_path / f"x.{ext}"
        img.save(path)
        assert check_image_bytes(str(path)) is None, ext
    jpeg = (tmp_path / "x.jpeg").read_bytes()
    (tmp_path / "t.jpeg").write_bytes(jpeg[:-10])
    assert "truncated JPEG" in (check_image_bytes(str(tmp_path / "t.jpeg")) or "")


def test_no_subfolders_and_empty_classes(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(flat / "a.png")
    with pytest.raises(DataError, match="has no sub-folders \\(it holds 1 images directly\\)"):
        scan_image_folder(str(flat))
    root = make_folder(tmp_path / "imgs", {"a": 2, "b": 2})
    (root / "empty").mkdir()
    scan = scan_image_folder(str(root))
    assert scan.class_names == ["a", "b"]
    assert any("Class 'empty'" in p.message and "has no images" in p.message for p in scan.problems)
    only = make_folder(tmp_path / "one", {"a": 2})
    with pytest.raises(DataError, match="needs at least two class folders"):
        scan_image_folder(str(only))


def test_mixed_sizes_and_modes_are_reported(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "imgs", {"a": 2}, size=(16, 16))
    make_folder(root, {"b": 2}, size=(20, 12), mode="L")
    scan = scan_image_folder(str(root))
    messages = " ".join(p.message for p in scan.problems)
    assert "different sizes" in messages and "Grayscale and colour images are mixed" in messages


def test_missing_folder_offers_to_relocate(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folder .* does not exist") as exc:
        scan_image_folder(str(tmp_path / "gone"))
    assert exc.value.relocate


def test_mixed_sizes_take_the_most_common_size_of_the_whole_folder_and_say_so(tmp_path: Path) -> None:
    # Sorted by name, each class starts with 12 odd 7x12 images; 28 more per class are 16x16 (56 of 80 in all).
    root = tmp_path / "mixed"
    for name in ("a", "b"):
        make_folder(root / "odd", {name: 12}, size=(7, 12))
        make_folder(root / "even", {name: 28}, size=(16, 16))
        (root / name).mkdir(parents=True)
        for i, f in enumerate(sorted((root / "odd" / name).iterdir())):
            f.rename(root / name / f"0_{i:02d}.png")
        for i, f in enumerate(sorted((root / "even" / name).iterdir())):
            f.rename(root / name / f"1_{i:02d}.png")
    for helper in ("odd", "even"):
        for sub in (root / helper).iterdir():
            sub.rmdir()
        (root / helper).rmdir()
    info = inspect_source(str(root))
    assert info.options["image"]["image_size"] == [16, 16]
    message = next(p.message for p in info.problems if "different sizes" in p.message)
    assert "16x16 (56)" in message and "7x12 (24)" in message and "The most common, 16x16 (56 of 80 images)" in message


def _jpeg_with_frame_header_beyond(tmp_path: Path, offset: int, size: tuple[int, int]) -> Path:
    """A JPEG whose metadata segments push its start-of-frame header past ``offset`` bytes, declaring ``size``."""
    img = tmp_path / "small.jpg"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(img)
    data = bytearray(img.read_bytes())
    sof = next(i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xC0)
    data[sof + 5:sof + 7] = size[1].to_bytes(2, "big")  # height, then width
    data[sof + 7:sof + 9] = size[0].to_bytes(2, "big")
    app = b"\xff\xe1" + (65533).to_bytes(2, "big") + b"\0" * 65531  # one full APP1 segment (EXIF-sized)
    path = tmp_path / "big_exif.jpg"
    path.write_bytes(bytes(data[:2]) + app * (offset // len(app) + 1) + bytes(data[2:]))
    return path


def test_the_byte_check_reads_past_its_first_read_for_large_files(tmp_path: Path) -> None:
    """The check reads a file's first 64 KiB in one call: a larger file's end marker, and a JPEG frame header behind
    large metadata, are still found (a 20000x20000 JPEG behind 130 KB of EXIF is refused, not decoded)."""
    from visualnn.services.datasets.images import image_dimensions, image_format

    bomb = _jpeg_with_frame_header_beyond(tmp_path, 1 << 17, (20000, 20000))
    assert bomb.stat().st_size > 1 << 17
    assert image_dimensions(str(bomb)) == (20000, 20000)
    fmt, why = image_format(str(bomb))
    assert fmt is None and why is not None and "20000x20000" in why and "over the cap" in why
    big = tmp_path / "big.png"  # noise does not compress: ~200 KB, end marker far past the first read
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (256, 256, 3), np.uint8)).save(big)
    assert big.stat().st_size > 1 << 17
    assert image_format(str(big)) == ("png", None)
    (tmp_path / "cut.png").write_bytes(big.read_bytes()[:-100])
    assert "truncated PNG" in (check_image_bytes(str(tmp_path / "cut.png")) or "")


def test_many_files_are_checked_in_parallel_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above a threshold, when the first files (timed) came from the disk, the rest of the byte checks run on a
    thread pool; from the page cache they stay on the calling thread. Either way the files, their order, labels,
    formats and the skipped files (named, in file order) are those of checking one file after another."""
    from visualnn.services.datasets import images

    root = make_folder(tmp_path / "imgs", {"a": 30, "b": 30, "c": 30})
    for cls, i in (("a", 3), ("b", 17), ("c", 29), ("c", 5)):
        good = (root / cls / f"{i}.png").read_bytes()
        (root / cls / f"{i}.png").write_bytes(good[: len(good) // 2])
    (root / "b" / "notes.txt").write_text("not an image")
    serial = scan_image_folder(str(root))
    threads: set[str] = set()
    check = images.check_image

    def spy(path: str, max_pixels: int = images.MAX_IMAGE_PIXELS) -> images.Checked:
        import threading

        threads.add(threading.current_thread().name)
        return check(path, max_pixels)

    monkeypatch.setattr(images, "_PARALLEL_FROM", 16)
    monkeypatch.setattr(images, "_PROBE_FILES", 8)
    monkeypatch.setattr(images, "check_image", spy)
    monkeypatch.setattr(images.os, "cpu_count", lambda: 4)
    for cold, pool_used in ((0.0, True), (float("inf"), False)):  # probe read from the disk / from the page cache
        threads.clear()
        monkeypatch.setattr(images, "_COLD_S_PER_FILE", cold)
        pooled = scan_image_folder(str(root))
        assert any(name.startswith("image-check") for name in threads) == pool_used, threads
        assert (pooled.files, pooled.labels, pooled.formats, pooled.declared, pooled.class_names) == (
            serial.files, serial.labels, serial.formats, serial.declared, serial.class_names)
        assert pooled.skipped == serial.skipped
        assert [Path(p).name for p, _ in pooled.skipped] == ["3.png", "17.png", "notes.txt", "29.png", "5.png"]
        assert len(pooled.files) == 86


def test_training_scan_checks_every_file_but_reads_no_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sample_size=0`` (training's scan) skips and names the same files; Pillow never opens one (the sizes and
    modes only feed the Data panel's messages)."""
    root = make_folder(tmp_path / "imgs", {"a": 3}, size=(16, 16))
    make_folder(root, {"b": 3}, size=(20, 12), mode="L")
    good = (root / "a" / "0.png").read_bytes()
    (root / "a" / "cut.png").write_bytes(good[:20])
    full = scan_image_folder(str(root))
    assert full.sizes and any("different sizes" in p.message for p in full.problems)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow opened an image during the training scan")

    monkeypatch.setattr(Image, "open", refuse)
    quick = scan_image_folder(str(root), sample_size=0)
    assert (quick.files, quick.labels, quick.formats, quick.skipped) == (full.files, full.labels, full.formats,
                                                                          full.skipped)
    assert not quick.sizes and not quick.modes
    assert [p.message for p in quick.problems] == [p.message for p in full.problems
                                                   if "different sizes" not in p.message and "mixed" not in p.message]
