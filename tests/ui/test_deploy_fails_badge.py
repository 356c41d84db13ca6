"""The TFLite precheck's "fails" verdict in the window: the red badge on the one node TFLite cannot convert, the
others keep theirs, and the verdict line names the layer and the fix."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.ui.app import Shell


def _project() -> Project:
    graph = Graph()
    for nid, kind, params in [("input_1", "Input", {"shape": [16, 16, 3]}),
                              ("conv2d_1", "Conv2D", {"filters": 4, "kernel_size": 3}),
                              ("shrink", "Resizing", {"height": 8, "width": 8, "interpolation": "area"}),
                              ("flatten_1", "Flatten", {}), ("dense_1", "Dense", {"units": 2})]:
        graph.add_node(Node(nid, kind, params))
    for a, b in [("input_1", "conv2d_1"), ("conv2d_1", "shrink"), ("shrink", "flatten_1"), ("flatten_1", "dense_1")]:
        graph.connect(Edge.of(a, b))
    return Project(graph=graph)


def test_a_node_tflite_cannot_convert_gets_the_red_badge(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(_project())
    window.docks["summary"].raise_()
    bar = window.summary_panel.deploy
    qtbot.waitUntil(bar.button.isVisible)
    engine: Any = window.engine
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    job_id, job_type, _ = engine.jobs[-1]
    assert job_type == "deploy_check"
    fix = "Choose bilinear, nearest or bicubic interpolation."
    # services.deploy_check's answer for this model (tests/services/test_deploy_fails.py runs the real one)
    engine.finish(job_id, {
        "status": "fails", "sizes": {}, "notes": ["'tf.ResizeArea' op is neither a custom op nor a flex op"],
        "message": f"TFLite cannot convert this model: shrink needs ResizeArea, which TFLite has no kernel for. {fix}",
        "nodes": [{"id": "input_1", "name": "input_1", "status": "builtin", "ops": [], "message": ""},
                  {"id": "conv2d_1", "name": "conv2d_1", "status": "builtin", "ops": ["CONV_2D"], "message": ""},
                  {"id": "shrink", "name": "shrink", "status": "fails", "ops": ["ResizeArea"],
                   "message": f"shrink: TFLite has no kernel for ResizeArea, neither built-in nor Select TF ops "
                              f"(Flex), so the model cannot be converted. {fix}"},
                  {"id": "flatten_1", "name": "flatten_1", "status": "builtin", "ops": ["RESHAPE"], "message": ""},
                  {"id": "dense_1", "name": "dense_1", "status": "builtin", "ops": [], "message": ""}],
    })
    assert window.scene.nodes["shrink"].view.deploy == "fails"
    assert {nid: item.view.deploy for nid, item in window.scene.nodes.items() if nid != "shrink"} == {
        "input_1": "builtin", "conv2d_1": "builtin", "flatten_1": "builtin", "dense_1": "builtin"}
    text = bar.label.text()
    assert "shrink" in text and "ResizeArea" in text and "bilinear" in text and ".tflite" not in text
