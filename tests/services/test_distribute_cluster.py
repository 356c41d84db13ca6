"""Local clusters: the supervisor's bounded stops, and `visualnn train --strategy multiworker` on 2 workers.

The multi-worker tests start real worker processes on 127.0.0.1 (free ports), each with a timeout;
the supervisor kills every worker by PID at the end (SIGTERM, then SIGKILL: MWMS workers ignore SIGTERM).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.services.training_helpers import mlp_graph
from visualnn.services.cluster import ClusterError, LocalCluster, free_ports

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
IGNORES_SIGTERM = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('up', flush=True); time.sleep(60)"]


# --- the supervisor (no TensorFlow) ------------------------------------------------------------------


def test_free_ports_are_distinct() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5 and all(0 < p < 65536 for p in ports)


def test_stop_escalates_to_sigkill_for_workers_that_ignore_sigterm(tmp_path: Path) -> None:
    cluster = LocalCluster(IGNORES_SIGTERM, n_workers=2, log_dir=str(tmp_path), grace_s=0.5).start()
    try:
        assert all(cluster.wait_for_log(i, "up", 20) for i in range(2))
        t0 = time.monotonic()
        codes = cluster.stop()
        assert time.monotonic() - t0 < 5
        assert codes == [-signal.SIGKILL, -signal.SIGKILL]
    finally:
        cluster.stop(0)


def test_each_worker_gets_its_own_tf_config(tmp_path: Path) -> None:
    show = [sys.executable, "-c", "import os; print(os.environ['TF_CONFIG'])"]
    with LocalCluster(show, n_workers=3, log_dir=str(tmp_path)) as cluster:
        assert cluster.wait(20) == [0, 0, 0]
        configs = [json.loads(w.log().strip()) for w in cluster.workers]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert configs[0]["cluster"]["worker"] == cluster.addresses


def test_wait_is_bounded_and_stops_every_worker(tmp_path: Path) -> None:
    cluster = LocalCluster(IGNORES_SIGTERM, n_workers=2, log_dir=str(tmp_path), grace_s=0.2).start()
    with pytest.raises(ClusterError, match=r"Worker 0 \(pid \d+\) did not finish within 1 s; all workers were "
                                           "stopped"):
        cluster.wait(1)
    assert not any(w.alive() for w in cluster.workers)


def test_unreachable_peers_and_the_watchdog_that_ends_a_blocked_worker(tmp_path: Path) -> None:
    import socket
    import subprocess

    from visualnn.core.distribution import make_tf_config, parse_tf_config
    from visualnn.services.distribute import start_watchdog, unreachable_peers

    listener = socket.create_server(("127.0.0.1", 0))
    blocked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    released = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        up = f"127.0.0.1:{listener.getsockname()[1]}"
        down = f"localhost:{free_ports(1)[0]}"
        cluster = parse_tf_config(make_tf_config([f"127.0.0.1:{free_ports(1)[0]}", up, down], 0))
        assert cluster is not None
        assert unreachable_peers(cluster) == [down]
        with open(tmp_path / "watchdog.log", "wb") as log:
            watchdog = start_watchdog(blocked.pid, cluster.peers, 0.5, stderr=log)
            assert blocked.wait(timeout=20) == -signal.SIGKILL  # like a worker stuck in MWMS's constructor
            watchdog.wait(timeout=10)
            spared = start_watchdog(released.pid, cluster.peers, 2.0, stderr=log)
            assert spared.stdin is not None
            spared.stdin.close()  # the constructor returned in time
            assert spared.wait(timeout=10) == 0
        assert released.poll() is None
        text = (tmp_path / "watchdog.log").read_text()
        assert f"visualnn: 1 worker(s) of the cluster did not start within 0 s: {down}. Start every worker" in text
        assert text.count("visualnn:") == 1
    finally:
        listener.close()
        for proc in (blocked, released):
            proc.kill()
            proc.wait(timeout=10)


# --- multi-worker training ---------------------------------------------------------------------------------


def _project(folder: Path, n: int, epochs: int) -> Path:
    import numpy as np

    from visualnn.core.dataset import DatasetSpec
    from visualnn.core.project import Project
    from visualnn.core.project.io import save_project
    from visualnn.core.training_config import TrainingConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    np.savez(folder / "data.npz", x=x, y=y)
    project = Project(graph=mlp_graph(4, 3), name="mw",
                      dataset=DatasetSpec("numpy", "data.npz", {"split": {"val": 0.2, "test": 0.0}}),
                      training=TrainingConfig(epochs=epochs, batch_size=16))
    path = folder / "p.vnn"
    save_project(project, path)
    return path


def _train_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "visualnn", "train", str(path), "--strategy", "multiworker"]


def _epoch_lines(log: str) -> list[str]:
    """The per-epoch summary lines the CLI prints (progress redraws dropped)."""
    return [line.strip() for line in log.replace("\r", "\n").splitlines() if re.match(r"Epoch \d+/\d+  loss", line)]


def _runs(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["runs"])


@pytest.mark.tf
@pytest.mark.slow
def test_two_workers_train_in_lockstep_only_the_chief_records_and_the_script_matches(tmp_path: Path) -> None:
    path = _project(tmp_path, 320, epochs=2)
    with LocalCluster(_train_command(path), n_workers=2, log_dir=str(tmp_path / "logs"), env=ENV) as cluster:
        codes = cluster.wait(150)
        logs = [w.log() for w in cluster.workers]
    assert codes == [0, 0], logs
    chief, worker = logs
    assert len(_epoch_lines(chief)) == 2
    assert _epoch_lines(chief) == _epoch_lines(worker)  # same losses and metrics every epoch
    runs = _runs(path)
    assert len(runs) == 1  # the other worker did not touch the project file
    run = runs[0]
    extra = run["extra"]
    assert isinstance(extra, dict)
    assert (extra["chief"], extra["workers"], extra["replicas"], extra["global_batch"]) == (True, 2, 2, 32)
    digest = re.search(r"weights sha256 ([0-9a-f]{64})", worker)
    assert digest is not None and digest.group(1) == extra["weights_sha256"]  # bitwise-identical weights
    assert (tmp_path / str(run["model_path"])).exists()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [str(run["id"])]  # backups removed

    # The exported script with --strategy multiworker trains the same way on the same 2-worker cluster.
    from visualnn.cli import main

    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py"), "--strategy", "multiworker"]) == 0
    command = [sys.executable, str(tmp_path / "train.py"), "--output", "script.keras"]
    with LocalCluster(command, n_workers=2, log_dir=str(tmp_path / "script-logs"), env=ENV, cwd=str(tmp_path)) as c:
        codes = c.wait(150)
        script_logs = [w.log() for w in c.workers]
    assert codes == [0, 0], script_logs
    digests = [re.findall(r"weights sha256 ([0-9a-f]{64})", log) for log in script_logs]
    assert digests == [[extra["weights_sha256"]], [extra["weights_sha256"]]]  # same weights as the app's run
    assert "Saved the trained model, taking raw inputs, to script.keras" in script_logs[0]
    assert "Saved the trained model" not in script_logs[1]  # only the chief saves
    assert (tmp_path / "script.keras").exists() and not (tmp_path / "backup").exists()
    # The chief saved the model behind its Normalization layer: it takes the arrays as data.npz holds them.
    import keras
    import numpy as np

    from visualnn.core.project.io import load_project
    from visualnn.services.datasets import prepare

    data = prepare(load_project(path).dataset, str(tmp_path))
    raw = data.raw_samples("val", 1000).astype("float32")
    scaled = np.concatenate([x.numpy() for x, _ in data.val])
    app_model = keras.models.load_model(tmp_path / str(run["model_path"]))
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "script.keras").predict(raw, verbose=0),
                               app_model.predict(scaled, verbose=0), atol=1e-5)


@pytest.mark.tf
@pytest.mark.slow
def test_a_killed_worker_ends_the_other_and_a_restart_resumes(tmp_path: Path) -> None:
    path = _project(tmp_path, 1600, epochs=8)
    with LocalCluster(_train_command(path), n_workers=2, log_dir=str(tmp_path / "logs1"), env=ENV) as cluster:
        assert cluster.wait_for_log(0, "Epoch 2/8  loss", 120), cluster.workers[0].log()
        cluster.kill(1)
        t0 = time.monotonic()
        cluster.workers[0].process.wait(timeout=45)
        noticed_s = time.monotonic() - t0
        log = cluster.workers[0].log()
    assert cluster.workers[0].process.returncode == 1
    assert noticed_s < 45
    assert "Multi-worker training stopped: worker 1 failed or became unreachable" in log
    match = re.search(r"The checkpoint after epoch (\d+) is kept in (\S+); start all 2 workers again", log)
    assert match is not None, log[-2000:]
    kept = int(match.group(1))
    assert kept >= 2
    assert _runs(path) == []  # a failed cluster run records nothing; the backup is kept instead

    with LocalCluster(_train_command(path), n_workers=2, log_dir=str(tmp_path / "logs2"), env=ENV) as cluster:
        codes = cluster.wait(150)
        logs = [w.log() for w in cluster.workers]
    assert codes == [0, 0], logs
    # The cluster resumes from the newest epoch *every* worker saved: the killed worker may not have
    # written the epoch the survivor had just finished.
    resumed = [re.search(r"Resuming from the backup after epoch (\d+)\.", log) for log in logs]
    assert all(resumed), logs
    epochs = {int(m.group(1)) for m in resumed if m}
    assert len(epochs) == 1 and 1 <= min(epochs) <= kept
    start = epochs.pop()
    for log in logs:
        assert len(_epoch_lines(log)) == 8 - start  # only the remaining epochs ran
    run = _runs(path)[0]
    assert run["epochs_done"] == 8
    assert isinstance(run["history"], dict) and len(run["history"]["loss"]) == 8
    assert isinstance(run["extra"], dict) and run["extra"]["resumed_from_epoch"] == start


@pytest.mark.tf
@pytest.mark.slow
def test_a_peer_that_never_starts_hits_the_start_up_deadline(tmp_path: Path) -> None:
    path = _project(tmp_path, 64, epochs=1)
    env = {**ENV, "VISUALNN_PEER_TIMEOUT_S": "3"}
    cluster = LocalCluster(_train_command(path), n_workers=2, log_dir=str(tmp_path / "logs"), env=env)
    addresses = [f"127.0.0.1:{p}" for p in free_ports(2)]
    try:
        cluster.start_worker(0, addresses)  # worker 1 never starts
        cluster.workers[0].process.wait(timeout=90)
        log = cluster.workers[0].log()
    finally:
        cluster.stop()
    assert cluster.workers[0].process.returncode == -signal.SIGKILL  # ended by the start-up watchdog
    assert f"visualnn: 1 worker(s) of the cluster did not start within 3 s: {addresses[1]}" in log
