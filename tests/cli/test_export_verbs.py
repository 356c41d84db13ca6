"""``visualnn export-code | export-model | import-model`` end to end (in-process CLI)."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _example(tmp_path: Path, kind: str = "tabular") -> Path:
    shutil.copytree(ROOT / "resources" / "examples" / kind, tmp_path / kind)
    return tmp_path / kind / f"{kind}.vnn"


def _json(capsys: Any) -> dict[str, Any]:
    out = capsys.readouterr().out.strip().splitlines()
    return dict(json.loads(out[-1]))


def test_export_code_writes_script_and_requirements(tmp_path: Path, capsys: Any) -> None:
    vnn = _example(tmp_path)
    out = tmp_path / "scripts" / "train.py"
    rc = main(["export-code", str(vnn), "-o", str(out), "--style", "subclass", "--requirements",
               str(tmp_path / "requirements.txt"), "--json"])
    assert rc == 0
    result = _json(capsys)
    assert result["ok"] and result["style"] == "subclass"
    code = out.read_text()
    ast.parse(code)
    assert '"path": "../tabular/penguins.csv"' in code  # relative to the script's folder
    assert "tensorflow==" in (tmp_path / "requirements.txt").read_text()


def test_export_code_model_only_and_style_errors(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import save_project
    from visualnn.core.templates import TEMPLATES

    vnn = tmp_path / "resnet.vnn"
    save_project(TEMPLATES["resnet_blocks"].build(), vnn)
    assert main(["export-code", str(vnn), "-o", str(tmp_path / "m.py"), "--model-only"]) == 0
    assert "def build_model()" in (tmp_path / "m.py").read_text()
    assert (tmp_path / "requirements.txt").read_text().startswith("# Written by VisualNN")  # beside the script
    capsys.readouterr()
    # The model cannot be written in that style: exit 1, the model has errors (exit 2 is for unreadable input).
    assert main(["export-code", str(vnn), "-o", str(tmp_path / "s.py"), "--style", "sequential", "--json"]) == 1
    err = _json(capsys)
    assert not err["ok"] and "functional or subclass" in err["error"]
    assert main(["export-code", str(tmp_path / "missing.vnn"), "-o", str(tmp_path / "x.py")]) == 2


@pytest.mark.tf
def test_export_model_untrained_tflite_prints_the_parity_report(tmp_path: Path, capsys: Any) -> None:
    vnn = _example(tmp_path)
    rc = main(["export-model", str(vnn), "-o", str(tmp_path / "model.tflite"), "--samples", "64", "--json"])
    result = _json(capsys)
    report = result["report"]
    assert rc == (0 if report["passed"] else 1)
    # The exported model takes raw rows; the check feeds it raw held-out rows and says what to feed.
    assert report["format"] == "tflite" and report["sample_source"].startswith("raw rows of the ")
    assert 0 < report["samples"] <= 64 and report["feed"] and report["inputs_file"].endswith("model.inputs.json")
    assert report["max_abs_diff"] <= 1e-5 and rc == 0
    assert any("untrained" in n for n in report["notes"])


@pytest.mark.tf
def test_import_model_with_weights_then_export_the_run(tmp_path: Path, capsys: Any) -> None:
    import keras

    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(keras.layers.Concatenate(name="cat")([a, b]))
    model = keras.Model([a, b], keras.layers.Dense(3, activation="softmax", name="out")(hidden), name="two_in")
    src = tmp_path / "two_in.keras"
    model.save(src)
    vnn = tmp_path / "imported.vnn"
    assert main(["import-model", str(src), "-o", str(vnn), "--weights", "--json"]) == 0
    result = _json(capsys)
    assert result["layers"] == 5 and result["params"] == model.count_params() and len(result["runs"]) == 1
    out = tmp_path / "again.keras"
    assert main(["export-model", str(vnn), "-o", str(out), "--json"]) == 0
    exported = _json(capsys)
    assert exported["run"] == result["runs"][0] and exported["report"]["max_abs_diff"] == 0.0
    stored = json.loads(vnn.read_text())["runs"][0]["extra"]["exports"]
    assert stored[0]["format"] == "keras" and stored[0]["passed"] is True


@pytest.mark.tf
def test_import_model_refuses_lambda_layers(tmp_path: Path, capsys: Any) -> None:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2, name="double")])
    path = tmp_path / "lambda.json"
    path.write_text(model.to_json())
    assert main(["import-model", str(path), "-o", str(tmp_path / "x.vnn")]) == 2
    assert "'double' is a Lambda layer" in capsys.readouterr().err
    assert not (tmp_path / "x.vnn").exists()
