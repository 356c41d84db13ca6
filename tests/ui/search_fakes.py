"""The engine's side of a ``search`` job, acted out on a FakeEngine's job handle: the messages the searchcore engine
sends (``search`` with ``event`` = ``study`` | ``trial_started`` | ``trial`` | ``importance``, ``epoch`` with
``trial``) and trial run records built the way the engine builds them (the project materialized with the trial's
values, ``extra["search"]``)."""

from __future__ import annotations

from typing import Any

from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.core.search_commands import materialize


def search_job(engine: FakeEngine) -> str:
    """The id of the last ``search`` job sent."""
    ids = [job_id for job_id, job_type, _payload in engine.jobs if job_type == "search"]
    assert ids, f"no search job was sent; jobs: {engine.job_types()}"
    return ids[-1]


def report(engine: FakeEngine, job_id: str, kind: str, data: dict[str, Any]) -> None:
    """One progress message of the job, as the engine client delivers it on the job's handle."""
    engine.handles[job_id]._report(kind, data)


def study_started(engine: FakeEngine, job_id: str, study: str, objective: str, direction: str, existing: int = 0) -> None:
    """The ``study`` event the engine sends once the study is open."""
    report(engine, job_id, "search", {"event": "study", "study": study, "storage": "sqlite:///x.search.db",
                                      "objective": objective, "directions": [direction], "existing": existing})


def trial_started(engine: FakeEngine, job_id: str, number: int, params: dict[str, Any]) -> None:
    """A trial starts training."""
    report(engine, job_id, "search", {"event": "trial_started", "trial": number, "params": params})


def trial_run(project: Project, study: str, number: int, params: dict[str, Any], state: str,
              value: float | None, objective: str = "val_accuracy", size: int | None = None) -> dict[str, Any]:
    """The run record of a finished trial, as the engine sends it: the trial's model and settings, its history."""
    trained = materialize(project, params)
    epochs = 2 if state == "complete" else 1
    history = {"loss": [0.9, 0.6][:epochs], objective: [0.5, value if value is not None else 0.5][:epochs]}
    return {"id": f"trial-{number}", "started": f"2026-11-30T04:{number:02d}:00", "status": "finished",
            "duration_s": 1.0 + number, "device": "cpu", "config": trained.training.to_dict(),
            "graph": trained.graph.to_dict(), "history": history, "metrics": {objective: value or 0.0},
            "model_path": None, "epochs_done": epochs,
            "extra": {"search": {"study": study, "storage": "sqlite:///x.search.db", "trial": number, "state": state,
                                 "params": dict(params),
                                 "values": [] if value is None else [value] if size is None else [value, size],
                                 "objective": objective,
                                 "directions": ["maximize"] if size is None else ["maximize", "minimize"]}}}


def trial_finished(engine: FakeEngine, job_id: str, project: Project, study: str, number: int,
                   params: dict[str, Any], state: str, value: float | None, size: int | None = None) -> None:
    """The ``trial`` event with the trial's run record (``size``: the second objective, a parameter count)."""
    run = trial_run(project, study, number, params, state, value, size=size)
    report(engine, job_id, "search", {"event": "trial", "trial": number, "state": state, "params": params,
                                      "values": run["extra"]["search"]["values"], "run": run, "drop_models": []})


def importance(engine: FakeEngine, job_id: str, shares: dict[str, float]) -> None:
    """Parameter importance (Optuna's fANOVA, computed by the engine)."""
    report(engine, job_id, "search", {"event": "importance", "importance": shares})
