"""What is wrong with new samples before they reach the model (TF-free): named columns, named files.

:func:`check_rows` compares table rows with the columns the model was trained on; :func:`check_images`
reads image headers (and leaves a folder's unreadable files out, as training does). Each raises
:class:`~visualnn.services.datasets.errors.DataError` for input the model cannot take (a missing column,
a row of the wrong length, an unreadable file given alone) and returns warnings for input it takes with a
change (an extra column left out, a category not seen in training, an image of another size or colour
mode, a skipped file).
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.tabular import is_missing

MAX_LISTED = 5  # values or files named in one message


def _listed(items: list[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def check_rows(stats: dict[str, Any], rows: Any, where: str = "") -> list[str]:
    """Warnings for table rows (DataFrame, list of dicts or lists in feature order); raises for unusable rows.

    ``where`` prefixes every message (the input file's name).
    """
    plan = list(stats.get("features") or [])
    names = [str(p["name"]) for p in plan]
    if not names:
        return []
    columns: list[str] | None = None
    records: list[Any]
    if hasattr(rows, "columns") and hasattr(rows, "to_dict"):
        columns = [str(c) for c in rows.columns]
        records = rows.to_dict(orient="records")
    else:
        records = list(rows)
        if records and all(isinstance(r, dict) for r in records):
            columns = list(dict.fromkeys(str(k) for r in records for k in r))
    warnings: list[str] = []
    if columns is None:
        for i, row in enumerate(records):
            if len(row) != len(names):
                raise DataError(f"{where}Row {i + 1} has {len(row)} value(s); the model takes {len(names)} "
                                f"feature(s), in this order: {', '.join(names)}.")
        records = [dict(zip(names, r, strict=True)) for r in records]
    else:
        missing = [n for n in names if n not in columns]
        if missing:
            raise DataError(f"{where}the input has no column {_listed(missing)}; the model was trained on the "
                            f"columns {', '.join(names)}. Add the missing column(s) or rename them to match.")
        known = set(names) | {str(t) for t in [*(stats.get("targets") or []), *(stats.get("ignored") or [])]}
        extra = [c for c in columns if c not in known]
        if extra:
            warnings.append(f"{where}column(s) {_listed(extra)} are not features of the model and were left out.")
    for p in plan:
        if p.get("kind") != "categorical":
            continue
        seen = set(p.get("categories") or [])
        values = (r.get(p["name"]) for r in records)
        unseen = sorted({str(v) for v in values if not is_missing(v) and str(v) not in seen})  # missing: the fill
        if unseen:
            how = "all zeros in its one-hot columns" if p.get("encoding") == "onehot" else "the unknown code -1"
            warnings.append(f"{where}column {p['name']!r}: {_listed(unseen)} not seen in training; encoded as "
                            f"{how} (an unknown category), so the prediction may be less reliable.")
    return warnings


def _header(path: str) -> tuple[tuple[int, int, str] | None, str | None]:
    """((width, height, colour mode), None) of the image file at ``path``, read from its header once; (None, why)
    when it cannot be read: damaged bytes or no image at all."""
    from PIL import Image, UnidentifiedImageError

    from visualnn.services.datasets.images import check_image_bytes

    why = None if path.lower().endswith(".webp") else check_image_bytes(path)
    if why is not None:
        return None, why
    try:
        with Image.open(path) as img:
            return (int(img.width), int(img.height), str(img.mode)), None
    except (OSError, UnidentifiedImageError) as exc:
        return None, f"cannot be read as an image ({exc})"


def _listing(items: list[str], sep: str = ", ") -> str:
    """The first :data:`MAX_LISTED` items as they are (file names with their reason or size), `` ...`` when cut."""
    return sep.join(items[:MAX_LISTED]) + (" ..." if len(items) > MAX_LISTED else "")


def check_images(paths: list[str], stats: dict[str, Any], root: str | None = None) -> tuple[list[str], list[str]]:
    """The images to predict, and warnings: images of another size or colour mode than training used and, in a
    folder (``root``), unreadable files, skipped and named as training skips them (a truncated PNG among
    hundreds). Raises for a file given alone that cannot be read, and for a folder none of whose images can.
    Each file's header is read once."""
    if not paths:
        raise DataError(f"{root or 'The input'} holds no images (.png, .jpg, .jpeg, .bmp, .gif, .webp) to predict.")
    size = stats.get("image_size")
    mode = stats.get("color_mode")
    kept: list[str] = []
    skipped: list[str] = []
    resized: list[str] = []
    converted: list[str] = []
    for path in paths:
        name = os.path.relpath(path, root) if root else os.path.basename(path)
        header, why = _header(path)
        if header is None:
            if root is None:
                raise DataError(f"{name} {why}; remove it or replace it with a readable image.", path)
            skipped.append(f"{name} {why}")
            continue
        kept.append(path)
        width, height, img_mode = header
        if size and [height, width] != [int(size[0]), int(size[1])]:
            resized.append(f"{name} ({width}x{height})")
        gray = img_mode in ("L", "LA", "1", "I", "I;16")
        if mode and (mode == "grayscale") != gray:
            converted.append(f"{name} ({img_mode})")
    if not kept:
        raise DataError(f"No image in {root} can be read: {_listing(skipped, '; ')}. Replace them with readable "
                        "images.", root)
    warnings = []
    if skipped:
        warnings.append(f"Skipped {len(skipped)} unreadable image(s), as training skips them: "
                        f"{_listing(skipped, '; ')}.")
    if resized and size:
        warnings.append(f"{len(resized)} image(s) are not {int(size[1])}x{int(size[0])} (width x height) as in "
                        f"training and were resized: {_listing(resized)}.")
    if converted and mode:
        warnings.append(f"{len(converted)} image(s) were converted to {mode} as in training: {_listing(converted)}.")
    return kept, warnings


