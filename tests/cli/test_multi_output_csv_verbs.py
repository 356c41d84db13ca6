"""A table for a model with two outputs, a yes/no head and a number head, taken through the command line: the
columns named like the outputs become their targets, each output layer fits its own target, ``check`` checks each
head as training does, and the yes/no head's threshold is tried, kept and followed by predict and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from visualnn.cli import main


def test_a_two_output_table_fits_each_head_and_keeps_the_yes_no_heads_threshold(tmp_path: Path, capsys: Any) -> None:
    from tests.tiny_data import shop_csv
    from visualnn.core.project.io import load_project, save_project

    data = shop_csv(tmp_path / "shop.csv")
    path = tmp_path / "shop.vnn"
    assert main(["new", "-t", "multi_output", "--data", str(data), "-o", str(path)]) == 0
    out = capsys.readouterr().out
    # Before: "the multi_output template does not fit shop.csv" (only the last column was a target), and with the
    # roles set by hand the 3-class head met a yes/no target only once training started.
    assert "Columns 'kind' and 'score' are named like the model's outputs: each is the target its output is" in out
    assert "Output 'kind': units of kind set to 2, as its target needs." in out
    project = load_project(path)
    assert project.dataset is not None
    assert {n: c.role for n, c in project.dataset.columns().items()} == {"id": "ignore", "kind": "target",
                                                                       "score": "target"}
    assert main(["check", str(path)]) == 0
    assert "0 error(s)" in capsys.readouterr().out

    # A head that does not fit its target: check says so, as training would, with the fix.
    wrong = load_project(path)
    kind = next(n for n in wrong.graph if n.label == "kind")
    wrong.graph.set_param(kind.id, "units", 3)
    save_project(wrong, tmp_path / "wrong.vnn")
    assert main(["check", str(tmp_path / "wrong.vnn")]) == 1
    assert f"Output 'kind': {kind.id}: the output has 3 units but the data has 2 classes. Set units to 2." in \
        capsys.readouterr().out

    assert main(["train", str(path), "--epochs", "2"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(path), "--split", "val", "--threshold", "0.3", "--keep", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    head = report["outputs"]["kind"]["classification"]
    assert head["threshold"] == 0.3 and head["output"] == "kind" and "threshold" not in report["outputs"]["score"]
    assert load_project(path).runs[-1].extra["thresholds"] == {"kind": 0.3}

    assert main(["predict", str(path), str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Decision of 'kind': 'yes' when p('yes') > 0.3, else 'no'"
    assert [line.split()[0] for line in lines[1:4]] == ["u0", "u1", "u2"]  # named by the id column
    assert main(["predict", str(path), str(data), "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)
    rows = predicted["outputs"]["kind"]
    assert [r["label"] for r in rows] == ["yes" if r["probabilities"]["yes"] > 0.3 else "no" for r in rows]
    assert main(["export-model", str(path), "-o", str(tmp_path / "shop.keras")]) == 0
    assert "output 'kind' gives probabilities" in capsys.readouterr().out

    # The exported script decides the yes/no head at the kept threshold too (a softmax of two: its second column).
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py")]) == 0
    script = (tmp_path / "train.py").read_text()
    assert "THRESHOLDS = {'kind': 0.3}" in script.replace('"', "'")
    from tests.services.test_codegen_parity import load_module

    capsys.readouterr()
    assert main(["evaluate", str(path), "--json"]) == 0  # the test split, at the kept threshold
    kept = json.loads(capsys.readouterr().out)["outputs"]["kind"]["classification"]
    load_module(script, tmp_path / "train.py").main(["--epochs", "2", "--output", str(tmp_path / "script.keras")])
    printed = capsys.readouterr().out
    assert "First predicted classes of kind:" in printed
    assert f"Accuracy of kind at threshold 0.3: {kept['accuracy']:.4f}\n" in printed  # the same model, the same rule
