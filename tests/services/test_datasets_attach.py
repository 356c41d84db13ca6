"""Attaching data adapts Input shape, output units/activation, loss and metrics (TF-free)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_data import digits_pngs, mixed_size_pngs, three_class_csv, video_npz
from visualnn.core.project.io import load_project, save_project
from visualnn.core.shapes import infer_shapes
from visualnn.core.templates import template
from visualnn.core.validation import validate
from visualnn.services.datasets.attach import adapt_graph, attach_dataset, fitting_templates
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.facts import facts_of, project_facts
from visualnn.services.datasets.inspect import inspect_source

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


def test_facts_of_images_video_and_csv(tmp_path: Path) -> None:
    digits = facts_of(inspect_source(str(digits_pngs(tmp_path))))
    assert (digits.task, digits.n_classes, digits.label_format) == ("classification", 3, "int")
    assert (digits.input_kind, digits.input_shape, digits.target_shape, digits.source) == (
        "images", (16, 16, 1), (), "digits_png")
    video = facts_of(inspect_source(str(video_npz(tmp_path))))
    assert (video.input_kind, video.input_shape, video.n_classes) == ("video", (4, 8, 8, 3), 3)
    table = facts_of(inspect_source(str(three_class_csv(tmp_path))))
    assert (table.input_kind, table.input_shape, table.n_classes, table.target_shape) == ("table", (4,), 3, ())


def test_the_mlp_template_adapts_to_images_with_a_flatten(tmp_path: Path) -> None:
    for folder in (digits_pngs(tmp_path), mixed_size_pngs(tmp_path)):
        project = attach_dataset(template("mlp_classifier").build(), str(folder))
        assert [n.type for n in project.graph][:3] == ["Input", "Flatten", "Dense"]
        facts = project_facts(project)
        assert facts is not None and validate(project, facts=facts) == []
    video = attach_dataset(template("mlp_classifier").build(), str(video_npz(tmp_path)))
    assert video.graph.chain_order()[1] == "flatten_1" and infer_shapes(video.graph).output("dense_3") == (None, 3)
    adapted = adapt_graph(template("mlp_classifier").build().graph, (16, 16, 1), None,
                          facts_of(inspect_source(str(tmp_path / "digits_png"))))
    assert adapted.inserts == [{"insert": "Flatten", "before": "dense_1"}]
    assert adapted.notes == ["A Flatten before dense_1 lets the Dense layers see one vector per sample "
                             "(the data is rank 4 (samples, height, width, channels))."]


def test_templates_that_fit_the_data(tmp_path: Path) -> None:
    info = inspect_source(str(digits_pngs(tmp_path)))
    assert fitting_templates(info, info.path) == ["mlp_classifier", "cnn_small", "vgg_blocks", "resnet_blocks"]
