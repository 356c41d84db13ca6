"""The canvas drives real items: drops, port connections, moves, delete, clipboard, undo."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.ui.canvas import LAYER_MIME
from visualnn.ui.canvas.scene import GraphScene
from visualnn.ui.canvas.view import GraphView
from visualnn.ui.document import ProjectDocument


def _mlp(mode: str = FUNCTIONAL) -> Project:
    g = Graph(mode)
    g.add_node(Node("input_1", "Input", {"shape": [16]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 160)))
    g.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 320)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return Project(g, name="mlp")


@pytest.fixture
def canvas(qtbot: Any) -> tuple[ProjectDocument, GraphScene, GraphView]:
    doc = ProjectDocument(_mlp())
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    return doc, scene, view


def _drop(view: GraphView, type_id: str, scene_pos: QPointF) -> None:
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_id.encode())
    pos = view.mapFromScene(scene_pos)
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)


def test_items_mirror_graph_with_shape_labels(canvas: Any) -> None:
    doc, scene, _ = canvas
    assert set(scene.nodes) == {"input_1", "dense_1", "dense_2"}
    assert scene.edges[Edge.of("input_1", "dense_1")].label == "(None, 16) · rank 2"
    assert scene.nodes["dense_1"].view.footer_params == "136 params"
    assert scene.nodes["dense_1"].view.subtitle == "Dense · 8 · relu"


def test_drop_on_empty_space_adds_and_undo_removes(canvas: Any) -> None:
    doc, scene, view = canvas
    _drop(view, "Dropout", QPointF(600, 600))
    assert len(doc.graph) == 4
    new = next(n for n in doc.graph if n.type == "Dropout")
    item = scene.nodes[new.id]
    assert abs(item.pos().x() + 100 - 600) <= 20 and abs(item.pos().y() + 42 - 600) <= 20
    assert scene.selected_ids() == [new.id]
    doc.undo_stack.undo()
    assert new.id not in scene.nodes and len(doc.graph) == 3
    doc.undo_stack.redo()
    assert new.id in scene.nodes


def test_drop_on_edge_inserts_layer(canvas: Any) -> None:
    doc, scene, view = canvas
    edge_item = scene.edges[Edge.of("dense_1", "dense_2")]
    mid = edge_item.path().pointAtPercent(0.5)
    _drop(view, "Dropout", mid)
    drop_id = next(n.id for n in doc.graph if n.type == "Dropout")
    assert doc.graph.predecessors(drop_id) == ["dense_1"]
    assert doc.graph.successors(drop_id) == ["dense_2"]
    assert scene.edges[Edge.of(drop_id, "dense_2")].label == "(None, 8) · rank 2"


def test_connect_ports_and_refusal(canvas: Any) -> None:
    doc, scene, _ = canvas
    doc.push(__import__("visualnn.core.commands", fromlist=["Disconnect"]).Disconnect(Edge.of("dense_1", "dense_2")))
    assert scene.nodes["dense_2"].view.severity == "error"
    scene.start_connection(scene.nodes["dense_1"].output)
    assert scene.finish_connection(scene.nodes["dense_2"].inputs[0]) is None
    assert Edge.of("dense_1", "dense_2") in scene.edges
    assert scene.nodes["dense_2"].view.severity is None
    # A cycle is refused with a message.
    scene.start_connection(scene.nodes["dense_2"].output)
    problem = scene.finish_connection(scene.nodes["input_1"])
    assert problem and "Input" in problem or "cycle" in (problem or "")
    doc.undo_stack.undo()
    assert Edge.of("dense_1", "dense_2") not in scene.edges


def test_mouse_drag_from_port_connects(canvas: Any, qtbot: Any) -> None:
    doc, scene, view = canvas
    doc.push(__import__("visualnn.core.commands", fromlist=["Disconnect"]).Disconnect(Edge.of("dense_1", "dense_2")))
    view.centerOn(scene.nodes["dense_1"])
    a = view.mapFromScene(scene.nodes["dense_1"].output.scenePos())
    b = view.mapFromScene(scene.nodes["dense_2"].inputs[0].scenePos())
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(view.viewport(), pos=QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(view.viewport(), pos=b)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=b)
    assert Edge.of("dense_1", "dense_2") in doc.graph.edges


def test_param_change_updates_downstream_label(canvas: Any) -> None:
    from visualnn.core.commands import SetParam

    doc, scene, _ = canvas
    doc.push(SetParam("dense_1", "units", 24))
    assert scene.edges[Edge.of("dense_1", "dense_2")].label == "(None, 24) · rank 2"
    doc.undo_stack.undo()
    assert scene.edges[Edge.of("dense_1", "dense_2")].label == "(None, 8) · rank 2"


def test_delete_copy_paste_duplicate(canvas: Any) -> None:
    doc, scene, _ = canvas
    ctl = scene.controller
    assert ctl.copy(["dense_1", "dense_2"])
    ids = ctl.paste()
    assert len(ids) == 2 and len(doc.graph) == 5
    assert any(e.src.node == ids[0] and e.dst.node == ids[1] for e in doc.graph.edges)
    assert scene.selected_ids() == ids
    dup = ctl.duplicate(["input_1"])
    assert len(dup) == 1 and doc.graph.nodes[dup[0]].type == "Input"
    ctl.delete(ids)
    assert len(doc.graph) == 4 and all(i not in scene.nodes for i in ids)
    doc.undo_stack.undo()
    assert all(i in scene.nodes for i in ids)


def test_move_snaps_and_is_one_undo_step(canvas: Any) -> None:
    doc, scene, _ = canvas
    item = scene.nodes["dense_2"]
    item.setPos(413, 507)
    assert (item.pos().x(), item.pos().y()) == (420, 500)
    scene.controller.move({"dense_2": (420.0, 500.0)})
    assert doc.graph.nodes["dense_2"].pos == (420.0, 500.0)
    doc.undo_stack.undo()
    assert (item.pos().x(), item.pos().y()) == (0, 320)


def test_sequential_drop_keeps_the_chain(qtbot: Any) -> None:
    doc = ProjectDocument(_mlp(SEQUENTIAL))
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    # Dropped between dense_1 (y=160) and dense_2 (y=320) on empty space: goes into the chain there.
    _drop(view, "Dropout", QPointF(700, 300))
    order = doc.graph.chain_order()
    assert order is not None and [doc.graph.nodes[n].type for n in order] == ["Input", "Dense", "Dropout", "Dense"]
    scene.controller.delete([order[2]])
    assert doc.graph.chain_order() == ["input_1", "dense_1", "dense_2"]
    scene.controller.set_mode(FUNCTIONAL)
    assert doc.graph.mode == FUNCTIONAL


def test_auto_layout_is_undoable(canvas: Any) -> None:
    doc, scene, view = canvas
    before = {n.id: n.pos for n in doc.graph}
    doc.push(__import__("visualnn.core.commands", fromlist=["MoveNodes"]).MoveNodes({"dense_2": (900.0, -300.0)}))
    scene.controller.auto_layout()
    ys = [doc.graph.nodes[n].pos[1] for n in ("input_1", "dense_1", "dense_2")]
    assert ys == sorted(ys)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert {n.id: n.pos for n in doc.graph} == before
    view.fit()
    assert view.zoom <= 1.2
