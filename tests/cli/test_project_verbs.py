"""CLI project verbs: new, templates, layers, check, summary (text and --json), exit codes, no heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tiny_data import digits_pngs, mixed_size_pngs, video_npz
from visualnn.cli import main
from visualnn.cli.project_verbs import create_project, summary_main
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project.io import load_project, resolve_data_path, save_project
from visualnn.core.templates import TEMPLATES
from visualnn.services.datasets.inspect import inspect_source


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_new_then_check_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cnn.vnn"
    code, out, _ = run(capsys, "new", "--template", "cnn_small", "-o", str(target))
    assert code == 0 and "Created" in out and target.exists()
    assert load_project(target).name == "Small CNN"
    code, _, err = run(capsys, "new", "--template", "cnn_small", "-o", str(target))
    assert code == 2 and "already exists; pass --force" in err
    code, out, _ = run(capsys, "new", "--template", "mlp_regressor", "-o", str(target), "--force", "--name", "R", "--json")
    assert code == 0 and json.loads(out)["name"] == "R"

    code, out, _ = run(capsys, "check", str(target))
    assert code == 0 and "0 error(s), 0 warning(s)" in out
    code, out, _ = run(capsys, "summary", str(target))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == 'Model: "R" (sequential)'
    assert any(line.startswith("dense_1 (Dense)") and "(None, 64)" in line and "576" in line for line in lines)
    assert "Total params: 4,801 (18.75 KB)" in out and "Non-trainable params: 0 (0.00 B)" in out


def test_summary_json_and_connected_to(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "summary", "--template", "two_input", "--json")
    data = json.loads(out)
    assert code == 0 and data["total_params"] == 3268 and data["mode"] == "functional"
    concat = next(r for r in data["layers"] if r["type"] == "Concatenate")
    assert concat["connected_to"] == ["dense_1", "lstm_1"] and concat["output_shape"] == [None, 48]
    code, out, _ = run(capsys, "summary", "--template", "resnet_blocks")
    assert "add_1 (Add)" in out and "conv2d_1, conv2d_3" in out


def test_check_reports_errors_and_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = TEMPLATES["mlp_classifier"].build()
    project.graph.set_param("dropout_1", "rate", 1.5)
    path = tmp_path / "bad.vnn"
    save_project(project, path)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert "error   [bad-param] dropout_1: dropout_1 rate must be in [0, 1); received 1.5." in out
    code, out, _ = run(capsys, "check", str(path), "--json")
    data = json.loads(out)
    assert code == 1 and data["errors"] == 1 and data["issues"][0]["node"] == "dropout_1"

    broken = tmp_path / "broken.vnn"
    broken.write_text("{ nope")
    code, _, err = run(capsys, "check", str(broken))
    assert code == 2 and "broken.vnn: not valid JSON" in err and "line 1, column 3" in err
    code, out, _ = run(capsys, "check", str(tmp_path / "missing.vnn"), "--json")
    assert code == 2 and json.loads(out)["ok"] is False
    code, _, err = run(capsys, "summary", str(broken))
    assert code == 2


def test_templates_and_layers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "templates")
    assert code == 0 and all(name in out for name in TEMPLATES)
    code, out, _ = run(capsys, "templates", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == list(TEMPLATES) and rows[2]["params"] == 34826
    code, out, _ = run(capsys, "layers")
    assert code == 0 and "CORE" in out and "  Dense:" in out and "units (int) = 32" in out
    code, out, _ = run(capsys, "layers", "--json")
    data = json.loads(out)
    dense = next(s for s in data["core"] if s["type"] == "Dense")
    assert dense["params"][0] == {"name": "units", "kind": "int", "default": 32, "doc": dense["params"][0]["doc"], "range": [1, None]}
    code, out, err = run(capsys, "layers", "--category", "nope")
    assert code == 2 and "no category 'nope'" in err


def test_create_project_with_data(tmp_path: Path) -> None:
    data = tmp_path / "data" / "iris.csv"
    data.parent.mkdir()
    data.write_text("a,b,species\n" + "".join(f"{i},{i % 3},{'xyz'[i % 3]}\n" for i in range(30)))
    project = create_project("mlp_classifier", str(data), "species")
    assert project.dataset is not None and project.dataset.kind == "csv"
    assert project.dataset.options["columns"]["species"]["role"] == "target"
    save_project(project, tmp_path / "p.vnn")
    assert json.loads((tmp_path / "p.vnn").read_text())["dataset"]["path"] == "data/iris.csv"
    loaded = load_project(tmp_path / "p.vnn")
    assert loaded.dataset is not None and resolve_data_path(loaded, loaded.dataset.path) == str(data)


def test_summary_main_falls_back_to_template(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert summary_main(None) == 0
    assert "Total params:" in capsys.readouterr().out
    assert summary_main(str(tmp_path / "missing.vnn")) == 2


def test_summary_subprocess_imports_no_tensorflow_or_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from visualnn.cli import main\n"
        "rc = main(['summary', '--template', 'vgg_blocks'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'PySide6', 'numpy'))\n"
        "print('HEAVY', heavy, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY [] 0" in out and "Total params: 591,274" in out


def test_new_with_data_prints_the_split_and_why_small_data_has_no_test_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.csv"
    big.write_text("a,b,species\n" + "".join(f"{i},{i % 5},{'xyz'[i % 3]}\n" for i in range(150)))
    code, out, _ = run(capsys, "new", "--template", "mlp_classifier", "--data", str(big), "--target", "species",
                       "-o", str(tmp_path / "big.vnn"))
    assert code == 0 and "Data split: train 70%, validation 15%, test 15% (seed 42, stratified by class)." in out
    assert "No test split" not in out
    small = tmp_path / "small.csv"
    small.write_text("a,b,species\n" + "".join(f"{i},{i % 5},{'xyz'[i % 3]}\n" for i in range(30)))
    code, out, _ = run(capsys, "new", "--template", "mlp_classifier", "--data", str(small), "--target", "species",
                       "-o", str(tmp_path / "small.vnn"), "--json")
    report = json.loads(out)
    assert code == 0 and report["split"]["test"] == 0.0 and report["split"]["val"] == 0.2
    assert len(report["notes"]) == 1 and "has only 10 sample(s)" in report["notes"][0]
    saved = load_project(tmp_path / "small.vnn")
    assert saved.dataset is not None and saved.dataset.split().test == 0.0
    code, _, err = run(capsys, "new", "--template", "mlp_classifier", "--data", str(small), "--target", "specis",
                       "-o", str(tmp_path / "typo.vnn"))
    assert code == 2 and "(columns: a, b, species)" in err and "Did you mean 'species'?" in err


def _mlp_on_data(tmp_path: Path, data: Path, kind: str, shape: list[int]) -> Path:
    """The MLP template pointed at ``data`` with only its Input shape adapted: the project `new --data` used to write."""
    project = TEMPLATES["mlp_classifier"].build()
    project.graph.set_param("input_1", "shape", shape)
    project.set_dataset(DatasetSpec(kind, str(data), {}))
    path = tmp_path / f"{data.stem}.vnn"
    save_project(project, path)
    return path


@pytest.mark.parametrize(("make", "kind", "pooling"), [
    (digits_pngs, "images", "GlobalAveragePooling2D"),
    (mixed_size_pngs, "images", "GlobalAveragePooling2D"),
    (video_npz, "numpy", "GlobalAveragePooling3D"),
])
def test_check_knows_the_data_and_names_the_dense_layer_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, kind: str, pooling: str
) -> None:
    data = make(tmp_path)
    shape = list(inspect_source(str(data)).input_shape)  # e.g. [16, 16, 1]; video [4, 8, 8, 3]
    path = _mlp_on_data(tmp_path, data, kind, shape)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1, out
    incoming = ", ".join(str(d) for d in shape)
    assert f"error   [dense-rank] dense_1: dense_1 (Dense) receives (None, {incoming}), rank {len(shape) + 1} " in out
    assert f"Add a Flatten (or {pooling}) before dense_1." in out
    assert f"(checked against the data in {data.name})" in out
    code, out, _ = run(capsys, "check", str(path), "--json")
    report = json.loads(out)
    assert code == 1 and report["data"] == data.name
    assert report["issues"][0]["action"] == {"insert": "Flatten", "before": "dense_1"}


def test_check_says_when_the_data_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp_on_data(tmp_path, tmp_path / "gone_png", "images", [16, 16, 1])
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0
    assert "warning [data-unreadable] The model was not checked against the data: The data folder" in out


def test_new_adapts_the_mlp_template_to_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = digits_pngs(tmp_path)
    out_file = tmp_path / "digits.vnn"
    code, out, err = run(capsys, "new", "--template", "mlp_classifier", "--data", str(data), "-o", str(out_file))
    assert code == 0, err
    assert ("Adapted to the data: A Flatten before dense_1 lets the Dense layers see one vector per sample "
            "(the data is rank 4 (samples, height, width, channels)).") in out
    project = load_project(out_file)
    assert project.graph.chain_order() == ["input_1", "flatten_1", "dense_1", "dropout_1", "dense_2", "dense_3"]
    code, out, _ = run(capsys, "check", str(out_file))
    assert code == 0 and "0 error(s), 0 warning(s) (checked against the data in digits_png)" in out


def test_new_refuses_a_template_that_cannot_fit_and_names_those_that_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = digits_pngs(tmp_path)
    out_file = tmp_path / "lstm.vnn"
    code, out, err = run(capsys, "new", "--template", "lstm_classifier", "--data", str(data), "-o", str(out_file))
    assert code == 1 and not out_file.exists()
    assert "the lstm_classifier template does not fit" in err and "lstm.vnn was not written" in err
    assert ("Templates that fit this data: mlp_classifier, cnn_small, vgg_blocks, resnet_blocks, "
            "pretrained_mobilenetv3, pretrained_efficientnetv2.") in err
    assert "lstm_1: LSTM needs an input of rank 3 (samples, steps, features); received (None, 16, 16, 1)." in err
    code, out, _ = run(capsys, "new", "--template", "lstm_classifier", "--data", str(data), "-o", str(out_file), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["fitting_templates"][0] == "mlp_classifier"
