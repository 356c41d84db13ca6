"""A time series with several target columns (issue 14): the window feeds the one Input, each output predicts
its own column ``horizon`` steps after the window; bad mappings are refused naming the column and the node,
and ``check`` reports them without TensorFlow."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.services.series_helpers import LENGTH, series_graph, series_project, write_series
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project.io import save_project
from visualnn.core.validation import validate
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.facts import project_facts
from visualnn.services.datasets.inspect import inspect_source

HORIZON = 2


def _column(path: str, name: str) -> np.ndarray:
    with open(path, encoding="utf-8") as f:
        return np.array([float(row[name]) for row in csv.DictReader(f)])


def _spec(path: str, **window: Any) -> DatasetSpec:
    return DatasetSpec("timeseries", path, {"window": {"length": LENGTH, "horizon": HORIZON, **window},
                                            "split": {"val": 0.2, "test": 0.1}})


def _all(ds: Any) -> tuple[Any, Any]:
    xs, ys = zip(*[(x, y) for x, y in ds.as_numpy_iterator()], strict=True)
    return xs, ys


@pytest.mark.tf
def test_each_output_predicts_its_column_horizon_steps_after_the_window(tmp_path: Path) -> None:
    from visualnn.services.datasets.prepare import prepare

    path = write_series(str(tmp_path))
    temp, hum = _column(path, "temp"), _column(path, "hum")
    data = prepare(_spec(path, targets=["hum", "temp"]), batch_size=16, inputs=["window"], outputs=["temp", "hum"])
    single = prepare(_spec(path, target="temp"), batch_size=16, inputs=["window"], outputs=["temp"])
    assert (data.n_train, data.n_val, data.n_test) == (single.n_train, single.n_val, single.n_test)  # same windows
    assert [(p.name, p.role, p.array) for p in data.parts] == [
        ("window", "input", "window"), ("temp", "target", "temp"), ("hum", "target", "hum")]
    xs, ys = _all(data.test)
    x = np.concatenate([b["window"] for b in xs])
    y = {k: np.concatenate([b[k] for b in ys]) for k in ("temp", "hum")}
    assert x.shape == (data.n_test, LENGTH, 4 - 1) and y["temp"].shape == (data.n_test, 1)
    start = data.stats["split"]["test"][0]  # split by time: the test rows come last
    assert start > data.stats["split"]["val"][0] > data.stats["split"]["train"][0] == 0
    for i in range(data.n_test):  # the test split is not shuffled: window i starts at row start + i
        assert y["temp"][i, 0] == pytest.approx(temp[start + i + LENGTH + HORIZON - 1], abs=1e-4)
        assert y["hum"][i, 0] == pytest.approx(hum[start + i + LENGTH + HORIZON - 1], abs=1e-4)
    sx, sy = _all(single.test)
    np.testing.assert_array_equal(x, np.concatenate(sx))  # the Input sees the single-target series' windows
    np.testing.assert_array_equal(y["temp"], np.concatenate(sy))
    assert [p["role"] for p in data.stats["parts"]] == ["input", "target", "target"]
    raw = np.ones((1, LENGTH, 3))
    np.testing.assert_array_equal(data.transform(raw)["window"], single.transform(raw))  # the same scaling


@pytest.mark.tf
def test_the_single_target_series_is_unchanged_and_one_output_takes_several_columns_as_a_vector(
        tmp_path: Path) -> None:
    from visualnn.services.datasets.prepare import prepare

    path = write_series(str(tmp_path))
    single = prepare(_spec(path, target="hum"), batch_size=16, inputs=["window"], outputs=["out"])
    assert single.parts == [] and single.n_outputs == 1 and "targets" not in single.stats
    vector = prepare(_spec(path, targets=["temp", "hum"]), batch_size=16, inputs=["window"], outputs=["out"])
    assert vector.parts == [] and vector.n_outputs == 2 and vector.suggestion.units == 2
    _, ys = _all(vector.test)
    _, hs = _all(single.test)
    y = np.concatenate(ys)
    assert y.shape[1] == 2
    np.testing.assert_array_equal(y[:, 1:], np.concatenate(hs))  # column order: the targets' order


@pytest.mark.parametrize(("window", "outputs", "inputs", "message"), [
    ({"targets": ["temp", "rain"]}, ["temp", "rain"], ["window"],
     r"Output rain predicts the column 'rain', but .*series.csv has no such column \(its numeric columns: time, temp, "
     r"hum\)"),
    ({"targets": ["temp", "site"]}, ["temp", "site"], ["window"],
     r"Output site predicts the column 'site' of .*series.csv, which is categorical, not numeric"),
    ({"targets": ["temp"]}, ["temp", "hum"], ["window"], r"Output hum has no target column"),
    ({"targets": ["temp", "hum"], "outputs": {"humidity": "hum"}}, ["temp", "hum"], ["window"],
     r"The target column 'hum' is mapped to the output 'humidity', but the model has no output of that name"),
    ({"outputs": {"temp": "hum", "hum": "hum"}}, ["temp", "hum"], ["window"],
     r"The target column 'hum' feeds both outputs temp and hum"),
    ({"targets": ["temp", "hum", "time"]}, ["temp", "hum"], ["window"],
     r"The target column 'time' feeds no output: the model has no output named 'time'"),
    ({"targets": ["temp", "hum"]}, ["temp", "hum"], ["window", "extra"],
     r"The model has 2 Inputs \(window, extra\), but a time series .* feeds exactly one Input"),
    ({"targets": ["temp", "rain"]}, ["out"], ["window"], r"target column 'rain' of the output out is not found"),
])
def test_bad_target_columns_are_refused_naming_the_column_and_the_node(
        tmp_path: Path, window: dict[str, Any], outputs: list[str], inputs: list[str], message: str) -> None:
    from visualnn.services.datasets.sources import prepare_timeseries

    path = write_series(str(tmp_path))
    spec = _spec(path, **window)
    with pytest.raises(DataError, match=message):
        prepare_timeseries(spec, spec.pipeline(), inputs, outputs)


def test_inspection_shows_one_card_per_part_and_check_names_each_node_and_column(tmp_path: Path) -> None:
    write_series(str(tmp_path))
    project = series_project()
    info = inspect_source(str(tmp_path / "series.csv"), project.dataset.options if project.dataset else {},
                          kind="timeseries", inputs=["window"], outputs=["temp", "hum"])
    assert [(p.role, p.node, p.array) for p in info.parts] == [
        ("input", "window", "window"), ("target", "temp", "temp"), ("target", "hum", "hum")]
    assert info.parts[0].tensor is not None and info.parts[0].tensor.shape == (231, LENGTH, 3)
    assert info.parts[2].tensor is not None and info.parts[2].tensor.shape == (231, 1)
    project.path = str(tmp_path / "p.vnn")
    assert [i for i in validate(project, facts=project_facts(project)) if i.severity == "error"] == []

    bad = series_project(graph=series_graph(("temp", "rain", "site")), targets=["temp", "rain", "site", "hum"])
    bad.path = str(tmp_path / "p.vnn")
    issues = {i.code: i for i in validate(bad, facts=project_facts(bad)) if i.severity == "error"}
    assert issues["series-target-missing"].node_id == "out_1"
    assert "Output rain predicts the column 'rain', but series.csv has no such column" in \
        issues["series-target-missing"].message
    assert issues["series-target-not-numeric"].node_id == "out_2"
    assert "'hum' feeds no output" in issues["series-target-no-output"].message
    assert "parts-need-npz" not in issues
    wrong = series_project(graph=series_graph(features=5))
    wrong.path = str(tmp_path / "p.vnn")
    shape = [i for i in validate(wrong, facts=project_facts(wrong)) if i.code == "series-input-shape"]
    assert len(shape) == 1 and "Set window's shape to [8, 3]" in shape[0].message


def test_visualnn_check_lists_the_bad_target_columns(tmp_path: Path) -> None:
    write_series(str(tmp_path))
    project = series_project(outputs={"temp": "hum", "hum": "hum"})
    save_project(project, tmp_path / "p.vnn")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "visualnn.cli", "check", str(tmp_path / "p.vnn"), "--json"],
                         capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(root), "PATH": ""})
    assert out.returncode == 1, out.stderr
    issues = json.loads(out.stdout)["issues"]
    shared = [i for i in issues if i["code"] == "series-shared-target"]
    assert len(shared) == 1 and "The target column 'hum' feeds both outputs temp and hum" in shared[0]["message"]
    assert shared[0]["node"] == "out_1"
