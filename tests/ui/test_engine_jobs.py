"""JobHandle against a stand-in engine process: each job's progress reaches only its own handle."""

from __future__ import annotations

from typing import Any

from tests.ui.engine_fakes import READY_MS, fake_client


def _record(handle: Any) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"progress": [], "finished": [], "failed": []}
    handle.progress.connect(lambda kind, data: seen["progress"].append((kind, data)))
    handle.finished.connect(seen["finished"].append)
    handle.failed.connect(seen["failed"].append)
    return seen


def test_two_concurrent_jobs_progress_never_cross(qtbot: Any, client: Any) -> None:
    wire: list[str] = []
    client.message_received.connect(lambda job_id, kind, data: wire.append(job_id) if kind == "batch" else None)
    a = client.submit("count", {"tag": "a", "n": 20, "parties": 2})
    b = client.submit("count", {"tag": "b", "n": 20, "parties": 2})
    seen_a, seen_b = _record(a), _record(b)
    qtbot.waitUntil(lambda: a.done and b.done, timeout=20_000)

    # The two jobs really were in flight together: their batches alternate on the wire.
    switches = sum(1 for x, y in zip(wire, wire[1:], strict=False) if x != y)
    assert len(wire) == 40 and switches >= 19
    for seen, tag in ((seen_a, "a"), (seen_b, "b")):
        batches = [data for kind, data in seen["progress"] if kind == "batch"]
        assert [d["tag"] for d in batches] == [tag] * 20
        assert [d["i"] for d in batches] == list(range(20))
        assert [k for k, _ in seen["progress"]][0] == "started"
        assert seen["finished"] == [{"tag": tag}] and seen["failed"] == []
    assert a.outcome == b.outcome == "finished" and not client.busy()


def test_a_handle_fails_once_with_the_engines_message(qtbot: Any, client: Any) -> None:
    other = client.submit("ping", {"n": 1})
    handle = client.submit("no-such-job", {})
    seen, seen_other = _record(handle), _record(other)
    with qtbot.waitSignal(handle.failed, timeout=10_000) as blocker:
        pass
    assert "no handler for job type 'no-such-job'" in blocker.args[0]
    assert seen["failed"] == [blocker.args[0]] and seen["finished"] == []
    assert handle.done and handle.outcome == "failed"
    qtbot.waitUntil(lambda: other.done, timeout=10_000)
    assert seen_other["failed"] == [] and seen_other["finished"][0]["echo"] == {"n": 1}  # each job reaches its own handle
    assert not hasattr(client, "job_failed") and not hasattr(client, "job_finished")  # and only its handle


def test_stop_pause_and_resume_through_the_handle(qtbot: Any, client: Any, tmp_path: Any) -> None:
    payload = {"project": {"training": {"epochs": 400}}, "base_dir": str(tmp_path), "inline_data": {"fake": {"step_s": 0.01}}}
    handle = client.submit("train", payload)
    seen = _record(handle)
    qtbot.waitUntil(lambda: any(k == "batch" for k, _ in seen["progress"]), timeout=10_000)
    with qtbot.waitSignal(handle.progress, timeout=10_000, check_params_cb=lambda kind, data: kind == "paused"):
        handle.pause()
    n = len(seen["progress"])
    qtbot.wait(200)
    assert len(seen["progress"]) == n  # nothing moves while paused
    handle.resume()
    qtbot.waitUntil(lambda: len(seen["progress"]) > n + 2, timeout=10_000)
    with qtbot.waitSignal(handle.finished, timeout=10_000) as blocker:
        handle.stop()
    assert blocker.args[0]["run"]["status"] == "stopped" and blocker.args[0]["run"]["epochs_done"] < 400
    handle.stop()  # a finished job ignores its controls
    assert handle.outcome == "finished"


def test_a_job_queued_before_ready_can_be_cancelled(qtbot: Any) -> None:
    client = fake_client()
    try:
        handle = client.submit("ping", {})  # starts the engine; the job waits in the queue
        assert client.state == "starting"
        with qtbot.waitSignal(handle.failed, timeout=5_000) as blocker:
            handle.stop()
        assert blocker.args[0] == "Cancelled before it started." and not client.busy()
        with qtbot.waitSignal(client.ready, timeout=READY_MS):
            pass
        later = client.submit("ping", {"n": 2})
        with qtbot.waitSignal(later.finished, timeout=10_000) as done:
            pass
        assert done.args[0]["echo"] == {"n": 2}
    finally:
        client.stop()


def test_a_dead_engine_fails_every_pending_handle_with_cause_and_fix(qtbot: Any, client: Any, tmp_path: Any) -> None:
    slow = client.submit("train", {"project": {"training": {"epochs": 10_000}}, "base_dir": str(tmp_path),
                                   "inline_data": {"fake": {"step_s": 0.01}}})
    seen = _record(slow)
    qtbot.waitUntil(lambda: bool(seen["progress"]), timeout=10_000)
    crash = client.submit("crash", {"code": 3, "stderr": "MemoryError: the fake engine ran out of memory"})
    crash_seen = _record(crash)
    with qtbot.waitSignals([slow.failed, crash.failed], timeout=10_000):
        pass
    for record in (seen, crash_seen):
        assert len(record["failed"]) == 1 and record["finished"] == []
        message = record["failed"][0]
        assert "The training engine exited with code 3." in message
        assert "Last error: MemoryError: the fake engine ran out of memory" in message
        assert "restart the engine to continue" in message
    assert client.state == "dead" and not client.busy()
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        client.restart()
    again = client.submit("ping", {})
    with qtbot.waitSignal(again.finished, timeout=10_000):
        pass


def test_stopping_the_client_fails_pending_handles(qtbot: Any, client: Any, tmp_path: Any) -> None:
    handle = client.submit("train", {"project": {"training": {"epochs": 10_000}}, "base_dir": str(tmp_path),
                                     "inline_data": {"fake": {"step_s": 0.01}}})
    failed: list[str] = []
    handle.failed.connect(failed.append)
    client.stop()
    assert failed == ["The engine was stopped before the job ended; run it again to get its result."]

