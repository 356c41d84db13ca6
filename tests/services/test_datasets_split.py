"""The seeded split: identical for the same seed, stratified on request, reproducible with NumPy alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.split import split_by_time, split_indices


def numpy_only_split(n: int, val: float, test: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The algorithm as documented in split.py, written out the way exported code does it."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test, n_val = int(n * test + 0.5), int(n * val + 0.5)
    return np.sort(order[n_test + n_val :]), np.sort(order[n_test : n_test + n_val]), np.sort(order[:n_test])


@given(st.integers(3, 400), st.sampled_from([0.0, 0.1, 0.2, 0.25]), st.sampled_from([0.0, 0.1, 0.15]), st.integers(0, 10**6))
@settings(max_examples=60, deadline=None)
def test_split_is_a_partition_and_matches_the_documented_algorithm(n: int, val: float, test: float, seed: int) -> None:
    try:
        idx = split_indices(n, val, test, seed)
    except DataError:
        assert n - int(n * val + 0.5) - int(n * test + 0.5) < 1
        return
    together = np.concatenate([idx.train, idx.val, idx.test])
    assert sorted(together.tolist()) == list(range(n))
    ref = numpy_only_split(n, val, test, seed)
    for got, want in zip((idx.train, idx.val, idx.test), ref, strict=True):
        np.testing.assert_array_equal(got, want)


def test_same_seed_same_split_other_seed_other_split() -> None:
    a, b, c = split_indices(100, 0.2, 0.1, 7), split_indices(100, 0.2, 0.1, 7), split_indices(100, 0.2, 0.1, 8)
    np.testing.assert_array_equal(a.val, b.val)
    assert not np.array_equal(a.val, c.val)
    assert (a.train.size, a.val.size, a.test.size) == (70, 20, 10)


def test_stratified_split_keeps_class_proportions() -> None:
    labels = np.array([0] * 80 + [1] * 20)
    idx = split_indices(100, 0.2, 0.0, 3, labels, stratify=True)
    assert np.bincount(labels[idx.val]).tolist() == [16, 4]
    assert np.bincount(labels[idx.train]).tolist() == [64, 16]


def test_stratified_split_refuses_a_class_too_small() -> None:
    labels = np.array([0] * 30 + [1])
    with pytest.raises(DataError, match="Class 'rare' has only 1 sample"):
        split_indices(31, 0.2, 0.0, 0, labels, stratify=True, class_names=["common", "rare"])


def test_split_by_time_is_contiguous_and_ordered() -> None:
    train, val, test = split_by_time(100, 0.2, 0.1)
    assert (train, val, test) == (range(0, 70), range(70, 90), range(90, 100))
    with pytest.raises(DataError, match="too few"):
        split_by_time(2, 0.5, 0.4)
