"""The search's sampler seed: processes sharing one fresh SQLite study draw different values (the gap: each seeded
its sampler with seed + the trials already in the study, 0 for both, so they proposed the same values trial after
trial); one process on a fresh study repeats its search from its seed; a resumed search replays no trial."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from tests.services.search_seed_worker import SPACE
from visualnn.core.search_settings import SearchConfig, trial_seed
from visualnn.services.search_study import make_pruner, make_sampler, open_storage, open_study, suggest

ROOT = Path(__file__).resolve().parents[2]


def _params(url: str, name: str) -> list[tuple[object, ...]]:
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    return [tuple(t.params[p.target] for p in SPACE) for t in study.get_trials(deepcopy=False)]


def _search(url: str, name: str, sampler: str, seed: int, trials: int) -> list[tuple[object, ...]]:
    """``trials`` asked and told in this process, as run_search opens the study and its sampler."""
    cfg = SearchConfig(space=SPACE, sampler=sampler, seed=seed, pruner="none", metric="val_accuracy", trials=100)
    study = open_study(open_storage(url), name, cfg, SPACE, make_sampler(cfg, SPACE, cfg.seed), make_pruner(cfg, 1))
    drawn = []
    for _ in range(trials):
        trial = study.ask()
        values = {p.target: suggest(trial, p) for p in SPACE}
        study.tell(trial, float(values["dropout_1.rate"]))
        drawn.append(tuple(values[p.target] for p in SPACE))
    return drawn


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["tpe", "random", "cmaes"])
def test_two_processes_on_a_fresh_study_draw_different_values(tmp_path: Path, sampler: str) -> None:
    url = "sqlite:///" + str(tmp_path / "shared.search.db")
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ready = [tmp_path / f"ready-{i}" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.services.search_seed_worker", url, "shared", sampler,
                               "7", "4", str(r), str(go)], cwd=str(ROOT), env=env, stderr=subprocess.PIPE, text=True)
             for r in ready]
    try:
        deadline = time.monotonic() + 120
        while not all(r.exists() for r in ready):  # both opened the fresh study with the same seed
            assert all(p.poll() is None for p in procs), [p.communicate()[1][-2000:] for p in procs]
            assert time.monotonic() < deadline, "the workers never opened the study"
            time.sleep(0.05)
        go.write_text("go")
        for proc in procs:
            assert proc.wait(timeout=120) == 0, proc.communicate()[1][-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    drawn = _params(url, "shared")
    assert len(drawn) == 8
    assert len(set(drawn)) == 8, f"the two processes proposed the same values: {sorted(drawn)}"


@pytest.mark.parametrize("sampler", ["tpe", "random", "cmaes"])
def test_one_process_repeats_its_search_from_its_seed_and_a_resume_replays_nothing(tmp_path: Path,
                                                                                  sampler: str) -> None:
    first = _search("sqlite:///" + str(tmp_path / "a.db"), "s", sampler, 7, 4)
    again = _search("sqlite:///" + str(tmp_path / "b.db"), "s", sampler, 7, 4)
    assert first == again  # the same seed on a fresh study: the same trials
    other = _search("sqlite:///" + str(tmp_path / "c.db"), "s", sampler, 8, 4)
    assert other != first  # another seed, another search
    resumed = _search("sqlite:///" + str(tmp_path / "a.db"), "s", sampler, 7, 4)  # trials 4..7 of the same study
    assert not set(resumed) & set(first), "the resumed search replayed trials of the first run"


def test_trial_seeds_differ_per_trial_and_per_seed_and_stay_put() -> None:
    seeds = {trial_seed(7, n) for n in range(1000)}
    assert len(seeds) == 1000 and all(0 <= s < 2**32 for s in seeds)
    assert trial_seed(7, 0) != trial_seed(8, 0)
    assert trial_seed(7, 3) == 442239123  # fixed: a search saved today repeats tomorrow (and in the exported script)


def test_the_exported_search_script_seeds_its_trials_as_the_app_does(tmp_path: Path) -> None:
    import ast
    import hashlib

    from tests.cli.search_helpers import tiny_project
    from visualnn.cli import main

    path = tiny_project(tmp_path, space=[{"target": "dense_1.units", "kind": "choice", "choices": [8, 16]}],
                       sampler="tpe", seed=7, pruner="none", metric="val_accuracy", trials=2)
    out = tmp_path / "search.py"
    assert main(["export-code", str(path), "--search", "-o", str(out)]) == 0
    text = out.read_text()
    assert "sampler=TrialSeeded(SEARCH_SEED)" in text and "SEARCH_SEED + existing" not in text
    tree = ast.parse(text)
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "trial_seed"]
    namespace: dict[str, object] = {"hashlib": hashlib}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "search.py", "exec"), namespace)  # the script's function only
    script_seed = namespace["trial_seed"]
    assert callable(script_seed)
    assert [script_seed(7, n) for n in range(-1, 20)] == [trial_seed(7, n) for n in range(-1, 20)]
