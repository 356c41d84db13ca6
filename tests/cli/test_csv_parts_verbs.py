"""`visualnn check`, `train`, `evaluate --json` and `predict` on a CSV whose columns are grouped into Inputs (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.services.csv_parts_helpers import GROUPS, csv_columns, csv_graph, csv_project, write_csv
from visualnn.cli import main


def test_check_reads_the_column_groups_and_names_column_and_node(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import save_project

    write_csv(str(tmp_path))
    good = tmp_path / "good.vnn"
    save_project(csv_project(), good)
    assert main(["check", str(good)]) == 0, capsys.readouterr().out
    assert "0 error(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.vnn"
    columns = csv_columns({**GROUPS, "s2": "extras"}, value={"role": "target"})
    save_project(csv_project(graph=csv_graph(tabular=4), columns=columns), bad)
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "[group-unknown-input]" in out and "Feature column 's2' of rows.csv feeds Input 'extras'" in out
    assert "[target-missing] dense_4: Output score has no target column in rows.csv" in out
    assert "parts-need-npz" not in out
    wide = tmp_path / "wide.vnn"
    save_project(csv_project(graph=csv_graph(tabular=4)), wide)
    assert main(["check", "--json", str(wide)]) == 1
    (issue,) = [i for i in json.loads(capsys.readouterr().out)["issues"] if i["severity"] == "error"]
    assert issue["code"] == "group-width" and "(x1, color, x2, x3) encode to 6 numbers" in issue["message"]


@pytest.mark.tf
def test_train_evaluate_and_predict_a_csv_with_column_groups(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import load_project, save_project

    write_csv(str(tmp_path))
    path = tmp_path / "groups.vnn"
    save_project(csv_project(), path)
    assert main(["train", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "kind_loss" in err and "test_score_mae" in out
    assert load_project(path).runs[-1].status == "finished"
    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["kind", "score"]
    assert report["outputs"]["kind"]["classification"]["per_class"]
    write_csv(str(tmp_path), n=4, seed=8, name="new.csv")
    assert main(["predict", str(path), str(tmp_path / "new.csv"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [len(rows) for rows in result["outputs"].values()] == [4, 4]
