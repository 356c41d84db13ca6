"""`visualnn search` on the bundled penguin MLP (1 epoch, 3 searched parameters): trials are recorded as runs,
the study resumes to more trials, --apply-best edits the project, two processes share one SQLite study, and a
search killed mid-trial loses only that trial."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import SPACE, cli, last_json, start_cli, study_trials, tiny_project
from visualnn.cli import main

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _trial_runs(path: Path) -> list[dict[str, Any]]:
    return [r for r in json.loads(path.read_text())["runs"] if "search" in r.get("extra", {})]


def test_search_records_trials_resumes_and_applies_the_best(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path)
    args = ["search", str(path), *SPACE, "--metric", "val_accuracy", "--keep-models", "1", "--json"]
    assert main([*args, "--trials", "3"]) == 0
    out = last_json(capsys.readouterr().out)
    assert out["study"] == "wine" and out["directions"] == ["maximize"]
    assert [t["number"] for t in out["trials"]] == [0, 1, 2]
    assert {t["state"] for t in out["trials"]} <= {"complete", "pruned"}
    assert set(out["trials"][0]["params"]) == {"dense_1.units", "dropout_1.rate", "training.learning_rate"}
    assert (tmp_path / "wine.search.db").exists()  # SQLite beside the project by default

    runs = _trial_runs(path)
    assert sorted(r["extra"]["search"]["trial"] for r in runs) == [0, 1, 2]
    for run in runs:  # each run trained the trial's values, and no test figure was recorded
        params = run["extra"]["search"]["params"]
        units = next(n for n in run["graph"]["nodes"] if n["id"] == "dense_1")["params"]["units"]
        assert units == params["dense_1.units"]
        assert run["config"]["learning_rate"] == pytest.approx(params["training.learning_rate"])
        assert not any(k.startswith("test_") for k in run["metrics"])
        assert run["history"]["val_accuracy"]
    with_model = [r for r in runs if r["model_path"]]
    assert len(with_model) == 1 and (tmp_path / with_model[0]["model_path"]).exists()  # only the best K=1
    for run in runs:
        if not run["model_path"]:
            assert not (tmp_path / "runs" / run["id"]).exists()
    best = out["best"]
    assert with_model[0]["extra"]["search"]["trial"] == best["number"]

    # resume: the same storage, a larger budget -> trials 3 and 4 only
    assert main([*args, "--trials", "5"]) == 0
    out = last_json(capsys.readouterr().out)
    assert [t["number"] for t in out["trials"]] == [0, 1, 2, 3, 4] and len(out["ran"]) == 2
    assert len(_trial_runs(path)) == 5

    # the budget is spent: --apply-best runs nothing and writes the best values into the project
    assert main([*args, "--trials", "5", "--apply-best"]) == 0
    out = last_json(capsys.readouterr().out)
    assert out["ran"] == [] and out["applied"] == out["best"]["number"]
    saved = json.loads(path.read_text())
    nodes = {n["id"]: n for n in saved["graph"]["nodes"]}
    assert nodes["dense_1"]["params"]["units"] == out["best"]["params"]["dense_1.units"]
    assert nodes["dropout_1"]["params"]["rate"] == pytest.approx(out["best"]["params"]["dropout_1.rate"])
    assert saved["training"]["learning_rate"] == pytest.approx(out["best"]["params"]["training.learning_rate"])


def test_two_processes_share_one_sqlite_study(tmp_path: Path) -> None:
    path = tiny_project(tmp_path)
    args = ["search", str(path), *SPACE, "--trials", "6", "--pruner", "none", "--json"]
    procs = [start_cli(*args) for _ in range(2)]
    outs = [p.communicate(timeout=400) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, stdout[-1000:] + stderr[-2000:]
    ran = [last_json(stdout)["ran"] for stdout, _ in outs]
    assert all(ran), "each process ran trials of the shared study"
    trials = study_trials("sqlite:///" + str(tmp_path / "wine.search.db"), "wine")
    finished = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(finished) == 6 and len({t.number for t in finished}) == 6
    drawn = [tuple(sorted(t.params.items())) for t in finished]
    assert len(set(drawn)) == 6, f"the processes proposed the same values (one seed): {drawn}"
    runs = _trial_runs(path)  # no process overwrote the other's records
    assert sorted(r["id"] for r in runs) == sorted(t.user_attrs["visualnn"]["run_id"] for t in finished)
    assert sorted(sum(ran, [])) == sorted(r["id"] for r in runs)


def test_a_search_killed_mid_trial_loses_only_that_trial(tmp_path: Path) -> None:
    path = tiny_project(tmp_path, epochs=5000)  # a trial long enough to be killed in the middle
    url = "sqlite:///" + str(tmp_path / "wine.search.db")
    proc = start_cli("search", str(path), *SPACE, "--trials", "2", "--json")
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if os.path.exists(tmp_path / "wine.search.db"):
                running = [t for t in _safe_trials(url) if t.state.name == "RUNNING"]
                if running and "visualnn" in running[0].user_attrs:
                    break
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            time.sleep(0.5)
        else:
            pytest.fail("the search never started a trial")
        time.sleep(2)  # inside model.fit
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    data = json.loads(path.read_text())  # resume with short trials (the space is unchanged)
    data["training"]["epochs"] = 1
    path.write_text(json.dumps(data))
    done = cli("search", str(path), *SPACE, "--trials", "2", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    out = last_json(done.stdout)
    states = {t["number"]: t["state"] for t in out["trials"]}
    assert states[0] == "failed"  # the killed trial only
    assert [s for n, s in states.items() if n > 0] == ["complete", "complete"]
    assert len(_trial_runs(path)) == 2
    assert not [e for e in os.listdir(tmp_path / "runs") if e.endswith(".partial")]  # its partial folder is gone


def _safe_trials(url: str) -> list[Any]:
    try:
        return study_trials(url, "wine")
    except KeyError:  # the study is being created
        return []
