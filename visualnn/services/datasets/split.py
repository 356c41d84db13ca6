"""Seeded, optionally stratified train/validation/test split, reproducible with NumPy alone.

The algorithm (exported code repeats it line for line, so the app and the script see the same rows):

1. ``rng = numpy.random.default_rng(seed)``.
2. Not stratified: ``order = rng.permutation(n)``; ``n_test = int(n * test + 0.5)``,
   ``n_val = int(n * val + 0.5)``; test = ``order[:n_test]``, validation = ``order[n_test:n_test + n_val]``,
   train = the rest.
3. Stratified (class labels given): for each class in ascending label order, ``idx`` = positions
   of that class (ascending), ``idx = idx[rng.permutation(len(idx))]``, and the same three cuts are
   made per class with that class's count; the per-class pieces are concatenated.
4. Each of the three index arrays is sorted ascending (the rows keep their file order; shuffling
   is the pipeline's job).

Time series are split by time instead: :func:`split_by_time` returns contiguous ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from visualnn.services.datasets.errors import DataError


@dataclass(frozen=True)
class SplitIndices:
    """Row positions of each split (sorted ascending)."""

    train: Any  # numpy int64 array
    val: Any
    test: Any


def _cut(n: int, frac: float) -> int:
    # Round half up (not numpy's banker's rounding) so the rule is easy to state and re-implement.
    return int(n * frac + 0.5)


def draw_order(n: int, seed: int) -> Any:
    """Rule 2's permutation of ``n`` rows, to hand to :func:`split_indices` as ``order``. NumPy draws it without
    the GIL (25 ms for a million rows), so a caller can draw it on a thread while it reads the columns."""
    import numpy as np

    return np.random.default_rng(seed).permutation(n)


def split_indices(
    n: int,
    val: float,
    test: float,
    seed: int,
    labels: Any = None,
    stratify: bool = False,
    class_names: list[str] | None = None,
    order: Any = None,
) -> SplitIndices:
    """Train/validation/test row positions for ``n`` samples (see the module docstring for the exact rule).

    ``order``: :func:`draw_order` of ``(n, seed)`` when already drawn (used by the split that is not stratified).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    if not stratify or labels is None:
        if order is None:
            order = rng.permutation(n)
        elif len(order) != n:
            raise ValueError(f"the order drawn has {len(order)} rows, not {n}")
        n_test, n_val = _cut(n, test), _cut(n, val)
        if n - n_test - n_val < 1:
            raise DataError(
                f"{n} samples are too few for validation {val} and test {test}: nothing would be left for "
                "training. Lower the fractions or add data."
            )
        # Marking each row's split and reading positions back gives the sorted arrays of rule 4
        # in linear time (no sort of a million indices).
        which = np.zeros(n, dtype=np.int8)
        which[order[n_test : n_test + n_val]] = 1
        which[order[:n_test]] = 2
        del order
        return SplitIndices(*(np.flatnonzero(which == k).astype(np.int64, copy=False) for k in (0, 1, 2)))
    else:
        labels = np.asarray(labels)
        parts_t: list[Any] = []
        parts_v: list[Any] = []
        parts_s: list[Any] = []
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            idx = idx[rng.permutation(len(idx))]
            c = len(idx)
            c_test, c_val = _cut(c, test), _cut(c, val)
            needed = 1 + (val > 0) + (test > 0)
            if c < needed or c - c_test - c_val < 1 or (val > 0 and c_val < 1) or (test > 0 and c_test < 1):
                name = class_names[int(label)] if class_names is not None else str(label)
                raise DataError(
                    f"Class {name!r} has only {c} sample(s); a stratified split with validation {val} and "
                    f"test {test} needs at least one sample of each class in every split ({needed} splits). "
                    "Add samples of that class, lower the fractions or turn stratification off."
                )
            parts_s.append(idx[:c_test])
            parts_v.append(idx[c_test : c_test + c_val])
            parts_t.append(idx[c_test + c_val :])
        parts = [np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for p in (parts_t, parts_v, parts_s)]
    train, val_idx, test_idx = (np.sort(p).astype(np.int64) for p in parts)
    return SplitIndices(train, val_idx, test_idx)


def split_by_time(n: int, val: float, test: float) -> tuple[range, range, range]:
    """Contiguous train, validation and test ranges in time order (no shuffling: no look-ahead)."""
    n_test, n_val = _cut(n, test), _cut(n, val)
    n_train = n - n_val - n_test
    if n_train < 1:
        raise DataError(f"{n} time steps are too few for validation {val} and test {test}; lower the fractions.")
    return range(0, n_train), range(n_train, n_train + n_val), range(n_train + n_val, n)
