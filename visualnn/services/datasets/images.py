"""Image folders (one sub-folder per class): listing, cheap corruption checks, sizes and modes (TF-free).

Every file is checked by its first and last bytes only (magic number, end marker) so scanning
10,000 images stays fast; a file that is not a PNG/JPEG/BMP/GIF or is cut short is skipped and
listed, never fatal. Pillow reads headers of a sample to report sizes and colour modes.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.dataset import IMAGE_EXTENSIONS
from visualnn.services.datasets.errors import DataError, Problem, missing_path_error

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8"
_GIFS = (b"GIF87a", b"GIF89a")
_BMP = b"BM"


@dataclass
class ImageFolderScan:
    """What an image folder holds: classes (sorted folder names), files with labels, skipped files."""

    root: str
    class_names: list[str]
    files: list[str]
    labels: list[int]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    formats: list[str] = field(default_factory=list)  # files[i]'s format from its magic bytes: png|jpeg|gif|bmp
    declared: list[tuple[int, int] | None] = field(default_factory=list)  # files[i]'s (width, height) from its header
    problems: list[Problem] = field(default_factory=list)
    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)  # (width, height) of a sample
    modes: Counter[str] = field(default_factory=Counter)  # Pillow modes of a sample

    @property
    def counts(self) -> dict[str, int]:
        """Images per class."""
        c = Counter(self.labels)
        return {name: c.get(i, 0) for i, name in enumerate(self.class_names)}

    def examples(self, per_class: int = 8) -> dict[str, list[str]]:
        """The first few files of each class (for thumbnails)."""
        out: dict[str, list[str]] = {n: [] for n in self.class_names}
        for path, label in zip(self.files, self.labels, strict=True):
            bucket = out[self.class_names[label]]
            if len(bucket) < per_class:
                bucket.append(path)
        return out


MAX_IMAGE_PIXELS = 8192 * 8192
"""Images with more pixels than this (64 megapixels, 192 MB decoded as RGB) are never decoded: a 400 KB PNG can
declare 20000x20000 pixels and take 1.2 GB per copy. The header says the size; such files are skipped, named."""

_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers (not DHT, JPG, DAC)
_JPEG_SCAN_BYTES = 1 << 20  # the frame header follows the metadata segments (EXIF thumbnails included)
_FIRST_READ = 1 << 16  # one read: a whole small image (head and tail), or the header of a large one
_TAIL = 1024  # the end markers are looked for in the last bytes
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def image_dimensions(path: str) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, BMP or JPEG header without decoding (None when the header is unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_BINARY)
    except OSError:
        return None
    try:
        return _dimensions(fd, _read(fd, None, _FIRST_READ, os.fstat(fd).st_size))
    except OSError:
        return None
    finally:
        os.close(fd)


def _read(fd: int, offset: int | None, count: int, size: int) -> bytes:
    """Up to ``count`` bytes of the open file ``fd`` (``size`` bytes long) from ``offset`` (None: from where it stands,
    the start of a file just opened): one read call unless the system returns fewer bytes than the file holds there."""
    if offset is not None:
        os.lseek(fd, offset, os.SEEK_SET)
    want = max(0, min(count, size - (offset or 0)))
    data = os.read(fd, count)
    while len(data) < want:
        more = os.read(fd, count - len(data))
        if not more:
            break
        data += more
    return data


def _dimensions(fd: int, first: bytes) -> tuple[int, int] | None:
    """(width, height) from ``first``, the first bytes of the open file ``fd`` (read further for a JPEG whose frame
    header lies beyond them)."""
    head = first[:32]
    if head.startswith(_PNG) and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head.startswith(_GIFS) and len(head) >= 10:
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head.startswith(_BMP) and len(head) >= 26:
        width = int.from_bytes(head[18:22], "little", signed=True)
        height = int.from_bytes(head[22:26], "little", signed=True)  # negative: rows stored top-down
        return abs(width), abs(height)
    if head.startswith(_JPEG):
        found = _jpeg_dimensions(first)
        if found is None and len(first) >= _FIRST_READ:  # the frame header may lie further in
            found = _jpeg_dimensions(_read(fd, 0, _JPEG_SCAN_BYTES, os.fstat(fd).st_size))
        return found
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first start-of-frame segment of a JPEG's first bytes."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            return int.from_bytes(data[pos + 7:pos + 9], "big"), int.from_bytes(data[pos + 5:pos + 7], "big")
        pos += 2 + length
    return None


def pixel_cap_problem(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> str | None:
    """Why the image at ``path`` is too large to decode (None when its header declares at most ``max_pixels``)."""
    size = image_dimensions(path)
    if size is None or size[0] * size[1] <= max_pixels:
        return None
    return too_many_pixels(size[0], size[1], max_pixels)


def too_many_pixels(width: int, height: int, max_pixels: int = MAX_IMAGE_PIXELS) -> str:
    """The reason given for an image over the pixel cap (its size, the cap, the fix)."""
    side = int(max_pixels ** 0.5)
    return (f"is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels), over the cap of "
            f"{max_pixels / 1e6:.1f} megapixels ({side}x{side}) for decoding; shrink it (it is resized to the "
            "image size anyway)")


def check_image_bytes(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> str | None:
    """Why ``path`` is not a usable image (None when it looks fine): magic number, end marker, and the size its
    header declares (at most ``max_pixels``; see :data:`MAX_IMAGE_PIXELS`)."""
    return image_format(path, max_pixels)[1]


def image_format(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[str | None, str | None]:
    """(format, None) for a usable image, format one of png|jpeg|gif|bmp; (None, why) when it is not usable.

    Only the magic number, the end marker and the declared size are read, so the decoder can be chosen per
    file up front and an image over the pixel cap is never decoded. The file is opened once: a small one
    (up to 64 KiB) is read whole in one call, a larger one at its head and its last kilobyte.
    """
    fmt, why, _ = check_image(path, max_pixels)
    return fmt, why


Checked = tuple[str | None, str | None, tuple[int, int] | None]
"""(format, why not usable, (width, height) as the header declares) of one file: see :func:`check_image`."""


def check_image(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> Checked:
    """:func:`image_format` of ``path`` with the (width, height) its header declares (None when unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_BINARY)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})", None
    try:  # raw reads of the file descriptor: the fewest system calls (no buffered file object)
        size = os.fstat(fd).st_size
        first = _read(fd, None, _FIRST_READ, size)
        tail = first[-_TAIL:] if size <= _FIRST_READ else _read(fd, max(0, size - _TAIL), _TAIL, size)
        fmt, why = _format_and_end(first[:32], tail, size)
        if fmt is None:
            return None, why, None
        dims = _dimensions(fd, first)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})", None
    finally:
        os.close(fd)
    if dims is not None and dims[0] * dims[1] > max_pixels:
        return None, too_many_pixels(dims[0], dims[1], max_pixels), dims
    return fmt, None, dims


