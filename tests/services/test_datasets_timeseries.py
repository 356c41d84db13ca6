"""Time-series windows: rank 3 (samples, time steps, features), targets after the horizon, split by time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visualnn.core.dataset import WindowOptions
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.timeseries import make_windows, windows_to_predict


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


def test_rows_to_predict_become_every_window_of_the_training_length() -> None:
    """A CSV of rows went to the model as one window as long as the file (59 rows into a 24-step model)."""
    import pandas as pd

    rows = pd.DataFrame({"hour": np.arange(30.0), "note": ["x"] * 30, "temp": np.arange(30.0) * 2, "hum": 1.0})
    rows.loc[4, "temp"] = np.nan  # filled with the previous value, as training fills it
    windows = windows_to_predict(rows, ["temp", "hour"], 24)  # by name, in the model's order
    assert windows.shape == (7, 24, 2)
    assert windows[0, 4, 0] == 6.0 and windows[-1, -1].tolist() == [58.0, 29.0]  # the last ends at the last row
    np.testing.assert_array_equal(windows_to_predict(np.ones((5, 24, 2)), ["temp", "hour"], 24), np.ones((5, 24, 2)))
    assert windows_to_predict(np.ones((24, 2)), ["temp", "hour"], 24).shape == (1, 24, 2)
    with pytest.raises(DataError, match="19 row\\(s\\) are too few: the model reads windows of 24"):
        windows_to_predict(rows.head(19), ["temp", "hour"], 24)
    with pytest.raises(DataError, match="the input has no column 'wind'"):
        windows_to_predict(rows, ["temp", "wind"], 24)
    with pytest.raises(DataError, match="windows of shape \\(12, 2\\) were given; the model takes windows of 24"):
        windows_to_predict(np.ones((3, 12, 2)), ["temp", "hour"], 24)


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
