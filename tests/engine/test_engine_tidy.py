"""The engine process frees what each job leaves in reference cycles before it reports its memory.

A training run leaves its model and graph in reference cycles (about 8 MB); Python's collector freed them only
every few runs, so the engine's memory rose and fell by some 50 MB over a session and the client's recycle
limit read a high point. The tidy engine collects after every job, and freezes what lives after the first one
so each later collection skips TensorFlow's objects.
"""

from __future__ import annotations

import gc
import io
import weakref
from typing import Any

import pytest

from visualnn.core.protocol import Job, Message, decode, encode
from visualnn.engine import server
from visualnn.engine.server import EngineServer


class Model:
    """Stands in for a Keras model: it refers to itself, so only the cycle collector frees it."""

    def __init__(self) -> None:
        self.graph = {"model": self}


@pytest.mark.parametrize("tidy", [True, False])
def test_a_jobs_cyclic_garbage_is_gone_when_the_engine_reports_its_memory(
    tidy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[weakref.ref[Model]] = []

    def handler(ctx: Any) -> dict[str, Any]:
        made.append(weakref.ref(Model()))
        return {}

    gone_at_report: list[bool] = []
    report = EngineServer._report_memory

    def watched(self: EngineServer, job: Job) -> None:
        gone_at_report.append(made[-1]() is None)
        report(self, job)

    monkeypatch.setattr(server, "handler_for", lambda job_type: handler)
    monkeypatch.setattr(EngineServer, "_report_memory", watched)
    lines = "".join(encode(Job(f"job-{i}", "train", {})) for i in range(3))
    out = io.StringIO()
    enabled = gc.isenabled()
    gc.disable()  # only the engine's own collection may free the models
    try:
        gc.collect()
        before = gc.get_freeze_count()  # the suite's conftest freezes what earlier tests left
        EngineServer(io.StringIO(lines), out, tidy=tidy).serve()
        frozen = gc.get_freeze_count() - before
    finally:
        if enabled:
            gc.enable()
    results = [m for m in map(decode, out.getvalue().splitlines()) if isinstance(m, Message) and m.kind == "result"]
    assert len(results) == 3
    assert gone_at_report == [tidy] * 3
    assert (frozen > 0) is tidy  # frozen after the first job: later collections walk only what jobs made since
