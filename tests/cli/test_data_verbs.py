"""``visualnn data inspect`` and ``visualnn new --data``: output, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visualnn.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_inspect_prints_columns_tensors_and_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "inspect", str(EXAMPLES / "tabular" / "penguins.csv")]) == 0
    out = capsys.readouterr().out
    assert "x: (600, 7) · rank 2 (samples, features) · float32" in out
    assert "task: multiclass [adelie, chinstrap, gentoo]" in out
    assert "Dense(3, softmax) with sparse_categorical_crossentropy" in out


def test_inspect_json_for_images(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "inspect", str(EXAMPLES / "images" / "shapes"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["kind"] == "images"
    assert data["classes"] == {"circle": 60, "square": 60, "triangle": 60}
    assert data["tensors"][0]["axes"] == ["samples", "height", "width", "channels"]
    assert data["input_shape"] == [32, 32, 3]


def test_inspect_timeseries_options(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "timeseries" / "weather.csv")
    assert main(["data", "inspect", path, "--kind", "timeseries", "--window", "48", "--target", "temperature", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tensors"][0]["shape"] == [2160 - 48, 48, 3]


def test_unreadable_input_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["data", "inspect", str(empty)]) == 2
    assert "empty.csv is empty (0 bytes)" in capsys.readouterr().err
    assert main(["data", "inspect", str(tmp_path / "missing.csv"), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and "does not exist" in data["error"]


def test_new_with_data_adapts_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.vnn"
    args = ["new", "--template", "mlp_classifier", "--data", str(EXAMPLES / "tabular" / "penguins.csv"),
            "--target", "species", "-o", str(out)]
    assert main(args) == 0
    saved = json.loads(out.read_text())
    assert saved["dataset"]["kind"] == "csv" and not saved["dataset"]["path"].startswith("/")
    shapes = {n["id"]: n["params"] for n in saved["graph"]["nodes"]}
    assert shapes["input_1"]["shape"] == [7]
    assert saved["training"]["loss"] == "sparse_categorical_crossentropy"
    bad = ["new", "--template", "mlp_classifier", "--data", str(tmp_path / "gone.csv"), "-o", str(tmp_path / "q.vnn")]
    assert main(bad) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "q.vnn").exists()


def test_new_ignores_identifier_columns_and_check_warns_when_one_is_used_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tiny_data import churn_csv
    from visualnn.core.project.io import load_project, save_project

    out = tmp_path / "churn.vnn"
    assert main(["new", "-t", "mlp_classifier", "--data", str(churn_csv(tmp_path / "churn.csv")), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert ("Columns 'customer_id' and 'signup_date' have a different value in (almost) every row: an identifier, a "
            "timestamp or free text, which a model can only memorise. Their role is set to ignore; set one back to "
            "feature in the Data panel's columns to use it anyway.") in said
    project = load_project(out)
    assert {n: project.dataset.column(n).role for n in ("customer_id", "signup_date", "monthly_fee", "plan")} == {
        "customer_id": "ignore", "signup_date": "ignore", "monthly_fee": "feature", "plan": "feature"}
    assert project.graph.node("input_1").params["shape"] == [5]  # fee, three plans, calls: not 5 + 400 one-hots
    assert main(["check", str(out)]) == 0
    assert "0 warning(s)" in capsys.readouterr().out
    # The person wants the id back: the model follows, and check says what it costs, with the fix.
    project.set_dataset(project.dataset.with_column("customer_id", role="feature"))
    project.graph.set_param("input_1", "shape", [205])
    save_project(project, out)
    assert main(["check", str(out), "--json"]) == 0
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert [(i["code"], i["action"]) for i in issues] == [
        ("identifier-column", {"column": "customer_id", "role": "ignore"})]
    assert "'customer_id' of churn.csv has a different value in every row (200 of 200)" in issues[0]["message"]


def test_new_with_a_regressor_on_whole_number_scores_predicts_the_score(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tiny_data import quality_csv

    out = tmp_path / "wine.vnn"
    assert main(["new", "-t", "mlp_regressor", "--data", str(quality_csv(tmp_path / "wine.csv")), "-o", str(out)]) == 0
    assert "so they are read as a number (task regression)" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["dataset"]["options"]["task"] == "regression" and saved["training"]["loss"] == "mean_squared_error"
    assert [n["params"] for n in saved["graph"]["nodes"] if n["id"] == "dense_3"] == [{"units": 1}]
