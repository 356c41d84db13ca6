"""What is wrong with new samples before they reach the model (TF-free): named columns, named files.

:func:`check_rows` compares table rows with the columns the model was trained on; :func:`check_images`
reads image headers. Each raises :class:`~visualnn.services.datasets.errors.DataError` for input
the model cannot take (a missing column, a row of the wrong length, an unreadable file) and returns
warnings for input it takes with a change (an extra column left out, a category not seen in
training, an image of another size or colour mode).
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
        known = set(names) | {str(t) for t in stats.get("targets") or []}
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


def readable_images(paths: list[str], root: str) -> tuple[list[str], list[str]]:
    """The images of the folder ``root`` that can be read, and a warning naming those that cannot (skipped, as
    training skips them), e.g. a truncated PNG among hundreds; raises when none can be read."""
    kept, skipped = [], []
    for path in paths:
        why = _unreadable(path)
        if why is None:
            kept.append(path)
        else:
            skipped.append(f"{os.path.relpath(path, root)} {why}")
    if paths and not kept:
        raise DataError(f"No image in {root} can be read: {'; '.join(skipped[:MAX_LISTED])}"
                        f"{' ...' if len(skipped) > MAX_LISTED else ''}. Replace them with readable images.", root)
    warnings = [f"Skipped {len(skipped)} unreadable image(s), as training skips them: "
                f"{'; '.join(skipped[:MAX_LISTED])}{' ...' if len(skipped) > MAX_LISTED else ''}."] if skipped else []
    return kept, warnings


def _unreadable(path: str) -> str | None:
    """Why the image file at ``path`` cannot be read (None when it can): damaged bytes or no image at all."""
    from PIL import Image, UnidentifiedImageError

    from visualnn.services.datasets.images import check_image_bytes

    why = None if path.lower().endswith(".webp") else check_image_bytes(path)
    if why is not None:
        return why
    try:
        with Image.open(path) as img:
            img.size  # noqa: B018  (the header is parsed here)
    except (OSError, UnidentifiedImageError) as exc:
        return f"cannot be read as an image ({exc})"
    return None


def check_images(paths: list[str], stats: dict[str, Any], root: str | None = None) -> list[str]:
    """Warnings for images of another size or colour mode than training used; raises for unusable files."""
    from PIL import Image

    if not paths:
        raise DataError(f"{root or 'The input'} holds no images (.png, .jpg, .jpeg, .bmp, .gif, .webp) to predict.")
    size = stats.get("image_size")
    mode = stats.get("color_mode")
    resized: list[str] = []
    converted: list[str] = []
    for path in paths:
        name = os.path.relpath(path, root) if root else os.path.basename(path)
        why = _unreadable(path)
        if why is not None:
            raise DataError(f"{name} {why}; remove it or replace it with a readable image.", path)
        with Image.open(path) as img:
            width, height, img_mode = int(img.width), int(img.height), str(img.mode)
        if size and [height, width] != [int(size[0]), int(size[1])]:
            resized.append(f"{name} ({width}x{height})")
        gray = img_mode in ("L", "LA", "1", "I", "I;16")
        if mode and (mode == "grayscale") != gray:
            converted.append(f"{name} ({img_mode})")
    warnings = []
    if resized and size:
        warnings.append(f"{len(resized)} image(s) are not {int(size[1])}x{int(size[0])} (width x height) as in "
                        f"training and were resized: {', '.join(resized[:MAX_LISTED])}"
                        f"{' ...' if len(resized) > MAX_LISTED else ''}.")
    if converted and mode:
        warnings.append(f"{len(converted)} image(s) were converted to {mode} as in training: "
                        f"{', '.join(converted[:MAX_LISTED])}{' ...' if len(converted) > MAX_LISTED else ''}.")
    return warnings
