"""`visualnn check`, `train`, `evaluate --json` and `predict` on an image folder plus a per-image CSV (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.services.image_table_helpers import image_graph, image_project, image_spec, write_images
from visualnn.cli import main


def test_check_reads_the_images_and_their_table_and_names_file_column_and_node(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import save_project

    write_images(str(tmp_path))
    good = tmp_path / "good.vnn"
    save_project(image_project(), good)
    assert main(["check", str(good)]) == 0, capsys.readouterr().out
    assert "0 error(s)" in capsys.readouterr().out
    shape = tmp_path / "shape.vnn"
    spec = image_spec().with_column("size", input="extras")
    save_project(image_project(graph=image_graph(image_shape=(16, 16, 3)), spec=spec), shape)
    assert main(["check", "--json", str(shape)]) == 1
    issues = [i for i in json.loads(capsys.readouterr().out)["issues"] if i["severity"] == "error"]
    assert [i["code"] for i in issues] == ["image-input-shape"], issues  # column groups wait for the image Input
    assert "Input image declares shape [16, 16, 3]" in issues[0]["message"] and "[8, 8, 3]" in issues[0]["message"]
    group = tmp_path / "group.vnn"
    save_project(image_project(spec=spec), group)
    assert main(["check", str(group)]) == 1
    out = capsys.readouterr().out
    assert "[group-unknown-input]" in out and "Feature column 'size' of meta.csv feeds Input 'extras'" in out
    assert "parts-need-npz" not in out
    frame = pd.read_csv(tmp_path / "meta.csv")
    frame.iloc[1:].to_csv(tmp_path / "meta.csv", index=False)
    main(["check", str(good)])  # unreadable data is a warning of check, as for every source: it names the file
    out = capsys.readouterr().out
    assert "[data-unreadable]" in out and "1 image(s) of" in out and "have no row (key column 'file'): " \
        "bright/img000.png" in out


@pytest.mark.tf
def test_train_and_evaluate_an_image_folder_with_its_table(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project.io import load_project, save_project

    write_images(str(tmp_path))
    path = tmp_path / "images.vnn"
    save_project(image_project(), path)
    assert main(["train", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "class_loss" in err + out and load_project(path).runs[-1].status == "finished"
    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "multi-output" and list(report["outputs"]) == ["class", "score"]
    assert main(["predict", str(path), str(tmp_path / "images"), "--json"]) != 0
    out, err = capsys.readouterr()
    assert "CSV with a column 'file' naming each image file relative to the CSV's folder" in out + err
    pd.read_csv(tmp_path / "meta.csv")[["file", "size"]].iloc[:3].to_csv(tmp_path / "images" / "rows.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "images" / "rows.csv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["bright/img000.png", "dark/img001.png", "bright/img002.png"]
    assert all("class: " in line and "score: " in line for line in lines), lines
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py")]) == 0
    assert 'rows = match_rows(files, table[DATA["key"]])' in (tmp_path / "train.py").read_text()
