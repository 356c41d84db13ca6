"""The engine is replaced between jobs once its memory grows past the limit: never during a job, unseen by the user.

The stand-in engine process reports the memory a job asks for (``rss_mb``) after it, as the real engine
reports its own after every job; the client recycles it at 1.5 x what it held after its first training job.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import Qt

from tests.services.training_helpers import project_dict
from tests.ui.engine_fakes import FAKE_ENGINE, READY_MS, training_document
from visualnn.core.protocol import TrainRequest


def _train(client: Any, tmp_path: Any, **fake: Any) -> Any:
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data={"fake": fake})
    return client.submit("train", req.to_dict())


def _record(client: Any) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"states": [], "died": []}
    client.state_changed.connect(seen["states"].append)
    client.engine_died.connect(seen["died"].append)
    return seen


def test_training_on_while_the_engine_is_recycled_shows_nothing(qtbot: Any, client: Any) -> None:
    from visualnn.ui.training import TrainingPanel

    fake: dict[str, Any] = {"rss_mb": 100.0}
    panel = TrainingPanel(training_document(), client, extra_job={"inline_data": {"fake": fake}})
    qtbot.addWidget(panel)
    first_pid = client.pid()
    seen = _record(client)
    for rss in (100.0, 140.0):  # the first training job sets the baseline; 140 MB is under 1.5 x 100 MB
        fake["rss_mb"] = rss
        with qtbot.waitSignal(panel.training_finished, timeout=10_000):
            qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert client.pid() == first_pid and seen["states"] == []

    fake["rss_mb"] = 400.0
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        with qtbot.waitSignal(panel.training_finished, timeout=10_000) as blocker:
            qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    run = blocker.args[0]
    assert client.pid() != first_pid and client.recycles == 1
    assert seen["states"] == ["starting", "ready"] and seen["died"] == []  # never "dead" nor "stopped"
    # What the user sees is the finished run, as after any run: no failure, no restart offer.
    assert panel.status.text().startswith(f"Run {run['id']} finished")
    assert panel.progress.format() == "Finished · 3 epochs" and panel.restart_button.isHidden()
    assert panel.train_button.isEnabled() and not panel.hints.text()

    fake["rss_mb"] = 100.0
    with qtbot.waitSignal(panel.training_finished, timeout=10_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert client.recycles == 1


def test_the_engine_is_never_recycled_while_a_job_runs(qtbot: Any, client: Any, tmp_path: Any) -> None:
    with qtbot.waitSignal(_train(client, tmp_path, rss_mb=100.0).finished, timeout=10_000):
        pass
    first_pid = client.pid()
    seen = _record(client)
    long_job = _train(client, tmp_path, rss_mb=100.0, step_s=0.3)  # 2 batches of 0.3 s
    grown = _train(client, tmp_path, rss_mb=900.0)  # the stand-in runs both at once; this one ends first
    pid_when: dict[str, Any] = {}
    grown.finished.connect(lambda _: pid_when.setdefault("grown", client.pid()))
    long_job.finished.connect(lambda _: pid_when.setdefault("long", client.pid()))
    with qtbot.waitSignal(long_job.finished, timeout=10_000):
        pass
    assert grown.outcome == "finished" and long_job.outcome == "finished"
    assert pid_when == {"grown": first_pid, "long": first_pid}, "the engine was replaced while a job was running"
    qtbot.waitUntil(lambda: client.is_ready and client.pid() != first_pid, timeout=READY_MS)
    assert seen["died"] == [] and client.recycles == 1
    with qtbot.waitSignal(client.submit("ping", {}).finished, timeout=10_000) as blocker:
        pass
    assert blocker.args[0]["pid"] == client.pid()


def test_a_job_submitted_right_after_the_recycle_waits_for_the_new_engine(qtbot: Any, tmp_path: Any) -> None:
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient(program=sys.executable, args=[FAKE_ENGINE], recycle_factor=None, recycle_cap_mb=150.0)
    try:
        with qtbot.waitSignal(client.ready, timeout=READY_MS):
            client.start()
        first_pid = client.pid()
        # Past the fixed cap, even without a training job: replaced as soon as the job has ended.
        with qtbot.waitSignal(client.state_changed, timeout=10_000, check_params_cb=lambda s: s == "starting"):
            grown = client.submit("ping", {"rss_mb": 200.0})
        assert grown.outcome == "finished" and client.pid() != first_pid
        queued = client.submit("ping", {})
        with qtbot.waitSignal(queued.finished, timeout=READY_MS) as blocker:
            pass
        assert blocker.args[0]["pid"] == client.pid() != first_pid
    finally:
        client.stop()