def _format_and_end(head: bytes, tail: bytes, size: int) -> tuple[str | None, str | None]:
    """(format, None), or (None, why) for a file of another kind or truncated (``head``: its first 32 bytes,
    ``tail``: its last kilobyte, ``size``: its length)."""
    if size == 0:
        return None, "is empty (0 bytes)"
    if head.startswith(_PNG):
        return ("png", None) if b"IEND" in tail[-16:] else (None, "is a truncated PNG (no IEND chunk at the end)")
    if head.startswith(_JPEG):
        return ("jpeg", None) if b"\xff\xd9" in tail else (None, "is a truncated JPEG (no end-of-image marker)")
    if head.startswith(_GIFS):
        return ("gif", None) if tail.rstrip(b"\x00").endswith(b";") else (None, "is a truncated GIF (no trailer)")
    if head.startswith(_BMP) and len(head) >= 6:
        declared = int.from_bytes(head[2:6], "little")
        if declared <= size or declared == 0:
            return "bmp", None
        return None, f"is a truncated BMP ({size} of {declared} bytes)"
    return None, "is not a PNG, JPEG, BMP or GIF image"


_PARALLEL_FROM = 512  # files; fewer are checked on the calling thread (a pool costs more than it saves)
_CHUNKS_PER_WORKER = 4
_PROBE_FILES = 256  # checked on the calling thread first, timed: do the files come from the page cache?
_COLD_S_PER_FILE = 30e-6
"""Above this many seconds a file over the probe, the files are read from the disk and the rest go to the pool.
Measured on 4,000 small PNGs (2 cores): from the page cache a check takes ~8 us and a pool doubles the time (the
threads take turns on the GIL after each short system call: 32 ms on one thread, 67 ms on a pool); read from the
disk it takes ~90 us and the pool overlaps the waits (360 ms on one thread, 230 ms on a pool)."""


