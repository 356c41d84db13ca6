"""Which row of a per-image table belongs to each image of a folder (TF-free: validation reads it too).

The key column holds each image's path relative to the folder (``cats/001.png``) or its file name
(``001.png``). Every image needs exactly one row: an image without a row, a row naming no image and two
rows of one image are refused, naming the file and the row (see :mod:`image_table`, which trains on them).
:func:`match_image_table` does the whole matching (roles, images, rows, column groups) for training and for
the exported script's facts, which the window reads too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.column_groups import ColumnParts, column_parts
from visualnn.core.dataset import IMAGE_EXTENSIONS, DatasetSpec
from visualnn.core.image_parts import ImageRoles, image_roles, table_roles
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


def list_images(root: str, classes: bool, headers: bool = True) -> ImageFiles:
    """The images under ``root``: by class folder (``classes``), else every image file of the folder tree.

    ``headers=False`` (training) reads no image header with Pillow: the class folders' sizes and modes only feed
    the Data panel's messages (see :func:`~visualnn.services.datasets.images.scan_image_folder`).
    """
    from visualnn.services.datasets.images import SIZE_SAMPLE, image_format, scan_image_folder

    if classes:
        scan = scan_image_folder(root, sample_size=SIZE_SAMPLE if headers else 0)
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


@dataclass
class MatchedTable:
    """An image folder and its table, matched (TF-free): what training and the exported script both start from.

    ``aligned`` holds the table's rows in the images' order (row i belongs to ``images.files[i]``); without a
    table it is a one-column placeholder of zeros. ``mapping`` groups its columns for the Inputs and outputs.
    """

    roles: ImageRoles
    images: ImageFiles
    aligned: Any
    mapping: ColumnParts
    problems: list[Problem]
    table_path: str | None = None
    key: str | None = None
    header: bool = True
    csv_format: dict[str, Any] = field(default_factory=dict)


def match_image_table(spec: DatasetSpec, inputs: list[str], outputs: list[str],
                      shapes: dict[str, tuple[int | None, ...] | None] | None = None) -> MatchedTable:
    """Resolve which node the images, the class folders and each column feed, list the images and pair each with
    its table row; raises :class:`DataError` naming the node, file, row or column (see the module docstring)."""
    import numpy as np


    opts = spec.image()
    root = spec.path
    shapes = shapes or {}
    roles = image_roles([(n, shapes.get(n)) for n in inputs], outputs, opts, root)
    if roles.problems:
        raise DataError(" ".join(p.message for p in roles.problems), root)
    images = list_images(root, roles.class_output is not None, headers=False)
    problems: list[Problem] = list(images.problems)
    table_path = opts.table
    if table_path is None:
        import pyarrow as pa

        return MatchedTable(roles, images, pa.table({"_": np.zeros(len(images.files))}), ColumnParts({}, {}, []),
                            problems)
    read, match = read_matched_table(spec, images, table_path)
    table, header = read.table, read.format.header
    problems += read.problems
    key = match.key
    if match.dropped_rows:
        problems.append(Problem("info", f"{table_path}: {len(match.dropped_rows)} row(s) name images that were "
                                        "skipped as unreadable; those rows are not used."))
    names = [str(c) for c in table.column_names if c != key]
    unknown = [c for c in spec.columns() if c not in names and c != key]
    if unknown:
        raise DataError(f"{table_path}: the project sets column(s) {', '.join(map(repr, unknown))} but the table "
                        f"has no such column (columns: {', '.join(names)}). Fix the names or reset the column "
                        "roles.", table_path)
    features, targets, found = table_roles(spec.columns(), names, roles, table_path)
    mapping = column_parts(spec.columns(), features, targets, roles.table_inputs, roles.table_outputs, table_path)
    found += mapping.problems
    if found:
        raise DataError(" ".join(p.message for p in found), table_path)
    aligned = table.take(np.asarray(match.rows, dtype=np.int64))
    return MatchedTable(roles, images, aligned, mapping, problems, table_path, key, header, read.format.to_dict())


def read_matched_table(spec: DatasetSpec, images: ImageFiles, table_path: str) -> tuple[Any, KeyMatch]:
    """Read the per-image table at ``table_path`` (the spec's CSV format and size limit) and pair each of
    ``images`` with its row by the key column; raises :class:`DataError` naming the file and the row."""
    from visualnn.services.datasets.columns import text_values
    from visualnn.services.datasets.tables import read_table

    if not os.path.exists(table_path):
        raise missing_path_error(table_path, "file")
    read = read_table(table_path, spec.csv(), spec.max_bytes())
    texts = {str(c): text_values(read.table.column(c)).tolist() for c in read.table.column_names}
    return read, match_rows(images, table_path, texts, spec.image().key, read.format.header)


def class_task(spec: DatasetSpec, images: ImageFiles, outputs: list[str]) -> str:
    """The class folders' task: binary for two classes, else multiclass; a task forced in the Data panel counts
    when the class output is the model's only output."""
    task = "binary" if len(images.class_names) == 2 else "multiclass"
    if len(outputs) == 1 and spec.task() in ("binary", "multiclass"):
        task = str(spec.task())
    return task


__all__ = ["ImageFiles", "KeyMatch", "MatchedTable", "class_task", "list_images", "match_image_table", "match_rows",
           "read_matched_table"]
