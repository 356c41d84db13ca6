"""The project file's pretty JSON (core.project.io.dumps) joins each container's compact form from its children's
(once per value, not once per level); the text stays byte for byte what re-serialising every container gives."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.core.project.io import dumps


def _reference(value: Any, level: int = 0) -> str:
    """The straightforward form: each dict or list serialised whole to see whether it fits on one line."""
    flat = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if not isinstance(value, (dict, list)) or not value or len(flat) + 2 * level <= 100:
        return flat
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_reference(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _reference(v, level + 1) for v in value) + "\n" + pad + "]"


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
KEYS = st.text(max_size=8) | st.integers(0, 9) | st.booleans()  # a key that is not text keeps json.dumps's spelling
VALUES = st.recursive(SCALARS | st.tuples(SCALARS, SCALARS),
                      lambda kids: st.lists(kids, max_size=8) | st.dictionaries(KEYS, kids, max_size=8), max_leaves=60)


@settings(max_examples=150, deadline=None)  # 150 random documents: ~15 s (300 took 31 s in CI)
@given(st.dictionaries(st.text(max_size=6), VALUES, max_size=6))
def test_dumps_matches_serialising_every_container(data: dict[str, Any]) -> None:
    assert dumps(data) == _reference(data) + "\n"


def test_a_project_with_many_runs_keeps_its_layout() -> None:
    run = {"id": "r1", "history": {"loss": [0.5, 0.25], "val_accuracy": [0.75, 0.875]}, "pos": [0.0, 140.0],
           "graph": {"nodes": [{"id": f"dense_{i}", "params": {"units": 8 * i, "activation": "relu"}}
                               for i in range(12)]}}
    data = {"format": 3, "runs": [dict(run, id=f"r{i}") for i in range(30)]}
    assert dumps(data) == _reference(data) + "\n"
    assert '"pos": [0.0, 140.0]' in dumps(data)


def test_a_record_saved_again_is_laid_out_from_the_cache_and_a_changed_one_anew(monkeypatch: Any) -> None:
    from visualnn.core.project import io

    runs = [{"id": f"r{i}", "history": {"loss": [0.5 / (i + 1)] * 40}, "extra": {"note": "x" * 90}} for i in range(5)]
    data = {"format": 3, "runs": runs}
    assert dumps(data) == _reference(data) + "\n"  # fills the cache
    laid_out: list[Any] = []
    real = io._dump

    def counting(value: Any, level: int, cache: bool = True) -> tuple[str, str]:
        if level == 2 and not cache:
            laid_out.append(value)
        return real(value, level, cache)

    monkeypatch.setattr(io, "_dump", counting)
    runs.append({"id": "r5", "history": {"loss": [0.1] * 40}, "extra": {"note": "y" * 90}})
    assert dumps(data) == _reference(data) + "\n"
    assert laid_out == [runs[-1]]  # only the new record: the five saved before come from the cache
    runs[0]["history"]["loss"][3] = 9.0  # a record changed in place is laid out again, never served stale
    laid_out.clear()
    assert dumps(data) == _reference(data) + "\n"
    assert laid_out == [runs[0]]