def check_images(paths: list[str], max_pixels: int = MAX_IMAGE_PIXELS) -> list[Checked]:
    """:func:`check_image` of each of ``paths``, in their order.

    From :data:`_PARALLEL_FROM` files on, the first :data:`_PROBE_FILES` are checked on the calling thread and
    timed; when they were read from the disk (slower than :data:`_COLD_S_PER_FILE` a file) the rest are checked
    on a few threads, over contiguous runs of files, so that the disk's waits overlap (the checks are mostly
    system calls, which release the GIL); from the page cache they go on on the calling thread."""
    workers = min(8, os.cpu_count() or 1)
    if len(paths) < _PARALLEL_FROM or workers < 2:
        return [check_image(p, max_pixels) for p in paths]
    start = time.perf_counter()
    probed = [check_image(p, max_pixels) for p in paths[:_PROBE_FILES]]
    rest = paths[_PROBE_FILES:]
    if time.perf_counter() - start < _COLD_S_PER_FILE * len(probed):
        return probed + [check_image(p, max_pixels) for p in rest]
    from concurrent.futures import ThreadPoolExecutor

    step = -(-len(rest) // (workers * _CHUNKS_PER_WORKER))

    def check(run: list[str]) -> list[Checked]:
        return [check_image(p, max_pixels) for p in run]

    with ThreadPoolExecutor(workers, thread_name_prefix="image-check") as pool:
        runs = pool.map(check, [rest[i:i + step] for i in range(0, len(rest), step)])
        return probed + [result for run in runs for result in run]


SIZE_SAMPLE = 2000
"""Image headers read for sizes and modes: every file up to this many, else this many spread over all files."""


def scan_image_folder(root: str, sample_size: int = SIZE_SAMPLE) -> ImageFolderScan:
    """List ``root/<class>/<image>`` files; raises :class:`DataError` when the layout is unusable.

    Sizes and colour modes come from the headers of every file (up to ``sample_size`` files, spread
    evenly over all classes and files beyond that), so the most common size is the folder's, not that
    of its first files. ``sample_size=0`` reads no header with Pillow (training: the sizes and modes only
    feed the Data panel's suggestions and its mixed-sizes/modes messages); every file's bytes are still
    checked, so the same files are used, skipped and named either way.
    """
    if not os.path.exists(root):
        raise missing_path_error(root, "folder")
    if not os.path.isdir(root):
        raise DataError(f"{root} is a file; choose a folder with one sub-folder of images per class.", root)
    subdirs = sorted(d.name for d in os.scandir(root) if d.is_dir() and not d.name.startswith("."))
    if not subdirs:
        loose = [f for f in os.listdir(root) if f.lower().endswith(IMAGE_EXTENSIONS)]
        hint = f" (it holds {len(loose)} images directly)" if loose else ""
        raise DataError(
            f"{root} has no sub-folders{hint}; put the images of each class in their own sub-folder, "
            "e.g. cats/ and dogs/ (the folder names become the class names).",
            root,
        )
    scan = ImageFolderScan(root, [], [], [])
    listed: list[list[tuple[str, str | None]]] = []  # per class folder, in file order: (path, why not an image)
    for name in subdirs:
        entries: list[tuple[str, str | None]] = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, name)):
            dirnames.sort()
            for fname in sorted(filenames):
                if fname.startswith("."):
                    continue
                why = None if fname.lower().endswith(IMAGE_EXTENSIONS) else (
                    f"is not an image (extension {os.path.splitext(fname)[1] or 'none'})")
                entries.append((os.path.join(dirpath, fname), why))
        listed.append(entries)
    checked = iter(check_images([p for entries in listed for p, why in entries if why is None]))
    for name, entries in zip(subdirs, listed, strict=True):
        files: list[str] = []
        formats: list[str] = []
        declared: list[tuple[int, int] | None] = []
        for path, why in entries:
            fmt, dims = None, None
            if why is None:
                fmt, why, dims = next(checked)
            if fmt is None:
                scan.skipped.append((path, str(why)))
                continue
            files.append(path)
            formats.append(fmt)
            declared.append(dims)
        if not files:
            folder = os.path.join(root, name)
            scan.problems.append(
                Problem("warning", f"Class {name!r} (folder {folder}) has no images; it was left out.")
            )
            continue
        label = len(scan.class_names)
        scan.class_names.append(name)
        scan.files += files
        scan.formats += formats
        scan.declared += declared
        scan.labels += [label] * len(files)
    if scan.skipped:
        shown = "; ".join(f"{os.path.relpath(p, root)} {why}" for p, why in scan.skipped[:5])
        more = f" and {len(scan.skipped) - 5} more" if len(scan.skipped) > 5 else ""
        scan.problems.append(Problem("warning", f"Skipped {len(scan.skipped)} file(s): {shown}{more}."))
    if len(scan.class_names) < 2:
        found = f"only {scan.class_names[0]!r}" if scan.class_names else "none"
        raise DataError(
            f"{root} needs at least two class folders with images; found {found}. "
            "Add a sub-folder of images for each class.",
            root,
        )
    if sample_size <= 0:
        return scan
    step = max(1, -(-len(scan.files) // sample_size))  # ceil: at most sample_size headers
    _sample_headers(scan, scan.files[::step])
    if len(scan.sizes) > 1:
        (w, h), count = scan.sizes.most_common(1)[0]
        sampled = sum(scan.sizes.values())
        sizes = ", ".join(f"{sw}x{sh} ({c})" for (sw, sh), c in scan.sizes.most_common(4))
        more = ", ..." if len(scan.sizes) > 4 else ""
        scan.problems.append(Problem(
            "info",
            f"Images have different sizes (width x height: {sizes}{more}). The most common, {w}x{h} "
            f"({count} of {sampled} images{' read' if step > 1 else ''}), is suggested as the image size; "
            "every image is resized to the image size.",
        ))
    gray = {"L", "LA", "1", "I", "I;16"}
    if any(m in gray for m in scan.modes) and any(m not in gray for m in scan.modes):
        scan.problems.append(
            Problem("info", "Grayscale and colour images are mixed; all are converted to the chosen colour mode.")
        )
    return scan


def _sample_headers(scan: ImageFolderScan, files: list[str]) -> None:
    from PIL import Image, UnidentifiedImageError

    for path in files:
        try:
            with Image.open(path) as img:  # reads the header only
                scan.sizes[(int(img.width), int(img.height))] += 1
                scan.modes[str(img.mode)] += 1
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            # Unreadable headers are no size to suggest; the byte checks already skipped (and named) bad files.
            continue


def suggest_image_size(scan: ImageFolderScan) -> tuple[int, int]:
    """(height, width) of the most common size in the sample, capped to 256 on the longer side."""
    if not scan.sizes:
        return (32, 32)
    (w, h), _ = scan.sizes.most_common(1)[0]
    factor = max(1.0, max(w, h) / 256)
    return (max(1, int(h / factor)), max(1, int(w / factor)))


def suggest_color_mode(scan: ImageFolderScan) -> str:
    """``grayscale`` when every sampled image is grayscale, else ``rgb``."""
    gray = {"L", "LA", "1", "I", "I;16"}
    return "grayscale" if scan.modes and all(m in gray for m in scan.modes) else "rgb"


def load_thumbnail(path: str, size: int = 64) -> Any:
    """A small RGB Pillow image for the thumbnail grid (None when unreadable)."""
    from PIL import Image

    if pixel_cap_problem(path) is not None:
        return None  # never decoded; the scan lists it as skipped
    try:
        with Image.open(path) as img:
            thumb = img.convert("RGB")
            thumb.thumbnail((size, size))
            return thumb
    except (OSError, Image.DecompressionBombError):
        return None
