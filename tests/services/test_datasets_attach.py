"""Attaching data adapts Input shape, output units/activation, loss and metrics (TF-free)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from visualnn.core.project.io import load_project, save_project
from visualnn.core.templates import template
from visualnn.services.datasets.attach import adapt_graph, attach_dataset
from visualnn.services.datasets.errors import DataError

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_binary_csv_adapts_mlp_and_saves_relative_path(tmp_path: Path) -> None:
    data = tmp_path / "data" / "churn.csv"
    data.parent.mkdir()
    data.write_text("age,plan,left\n" + "".join(f"{20 + i},{'ab'[i % 2]},{'no' if i % 3 else 'yes'}\n" for i in range(30)))
    project = attach_dataset(template("mlp_classifier").build(), str(data), target="left")
    nodes = {n.id: n for n in project.graph}
    assert nodes["input_1"].params["shape"] == [3]
    out = [n for n in project.graph if n.id in project.graph.sinks()][0]
    assert (out.params["units"], out.params["activation"]) == (1, "sigmoid")
    assert project.training.loss == "binary_crossentropy" and project.training.metrics == ("accuracy",)
    save_project(project, tmp_path / "p.vnn")
    saved = json.loads((tmp_path / "p.vnn").read_text())
    assert saved["dataset"]["path"] == "data/churn.csv"
    assert saved["dataset"]["options"]["columns"]["left"] == {"role": "target"}
    assert load_project(tmp_path / "p.vnn").dataset == project.dataset


def test_regression_target_and_unknown_target(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    data.write_text("x,y\n" + "".join(f"{i},{i * 0.37:.3f}\n" for i in range(40)))
    project = attach_dataset(template("mlp_classifier").build(), str(data))
    out = [n for n in project.graph if n.id in project.graph.sinks()][0]
    assert (out.params["units"], out.params["activation"]) == (1, "linear")
    assert project.training.loss == "mse"
    before = template("mlp_classifier").build()
    with pytest.raises(DataError, match=r"sets column 'nope' but the file has no such column \(columns: x, y\)"):
        attach_dataset(before, str(data), target="nope")
    assert before.dataset is None  # untouched on error


def test_images_and_sequences_adapt_their_templates(tmp_path: Path) -> None:
    project = attach_dataset(template("cnn_small").build(), str(EXAMPLES / "images" / "shapes"))
    assert [n for n in project.graph if n.type == "Input"][0].params["shape"] == [32, 32, 3]
    assert project.dataset is not None and project.dataset.kind == "images"
    series = attach_dataset(template("conv1d_regressor").build(), str(EXAMPLES / "timeseries" / "weather.csv"),
                            target="temperature")
    assert series.dataset is not None and series.dataset.kind == "timeseries"
    assert [n for n in series.graph if n.type == "Input"][0].params["shape"] == [24, 3]
    np.savez(tmp_path / "v.npz", x=np.zeros((10, 5, 4)), y=np.arange(10) % 4)
    lstm = attach_dataset(template("lstm_classifier").build(), str(tmp_path / "v.npz"))
    assert [n for n in lstm.graph if n.type == "Input"][0].params["shape"] == [5, 4]


def test_adapt_graph_reports_multi_input_models() -> None:
    result = adapt_graph(template("two_input").build().graph, (3,), None)
    assert result.params == [] and "2 inputs" in result.notes[0]
