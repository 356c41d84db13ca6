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
    ping = engine.submit("ping", {"n": 1})
    with qtbot.waitSignal(ping.finished, timeout=30_000) as blocker:
        pass
    assert blocker.args == [{"pong": True, "echo": {"n": 1}, "pid": engine.pid()}]
    assert ping.outcome == "finished"
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data=blobs(100))
    train = engine.submit("train", req.to_dict())
    kinds: list[str] = []
    train.progress.connect(lambda kind, data: kinds.append(kind))
    with qtbot.waitSignal(train.finished, timeout=60_000) as blocker:
        pass
    assert blocker.args[0]["run"]["status"] == "finished"
    assert kinds[0] == "started" and "epoch" in kinds and "batch" in kinds
    bad = engine.submit("no-such-job", {})
    with qtbot.waitSignal(bad.failed, timeout=30_000) as blocker:
        pass
    assert "no handler" in blocker.args[0]


def test_killed_engine_is_detected_and_restart_works(engine: Any, qtbot: Any, tmp_path: Any) -> None:
    req = TrainRequest(project=project_dict(epochs=200), base_dir=str(tmp_path), inline_data=blobs(2000))
    epochs: list[int] = []
    job = engine.submit("train", req.to_dict())
    job.progress.connect(lambda kind, data: epochs.append(data["epoch"]) if kind == "epoch" else None)
    qtbot.waitUntil(lambda: bool(epochs), timeout=60_000)
    died: list[str] = []
    failed: list[str] = []
    engine.engine_died.connect(died.append)
    job.failed.connect(failed.append)
    with qtbot.waitSignal(engine.engine_died, timeout=30_000):
        engine.kill()
    assert "crashed" in died[0] and "cuInit" not in died[0]
    assert len(failed) == 1 and "crashed" in failed[0] and "restart the engine" in failed[0]
    assert engine.state == "dead"
    with qtbot.waitSignal(engine.ready, timeout=READY_MS):
        engine.restart()
    with qtbot.waitSignal(engine.submit("ping", {}).finished, timeout=30_000):
        pass


def test_submit_before_ready_is_queued(qtbot: Any) -> None:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient()
    try:
        handle = client.submit("ping", {"early": True})  # starts the engine on demand
        with qtbot.waitSignal(handle.finished, timeout=READY_MS) as blocker:
            pass
        assert blocker.args[0]["echo"] == {"early": True}
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
    failed: list[str] = []
    with qtbot.waitSignal(missing.engine_died, timeout=10_000) as blocker:
        job = missing.submit("ping", {})
        job.failed.connect(failed.append)
    assert "could not start" in blocker.args[0]
    assert failed and "could not start" in failed[0] and job.outcome == "failed"
