"""Time-series windows: rank 3 (samples, time steps, features), targets after the horizon, split by time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visualnn.core.dataset import WindowOptions
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.timeseries import make_windows


def test_windows_match_a_plain_loop() -> None:
    values = np.arange(40, dtype=float).reshape(20, 2)
    target = np.arange(20, dtype=float) * 10
    x, y = make_windows(values, target, WindowOptions(length=5, stride=2, horizon=3))
    starts = list(range(0, 20 - 5 - 3 + 1, 2))
    assert x.shape == (len(starts), 5, 2) and y.shape == (len(starts), 1)
    for k, s in enumerate(starts):
        np.testing.assert_array_equal(x[k], values[s : s + 5])
        assert y[k, 0] == target[s + 5 + 3 - 1]


def test_too_short_series_names_the_window() -> None:
    with pytest.raises(DataError, match="10 time steps are too few for a window of 10 plus a horizon of 1"):
        make_windows(np.zeros((10, 1)), np.zeros(10), WindowOptions(length=10))


def test_inspect_timeseries_shapes(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("t,temp,hum\n" + "".join(f"{i},{np.sin(i / 5):.3f},{i % 7}\n" for i in range(100)))
    info = inspect_source(str(path), {"window": {"length": 12, "target": "temp"}}, kind="timeseries")
    assert info.tensors[0].shape == (88, 12, 3)
    assert info.tensors[0].axes == ("samples", "time steps", "features")
    assert info.targets == ["temp"] and info.task == "regression"
    with pytest.raises(DataError, match="target column 'nope' not found"):
        inspect_source(str(path), {"window": {"target": "nope"}}, kind="timeseries")


@pytest.mark.tf
def test_windows_equal_keras_timeseries_dataset_from_array() -> None:
    import keras

    rng = np.random.default_rng(3)
    values = rng.normal(size=(60, 3))
    target = rng.normal(size=60)
    length, stride, horizon = 7, 3, 2
    x, y = make_windows(values, target, WindowOptions(length=length, stride=stride, horizon=horizon))
    shift = length + horizon - 1
    ds = keras.utils.timeseries_dataset_from_array(
        values, target[shift:], sequence_length=length, sequence_stride=stride, batch_size=1000
    )
    kx, ky = next(iter(ds))
    np.testing.assert_allclose(x, kx.numpy().astype(np.float32))
    np.testing.assert_allclose(y[:, 0], ky.numpy().astype(np.float32))
