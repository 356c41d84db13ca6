"""A stand-in engine process for UI tests: speaks ``core.protocol`` on stdin/stdout, without TensorFlow.

Run as ``python tests/ui/fake_engine_process.py [--no-devices]``. Unlike the real engine it runs every job
on its own thread, so the messages of two jobs interleave on the wire. Job types:

- ``ping``: echoes its payload.
- ``count`` ({"tag", "n", "parties"}): sends ``n`` ``batch`` messages tagged ``tag``, in lock-step
  with the other ``parties - 1`` count jobs (a barrier before every message), so their progress
  alternates on the wire; the result echoes the tag.
- ``train`` (a ``TrainRequest`` dict): two batches and one epoch message per epoch; honours stop,
  pause and resume; the result is ``{"run": RunRecord dict}``. ``inline_data["fake"]`` steers it:
  ``{"fail": message}`` fails before training, ``{"log": {...}}`` sends that ``log`` message first,
  ``{"step_s": seconds}`` waits after each batch, ``{"nan": true}`` reports a NaN loss, ``{"no_run": true}``
  returns a result without a run record. Like the engine, it trains into ``<base_dir>/runs/<run_id>/`` (the
  request's ``run_id``, else one of its own): the folder is made before the first batch and ``model.keras``
  (a small text stand-in) is written when training ends, stopped or not.
- ``evaluate`` / ``predict``: a small report / one prediction (``inline_data["fake"]["fail"]`` fails an evaluation).
- After every job, like the engine, an engine-level ``memory`` message: ``rss_mb`` is the job's
  ``inline_data["fake"]["rss_mb"]`` (train) or ``payload["rss_mb"]`` (other jobs), 100 by default.
- ``devices``: two devices (the ``ready`` message omits them with ``--no-devices``).
- ``crash`` ({"code", "stderr"}): writes ``stderr`` to stderr and exits with ``code`` at once.
- ``import_model`` ({"path", "weights", "project_path"}): the file at ``path`` is JSON steering the stand-in
  (``{"layers": n, "step_s": s, "fail": message}``); sends a ``status`` message per layer like the real job,
  honours stop between layers, and returns a chain of ``n`` Dense layers; with weights it writes a stand-in
  ``runs/<id>/model.keras`` beside ``project_path`` and adds the run, as the real job does.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import traceback
from typing import Any

from visualnn.core.protocol import Control, Job, Message, ProtocolError, decode, encode

_out = sys.stdout
_lock = threading.Lock()
_stops: dict[str, threading.Event] = {}
_pauses: dict[str, threading.Event] = {}
_barriers: dict[int, threading.Barrier] = {}
_barrier_lock = threading.Lock()
_run_ids = itertools.count(1)


def send(job_id: str, kind: str, data: dict[str, Any]) -> None:
    """Write one protocol message (thread-safe)."""
    with _lock:
        _out.write(encode(Message(job_id, kind, data)))
        _out.flush()


def _count(job: Job) -> dict[str, Any]:
    parties = int(job.payload.get("parties", 1))
    with _barrier_lock:
        barrier = _barriers.setdefault(parties, threading.Barrier(parties, timeout=20))
    tag = job.payload["tag"]
    for i in range(int(job.payload["n"])):
        barrier.wait()
        send(job.id, "batch", {"tag": tag, "i": i})
    return {"tag": tag}


def _wait_if_paused(job: Job) -> None:
    pause, stop = _pauses[job.id], _stops[job.id]
    if pause.is_set() and not stop.is_set():
        send(job.id, "paused", {"paused": True})
        while pause.is_set() and not stop.is_set():
            time.sleep(0.01)
        send(job.id, "paused", {"paused": False})


def _train(job: Job) -> dict[str, Any]:
    payload = job.payload
    fake = dict((payload.get("inline_data") or {}).get("fake") or {})
    epochs = int(payload.get("epochs") or payload["project"]["training"]["epochs"])
    step = float(fake.get("step_s", 0.0))
    send(job.id, "status", {"text": "Building the model…"})
    if fake.get("log"):
        send(job.id, "log", dict(fake["log"]))
    if fake.get("fail"):
        raise ValueError(str(fake["fail"]))
    run_id = str(payload.get("run_id") or f"run-{os.getpid()}-{next(_run_ids)}")
    run_dir = os.path.join(str(payload["base_dir"]), "runs", run_id)
    os.makedirs(run_dir, exist_ok=True)
    history: dict[str, list[Any]] = {"loss": [], "val_loss": [], "lr": []}
    done = 0
    stopped = False
    for epoch in range(1, epochs + 1):
        for batch in (1, 2):
            _wait_if_paused(job)
            if _stops[job.id].is_set():
                stopped = True
                break
            loss: Any = "nan" if fake.get("nan") else 1.0 / (epoch + batch)
            send(job.id, "batch", {"epoch": epoch, "epochs": epochs, "batch": batch, "batches": 2,
                                   "logs": {"loss": loss}, "samples_per_s": 640.0, "elapsed_s": 0.5 * epoch})
            time.sleep(step)
        if stopped:
            break
        logs = {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)}
        send(job.id, "epoch", {"epoch": epoch, "epochs": epochs, "logs": logs, "lr": 0.001, "elapsed_s": 0.5 * epoch})
        history["loss"].append(logs["loss"])
        history["val_loss"].append(logs["val_loss"])
        history["lr"].append(0.001)
        done = epoch
    with open(os.path.join(run_dir, "model.keras"), "w", encoding="utf-8") as fh:
        fh.write(f"fake model of {run_id}: {done} epochs\n")
    if fake.get("no_run"):
        return {"oops": True}
    run = {"id": run_id, "started": "2025-01-01T00:00:00", "status": "stopped" if stopped else "finished",
           "duration_s": 1.5, "device": "cpu", "config": payload["project"]["training"], "history": history,
           "metrics": {"loss": history["loss"][-1] if history["loss"] else 1.0}, "epochs_done": done,
           "model_path": f"runs/{run_id}/model.keras", "continued_from": payload.get("continue_run")}
    return {"run": run}


def _import_model(job: Job) -> dict[str, Any]:
    import json
    from pathlib import Path

    from visualnn.core.graph import Edge, Graph, Node
    from visualnn.core.project import Project
    from visualnn.core.training_config import RunRecord

    payload = job.payload
    source = Path(payload["path"])
    try:
        fake = json.loads(source.read_text())
    except ValueError as exc:
        raise ValueError(f"Cannot read {source.name}: {exc}. Expected a .keras or .h5 file saved with model.save().") from None
    if fake.get("fail"):
        raise ValueError(str(fake["fail"]))
    n, step = int(fake.get("layers", 3)), float(fake.get("step_s", 0.0))
    graph = Graph()
    graph.add_node(Node("input_1", "Input", {"shape": [4]}, pos=(0.0, 0.0)))
    previous = "input_1"
    for i in range(1, n):
        graph.add_node(Node(f"dense_{i}", "Dense", {"units": 4}, pos=(0.0, 120.0 * i)))
        graph.connect(Edge.of(previous, f"dense_{i}"))
        previous = f"dense_{i}"
    for i in range(1, n + 1):
        if _stops[job.id].is_set():
            raise ValueError(f"Import of {source.name} cancelled.")
        layer = "input_1" if i == 1 else f"dense_{i - 1}"
        send(job.id, "status", {"text": f"Reading {source.name}: layer {i} of {n} ({layer})", "done": i,
                                "total": n, "layer": layer})
        time.sleep(step)
    project = Project(graph, name=source.stem)
    notes = []
    if payload.get("weights"):
        base = Path(payload["project_path"]).parent
        run_id = f"import-{os.getpid()}"
        (base / "runs" / run_id).mkdir(parents=True, exist_ok=True)
        (base / "runs" / run_id / "model.keras").write_bytes(b"stand-in weights")
        project.add_run(RunRecord(id=run_id, started="2025-01-01T00:00:00", status="imported",
                                  graph=graph.to_dict(), model_path=f"runs/{run_id}/model.keras"))
        notes.append(f"Weights imported into run {run_id}; continue training from it.")
    return {"project": project.to_dict(), "notes": notes}


def _run(job: Job) -> None:
    try:
        send(job.id, "started", {"type": job.type})
        if job.type == "ping":
            result: dict[str, Any] = {"pong": True, "echo": job.payload, "pid": os.getpid()}
        elif job.type == "count":
            result = _count(job)
        elif job.type == "train":
            result = _train(job)
        elif job.type == "evaluate":
            fail = ((job.payload.get("inline_data") or {}).get("fake") or {}).get("fail")
            if fail:
                raise ValueError(str(fail))
            result = {"run_id": job.payload.get("run_id"), "split": job.payload.get("split"), "n_samples": 3,
                      "metrics": {"loss": 0.5, "accuracy": 0.75}}
        elif job.type == "predict":
            result = {"run_id": job.payload.get("run_id"), "task": "classification",
                      "predictions": [{"label": "b", "confidence": 0.8, "probabilities": {"a": 0.2, "b": 0.8}}]}
        elif job.type == "devices":
            result = {"devices": [{"id": "cpu"}, {"id": "gpu:0"}], "summary": "CPU + 1 GPU (fake)"}
        elif job.type == "import_model":
            result = _import_model(job)
        elif job.type == "crash":
            sys.stderr.write(str(job.payload.get("stderr", "")) + "\n")
            sys.stderr.flush()
            os._exit(int(job.payload.get("code", 3)))
        else:
            raise ProtocolError(f"The fake engine has no handler for job type {job.type!r}.")
        send(job.id, "result", result)
    except Exception as exc:  # the test sees the failure as the job's error message
        send(job.id, "error", {"message": str(exc), "traceback": traceback.format_exc()})
    fake = (job.payload.get("inline_data") or {}).get("fake") or {} if job.type == "train" else job.payload
    send("", "memory", {"rss_mb": float(fake.get("rss_mb", 100.0)), "after": job.id, "job_type": job.type})


def main() -> None:
    """Announce ``ready``, then serve jobs until EOF or ``shutdown``."""
    ready: dict[str, Any] = {"protocol": 1, "pid": os.getpid(), "versions": {"tensorflow": "fake", "keras": "fake"}}
    if "--no-devices" not in sys.argv:
        ready.update(devices=["cpu"], device="CPU (fake)")
    send("", "ready", ready)
    for line in sys.stdin:
        if not line.strip():
            continue
        obj = decode(line)
        if isinstance(obj, Job):
            _stops[obj.id], _pauses[obj.id] = threading.Event(), threading.Event()
            threading.Thread(target=_run, args=(obj,), daemon=True).start()
        elif isinstance(obj, Control):
            if obj.action == "shutdown":
                break
            stop, pause = _stops.get(obj.job_id), _pauses.get(obj.job_id)
            if stop is None or pause is None:
                continue
            if obj.action == "stop":
                stop.set()
            elif obj.action == "pause":
                pause.set()
            elif obj.action == "resume":
                pause.clear()
    os._exit(0)


if __name__ == "__main__":
    main()
