"""EngineClient against the real engine process: jobs, progress, a killed engine, restart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.training_helpers import blobs, project_dict
from visualnn.core.protocol import TrainRequest

pytestmark = pytest.mark.tf

READY_MS = 120_000


@pytest.fixture
def engine(qtbot: Any) -> Any:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient()
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        client.start()
    yield client
    client.stop()


def test_jobs_report_progress_and_results(engine: Any, qtbot: Any, tmp_path: Any) -> None:
    kinds: list[str] = []
    engine.message_received.connect(lambda job, kind, data: kinds.append(kind))
    with qtbot.waitSignal(engine.job_finished, timeout=30_000) as blocker:
        job = engine.submit("ping", {"n": 1})
    assert blocker.args == [job, {"pong": True, "echo": {"n": 1}, "pid": engine.pid()}]
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data=blobs(100))
    with qtbot.waitSignal(engine.job_finished, timeout=60_000) as blocker:
        engine.submit("train", req.to_dict())
    assert blocker.args[1]["run"]["status"] == "finished"
    assert "epoch" in kinds and "started" in kinds
    with qtbot.waitSignal(engine.job_failed, timeout=30_000) as blocker:
        engine.submit("no-such-job", {})
    assert "no handler" in blocker.args[1]


def test_killed_engine_is_detected_and_restart_works(engine: Any, qtbot: Any, tmp_path: Any) -> None:
    req = TrainRequest(project=project_dict(epochs=200), base_dir=str(tmp_path), inline_data=blobs(2000))
    epochs: list[int] = []
    engine.message_received.connect(lambda job, kind, data: epochs.append(data["epoch"]) if kind == "epoch" else None)
    job = engine.submit("train", req.to_dict())
    qtbot.waitUntil(lambda: bool(epochs), timeout=60_000)
    died: list[str] = []
    failed: list[tuple[str, str]] = []
    engine.engine_died.connect(died.append)
    engine.job_failed.connect(lambda j, m: failed.append((j, m)))
    with qtbot.waitSignal(engine.engine_died, timeout=30_000):
        engine.kill()
    assert "crashed" in died[0] and "cuInit" not in died[0]
    assert failed[0][0] == job and "restart the engine" in failed[0][1]
    assert engine.state == "dead"
    with qtbot.waitSignal(engine.ready, timeout=READY_MS):
        engine.restart()
    with qtbot.waitSignal(engine.job_finished, timeout=30_000):
        engine.submit("ping", {})


def test_submit_before_ready_is_queued(qtbot: Any) -> None:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient()
    try:
        with qtbot.waitSignal(client.job_finished, timeout=READY_MS) as blocker:
            client.submit("ping", {"early": True})  # starts the engine on demand
        assert blocker.args[1]["echo"] == {"early": True}
    finally:
        client.stop()
    assert client.state == "stopped"


def test_startup_deadline_and_missing_program_are_reported(qtbot: Any) -> None:
    import sys

    from visualnn.ui.engine_client import EngineClient

    silent = EngineClient(program=sys.executable, args=["-c", "import time; time.sleep(30)"], startup_deadline_ms=800)
    with qtbot.waitSignal(silent.engine_died, timeout=10_000) as blocker:
        silent.start()
    assert blocker.args[0] == "The training engine did not start within 0.8 s."
    assert silent.state == "dead"

    missing = EngineClient(program="/nonexistent/python-for-visualnn", args=[])
    failed: list[tuple[str, str]] = []
    missing.job_failed.connect(lambda j, m: failed.append((j, m)))
    with qtbot.waitSignal(missing.engine_died, timeout=10_000) as blocker:
        job = missing.submit("ping", {})
    assert "could not start" in blocker.args[0]
    assert failed and failed[0][0] == job
