"""``visualnn search``: a hyperparameter search on Optuna, headless, with the same services the window uses.

``--space TARGET=SPEC`` (repeatable) adds to the space marked in the project (replacing an entry with the same
target). Trials are recorded as runs in the project file as they finish; several processes (on one machine or
many) can search the same study with ``--storage URL --study NAME``. ``--apply-best`` writes the best trial's
values into the project as one edit. Exit codes: 0 done, 1 no trial completed or training failed on every trial,
2 a bad space, setting, storage URL or file.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail
from visualnn.cli.terminal import is_terminal
from visualnn.cli.tracking_args import add_tracking_args, tracking_fields
from visualnn.core.search_settings import DIRECTIONS, PRUNERS, SAMPLERS, SECOND_OBJECTIVES
from visualnn.core.search_space import SPEC_HELP


def register(sub: Any) -> None:
    """Add the search verb."""
    p = sub.add_parser("search", help="Search hyperparameters with Optuna; each trial is recorded as a run.",
                       description="Search the hyperparameters marked in the project (and those given with --space) "
                                   "with Optuna. Trials are recorded as runs in the project file.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("--space", action="append", default=[], metavar="TARGET=SPEC",
                   help=f"a searched parameter, NODE.PARAM or training.FIELD ({SPEC_HELP}); repeatable")
    p.add_argument("--trials", type=int, help="trials in the study in total (a resumed study counts its earlier ones)")
    p.add_argument("--timeout", type=float, metavar="S", help="stop starting trials after S seconds")
    p.add_argument("--sampler", choices=SAMPLERS, help="tpe (default), random, grid or cmaes")
    p.add_argument("--pruner", choices=PRUNERS, help="median (default), hyperband or none")
    p.add_argument("--seed", type=int, help="the sampler's seed (default: the project's search seed, 42)")
    p.add_argument("--metric", help="the validation figure to optimise: val_loss (default), val_accuracy, ...")
    p.add_argument("--direction", choices=DIRECTIONS, help="default: maximize accuracy-like metrics, minimize others")
    p.add_argument("--second-objective", dest="second_objective", choices=[s for s in SECOND_OBJECTIVES if s],
                   help="also minimise the parameter count (multi-objective; the Pareto front is reported)")
    p.add_argument("--keep-models", dest="keep_models", type=int, help="trials that keep their model file (best K)")
    p.add_argument("--storage", help="an Optuna RDB URL (default: sqlite:///<project>.search.db beside the project)")
    p.add_argument("--study", help="the study name (default: the project file's name)")
    p.add_argument("--apply-best", dest="apply_best", action="store_true",
                   help="write the best trial's values into the project file (one edit)")
    add_tracking_args(p)  # --mlflow URI: the study as a parent run, each trial nested under it
    p.add_argument("--json", action="store_true", help="print the study (every trial) as JSON")
    p.set_defaults(func=search_main, tensorflow=True)


def _config(args: argparse.Namespace) -> Any:
    """The project and its search with the command line's changes; raises ValueError/ProjectFileError."""
    from visualnn.core.project.io import load_project
    from visualnn.core.search_space import merged, parse_assignment

    project = load_project(args.file)
    extra = [parse_assignment(text) for text in args.space]
    changes: dict[str, Any] = {"space": merged(project.search.space, extra)}
    for key in ("sampler", "pruner", "seed", "metric", "direction", "second_objective", "keep_models", "storage",
                "study"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    project.search = project.search.with_changes(**changes)
    return project


def search_main(args: argparse.Namespace) -> int:
    """Run the search, print the trials (or the study as JSON), optionally apply the best values."""
    import os

    from visualnn.core.search_job import SearchRequest
    from visualnn.services.search import run_search, search_settings
    from visualnn.services.search_records import FileRecorder
    from visualnn.services.search_study import SearchError
    from visualnn.services.training_common import TrainingError

    try:
        project = _config(args)
    except (OSError, ValueError) as exc:
        return fail(str(exc), ExitCode.BAD_INPUT, args.json)
    path = os.path.abspath(args.file)
    req = SearchRequest(project=project, base_dir=os.path.dirname(path), project_path=path, trials=args.trials,
                        timeout_s=args.timeout, **tracking_fields(args, path))
    try:
        cfg, _, _, study = search_settings(req)
    except SearchError as exc:
        return fail(str(exc), ExitCode.BAD_INPUT, args.json)
    stop = threading.Event()

    def on_interrupt(*_: Any) -> None:
        stop.set()
        sys.stderr.write("\nstopping: the trial being trained is recorded as failed; run the same command to resume.\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    progress = SearchProgress(cfg.trials) if not args.json else None
    try:
        outcome = run_search(req, progress or (lambda k, d: None), stop,
                             record=FileRecorder(path, study, cfg.resolved_direction, cfg.keep_models))
    except SearchError as exc:
        return fail(str(exc), ExitCode.BAD_INPUT if exc.bad_input else ExitCode.ERRORS, args.json)
    except (TrainingError, OSError, ValueError) as exc:
        return fail(str(exc), ExitCode.ERRORS, args.json)
    finally:
        signal.signal(signal.SIGINT, previous)
    summary = outcome.to_json()
    best = summary.get("best")
    if args.apply_best and best:
        try:
            _apply_best(path, best)
        except (OSError, ValueError) as exc:
            return fail(f"Cannot apply the best trial ({best['number']}): {exc}", ExitCode.ERRORS, args.json)
        summary["applied"] = best["number"]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary, cfg.objective, path, bool(args.apply_best and best))
    if outcome.error:
        return fail(outcome.error, ExitCode.ERRORS, args.json)
    if not best:
        if not args.json:
            print("visualnn: no trial of the study has completed; see the failed trials' reasons above.",
                  file=sys.stderr)
        return int(ExitCode.ERRORS)
    return int(ExitCode.OK)


def _apply_best(path: str, best: dict[str, Any]) -> None:
    """Write the best trial's values into the project file as one edit (under the project lock)."""
    from visualnn.core.command_base import UndoStack
    from visualnn.core.project.io import load_project, save_project
    from visualnn.core.search_commands import apply_values
    from visualnn.services.search_records import ProjectLock

    with ProjectLock(path):
        project = load_project(path)
        UndoStack(project).push(apply_values(best["params"], f"trial {best['number']}"))
        save_project(project, path)


def _print_summary(summary: dict[str, Any], objective: str, path: str, applied: bool) -> None:
    trials = summary["trials"]
    print(f"Study {summary['study']!r} ({summary['storage']}): {len(trials)} trial(s), this process ran "
          f"{len(summary['ran'])}; ended: {summary['ended']}.")
    for t in trials:
        value = "" if t["value"] is None else f"{t['value']:.4f}"
        params = ", ".join(f"{k}={_short(v)}" for k, v in t["params"].items())
        print(f"  #{t['number']:<4} {t['state']:<9} {value:>9}  {params}")
    best = summary.get("best")
    if best:
        print(f"Best: trial {best['number']}, {objective} {best['value']:.4f}: "
              + ", ".join(f"{k}={_short(v)}" for k, v in best["params"].items()))
        for front in summary.get("pareto") or []:
            print(f"  Pareto: trial {front['number']}: {front['values']}")
    if applied:
        print(f"Applied trial {best['number'] if best else '?'}'s values to {path}.")


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class SearchProgress:
    """Progress on stderr: a bar over the study's trial budget redrawn in place on a terminal, a line per trial
    otherwise."""

    def __init__(self, budget: int | None, stream: Any = None, width: int = 24) -> None:
        self.budget = budget
        self.stream = stream or sys.stderr
        self.tty = is_terminal(self.stream)
        self.width = width
        self.done = 0
        self.best: float | None = None
        self.last = 0.0
        self.trial = -1
        self.direction = "minimize"

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        """Sink for the search's messages."""
        if kind == "search":
            self._search(data)
        elif kind == "epoch" and self.tty and time.perf_counter() - self.last > 0.1:
            self.last = time.perf_counter()
            self._bar(f"trial {data.get('trial')} epoch {data['epoch']}/{data['epochs']}")
        elif kind == "log" and data.get("level") in ("warning", "error"):
            self.stream.write(f"\n{data.get('level')}: {data.get('text', '')}\n")
        self.stream.flush()

    def _search(self, data: dict[str, Any]) -> None:
        event = data.get("event")
        if event == "study":
            self.done = int(data.get("existing") or 0)
            self.direction = (data.get("directions") or ["minimize"])[0]
            self.stream.write(f"Study {data['study']!r} in {data['storage']}: {self.done} earlier trial(s); "
                              f"optimising {data['objective']} ({self.direction}).\n")
        elif event == "trial_started":
            self.trial = int(data["trial"])
            if self.tty:
                self._bar(f"trial {self.trial}")
        elif event == "trial":
            self.done += 1
            values = data.get("values") or []
            value = values[0] if values else None
            if data.get("state") == "complete" and isinstance(value, float):
                better = self.best is None or (value > self.best if self.direction == "maximize" else value < self.best)
                self.best = value if better else self.best
            text = f"trial {data['trial']}: {data['state']}" + (f" {value:.4f}" if isinstance(value, float) else "")
            if self.tty:
                self.stream.write("\r" + " " * 100 + "\r")
            self.stream.write(text + "\n")

    def _bar(self, what: str) -> None:
        total = self.budget or 0
        filled = int(self.width * min(self.done, total) / total) if total else 0
        bar = "█" * filled + "·" * (self.width - filled)
        best = "" if self.best is None else f" · best {self.best:.4f}"
        self.stream.write(f"\r[{bar}] {self.done}/{total or '?'} · {what}{best}   ")
