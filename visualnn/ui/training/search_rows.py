"""What the Search view shows, computed from data only (no widgets): one row per trial, the best-so-far curve,
the parallel-coordinates lines.

Trials are runs: a finished trial is a :class:`~visualnn.core.training_config.RunRecord` with
``extra["search"] = {"study", "trial", "state", "params", "values", ...}``; a trial still training is known only
from the engine's ``trial_started`` message until its record arrives.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.search_records import COMPLETE, FAILED, PRUNED, RUNNING, trial_info
from visualnn.core.training_config import RunRecord


@dataclass(frozen=True)
class TrialRow:
    """One trial as the table lists it."""

    number: int
    state: str
    params: dict[str, Any] = field(default_factory=dict)
    values: tuple[float | None, ...] = ()
    run_id: str | None = None
    study: str = ""

    @property
    def value(self) -> float | None:
        """The first objective's value (None while running, or for a pruned or failed trial without one)."""
        value = self.values[0] if self.values else None
        return value if isinstance(value, int | float) and math.isfinite(value) else None


def row_of_run(run: RunRecord) -> TrialRow | None:
    """The trial row of a trial's run record (None for an ordinary run or a malformed record)."""
    info = trial_info(run)
    if info is None or not isinstance(info.get("trial"), int):
        return None
    values = info.get("values")
    if not isinstance(values, list):
        single = info.get("value")
        values = [single] if isinstance(single, int | float) else []
    params = info.get("params") if isinstance(info.get("params"), dict) else {}
    return TrialRow(int(info["trial"]), str(info.get("state") or COMPLETE), dict(params or {}),
                    tuple(v if isinstance(v, int | float) else None for v in values), run.id, str(info.get("study", "")))


def trial_rows(runs: Iterable[RunRecord], study: str | None, running: Mapping[int, Mapping[str, Any]],
               listed: Mapping[int, Mapping[str, Any]] | None = None) -> list[TrialRow]:
    """Every trial of ``study`` (every study when None) recorded in ``runs``, plus the ones still running, plus
    those the study's summary ``listed`` (``{"number", "state", "params", "value"}``: other machines' trials,
    which are not runs of this project), by number."""
    rows: dict[int, TrialRow] = {}
    for run in runs:
        row = row_of_run(run)
        if row is not None and (study is None or not row.study or row.study == study):
            rows[row.number] = row
    for number, data in running.items():
        if number not in rows:
            rows[number] = TrialRow(number, RUNNING, dict(data.get("params") or {}), (), None, study or "")
    for number, data in (listed or {}).items():
        if number not in rows:
            values = data.get("values") or [data.get("value")]
            rows[number] = TrialRow(number, str(data.get("state") or COMPLETE), dict(data.get("params") or {}),
                                    tuple(v if isinstance(v, int | float) else None for v in values), None,
                                    study or "")
    return [rows[n] for n in sorted(rows)]


def best_so_far(rows: Sequence[TrialRow], direction: str) -> tuple[list[int], list[float], list[float]]:
    """(trial numbers, each complete trial's value, the best value up to it) for the curve."""
    xs: list[int] = []
    values: list[float] = []
    best: list[float] = []
    for row in rows:
        if row.state != COMPLETE or row.value is None:
            continue
        v = row.value
        top = v if not best else (max(best[-1], v) if direction == "maximize" else min(best[-1], v))
        xs.append(row.number)
        values.append(v)
        best.append(top)
    return xs, values, best


def best_row(rows: Sequence[TrialRow], direction: str) -> TrialRow | None:
    """The complete trial with the best first objective."""
    done = [r for r in rows if r.state == COMPLETE and r.value is not None]
    if not done:
        return None
    return (max if direction == "maximize" else min)(done, key=lambda r: r.value or 0.0)


def pareto_front(rows: Sequence[TrialRow], directions: Sequence[str]) -> tuple[list[TrialRow], list[TrialRow]]:
    """(complete trials with two objective values, those of them no other trial beats on both), the front sorted
    by the second objective."""
    scored = [r for r in rows if r.state == COMPLETE and len(r.values) >= 2
              and all(isinstance(v, int | float) and math.isfinite(v) for v in r.values[:2])]
    signs = [1.0 if d == "maximize" else -1.0 for d in (list(directions) + ["maximize", "minimize"])[:2]]

    def better_or_equal(a: TrialRow, b: TrialRow) -> bool:
        return all(s * float(x or 0) >= s * float(y or 0) for s, x, y in zip(signs, a.values, b.values, strict=False))

    front = [r for r in scored if not any(better_or_equal(o, r) and o.values[:2] != r.values[:2] for o in scored)]
    front.sort(key=lambda r: float(r.values[1] or 0))
    return scored, front


@dataclass(frozen=True)
class ParallelAxis:
    """One vertical axis of the parallel-coordinates plot: its name and the tick labels at 0..1."""

    name: str
    ticks: tuple[tuple[float, str], ...]


def parallel_lines(rows: Sequence[TrialRow], targets: Sequence[str], metric: str) -> tuple[
        list[ParallelAxis], list[tuple[TrialRow, list[float]]]]:
    """Axes (one per searched parameter, then the metric) and, per complete trial, its position on each (0..1).

    Numbers are placed linearly between the smallest and largest value seen (a log scale when every value is > 0
    and they span more than a factor of 20); choices, names and true/false evenly in the order first seen.
    """
    done = [r for r in rows if r.state == COMPLETE and r.value is not None]
    axes: list[ParallelAxis] = []
    places: list[dict[str, float]] = [{} for _ in done]
    columns = [*targets, metric]
    for column in columns:
        raw = [r.value if column == metric else r.params.get(column) for r in done]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw) and raw
        if numeric:
            nums = [float(v) for v in raw]  # type: ignore[arg-type]
            lo, hi = min(nums), max(nums)
            log = lo > 0 and hi / lo > 20
            f = (lambda x: math.log10(x)) if log else (lambda x: x)
            span = (f(hi) - f(lo)) or 1.0
            for i, x in enumerate(nums):
                places[i][column] = (f(x) - f(lo)) / span if hi > lo else 0.5
            distinct = sorted(set(nums))
            shown = distinct if len(distinct) <= 6 else [lo, hi]  # a few values: each labelled; many: the ends
            ticks: tuple[tuple[float, str], ...] = tuple(
                ((f(x) - f(lo)) / span if hi > lo else 0.5, _short(x)) for x in shown)
        else:
            order: list[str] = []
            for v in raw:
                if repr(v) not in order:
                    order.append(repr(v))
            n = max(len(order) - 1, 1)
            for i, v in enumerate(raw):
                places[i][column] = order.index(repr(v)) / n if len(order) > 1 else 0.5
            ticks = tuple(((k / n if len(order) > 1 else 0.5), _label(o)) for k, o in enumerate(order))
        axes.append(ParallelAxis(column, ticks))
    return axes, [(row, [places[i][c] for c in columns]) for i, row in enumerate(done)]


def value_text(value: Any) -> str:
    """A parameter value as the table shows it."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)


def _short(x: float) -> str:
    return f"{x:.3g}"


def _label(text: str) -> str:
    return text.strip("'\"") if text not in ("True", "False", "None") else {"True": "yes", "False": "no"}.get(
        text, "none")


__all__ = [
    "COMPLETE", "FAILED", "PRUNED", "RUNNING", "ParallelAxis", "TrialRow", "best_row", "best_so_far",
    "parallel_lines", "pareto_front", "row_of_run", "trial_info", "trial_rows", "value_text",
]
