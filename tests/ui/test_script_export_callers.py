"""One script writer: the CLI verb, File > Export and the Code dock write the same script and requirements.txt."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from visualnn.cli import main
from visualnn.core.project.io import load_project
from visualnn.ui.code_panel import CodePanel
from visualnn.ui.document import ProjectDocument
from visualnn.ui.export_dialogs import ExportController

ROOT = Path(__file__).resolve().parents[2]


def test_cli_export_dialog_and_code_panel_write_identical_files(qtbot: Any, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "resources" / "examples" / "tabular", tmp_path / "tabular")
    vnn = tmp_path / "tabular" / "tabular.vnn"
    outputs = {
        name: tmp_path / name / "train.py" for name in ("cli", "dialog", "panel")
    }  # siblings: same relative data path

    assert main(["export-code", str(vnn), "-o", str(outputs["cli"]), "--style", "subclass"]) == 0

    window = QWidget()
    qtbot.addWidget(window)
    controller = ExportController(ProjectDocument(load_project(vnn)), None, window)
    controller.show_dialogs = False
    with qtbot.waitSignal(controller.script_written, timeout=20000):
        controller.export_script(str(outputs["dialog"]), style="subclass")

    panel = CodePanel(ProjectDocument(load_project(vnn)))
    qtbot.addWidget(panel)
    panel.set_code_style("subclass")
    outputs["panel"].parent.mkdir()
    with qtbot.waitSignal(panel.saved, timeout=20000):
        panel.save(str(outputs["panel"]))

    scripts = {name: path.read_text() for name, path in outputs.items()}
    requirements = {name: (path.parent / "requirements.txt").read_text() for name, path in outputs.items()}
    assert scripts["cli"] == scripts["dialog"] == scripts["panel"]
    assert requirements["cli"] == requirements["dialog"] == requirements["panel"]
    assert '"../tabular/penguins.csv"' in scripts["cli"] and "class " in scripts["cli"]
    assert "tensorflow==" in requirements["cli"]  # pinned to the version installed here
