"""`visualnn train`, `evaluate --json` and `predict` on a two-input, two-output project and its .npz (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.services.multiio_helpers import arrays, two_io_project, write_npz
from visualnn.cli import main

pytestmark = pytest.mark.tf


def test_train_evaluate_and_predict_a_two_input_two_output_project(tmp_path: Path, capsys: Any) -> None:
    import numpy as np

    from visualnn.core.project.io import load_project, save_project

    write_npz(str(tmp_path))
    path = tmp_path / "two.vnn"
    save_project(two_io_project(), path)

    assert main(["train", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "kind_loss" in err and "val_score_mae" in err  # each output's progress, as Keras names it
    assert "test_kind_accuracy" in out and "test_score_mae" in out
    run = load_project(path).runs[-1]
    assert run.status == "finished" and len(run.history["score_loss"]) == 2

    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["kind", "score"]
    assert set(report["outputs"]["kind"]["metrics"]) == {"loss", "accuracy"}
    assert len(report["outputs"]["kind"]["classification"]["confusion"]) == 3
    assert set(report["outputs"]["score"]["regression"]) >= {"mae", "rmse", "r2"}

    assert main(["evaluate", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Output 'kind' (multiclass)" in text and "Confusion matrix" in text
    assert "Output 'score' (regression)" in text and "RMSE" in text

    new = arrays(3, seed=5)
    np.savez(tmp_path / "new.npz", tabular=new["tabular"], sequence=new["sequence"])
    assert main(["predict", str(path), str(tmp_path / "new.npz")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("kind: " in line and "score: " in line for line in lines)
    assert main(["predict", str(path), str(tmp_path / "new.npz"), "--json"]) == 0
    out_json = json.loads(capsys.readouterr().out)
    assert [len(rows) for rows in out_json["outputs"].values()] == [3, 3]

    np.savez(tmp_path / "tab.npz", tabular=new["tabular"])
    assert main(["predict", str(path), str(tmp_path / "tab.npz")]) == 1
    assert "no array 'sequence' for Input node 'sequence'" in capsys.readouterr().err


def test_train_refuses_an_npz_without_an_array_for_an_input(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import save_project

    parts = arrays(60)
    del parts["sequence"]
    write_npz(str(tmp_path), **parts)
    path = tmp_path / "two.vnn"
    save_project(two_io_project(), path)
    assert main(["train", str(path)]) == 1
    err = capsys.readouterr().err
    assert "has no array 'sequence' for Input node 'sequence'; its arrays are tabular, kind, score" in err
    assert "arrays.inputs" in err
