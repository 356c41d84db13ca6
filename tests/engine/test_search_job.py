"""The engine's `search` job: study and trial events through the sink, trial runs streamed, the study as result."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import visualnn.engine.handlers_search  # noqa: F401  (registers the handler)
from tests.cli.search_helpers import tiny_project
from visualnn.core.project.io import ProjectFileError, load_project
from visualnn.core.search_job import SearchRequest
from visualnn.core.search_space import parse_assignment
from visualnn.engine import JobContext, handler_for

pytestmark = pytest.mark.tf


def _payload(path: Path, trials: int, **search: Any) -> dict[str, Any]:
    project = load_project(path)
    space = tuple(parse_assignment(t) for t in ("dense_1.units=8,16", "training.batch_size=16,32"))
    project.search = project.search.with_changes(space=space, keep_models=1, **search)
    return SearchRequest(project=project.to_dict(), base_dir=str(path.parent), project_path=str(path),
                         trials=trials).to_dict()


def test_search_job_streams_trials_and_returns_the_study(tmp_path: Path) -> None:
    path = tiny_project(tmp_path)
    messages: list[tuple[str, dict[str, Any]]] = []
    handler = handler_for("search")
    assert handler is not None
    result = handler(JobContext("j1", _payload(path, 2), lambda k, d: messages.append((k, d))))
    events = [d for k, d in messages if k == "search"]
    assert [e["event"] for e in events] == ["study", "trial_started", "trial", "trial_started", "trial"]
    assert events[0]["study"] == "wine" and events[0]["existing"] == 0
    trials = [e for e in events if e["event"] == "trial"]
    for number, event in enumerate(trials):
        run = event["run"]
        assert event["trial"] == number and run["extra"]["search"]["params"] == event["params"]
        assert run["extra"]["search"]["state"] == event["state"] == "complete"
    assert any(k == "epoch" and d.get("trial") == 0 for k, d in messages)  # the trial's training progress
    kept = [e["run"]["id"] for e in trials if e["run"]["model_path"]]
    dropped = sum((e["drop_models"] for e in trials), [])
    assert len(kept) == 2 and len(dropped) == 1  # keep_models=1: the worse one's model went once the 2nd finished
    assert not (tmp_path / "runs" / dropped[0]).exists()
    assert [t["number"] for t in result["trials"]] == [0, 1] and result["best"] is not None
    assert result["ended"] == "budget" and "wine.search.db" in result["storage"]
    assert "importance" not in result  # 2 complete trials are too few for fANOVA


def test_parameter_importance_arrives_once_four_trials_are_complete(tmp_path: Path) -> None:
    messages: list[tuple[str, dict[str, Any]]] = []
    handler = handler_for("search")
    assert handler is not None
    result = handler(JobContext("j5", _payload(tiny_project(tmp_path), 4, sampler="grid"),
                                lambda k, d: messages.append((k, d))))
    events = [d for k, d in messages if k == "search"]
    assert [e["event"] for e in events][-2:] == ["trial", "importance"]  # once, after the last trial
    shares = events[-1]["importance"]
    assert set(shares) == {"dense_1.units", "training.batch_size"}  # the searched targets, as the UI names them
    assert all(0.0 <= v <= 1.0 for v in shares.values()) and sum(shares.values()) == pytest.approx(1.0)
    assert result["importance"] == shares  # the job's result carries it too (the window reads either)


def test_stop_ends_the_search_and_fails_the_trial_being_trained(tmp_path: Path) -> None:
    path = tiny_project(tmp_path, epochs=500)
    stop = threading.Event()

    def sink(kind: str, data: dict[str, Any]) -> None:
        if kind == "epoch" and data["epoch"] >= 2:
            stop.set()

    handler = handler_for("search")
    assert handler is not None
    result = handler(JobContext("j2", _payload(path, 3, pruner="none"), sink, stop))
    assert result["ended"] == "stopped"
    (trial,) = result["trials"]
    assert trial["state"] == "failed"


def test_a_malformed_project_fails_the_job_naming_the_path(tmp_path: Path) -> None:
    payload = _payload(tiny_project(tmp_path), 1)
    payload["project"]["search"]["trials"] = "many"
    handler = handler_for("search")
    assert handler is not None
    with pytest.raises(ProjectFileError, match="the search job's project: search: trials must be"):
        handler(JobContext("j3", payload, lambda k, d: None))


@pytest.mark.parametrize(("search", "trials", "check"), [
    ({"sampler": "grid"}, 9, "grid"),  # 2 x 2 points: the grid ends the search before the budget
    ({"sampler": "cmaes", "pruner": "hyperband", "seed": 3}, 2, "budget"),
    ({"sampler": "random", "second_objective": "params", "metric": "val_accuracy"}, 2, "pareto"),
])
def test_samplers_pruners_and_two_objectives(tmp_path: Path, search: dict[str, Any], trials: int, check: str) -> None:
    handler = handler_for("search")
    assert handler is not None
    result = handler(JobContext("j4", _payload(tiny_project(tmp_path), trials, **search), lambda k, d: None))
    states = [t["state"] for t in result["trials"]]
    if check == "grid":
        assert result["ended"] == "grid exhausted" and states == ["complete"] * 4
        assert sorted((t["params"]["dense_1.units"], t["params"]["training.batch_size"]) for t in result["trials"]) \
            == [(8, 16), (8, 32), (16, 16), (16, 32)]
    elif check == "budget":
        assert result["ended"] == "budget" and len(states) == 2
    else:
        assert result["directions"] == ["maximize", "minimize"]
        assert all(len(t["values"]) == 2 and t["values"][1] > 0 for t in result["trials"])  # accuracy, param count
        assert result["pareto"] and result["best"] in result["pareto"]
