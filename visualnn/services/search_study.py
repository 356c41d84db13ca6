"""Optuna plumbing for a search: storage, study, sampler, pruner, and the study's trials as JSON. No Qt, no TF.

Storage is any Optuna RDB URL; empty means an SQLite file beside the project. A URL that cannot be reached
fails within :data:`CONNECT_TIMEOUT_S` seconds with a message naming it (password masked). A study that
exists with another space or objective is refused, naming each difference.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from visualnn.core.search_records import COMPLETE, FAILED, PRUNED, RUNNING, WAITING
from visualnn.core.search_settings import SearchConfig, masked_url, trial_seed
from visualnn.core.search_space import (
    CHOICE,
    FLOAT,
    INT,
    OPTIONAL,
    REPEAT,
    SearchParam,
    space_differences,
    space_from_json,
    space_to_json,
)

CONNECT_TIMEOUT_S = 8.0
SPACE_ATTR, OBJECTIVE_ATTR, TRIAL_ATTR = "visualnn_space", "visualnn_objective", "visualnn"
"""Study attributes: the space and objective it was created with. Trial attribute ``visualnn``: ``{"worker":
host:pid, "beat": wall time of its last heartbeat, "run_id": its run record}`` (one write per update)."""
HEARTBEAT_S, GRACE_S = 10.0, 300.0
"""A running trial writes a heartbeat (wall time) at most every HEARTBEAT_S; one silent for GRACE_S has died."""
STATE_NAMES = {"COMPLETE": COMPLETE, "PRUNED": PRUNED, "FAIL": FAILED, "RUNNING": RUNNING, "WAITING": WAITING}

optuna.logging.set_verbosity(optuna.logging.WARNING)  # the search reports trials itself, in the user's words


class SearchError(RuntimeError):
    """A search that cannot start or go on; the message names the setting, URL or parameter and the fix.

    ``bad_input``: the space, a setting, the storage or the study is at fault (the CLI's exit 2), not training.
    """

    def __init__(self, message: str, bad_input: bool = True) -> None:
        super().__init__(message)
        self.bad_input = bad_input


def masked(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    return masked_url(url)


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """The Optuna RDB storage at ``url``; raises :class:`SearchError` naming the URL within the connect timeout."""
    kwargs: dict[str, Any] = {}
    shown = masked(url)  # messages name the URL as the user gave it
    if url.startswith("sqlite:"):
        path = url.split("sqlite:///", 1)[-1]
        folder = os.path.dirname(os.path.abspath(path)) if path and path != ":memory:" else ""
        if folder and not os.path.isdir(folder):
            raise SearchError(f"Cannot open the search storage {masked(url)}: the folder {folder} does not exist. "
                              f"Create it, or give another --storage.")
        kwargs["connect_args"] = {"timeout": 60}  # several processes on one file wait for each other's writes
    url = _with_driver(url)
    if url.startswith(("postgresql", "mysql")):
        kwargs["connect_args"] = {"connect_timeout": int(CONNECT_TIMEOUT_S)}
        kwargs["pool_pre_ping"] = True
    box: dict[str, Any] = {}

    def connect() -> None:
        for attempt in range(6):
            try:
                box["storage"] = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
                return
            except BaseException as exc:  # noqa: BLE001 - reported below with the URL
                box["error"] = exc
                if not _creation_race(exc) or attempt == 5:
                    return
                time.sleep(0.2 * (attempt + 1))  # another process is creating the tables: use them once made

    worker = threading.Thread(target=connect, name="search-storage", daemon=True)
    worker.start()
    worker.join(CONNECT_TIMEOUT_S + 1.5)
    if worker.is_alive():
        raise SearchError(f"Cannot reach the search storage {shown}: no answer within "
                          f"{CONNECT_TIMEOUT_S + 1.5:.0f} s. Check that the database server runs and that this "
                          f"machine can reach it, or leave --storage out to use an SQLite file beside the project.")
    if "storage" not in box:
        raise SearchError(f"Cannot open the search storage {shown}: {_reason(box['error'])}. Check the URL "
                          f"(e.g. postgresql://user:password@host:5432/database) and that the database server "
                          f"runs, or leave --storage out to use an SQLite file beside the project.") from None
    storage: optuna.storages.RDBStorage = box["storage"]
    if url.startswith("sqlite:"):
        _fast_sqlite(storage)
    return storage


def _fast_sqlite(storage: optuna.storages.RDBStorage) -> None:
    """Write-ahead logging with ``synchronous=NORMAL``: a commit no longer waits for the disk (a power cut may
    lose the last trials' bookkeeping, never corrupt the study), and readers do not block the writer of
    another search process. The pooled connections are replaced so each new one gets the setting."""
    from sqlalchemy import event

    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    event.listen(storage.engine, "connect", on_connect)
    storage.engine.dispose()


def _with_driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy's default (psycopg 3), else psycopg2."""
    if not url.startswith("postgresql://"):
        return url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


_RACES = ("already exists", "unique constraint", "duplicate key", "database is locked")


def _creation_race(exc: BaseException) -> bool:
    """Whether ``exc`` is two processes creating the same storage's tables at once (worth a retry)."""
    return any(words in str(exc).lower() for words in _RACES)


def _reason(exc: BaseException) -> str:
    if "DB access module" in str(exc) or isinstance(exc, ImportError) and not isinstance(exc, ModuleNotFoundError):
        return "no database driver for this URL is installed (PostgreSQL: pip install psycopg2-binary)"
    if isinstance(exc, ModuleNotFoundError):
        driver = {"psycopg2": "psycopg2-binary", "pymysql": "PyMySQL", "MySQLdb": "mysqlclient"}.get(
            str(exc.name), str(exc.name))
        return f"the database driver {exc.name} is not installed (pip install {driver})"
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def make_sampler(cfg: SearchConfig, space: Sequence[SearchParam], seed: int) -> TrialSeeded:
    """The study's sampler: each trial draws from a generator seeded with :func:`trial_seed` (``seed``, its number)."""
    return TrialSeeded(lambda trial_seed_: seeded_sampler(cfg, space, trial_seed_), seed)


class TrialSeeded(optuna.samplers.BaseSampler):
    """A sampler whose random generator is seeded per trial from the search's seed and the trial's number.

    Optuna seeds a sampler once per process, so two processes that open a fresh study with the same seed propose
    the same values trial after trial (wasted trials). Here :meth:`before_trial` (Optuna calls it as a trial is
    created, its number known) makes the trial's own sampler, seeded with ``trial_seed(seed, number)``; numbers
    are unique in a study, so every process draws differently, and a single process stays reproducible. The
    samplers read the study's history from the storage, so nothing is lost by making one per trial.
    """

    def __init__(self, make: Callable[[int], optuna.samplers.BaseSampler], seed: int) -> None:
        self.make = make
        self.seed = seed
        self.inner = make(trial_seed(seed, -1))  # until the first trial (Optuna asks nothing before it)

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        # The grid sampler stays the one made first: its shuffled grid must be the same for every trial (trial N
        # takes grid point N of it), and the storage already keeps processes from taking the same point.
        if not isinstance(self.inner, optuna.samplers.GridSampler):
            self.inner = self.make(trial_seed(self.seed, trial.number))
        self.inner.before_trial(study, trial)

    def infer_relative_search_space(self, study: optuna.Study,
                                    trial: optuna.trial.FrozenTrial) -> dict[str, BaseDistribution]:
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study: optuna.Study, trial: optuna.trial.FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return self.inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, state: optuna.trial.TrialState,
                    values: Sequence[float] | None) -> None:
        self.inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()


def seeded_sampler(cfg: SearchConfig, space: Sequence[SearchParam], seed: int) -> optuna.samplers.BaseSampler:
    """The study's kind of sampler (TPE, random, grid, CMA-ES), seeded."""
    if cfg.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if cfg.sampler == "grid":
        grid = {p.target: list(p.values() or []) for p in space}
        return _Grid(grid, seed=seed)  # type: ignore[arg-type]
    if cfg.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.TPESampler(seed=seed)


class _Grid(optuna.samplers.GridSampler):
    """Optuna's grid sampler for an ask-and-tell loop: it stops ``Study.optimize`` when the grid is done, which an
    ask-and-tell loop has not called; the search asks ``is_exhausted`` itself before each trial."""

    def after_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, state: optuna.trial.TrialState,
                    values: Sequence[float] | None) -> None:
        return None


