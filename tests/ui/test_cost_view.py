"""The cost analysis in the window: the Summary tab's cost table and bar, node footers on demand, and the
warning before Train when the estimated peak exceeds the device's memory."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt

from visualnn.core.commands import SetParam
from visualnn.core.costs import analyze_costs, fmt_flops
from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES
from visualnn.ui.app import Shell
from visualnn.ui.cost_view import COST_COLUMNS
from visualnn.ui.document import ProjectDocument
from visualnn.ui.summary_panel import SummaryPanel

FLOPS_COLUMN = COST_COLUMNS.index("FLOPs / sample")


def _column(panel: SummaryPanel, col: int) -> list[str]:
    table = panel.costs.table
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_cost_table_sorts_by_flops_and_follows_edits(qtbot: Any) -> None:
    doc = ProjectDocument(TEMPLATES["cnn_small"].build())
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    report = analyze_costs(doc.graph, doc.project.training)
    assert panel.costs.table.rowCount() == len(doc.graph.nodes)
    # the user clicks the FLOPs header twice: largest first
    header = panel.costs.table.horizontalHeader()
    x = header.sectionViewportPosition(FLOPS_COLUMN) + 5
    for _ in range(2):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5))
    names = _column(panel, 0)
    biggest = max(report.nodes, key=lambda n: n.flops or 0)
    assert names[0] == biggest.name == "conv2d_2"
    assert _column(panel, FLOPS_COLUMN)[0] == fmt_flops(biggest.flops)
    # the bar ranks the same layer first, with its share of the total
    assert panel.costs.bar.rows[0][0] == "conv2d_2"
    assert "FLOPs" in panel.costs.totals.text() and "training peak" in panel.costs.totals.text()
    # an edit (as the inspector makes it) changes the numbers after the coalescing timer
    doc.push(SetParam("conv2d_2", "filters", 8))
    after = analyze_costs(doc.graph, doc.project.training).nodes
    qtbot.waitUntil(lambda: fmt_flops(next(n for n in after if n.id == "conv2d_2").flops) in _column(
        panel, FLOPS_COLUMN))
    # the bar can rank by training memory instead
    panel.costs.metric_box.setCurrentText("Training memory")
    top = max(after, key=lambda n: n.kept_bytes)
    assert panel.costs.bar.rows[0][0] == top.name


def test_the_cost_table_lists_the_layers_in_the_models_order_until_sorted(qtbot: Any) -> None:
    """Qt's default sort indicator (column 0, descending) listed them by name backwards: input_1 after dropout_1."""
    doc = ProjectDocument(TEMPLATES["cnn_small"].build())
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    order = [n.name for n in analyze_costs(doc.graph, doc.project.training).nodes]
    assert order[0] == "input_1" and _column(panel, 0) == order
    header = panel.costs.table.horizontalHeader()
    x = header.sectionViewportPosition(FLOPS_COLUMN) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5))
    assert _column(panel, 0) != order
    panel.costs.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by Layer: the model's order again
    assert _column(panel, 0) == order


def test_layers_without_a_formula_are_marked(qtbot: Any) -> None:
    project = TEMPLATES["cnn_small"].build()
    project.graph.set_param("conv2d_1", "padding", "same")
    from visualnn.core.graph import Edge, Node

    g = project.graph
    generic = {"config": '{"class_name": "CategoryEncoding", "config": {"num_tokens": 3}}',
               "output_shape": [28, 28, 1]}  # a Keras layer of a class no cost rule knows
    g.add_node(Node("resize", "KerasLayer", generic))
    g.connect(Edge.of("input_1", "resize"))
    doc = ProjectDocument(project)
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    row = _column(panel, 0).index("resize")
    assert panel.costs.table.item(row, FLOPS_COLUMN).text() == "0 (no formula)"
    assert "No analytic formula" in panel.costs.totals.text() and "resize" in panel.costs.totals.text()


