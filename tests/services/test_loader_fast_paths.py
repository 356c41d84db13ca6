"""The CSV loader's shortcuts give exactly what the plain NumPy code gives.

Each shortcut exists for speed (bench/bench_data.py), and each must be invisible in the tensors and the
statistics: the one-pass float scan against NaN counts, bounds and the first overflow read value by value; the
count of distinct values against Python's set;
the three-pass mean and standard deviation against NumPy's own, bit for bit (the exported script computes
them with NumPy, and its tensors must equal the app's); the permutation drawn ahead against the split drawn
in place.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.services.datasets.columns import FLOAT32_MAX, analyze_column, float_scan
from visualnn.services.datasets.split import draw_order, split_indices
from visualnn.services.datasets.tabular import _mean_std

SPECIAL = [np.nan, np.inf, -np.inf, 1e39, -1e39, FLOAT32_MAX, -FLOAT32_MAX, 0.0, -0.0]


@st.composite
def float_columns(draw: st.DrawFn) -> pa.ChunkedArray:
    """A float32 or float64 column of 0-4 chunks mixing ordinary values, NaN, nulls, infinities and values just
    inside and beyond float32's range."""
    wide = draw(st.booleans())
    chunks = []
    for _ in range(draw(st.integers(0, 4))):
        values = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from(SPECIAL)), max_size=12))
        nulls = draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
        array = np.array(values, dtype=np.float64)
        if not wide:
            with np.errstate(over="ignore"):
                array = array.astype(np.float32)  # 1e39 becomes inf, as a float32 file column would hold it
        chunks.append(pa.array(array, mask=np.array(nulls, dtype=bool) if any(nulls) else None))
    return pa.chunked_array(chunks, type=pa.float64() if wide else pa.float32())


def reference_scan(column: pa.ChunkedArray) -> tuple[int, object, object, tuple[int, float] | None]:
    """NaN count (nulls apart), bounds of present values and first value beyond float32, value by value."""
    nan = 0
    present: list[float] = []
    overflow = None
    for row, value in enumerate(column.to_pylist(), start=1):
        if value is None:
            continue
        if value != value:
            nan += 1
            continue
        present.append(value)
        if overflow is None and abs(value) > FLOAT32_MAX:
            overflow = (row, value)
    return nan, (min(present) if present else None), (max(present) if present else None), overflow


@given(float_columns())
@settings(max_examples=300, deadline=None)
def test_the_float_scan_finds_what_a_value_by_value_reading_finds(column: pa.ChunkedArray) -> None:
    scan = float_scan(column)
    nan, lo, hi, overflow = reference_scan(column)
    assert (scan.nan_count, scan.lo, scan.hi, scan.overflow) == (nan, lo, hi, overflow)
    info = analyze_column("c", column, "data.csv", detail=False)
    assert info.n_missing == nan + column.null_count
    assert info.overflow == overflow
    assert info.n_unique == (0 if lo is None else 1 if lo == hi else -1)


@given(float_columns())
@settings(max_examples=200, deadline=None)
def test_distinct_values_are_counted_as_a_person_reads_them(column: pa.ChunkedArray) -> None:
    """The inspection's count of distinct values (NumPy's sort, not Arrow's hash): the present values as Python
    numbers, 0.0 and -0.0 one value, NaN one value (whatever its sign bit), nulls none."""
    present = [v for v in column.to_pylist() if v is not None]
    nan = any(v != v for v in present)
    expected = len({v for v in present if v == v}) + int(nan)  # Python's set: 0.0 == -0.0
    assert analyze_column("c", column, "data.csv", detail=True).n_unique == expected
    integers = pa.chunked_array([pa.array([3, -1, 3, None, 0])])
    assert analyze_column("i", integers, "data.csv", detail=True).n_unique == 3


@given(st.lists(st.floats(-1e30, 1e30).map(lambda v: float(np.float32(v))), min_size=1, max_size=3000), st.booleans())
@settings(max_examples=200, deadline=None)
def test_mean_and_std_are_numpys_bit_for_bit(values: list[float], sum_known: bool) -> None:
    x = np.array(values, dtype=np.float32).astype(np.float64)
    total = np.add.reduce(x) if sum_known else None
    assert _mean_std(x.copy(), total) == (float(x.mean(dtype=np.float64)), float(x.std(dtype=np.float64)))


@pytest.mark.parametrize("n", [1, 9, 8191, 8192, 8193, 100_003])
def test_mean_and_std_are_numpys_bit_for_bit_across_numpys_pairwise_blocks(n: int) -> None:
    """Pairwise summation splits at 8 and 128 values and NumPy buffers 8192 at a time: sizes around those."""
    rng = np.random.default_rng(n)
    x = (rng.normal(size=n) * 1e4 + 47.1).astype(np.float32).astype(np.float64)
    assert _mean_std(x.copy()) == (float(x.mean()), float(x.std()))


@given(st.integers(3, 3000), st.sampled_from([0.1, 0.2]), st.sampled_from([0.0, 0.1]), st.integers(0, 10**6))
@settings(max_examples=40, deadline=None)
def test_a_permutation_drawn_ahead_splits_as_one_drawn_in_place(n: int, val: float, test: float, seed: int) -> None:
    here = split_indices(n, val, test, seed)
    ahead = split_indices(n, val, test, seed, order=draw_order(n, seed))
    for a, b in zip((here.train, here.val, here.test), (ahead.train, ahead.val, ahead.test), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_permutation_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="10 rows, not 11"):
        split_indices(11, 0.2, 0.0, 1, order=draw_order(10, 1))