def make_pruner(cfg: SearchConfig, epochs: int) -> optuna.pruners.BasePruner:
    """The pruner; a multi-objective study cannot prune (Optuna reports one value per step), so it has none."""
    if cfg.second_objective or cfg.pruner == "none":
        return optuna.pruners.NopPruner()
    if cfg.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs))
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


def suggest(trial: optuna.Trial, param: SearchParam) -> Any:
    """The trial's value for ``param`` (Optuna's name is the target, e.g. ``dense_1.units``)."""
    name = param.target
    if param.kind == CHOICE:
        return trial.suggest_categorical(name, list(param.choices))
    if param.kind == OPTIONAL:
        return trial.suggest_categorical(name, [True, False])
    low, high = param.low or 0, param.high or 0
    if param.kind in (INT, REPEAT):
        return trial.suggest_int(name, int(low), int(high), step=int(param.step or 1), log=param.log)
    assert param.kind == FLOAT
    return trial.suggest_float(name, float(low), float(high), step=param.step, log=param.log)


def open_study(storage: optuna.storages.RDBStorage, name: str, cfg: SearchConfig, space: Sequence[SearchParam],
               sampler: optuna.samplers.BaseSampler, pruner: optuna.pruners.BasePruner) -> optuna.Study:
    """Create the study, or load it when it exists with the same space, objective and directions."""
    directions: list[Any] = list(cfg.directions)
    objective = _objective_text(cfg)
    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    except ValueError as exc:
        raise SearchError(f"Study {name!r} in {masked(_url(storage))} cannot be used: {exc}. Give another --study "
                          f"name.") from None
    if [d.name.lower() for d in study.directions] != directions:
        raise SearchError(f"Study {name!r} in {masked(_url(storage))} optimises in the direction(s) "
                          f"{', '.join(d.name.lower() for d in study.directions)}, this search "
                          f"{', '.join(directions)}; give another --study name or the study's metric.")
    attrs = study.user_attrs
    if SPACE_ATTR in attrs:
        old = space_from_json(attrs[SPACE_ATTR])
        diff = space_differences(old, space)
        if diff or attrs.get(OBJECTIVE_ATTR, objective) != objective:
            if attrs.get(OBJECTIVE_ATTR, objective) != objective:
                diff.append(f"objective: {attrs.get(OBJECTIVE_ATTR)} in the study, {objective} now")
            raise SearchError(f"Study {name!r} in {masked(_url(storage))} was run with a different search space; "
                              f"its trials cannot be compared with this search's. Differences: {'; '.join(diff)}. "
                              f"Search the study's space again, or give a new --study name.")
    else:
        study.set_user_attr(SPACE_ATTR, space_to_json(space))
        study.set_user_attr(OBJECTIVE_ATTR, objective)
    return study


