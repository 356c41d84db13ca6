"""Has the data changed since a run was trained? (TF-free)

A run's model learned the preprocessing of the data as it was (scaling statistics, categories, classes) and was
held out from a split drawn from it. Evaluate, predict and export read the data again, from the file as it is now:
when rows were added or values changed, the split and the preprocessing are no longer the run's. Training records
:func:`data_fingerprint` in the run (``extra["data"]``); :func:`data_change` compares it with the data read now
and says what changed, so the person learns it instead of getting quietly shifted outputs or a shape error.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from visualnn.core.training_config import RunRecord

_PLACES = ("path", "root", "table")  # where the data lies, not what it is: a moved project folder is no change
_NOT_LEARNED = ("ignored",)  # the columns left out (newer runs record them): runs recorded before keep their digest


def data_fingerprint(data: Any) -> dict[str, Any]:
    """The split sizes and a digest of the preprocessing statistics of prepared data (JSON, for the run record)."""
    stats = {k: v for k, v in dict(getattr(data, "stats", None) or {}).items() if k not in _PLACES + _NOT_LEARNED}
    text = json.dumps(stats, sort_keys=True, default=str)
    samples = [int(getattr(data, f"n_{k}", 0) or 0) for k in ("train", "val", "test")]
    return {"samples": samples, "digest": hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]}


def data_change(run: RunRecord, data: Any) -> str | None:
    """What changed in the data since ``run`` was trained, as a sentence; None when nothing did (or the run
    predates the record)."""
    recorded = run.extra.get("data")
    if not isinstance(recorded, dict) or "digest" not in recorded:
        return None
    now = data_fingerprint(data)
    before = list(recorded.get("samples") or [])
    if now == {"samples": before, "digest": recorded["digest"]}:
        return None
    what = []
    if before != now["samples"]:
        what.append(f"it had {'/'.join(map(str, before))} train/validation/test samples, now "
                    f"{'/'.join(map(str, now['samples']))}")
    if recorded["digest"] != now["digest"]:
        what.append("its preprocessing (scaling statistics, categories or classes) is not the one the model learned")
    return f"The data changed since run {run.id} was trained: {'; '.join(what)}."


_KEPT_BYTES = 64 << 10
"""A table's preprocessing (per column: fill, scaling statistics, categories) is kept in the run record up to this
size as JSON; a table with thousands of categories keeps only the fingerprint."""


def kept_preprocessing(data: Any) -> dict[str, Any] | None:
    """The preprocessing a run learned, to keep in its record: a single table's statistics, or an array's scaling
    (None for other data, for column groups, or beyond :data:`_KEPT_BYTES`)."""
    stats = dict(getattr(data, "stats", None) or {})
    scaled = stats.get("source") in ("numpy", "timeseries") and "center" in stats and "scale" in stats
    if stats.get("parts") or getattr(data, "parts", None) or not (scaled or stats.get("source") == "csv"):
        return None  # named parts: each part's own preparation, read from the data
    if stats.get("source") == "csv" and not stats.get("features"):
        return None
    return stats if len(json.dumps(stats, default=str)) <= _KEPT_BYTES else None


def learned_preprocessing(run: RunRecord) -> Any | None:
    """What predict needs of the data, from the run itself (its table's preprocessing as it learned it), or None
    when the run did not keep it: new rows are then prepared exactly as the model saw its training rows, whatever
    the data file holds now, and without reading it again."""
    stats = run.extra.get("preprocessing")
    if not isinstance(stats, dict):
        return None
    from types import SimpleNamespace

    if stats.get("source") == "numpy" and "center" in stats and "scale" in stats:  # an array's scaling
        from visualnn.services.datasets.sources import scaler

        transform = scaler(str(stats.get("scaling") or "none"), stats["center"], stats["scale"])
    elif stats.get("source") == "timeseries" and "center" in stats and "scale" in stats:  # rows -> scaled windows
        from visualnn.services.datasets.timeseries import series_scaler

        transform = series_scaler([str(f) for f in stats["features"]], int(stats["window"]["length"]),
                                  stats["center"], stats["scale"])
    elif stats.get("features"):
        from visualnn.services.datasets.tabular import transform_rows

        def transform(rows: Any) -> Any:
            return transform_rows(stats, rows)
    else:
        return None
    return SimpleNamespace(stats=stats, task=str(run.extra.get("task") or stats.get("task") or "classification"),
                           class_names=list(run.extra.get("class_names") or stats.get("class_names") or []),
                           parts=None, transform=transform)


__all__ = ["data_change", "data_fingerprint", "kept_preprocessing", "learned_preprocessing"]
