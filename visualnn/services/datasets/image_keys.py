"""Which row of a per-image table belongs to each image of a folder (TF-free: validation reads it too).

The key column holds each image's path relative to the folder (``cats/001.png``) or its file name
(``001.png``). Every image needs exactly one row: an image without a row, a row naming no image and two
rows of one image are refused, naming the file and the row (see :mod:`image_table`, which trains on them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from visualnn.core.dataset import IMAGE_EXTENSIONS
from visualnn.services.datasets.errors import DataError, Problem, missing_path_error

_KEY_HINT = "set the key column in the project's dataset options (image.key)"


@dataclass
class ImageFiles:
    """The images of a folder: files (absolute), their class labels (class folders) and skipped files."""

    root: str
    files: list[str]
    labels: list[int] | None  # None: no class folders are used
    class_names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # files[i]'s format (png|jpeg|gif|bmp): picks its decoder


def list_images(root: str, classes: bool) -> ImageFiles:
    """The images under ``root``: by class folder (``classes``), else every image file of the folder tree."""
    from visualnn.services.datasets.images import image_format, scan_image_folder

    if classes:
        scan = scan_image_folder(root)
        return ImageFiles(root, list(scan.files), list(scan.labels), list(scan.class_names), list(scan.skipped),
                          list(scan.problems), list(scan.formats))
    if not os.path.isdir(root):
        raise missing_path_error(root, "folder")
    out = ImageFiles(root, [], None, [])
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            if fname.startswith(".") or not fname.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = os.path.join(dirpath, fname)
            fmt, why = image_format(path)
            if fmt is not None:
                out.files.append(path)
                out.formats.append(fmt)
            else:
                out.skipped.append((path, str(why)))
    if out.skipped:
        shown = "; ".join(f"{os.path.relpath(p, root)} {why}" for p, why in out.skipped[:5])
        out.problems.append(Problem("warning", f"Skipped {len(out.skipped)} file(s): {shown}."))
    if not out.files:
        raise DataError(f"{root} holds no PNG, JPEG, BMP or GIF images; choose the folder of the images.", root)
    return out


def _norm(value: str) -> str:
    text = value.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


@dataclass
class KeyMatch:
    """Which table row belongs to each image: ``rows[i]`` is image ``i``'s row; ``key`` the key column."""

    key: str
    rows: list[int]
    dropped_rows: list[int]  # rows naming a file skipped as unreadable (its warning says why)


def match_rows(images: ImageFiles, table_path: str, columns: dict[str, list[str | None]], key: str | None,
               header: bool = True) -> KeyMatch:
    """Pair each image with its one row of the table (``columns``: each column's values as text).

    The key column holds each image's path relative to the folder (``cats/001.png``) or its file name
    (``001.png``); ``key`` None: the column whose values name the most images. Raises :class:`DataError`
    naming the file and row for an image without a row, a row naming no image and two rows of one image.
    """
    root = images.root
    rel = {_norm(os.path.relpath(p, root)): i for i, p in enumerate(images.files)}
    base: dict[str, list[int]] = {}
    for i, p in enumerate(images.files):
        base.setdefault(os.path.basename(p), []).append(i)
    skipped = {_norm(os.path.relpath(p, root)) for p, _ in images.skipped} | {
        os.path.basename(p) for p, _ in images.skipped}

    def find(value: str | None) -> int | None:
        if value is None:
            return None
        text = _norm(value)
        if text in rel:
            return rel[text]
        hits = base.get(text)
        return hits[0] if hits is not None and len(hits) == 1 else None

    if key is not None and key not in columns:
        raise DataError(f"{table_path}: the key column {key!r} is not in the table (columns: {', '.join(columns)}). "
                        f"Name the column that holds each image's file name: {_KEY_HINT}.", table_path)
    if key is None:
        counts = {name: sum(find(v) is not None for v in values) for name, values in columns.items()}
        best = max(counts, key=lambda n: counts[n]) if counts else None
        if best is None or counts[best] == 0:
            example = _norm(os.path.relpath(images.files[0], root)) if images.files else "cats/001.png"
            raise DataError(
                f"{table_path}: no column names the images of {root} (e.g. {example!r} or "
                f"{os.path.basename(example)!r}); the table needs one row per image with its path relative to the "
                f"folder or its file name. Add that column, or {_KEY_HINT}.", table_path)
        key = best
    values = columns[key]
    line = 2 if header else 1  # the file line of row 0

    rows: list[int | None] = [None] * len(images.files)
    unmatched: list[tuple[int, str | None]] = []
    dropped: list[int] = []
    for r, value in enumerate(values):
        hit = find(value)
        if hit is None:
            text = _norm(value) if value is not None else None
            hits = base.get(text or "") or []
            if len(hits) > 1:
                names = ", ".join(_norm(os.path.relpath(images.files[j], root)) for j in hits[:4])
                raise DataError(
                    f"{table_path}: row {r + line} names {text!r} in key column {key!r}, but several images have "
                    f"that file name ({names}). Write each image's path relative to {root} in the key column.",
                    table_path)
            if text is not None and text in skipped:
                dropped.append(r)
                continue
            unmatched.append((r, value))
            continue
        earlier = rows[hit]
        if earlier is not None:
            raise DataError(
                f"{table_path}: rows {earlier + line} and {r + line} both name image "
                f"{_norm(os.path.relpath(images.files[hit], root))!r} in key column {key!r}; each image needs exactly "
                "one row. Delete or fix one of them.", table_path)
        rows[hit] = r
    if unmatched:
        shown = ", ".join(f"row {r + line} ({v!r})" for r, v in unmatched[:5])
        more = f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else ""
        raise DataError(
            f"{table_path}: {len(unmatched)} row(s) name no image of {root} in key column {key!r}: {shown}{more}. "
            "Fix the file names, add the images, or delete those rows.", table_path)
    missing = [i for i, r in enumerate(rows) if r is None]
    if missing:
        shown = ", ".join(_norm(os.path.relpath(images.files[i], root)) for i in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise DataError(
            f"{table_path}: {len(missing)} image(s) of {root} have no row (key column {key!r}): {shown}{more}. "
            "Every image needs one row of values: add the rows, or move those images out of the folder.", table_path)
    return KeyMatch(key, [int(r) for r in rows if r is not None], dropped)


__all__ = ["ImageFiles", "KeyMatch", "list_images", "match_rows"]
