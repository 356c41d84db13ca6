"""`visualnn explain` on the bundled examples: Grad-CAM and saliency PNG/CSV of an image, permutation importance
of the tabular example, and bad input refused with its exit code and a message naming why."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main

pytestmark = pytest.mark.tf

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _trained(example: str, tmp_path: Path, epochs: int) -> Path:
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    (path,) = folder.glob("*.vnn")
    assert main(["train", str(path), "--epochs", str(epochs)]) == 0
    return path


def test_gradcam_and_saliency_of_an_image_file(tmp_path: Path, capsys: Any) -> None:
    from PIL import Image

    path = _trained("images", tmp_path, 2)
    capsys.readouterr()
    image = next((path.parent / "shapes" / "circle").glob("*.png"))
    out = tmp_path / "cam.png"
    assert main(["explain", str(path), "--input", str(image), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "gradcam on conv2d_2" in said and f"Wrote {out}" in said
    with Image.open(out) as pic:  # the image and its overlay side by side, scaled up from 32 x 32
        assert pic.format == "PNG" and pic.width > 2 * pic.height - 1 >= 2 * 32
    heat = tmp_path / "sal.csv"
    assert main(["explain", str(path), "--input", str(image), "--method", "saliency", "-o", str(heat)]) == 0
    rows = list(csv.reader(heat.open()))
    assert len(rows) == 32 and all(len(r) == 32 for r in rows)
    assert max(float(v) for r in rows for v in r) == pytest.approx(1.0)
    # a layer that is not a convolution, and permutation importance asked of images
    assert main(["explain", str(path), "--node", "dense_1", "-o", str(tmp_path / "x.png")]) == 1
    assert "dense_1 is not a convolutional layer" in capsys.readouterr().err
    assert main(["explain", str(path), "--method", "permutation", "-o", str(tmp_path / "p.csv")]) == 1
    assert "shuffles table columns, and this model takes images" in capsys.readouterr().err


def test_permutation_importance_of_the_tabular_example(tmp_path: Path, capsys: Any) -> None:
    path = _trained("tabular", tmp_path, 3)
    capsys.readouterr()
    out = tmp_path / "imp.csv"
    assert main(["explain", str(path), "--method", "permutation", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert rows and set(rows[0]) == {"column", "accuracy_drop", "std"}
    drops = [float(r["accuracy_drop"]) for r in rows]
    assert drops == sorted(drops, reverse=True)
    assert "Permutation importance of run" in capsys.readouterr().out
    png = tmp_path / "imp.png"
    assert main(["explain", str(path), "--method", "permutation", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["explain", str(path), "--method", "gradcam", "-o", str(tmp_path / "g.png")]) == 1
    assert "explains images" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path: Path, capsys: Any) -> None:
    vnn = tmp_path / "none.vnn"
    assert main(["explain", str(vnn), "-o", str(tmp_path / "a.txt")]) == 2
    assert "write a .png or a .csv" in capsys.readouterr().err
    assert main(["explain", str(vnn), "--input", str(tmp_path / "missing.png"), "-o", str(tmp_path / "a.png")]) == 2
    assert "missing.png: no such file" in capsys.readouterr().err
    assert main(["explain", str(vnn), "-o", str(tmp_path / "a.png")]) == 2
    (tmp_path / "there.png").write_bytes(b"x")
    assert main(["explain", str(vnn), "-o", str(tmp_path / "there.png")]) == 2
    assert "--force" in capsys.readouterr().err
