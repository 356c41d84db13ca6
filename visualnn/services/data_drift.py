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


def data_fingerprint(data: Any) -> dict[str, Any]:
    """The split sizes and a digest of the preprocessing statistics of prepared data (JSON, for the run record)."""
    stats = {k: v for k, v in dict(getattr(data, "stats", None) or {}).items() if k not in _PLACES}
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
    if now == {"samples": list(recorded.get("samples") or []), "digest": recorded["digest"]}:
        return None
    what = []
    before = list(recorded.get("samples") or [])
    if before != now["samples"]:
        what.append(f"it had {'/'.join(map(str, before))} train/validation/test samples, now "
                    f"{'/'.join(map(str, now['samples']))}")
    if recorded["digest"] != now["digest"]:
        what.append("its preprocessing (scaling statistics, categories or classes) is not the one the model learned")
    return f"The data changed since run {run.id} was trained: {'; '.join(what)}."


__all__ = ["data_change", "data_fingerprint"]
