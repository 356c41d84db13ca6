"""The Code dock: styles, Model only / Full script (data read off the UI thread), Copy and Save."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication, QStandardItemModel

from visualnn.core.commands import SetParam
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import load_project
from visualnn.ui.code_panel import CodePanel
from visualnn.ui.document import ProjectDocument

ROOT = Path(__file__).resolve().parents[2]
TABULAR = ROOT / "resources" / "examples" / "tabular" / "tabular.vnn"


def _chain_doc() -> ProjectDocument:
    g = Graph("sequential")
    g.add_node(Node("input_1", "Input", {"shape": [10]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 16, "activation": "relu"}, (0, 140)))
    g.add_node(Node("dense_2", "Dense", {"units": 2}, (0, 280)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return ProjectDocument(Project(g, name="p"))


def _panel(qtbot: Any, doc: ProjectDocument) -> CodePanel:
    panel = CodePanel(doc)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    return panel


def _sequential_item(panel: CodePanel) -> Any:
    model = panel.style_box.model()
    assert isinstance(model, QStandardItemModel)
    return model.item(panel.style_box.findData("sequential"))


def test_switching_style_changes_the_text(qtbot: Any) -> None:
    panel = _panel(qtbot, _chain_doc())
    assert panel.code_style() == "sequential" and "keras.Sequential(" in panel.code()
    panel.set_code_style("functional")
    assert "keras.Model(" in panel.code() and "keras.Sequential(" not in panel.code()
    panel.set_code_style("subclass")
    assert "class PModel(keras.Model)" in panel.code() and "def call(self, inputs, training=None)" in panel.code()


def test_sequential_is_disabled_with_the_reason_when_the_graph_branches(qtbot: Any) -> None:
    doc = _chain_doc()
    panel = _panel(qtbot, doc)
    assert _sequential_item(panel).isEnabled()
    doc.graph.add_node(Node("dense_3", "Dense", {"units": 3}, (200, 280)))
    doc.graph.connect(Edge.of("dense_1", "dense_3"))
    doc.graph_changed.emit()
    item = _sequential_item(panel)
    assert not item.isEnabled() and "dense_1 branches into 2 layers" in item.toolTip()  # core's rule, naming the layer
    assert panel.code_style() == "functional"  # moved off the style that can no longer express the graph
    panel.set_code_style("sequential")
    assert panel.code_style() == "functional"


def test_an_edit_updates_the_model_only_text(qtbot: Any) -> None:
    doc = _chain_doc()
    panel = _panel(qtbot, doc)
    assert "units=16" in panel.editor.toPlainText()
    doc.push(SetParam("dense_1", "units", 77))
    qtbot.waitUntil(lambda: "units=77" in panel.editor.toPlainText(), timeout=2000)
    panel.copy()
    assert "units=77" in QGuiApplication.clipboard().text()


def test_full_script_of_the_tabular_example_reads_the_data_off_the_ui_thread(qtbot: Any) -> None:
    doc = ProjectDocument(load_project(TABULAR))
    panel = _panel(qtbot, doc)
    panel.set_full_script(True)
    qtbot.waitUntil(lambda: "def load_data" in panel.editor.toPlainText(), timeout=15000)
    text = panel.editor.toPlainText()
    assert "tf.data.Dataset.from_tensor_slices" in text and "def build_model" in text
    assert '"penguins.csv"' in text  # the data path is relative to the project, where the script would live
    ast.parse(text)
    # an edit in full-script mode regenerates after the debounce, from the cached facts
    dense = next(n for n in doc.graph.nodes.values() if n.type == "Dense")
    doc.push(SetParam(dense.id, "units", 41))
    qtbot.waitUntil(lambda: "units=41" in panel.editor.toPlainText(), timeout=5000)
    assert "def load_data" in panel.editor.toPlainText()
    panel.set_full_script(False)
    assert "def load_data" not in panel.editor.toPlainText() and "units=41" in panel.editor.toPlainText()


def test_save_writes_a_parsable_script_and_requirements(qtbot: Any, tmp_path: Path) -> None:
    doc = ProjectDocument(load_project(TABULAR))
    panel = _panel(qtbot, doc)
    panel.set_code_style("subclass")
    target = tmp_path / "out" / "train.py"
    target.parent.mkdir()
    with qtbot.waitSignal(panel.saved, timeout=15000) as sig:
        panel.save(str(target))
    assert sig.args == [str(target)]
    code = target.read_text()
    ast.parse(code)
    assert "def load_data" in code and "class " in code and "keras.Model" in code
    csv = (ROOT / "resources" / "examples" / "tabular" / "penguins.csv").resolve()
    assert f'"{os.path.relpath(csv, target.parent)}"' in code  # the data path is relative to the saved script
    requirements = (target.parent / "requirements.txt").read_text()
    assert "tensorflow" in requirements


def test_unreadable_data_shows_a_clear_message_and_save_refuses(qtbot: Any, tmp_path: Path) -> None:
    doc = _chain_doc()
    doc.project.dataset = DatasetSpec("csv", str(tmp_path / "missing.csv"), {})
    panel = _panel(qtbot, doc)
    panel.set_full_script(True)
    qtbot.waitUntil(lambda: panel.status.isVisible() and "cannot be read" in panel.status.text(), timeout=15000)
    assert "missing.csv" in panel.status.text()
    assert panel.editor.toPlainText().startswith("# The data cannot be read, so the full script cannot be written")
    with qtbot.waitSignal(panel.save_failed, timeout=5000) as sig:
        panel.save(str(tmp_path / "train.py"))
    assert "missing.csv" in sig.args[0]
    assert not (tmp_path / "train.py").exists()


def test_save_of_a_model_that_cannot_be_written_fails_with_the_reason(qtbot: Any, tmp_path: Path) -> None:
    panel = _panel(qtbot, ProjectDocument(Project(name="empty")))
    with qtbot.waitSignal(panel.save_failed, timeout=5000) as sig:
        panel.save(str(tmp_path / "train.py"))
    assert sig.args[0] == ("The script was not saved: The model cannot be written as code yet: "
                           "The model is empty: add an Input and at least one layer.")
    assert not (tmp_path / "train.py").exists() and not (tmp_path / "requirements.txt").exists()
    assert panel.editor.toPlainText().startswith("# The model cannot be written as code yet")


def test_project_without_data_gets_a_full_script_at_once(qtbot: Any, tmp_path: Path) -> None:
    panel = _panel(qtbot, _chain_doc())
    panel.set_full_script(True)
    text = panel.editor.toPlainText()
    assert "def load_data" in text and 'if __name__ == "__main__":' in text
    ast.parse(text)
