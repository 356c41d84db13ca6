"""Journey: the bundled images example, trained one epoch, exported by File > Export > ONNX (.onnx)… with a real engine.

Open the project -> Train (1 epoch) -> File > Export > ONNX: the file chooser is answered with a path,
the engine converts the trained model with tf2onnx and runs the file in onnxruntime on raw image files
of the held-out split, and the user sees the export check (verdict, format, same predicted class) and
closes it; the file is on disk, takes raw pixels of any size under the input name ``image``, and the
run record keeps the report.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFormLayout, QLabel
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import set_training, train_to_the_end
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.export_dialogs import ParityReportDialog

pytestmark = [pytest.mark.tf, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _read_and_close_the_report(qtbot: QtBot, seen: dict[str, Any]) -> QTimer:
    """When the export check opens, read what it shows (verdict and rows) and click Close, as a person would."""
    timer = QTimer()
    timer.setInterval(20)

    def tick() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ParityReportDialog) or not dialog.isVisible():
            return
        timer.stop()
        seen["title"] = dialog.windowTitle()
        seen["verdict"] = dialog.verdict.text()
        form = dialog.findChild(QFormLayout)
        assert form is not None
        rows = {}
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
            assert isinstance(label, QLabel) and isinstance(field, QLabel)
            rows[label.text().rstrip(":")] = field.text()
        seen["rows"] = rows
        seen["notes"] = [w.text() for w in dialog.findChildren(QLabel) if w.text().startswith("Note:")]
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        close = next(b for b in buttons.buttons() if b.text().replace("&", "") == "Close")
        qtbot.mouseClick(close, Qt.MouseButton.LeftButton, pos=close.rect().center())

    timer.timeout.connect(tick)
    timer.start()
    return timer


def test_file_export_onnx_writes_the_file_and_shows_the_parity_check(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    import numpy as np
    import onnxruntime as ort

    shutil.copytree(ROOT / "resources" / "examples" / "images", tmp_path / "images")
    vnn = tmp_path / "images" / "images.vnn"
    session, user = launch(tf_engine, argv=[str(vnn)])
    window = session.window
    document = window.document
    user.wait_until(lambda: document.path is not None and Path(str(document.path)) == vnn, "the project to open")
    user.wait_until(lambda: not [i for i in document.issues if i.severity == "error"],
                    lambda: f"a valid project (problems: {[i.message for i in document.issues]})")

    set_training(user, epochs=1)
    run = train_to_the_end(user)
    assert run.status == "finished", (run.status, run.error)

    out = tmp_path / "exports" / "shapes.onnx"
    exported: list[dict[str, Any]] = []
    failed: list[str] = []
    session.shell.export.exported.connect(exported.append)
    session.shell.export.failed.connect(failed.append)
    seen: dict[str, Any] = {}
    timer = _read_and_close_the_report(qtbot, seen)
    user.chooser.will_answer("save_file", str(out))
    user.menu("File", "Export", "ONNX (.onnx)…")
    user.wait_until(lambda: bool(exported or failed) and bool(seen or failed), "the ONNX export and its check",
                    timeout_ms=240_000)
    timer.stop()
    assert not failed, failed

    # What the user read in the export check.
    assert seen["title"] == "Export check"
    assert "The exported model matches the app's model." in seen["verdict"]
    rows = seen["rows"]
    assert rows["Format"] == "onnx (none)" and rows["File"] == str(out)
    assert rows["Samples"].split(" ", 1)[1].startswith("(raw image files of the"), rows["Samples"]
    assert rows["Same predicted class"] == "100.0%"
    assert float(rows["Max |difference|"]) <= 1e-5
    assert any("onnxruntime" in n for n in seen["notes"])

    # What landed on disk and in the project.
    assert out.exists() and exported[0]["passed"] and exported[0]["format"] == "onnx"
    stored = document.project.runs[-1].extra["exports"][-1]
    assert stored["path"] == str(out) and stored["passed"]
    onnx_session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in onnx_session.get_inputs()] == ["image"]
    pixels = np.random.default_rng(0).integers(0, 256, (2, 45, 61, 3)).astype("float32")  # any size, raw 0..255
    probabilities = onnx_session.run(None, {"image": pixels})[0]
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(-1), 1.0, atol=1e-4)