def test_view_toggle_shows_flops_in_node_footers(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(TEMPLATES["cnn_small"].build())
    item = window.scene.nodes["conv2d_1"]
    assert item.view.footer_params.endswith("params")
    action = window.actions_["show_costs"]
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()
    action.trigger()
    report = analyze_costs(window.document.graph, window.document.project.training)
    conv = next(n for n in report.nodes if n.id == "conv2d_1")
    assert item.view.footer_params == f"{fmt_flops(conv.flops)}FLOPs"
    assert "per sample" in item.view.tooltip
    window.document.push(SetParam("conv2d_1", "filters", 4))  # footers follow edits
    qtbot.waitUntil(lambda: item.view.footer_params != f"{fmt_flops(conv.flops)}FLOPs")
    action.trigger()
    assert item.view.footer_params.endswith("params")


def test_train_warns_when_the_estimate_exceeds_the_devices_memory(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    project = TEMPLATES["vgg_blocks"].build()
    training = dataclasses.replace(project.training, batch_size=20_000, device="cpu", epochs=1)
    window.document.set_project(Project(project.graph, name="big", training=training))
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    panel = window.training_panel
    engine: Any = window.engine
    engine.start()  # the engine's ready message reports each device's memory (the fake: 8000 MB of RAM)
    assert panel.controller.device_memory_mb["cpu"] == 8000
    asked: list[str] = []
    panel.ask_train_anyway = lambda parent, message: asked.append(message) or False  # Cancel
    jobs = len(engine.jobs)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and len(engine.jobs) == jobs  # nothing sent
    message = asked[0]
    report = analyze_costs(project.graph, training)
    assert "7.8 GB" in message  # the fake engine's 8000 MB of RAM
    assert "batch size 20000" in message and "smaller batch size" in message
    for node in report.largest("kept_bytes", 3):
        assert node.name in message
    panel.ask_train_anyway = lambda parent, message: True  # Train anyway
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    job_id, job_type, _ = engine.jobs[-1]
    engine.fail(job_id, "stopped by the test")  # no run left in flight for the window's close
    assert job_type == "train"


def test_no_warning_when_it_fits(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    project = TEMPLATES["mlp_classifier"].build()
    window.document.set_project(project)
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    panel = window.training_panel
    engine: Any = window.engine
    engine.start()
    panel.ask_train_anyway = lambda parent, message: (_ for _ in ()).throw(AssertionError(message))
    assert panel.memory_warning() is None
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    job_id, job_type, _ = engine.jobs[-1]
    engine.fail(job_id, "stopped by the test")  # no run left in flight for the window's close
    assert job_type == "train"


def test_tflite_precheck_badges_nodes_and_clears_on_edit(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(TEMPLATES["lstm_classifier"].build())
    window.docks["summary"].raise_()
    bar = window.summary_panel.deploy
    qtbot.waitUntil(bar.button.isVisible)
    engine: Any = window.engine
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "deploy_check" and payload["project"]["graph"]["nodes"]
    assert not bar.button.isEnabled() and "Converting" in bar.label.text()
    # the engine's answer, as services.deploy_check builds it
    engine.finish(job_id, {
        "status": "flex", "message": "lstm_1 needs Select TF ops (Flex); the rest converts to built-in ops.",
        "sizes": {"fp32": 94896, "fp16": 53162, "int8": 32295}, "notes": [],
        "nodes": [{"id": "input_1", "name": "input_1", "status": "builtin", "ops": [], "message": ""},
                  {"id": "lstm_1", "name": "lstm_1", "status": "flex", "ops": ["FlexTensorListReserve"],
                   "message": "needs Select TF ops"},
                  {"id": "dense_1", "name": "dense_1", "status": "builtin", "ops": ["FULLY_CONNECTED"], "message": ""},
                  {"id": "dense_2", "name": "dense_2", "status": "builtin", "ops": ["FULLY_CONNECTED"], "message": ""}],
    })
    assert bar.button.isEnabled()
    assert "lstm_1 needs Select TF ops" in bar.label.text() and "fp32 92.7 KB" in bar.label.text()
    assert window.scene.nodes["lstm_1"].view.deploy == "flex"
    assert window.scene.nodes["dense_1"].view.deploy == "builtin"
    window.document.push(SetParam("dense_1", "units", 16))  # the verdict is stale now
    assert window.scene.nodes["lstm_1"].view.deploy is None
    assert "check again" in bar.label.text()


def test_tflite_precheck_failure_is_shown(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    window.document.set_project(TEMPLATES["mlp_classifier"].build())
    bar = window.summary_panel.deploy
    handle = bar.check()
    assert handle is not None
    engine: Any = window.engine
    engine.fail(handle.id, "dense_1: cannot be built (units must be positive)")
    assert "precheck failed" in bar.label.text() and "dense_1" in bar.label.text()
    assert bar.button.isEnabled()
