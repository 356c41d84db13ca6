"""Attaching data adapts Input shape, output units/activation, loss and metrics (TF-free)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_data import digits_pngs, mixed_size_pngs, price_csv, three_class_csv, video_npz
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
    assert project.training.loss == "mean_squared_error"  # the catalog id the Training panel and trainer use
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


def _classes_csv(path: Path, per_class: dict[str, int]) -> Path:
    rows = [f"{i * 0.1:.2f},{i % 7},{name}\n" for name, n in per_class.items() for i in range(n)]
    path.write_text("a,b,kind\n" + "".join(rows))
    return path


def test_new_data_is_split_70_15_15_stratified_and_small_data_says_why_it_has_no_test_split(tmp_path: Path) -> None:
    from visualnn.services.datasets.attach import attach_source

    project = template("mlp_classifier").build()
    info = attach_source(project, str(_classes_csv(tmp_path / "wine.csv", {"x": 59, "y": 71, "z": 48})), "kind")
    assert project.dataset is not None
    split = project.dataset.split()
    assert (split.val, split.test, split.seed, split.stratify) == (0.15, 0.15, 42, True)
    assert info.split_note is None

    small = template("mlp_classifier").build()
    info = attach_source(small, str(_classes_csv(tmp_path / "small.csv", {"x": 30, "y": 30, "z": 8})), "kind")
    assert small.dataset is not None and small.dataset.split().test == 0.0 and small.dataset.split().val == 0.2
    assert info.split_note is not None and "class 'z' has only 8 sample(s)" in info.split_note
    assert any(p.message == info.split_note for p in info.problems)  # the Data panel's Problems list shows it

    kept = template("mlp_classifier").build()  # a split the user set is never replaced
    attach_dataset(kept, str(tmp_path / "wine.csv"), "kind", options={"split": {"val": 0.3, "test": 0.0}})
    assert kept.dataset is not None and (kept.dataset.split().val, kept.dataset.split().test) == (0.3, 0.0)


def test_images_arrays_and_series_get_the_new_split(tmp_path: Path) -> None:
    images = attach_dataset(template("cnn_small").build(), str(EXAMPLES / "images" / "shapes"))
    assert images.dataset is not None
    assert (images.dataset.split().val, images.dataset.split().test, images.dataset.split().stratify) == (0.15, 0.15,
                                                                                                        True)
    np.savez(tmp_path / "few.npz", x=np.zeros((30, 4)), y=np.arange(30) % 3)
    arrays = attach_dataset(template("mlp_classifier").build(), str(tmp_path / "few.npz"))
    assert arrays.dataset is not None and arrays.dataset.split().test == 0.0  # 10 per class: no test split
    series = attach_dataset(template("conv1d_regressor").build(), str(EXAMPLES / "timeseries" / "weather.csv"),
                            target="temperature")
    assert series.dataset is not None and series.dataset.split().test == 0.15


def test_a_wrong_target_lists_every_column_and_suggests_the_closest(tmp_path: Path) -> None:
    names = [f"feature_{i}" for i in range(13)] + ["target"]
    data = tmp_path / "wide.csv"
    data.write_text(",".join(names) + "\n" + "".join(",".join(str(i + j) for j in range(14)) + "\n" for i in range(20)))
    with pytest.raises(DataError) as err:
        attach_dataset(template("mlp_classifier").build(), str(data), target="traget")
    message = str(err.value)
    assert f"(columns: {', '.join(names)})" in message and "Did you mean 'target'?" in message
    with pytest.raises(DataError, match="Did you mean 'target'"):
        attach_dataset(template("mlp_classifier").build(), str(data), target="Target")


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
    assert fitting_templates(info, info.path) == ["mlp_classifier", "cnn_small", "vgg_blocks", "resnet_blocks",
                                                  "pretrained_mobilenetv3", "pretrained_efficientnetv2"]


def test_a_price_target_gets_a_rescaling_from_the_training_rows_statistics(tmp_path: Path) -> None:
    from visualnn.core.data_checks import target_rescaling
    from visualnn.services.datasets.sources import load_csv_arrays

    data = price_csv(tmp_path / "houses.csv")
    info = inspect_source(str(data))
    project = attach_dataset(template("mlp_regressor").build(), str(data))
    assert project.dataset is not None
    train = load_csv_arrays(replace(project.dataset, path=str(data))).y["train"].astype(np.float64)
    assert info.target_stats == pytest.approx((train.mean(), train.std()), rel=1e-6)  # the rows training fits on
    assert ("target over the training rows: mean 4.542e+05, standard deviation 1.565e+05 (far from a fresh "
            "output's 0 +- 1: a Rescaling(scale=156500, offset=454200) after the output maps it there)") in info.describe()
    assert project.graph.chain_order() == ["input_1", "dense_1", "dense_2", "dense_3", "rescaling_1"]
    assert project.graph.nodes["rescaling_1"].params == target_rescaling(*info.target_stats)
    assert validate(project, facts=facts_of(info)) == []
    again = attach_dataset(project, str(data))  # attaching again finds the output through its Rescaling
    assert [n.type for n in again.graph].count("Rescaling") == 1
    assert adapt_graph(again.graph, info.input_shape, info.suggestion, facts_of(info)).inserts == []


def test_targets_near_unit_scale_and_classes_get_no_rescaling(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    data.write_text("x,y\n" + "".join(f"{i},{i * 0.37:.3f}\n" for i in range(40)))  # mean 7, spread 4
    assert "Rescaling" not in [n.type for n in attach_dataset(template("mlp_regressor").build(), str(data)).graph]
    classes = attach_dataset(template("mlp_classifier").build(), str(price_csv(tmp_path / "h.csv")), target="city")
    assert "Rescaling" not in [n.type for n in classes.graph] and inspect_source(str(tmp_path / "h.csv")).target_stats


def test_a_series_target_statistics_are_its_training_rows_the_first_ones(tmp_path: Path) -> None:
    data = tmp_path / "load.csv"
    values = 5000 + 800 * np.sin(np.arange(300) / 9)
    data.write_text("load\n" + "".join(f"{v:.2f}\n" for v in values))
    info = inspect_source(str(data), {"window": {"length": 12, "target": "load"}}, kind="timeseries")
    n_train = 300 - int(300 * 0.15 + 0.5) * 2
    assert info.target_stats == pytest.approx((values[:n_train].mean(), values[:n_train].std()), rel=1e-6)
    project = attach_dataset(template("conv1d_regressor").build(), str(data), target="load", kind="timeseries")
    assert project.graph.sinks() == ["rescaling_1"]


def test_imbalanced_yes_no_data_suggests_precision_and_recall(tmp_path: Path) -> None:
    data = tmp_path / "fraud.csv"
    rows = [f"{i % 97},{'yes' if i % 12 == 0 else 'no'}" for i in range(600)]  # 50 of 600 are fraud
    data.write_text("amount,fraud\n" + "\n".join(rows) + "\n")
    info = inspect_source(str(data))
    assert info.classes == {"no": 550, "yes": 50} and "classes: no (550), yes (50)" in info.describe()
    assert facts_of(info).class_counts == (550, 50) and facts_of(info).class_names == ("no", "yes")
    project = attach_dataset(template("mlp_classifier").build(), str(data))
    assert project.training.metrics == ("accuracy", "precision", "recall")
    assert validate(project, facts=facts_of(info)) == []


def test_attaching_ignores_identifier_columns_nobody_set_up(tmp_path: Path) -> None:
    from tests.tiny_data import churn_csv
    from visualnn.services.datasets.attach import inspect_to_attach

    data = churn_csv(tmp_path / "churn.csv")
    graph = template("mlp_classifier").build().graph
    info, notes = inspect_to_attach(graph, str(data))
    assert info.features == ["monthly_fee", "plan", "support_calls"] and info.input_shape == (5,)
    assert len(notes) == 1 and notes[0].startswith("Columns 'customer_id' and 'signup_date' have a different value")
    # A column the person set up keeps its role (here: the date, asked for as a feature); the other is still ignored.
    told = {"columns": {"signup_date": {"role": "feature"}}}
    info, notes = inspect_to_attach(graph, str(data), options=told)
    assert info.features == ["signup_date", "monthly_fee", "plan", "support_calls"]
    assert notes[0].startswith("Column 'customer_id' has a different value") and "Its role is set to ignore" in notes[0]
    # attach_dataset (headless) stores the roles; data without such a column is read as before.
    project = attach_dataset(template("mlp_classifier").build(), str(data))
    assert project.dataset.column("customer_id").role == "ignore"
    assert inspect_to_attach(graph, str(three_class_csv(tmp_path)))[1] == []


def test_whole_number_scores_are_read_as_a_number_for_a_model_that_predicts_one(tmp_path: Path) -> None:
    from tests.tiny_data import quality_csv
    from visualnn.services.datasets.attach import inspect_to_attach

    data = str(quality_csv(tmp_path / "wine.csv"))
    regressor = template("mlp_regressor").build().graph
    info, notes = inspect_to_attach(regressor, data)
    assert info.task == "regression" and info.options["task"] == "regression"
    assert notes == ["The target 'quality' holds 6 whole numbers (3, 4, 5, 6, 7, 8), which are read as classes by "
                     "default; the model predicts one number, so they are read as a number (task regression). For "
                     "one class each instead, set the task to multiclass (Data panel, Split & pipeline: Task)."]
    project = attach_dataset(template("mlp_regressor").build(), data)
    assert project.training.loss == "mean_squared_error" and project.dataset.task() == "regression"
    # A classifier keeps the classes; a task the person chose, and text classes, are left as they are.
    assert inspect_to_attach(template("mlp_classifier").build().graph, data)[0].task == "multiclass"
    assert inspect_to_attach(regressor, data, options={"task": "multiclass"})[0].task == "multiclass"
    assert inspect_to_attach(regressor, str(three_class_csv(tmp_path)))[1] == []
