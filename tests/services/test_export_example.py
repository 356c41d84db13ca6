"""TFLite parity on the bundled image example, trained briefly: float32 exact, int8 keeps the classes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf
ROOT = Path(__file__).resolve().parents[2]


def test_image_example_tflite_float32_and_int8(tmp_path: Path) -> None:
    from visualnn.core.project.io import load_project
    from visualnn.core.protocol import TrainRequest
    from visualnn.services.export_project import export_project
    from visualnn.services.training import run_training

    folder = tmp_path / "images"
    shutil.copytree(ROOT / "resources" / "examples" / "images", folder)
    project = load_project(folder / "images.vnn")
    request = TrainRequest(project=project, base_dir=str(folder), epochs=4, device="cpu")
    project.add_run(run_training(request).run)

    report, record = export_project(project, folder / "model.tflite", str(folder))
    assert report.passed and report.max_abs_diff <= 1e-5, report.summary()
    assert record is not None and record.extra["exports"][-1]["format"] == "tflite"

    int8, _ = export_project(project, folder / "model_int8.tflite", str(folder), quantize="int8")
    assert int8.class_agreement is not None and int8.class_agreement >= 0.98, int8.summary()
    assert int8.size_bytes < report.size_bytes  # quantized weights take less room
