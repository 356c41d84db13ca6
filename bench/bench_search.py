"""Search overhead per trial: `visualnn search`'s machinery against training the same trials in a plain loop.

Run: ``.venv/bin/python bench/bench_search.py [--trials 6] [--rounds 5]``

The project is the bundled penguin MLP (wine-sized: a few hundred rows, an MLP) with 1 epoch per trial and 3
searched parameters. Each round runs, in alternating order:

- the search: :func:`visualnn.services.search.run_search` on a fresh SQLite study beside the project, recording
  each trial in the project file as ``visualnn search`` does (study bookkeeping, storage writes, the record
  under the project lock, deleting the models of trials outside the best K);
- the plain loop: the same trials' values (those the search sampled) applied to the project and trained with
  :func:`visualnn.services.training.run_training`, one after another, nothing recorded.

Two figures, both as a share of the plain loop's median time per trial (rounds after the warm-up one):

- the verdict: the search's own time per trial (its wall time minus the time its trials spent in
  ``run_training`` and minus opening the storage and study and computing the parameter importance at the end,
  which happen once per search and are printed apart; measured in the same run, so the machine's load cancels out). Goal: <= 5 %.
- for reference: (search time - plain loop time) / trials, median over rounds; on a busy machine this
  difference of two long runs is dominated by noise (the load average is printed).

Exits 1 when the verdict misses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "tabular"
SPACE = ("dense_1.units=8,16,32", "dropout_1.rate=0.0..0.5", "training.learning_rate=0.001..0.05:log")
GOAL = 0.05


def _project(folder: Path) -> Path:
    shutil.copy(EXAMPLE / "penguins.csv", folder / "penguins.csv")
    data = json.loads((EXAMPLE / "tabular.vnn").read_text())
    data["training"]["epochs"] = 1
    data["search"] = {"space": [], "pruner": "none", "keep_models": 2}
    path = folder / "wine.vnn"
    path.write_text(json.dumps(data))
    return path


def _search(path: Path, trials: int) -> tuple[float, list[dict[str, Any]]]:
    from visualnn.core.project.io import load_project
    from visualnn.core.search_job import SearchRequest
    from visualnn.core.search_space import parse_assignment
    from visualnn.services.search import run_search, search_settings
    from visualnn.services.search_records import FileRecorder

    for leftover in (path.parent / "wine.search.db", path.parent / "runs"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    project = load_project(path)
    project.runs = []
    project.search = project.search.with_changes(space=tuple(parse_assignment(s) for s in SPACE))
    req = SearchRequest(project=project, base_dir=str(path.parent), project_path=str(path), trials=trials)
    cfg, _, _, study = search_settings(req)
    import visualnn.services.training as training

    original = training.run_training
    inside = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            inside[0] += time.perf_counter() - t

    import visualnn.services.search as search

    opening = [0.0]
    ending = [0.0]
    names = vars(search)  # the module's namespace: run_search looks these three up there
    open_storage, open_study, importance = names["open_storage"], names["open_study"], names["param_importance"]

    def timed_open(fn: Any, bucket: list[float] = opening) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                bucket[0] += time.perf_counter() - t
        return wrapper

    training.run_training = timed  # type: ignore[assignment]
    names["open_storage"], names["open_study"] = timed_open(open_storage), timed_open(open_study)
    names["param_importance"] = timed_open(importance, ending)
    try:
        t0 = time.perf_counter()
        outcome = run_search(req, record=FileRecorder(str(path), study, cfg.resolved_direction, cfg.keep_models))
        elapsed = time.perf_counter() - t0
    finally:
        training.run_training = original  # type: ignore[assignment]
        names["open_storage"], names["open_study"] = open_storage, open_study
        names["param_importance"] = importance
    OUTSIDE.append(elapsed - inside[0] - opening[0] - ending[0])
    OPENING.append(opening[0])
    ENDING.append(ending[0])
    return elapsed, [t["params"] for t in outcome.study["trials"]]


OUTSIDE: list[float] = []  # each search's seconds outside run_training and outside opening the study
OPENING: list[float] = []  # each search's seconds opening the storage and the study (once per search, not per trial)
ENDING: list[float] = []  # each search's seconds computing parameter importance when it ends (once per search)


def _plain(path: Path, trial_values: list[dict[str, Any]]) -> float:
    from visualnn.core.project.io import load_project
    from visualnn.core.protocol import TrainRequest
    from visualnn.core.search_commands import materialize
    from visualnn.services.training import run_training

    project = load_project(path)
    t0 = time.perf_counter()
    for values in trial_values:
        run_training(TrainRequest(project=materialize(project, values), base_dir=str(path.parent)))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6)  # per search round
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="vnn-bench-search-"))
    try:
        path = _project(folder)
        shares, plain_per_trial, outside = [], [], []
        values: list[dict[str, Any]] = []
        for round_no in range(args.rounds + 1):  # round 0 warms up (imports, tracing) and is discarded
            if round_no % 2 == 0:  # search first, then the same trials in a plain loop
                search_s, values = _search(path, args.trials)
                plain_s = _plain(path, values)
            else:  # plain first (a fresh study with the same seed samples the same values), then the search
                plain_s = _plain(path, values)
                search_s, again = _search(path, args.trials)
                if again != values:
                    print(f"round {round_no}: the search sampled other values than the previous round's", flush=True)
                values = again
            if round_no == 0:
                continue
            per_trial = plain_s / args.trials
            share = (search_s - plain_s) / args.trials / per_trial
            shares.append(share)
            plain_per_trial.append(per_trial)
            outside.append(OUTSIDE[-1] / args.trials)
            print(f"round {round_no}: search {search_s:.2f} s ({OUTSIDE[-1]:.2f} s bookkeeping, {OPENING[-1]:.2f} s "
                  f"opening the study), plain "
                  f"{plain_s:.2f} s for {args.trials} trials: difference {share:+.1%} of a trial", flush=True)
        baseline = statistics.median(plain_per_trial)
        own = statistics.median(outside) / baseline
        ok = own <= GOAL
        print()
        print("figure | goal | baseline | ratio | verdict")
        print(f"search bookkeeping per 1-epoch trial | <= {GOAL:.0%} | {baseline:.3f} s/trial (plain loop) "
              f"| {own:.2%} ({statistics.median(outside) * 1000:.0f} ms) | {'PASS' if ok else 'MISS'}")
        print(f"(once per search) opening the storage and study | | | {statistics.median(OPENING[1:]) * 1000:.0f} ms |")
        print(f"(once per search) parameter importance at the end | | | {statistics.median(ENDING[1:]) * 1000:.0f} ms |")
        print(f"(reference) search - plain loop, per trial | | {baseline:.3f} s/trial | "
              f"{statistics.median(shares):+.2%} | noisy under load")
        print(f"load average: {os.getloadavg()}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
