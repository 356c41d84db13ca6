"""Palette, summary, code preview and Problems panels against a real document."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication

from visualnn.core.commands import Disconnect, SetParam
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.specs import default_registry
from visualnn.ui.canvas import LAYER_MIME
from visualnn.ui.canvas.scene import GraphScene
from visualnn.ui.code_panel import CodePanel
from visualnn.ui.document import ProjectDocument
from visualnn.ui.palette import PalettePanel
from visualnn.ui.problems import ProblemsPanel
from visualnn.ui.summary_panel import SummaryPanel


def _doc(mode: str = SEQUENTIAL) -> ProjectDocument:
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": [10]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 1000, "activation": "relu"}, (0, 140)))
    g.add_node(Node("dense_2", "Dense", {"units": 2}, (0, 280)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return ProjectDocument(Project(g, name="p"))


def test_palette_search_tooltip_and_drag_payload(qtbot: Any) -> None:
    palette = PalettePanel(default_registry())
    qtbot.addWidget(palette)
    # Every catalog layer, less the generic Block: the palette lists the project's own blocks instead.
    catalog = [s.type for s in default_registry() if s.category != "blocks"]
    assert "Dense" in palette.visible_types() and sorted(palette.visible_types()) == sorted(catalog)
    palette.search.setText("conv")
    shown = palette.visible_types()
    assert shown and all("conv" in (t + default_registry()[t].doc).lower() for t in shown)
    assert "Conv2D" in shown and "Dense" not in shown
    item = palette.tree.topLevelItem(0).child(0)
    assert item.toolTip(0)
    mime = palette.tree.mimeData([item])
    assert bytes(mime.data(LAYER_MIME).data()).decode() == item.text(0)
    palette.search.setText("dense")
    with qtbot.waitSignal(palette.layer_activated) as blocker:
        palette.search.returnPressed.emit()
    assert blocker.args == ["Dense"]


def test_summary_table_and_totals(qtbot: Any) -> None:
    doc = _doc()
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 3
    assert panel.table.item(1, 3).text() == "11,000"
    assert panel.table.item(2, 4).text() == "dense_1"
    assert "Total params: 13,002" in panel.totals.text() and "Non-trainable: 0" in panel.totals.text()
    doc.push(SetParam("dense_1", "units", 10))
    panel.refresh()
    assert panel.table.item(1, 3).text() == "110"


def test_summary_dock_shows_cores_rows(qtbot: Any) -> None:
    from visualnn.core.summary import summary_rows

    g = Graph()
    g.add_node(Node("b", "Input", {"shape": [3]}))
    g.add_node(Node("a", "Input", {"shape": [2]}))
    g.add_node(Node("cat", "Concatenate", {}))
    g.connect(Edge.of("b", "cat", dst_port=1))
    g.connect(Edge.of("a", "cat", dst_port=0))
    doc = ProjectDocument(Project(g, name="p"))
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    rows = summary_rows(doc.graph, doc.shapes)
    shown = [[panel.table.item(r, c).text() for c in (0, 1, 4)] for r in range(panel.table.rowCount())]
    assert shown == [[row.name, row.type, ", ".join(row.connected_to) or "—"] for row in rows]
    assert shown[2] == ["cat", "Concatenate", "a, b"]  # inputs by port, as `visualnn summary` prints them


def test_code_preview_follows_edits_and_copies(qtbot: Any) -> None:
    doc = _doc()
    panel = CodePanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    assert "units=1000" in panel.code()
    doc.push(SetParam("dense_1", "units", 77))
    qtbot.waitUntil(lambda: "units=77" in panel.editor.toPlainText(), timeout=2000)
    panel.copy()
    assert "units=77" in QGuiApplication.clipboard().text()


def test_problems_list_and_activation_selects_node(qtbot: Any) -> None:
    doc = _doc()
    scene = GraphScene(doc)
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    assert panel.tree.topLevelItemCount() == 0
    doc.push(Disconnect(Edge.of("dense_1", "dense_2")))
    assert panel.tree.topLevelItemCount() >= 1
    item = next(
        panel.tree.topLevelItem(i)
        for i in range(panel.tree.topLevelItemCount())
        if panel.tree.topLevelItem(i).text(1) == "dense_2"
    )
    panel.node_activated.connect(lambda nid: scene.select_ids([nid]))
    panel.tree.itemClicked.emit(item, 2)
    assert scene.selected_ids() == ["dense_2"]
    assert scene.nodes["dense_2"].view.severity == "error"


def test_sequential_drag_reorders_chain(qtbot: Any) -> None:
    doc = _doc()
    g = doc.graph
    g.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (0, 420)))
    doc.set_project(doc.project)
    from visualnn.core.commands import Connect

    doc.push(Connect(Edge.of("dense_2", "dropout_1")))
    scene = GraphScene(doc)
    # Drag the Dropout between input_1 and dense_1.
    scene.controller.move({"dropout_1": (0.0, 60.0)})
    assert g.chain_order() == ["input_1", "dropout_1", "dense_1", "dense_2"]
    ys = [g.nodes[n].pos[1] for n in g.chain_order() or []]
    assert ys == sorted(ys)
    doc.undo_stack.undo()
    assert g.chain_order() == ["input_1", "dense_1", "dense_2", "dropout_1"]