def _objective_text(cfg: SearchConfig) -> str:
    return cfg.objective + (f" + {cfg.second_objective}" if cfg.second_objective else "")


def _url(storage: optuna.storages.RDBStorage) -> str:
    return str(storage.url) if hasattr(storage, "url") else "the storage"


def worker_id() -> str:
    """This process, as ``host:pid`` (stored on the trials it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(study: optuna.Study, trial: optuna.Trial, run_id: str) -> None:
    """Record which process trains ``trial``, its run id, and that it is alive now (one storage write)."""
    study._storage.set_trial_user_attr(trial._trial_id, TRIAL_ATTR,
                                       {"worker": worker_id(), "beat": time.time(), "run_id": run_id})


def fail_dead_workers(study: optuna.Study) -> list[int]:
    """Mark failed the running trials of searches that were killed; returns their numbers.

    A trial of this machine whose process has ended fails at once; any trial whose heartbeat is older than
    :data:`GRACE_S` seconds (a machine that went away) fails too.
    """
    from visualnn.core.recovery import pid_alive

    host = socket.gethostname()
    failed = []
    now = time.time()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        attrs = trial.user_attrs.get(TRIAL_ATTR)
        attrs = attrs if isinstance(attrs, dict) else {}
        who, _, pid = str(attrs.get("worker", "")).rpartition(":")
        here_dead = who == host and pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid))
        last = attrs.get("beat")
        silent = isinstance(last, int | float) and now - last > GRACE_S and who != f"{host}:{os.getpid()}"
        if (here_dead or silent) and study._storage.set_trial_state_values(trial._trial_id,
                                                                            optuna.trial.TrialState.FAIL):
            failed.append(trial.number)
    return failed


def trial_json(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """One trial as the CLI's ``--json`` and the window show it."""
    values = [v if math.isfinite(v) else None for v in (trial.values or [])]
    return {"number": trial.number, "state": STATE_NAMES.get(trial.state.name, trial.state.name.lower()),
            "params": dict(trial.params), "value": values[0] if values else None,
            **({"values": values} if len(values) > 1 else {}),
            "run_id": (trial.user_attrs.get(TRIAL_ATTR) or {}).get("run_id"),
            "duration_s": round(trial.duration.total_seconds(), 3) if trial.duration else None}


def study_json(study: optuna.Study) -> dict[str, Any]:
    """Every trial of the study (every process's), and the best (single objective) or the Pareto front."""
    trials = [trial_json(t) for t in study.get_trials(deepcopy=False)]
    done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    out: dict[str, Any] = {"study": study.study_name, "directions": [d.name.lower() for d in study.directions],
                           "trials": trials, "best": None}
    if done and len(study.directions) == 1:
        out["best"] = trial_json(study.best_trial)
    elif done:
        out["pareto"] = [trial_json(t) for t in study.best_trials]
        out["best"] = out["pareto"][0] if out["pareto"] else None
    return out


__all__ = ["SearchError", "TrialSeeded", "fail_dead_workers", "make_pruner", "make_sampler", "masked", "open_storage",
           "open_study", "study_json", "suggest", "trial_json", "worker_id"]
