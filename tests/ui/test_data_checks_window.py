"""The window checks the model against the attached data before Train is pressed (issue 13, failure 3).

The user attaches data in the Data panel (or opens a project that has some); the inspection runs off the
GUI thread, and when its facts arrive the status bar, the canvas and the Problems list are recomputed.
Problems with a one-click fix show it as a button that applies one undoable command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from tests.tiny_data import digits_pngs, three_class_csv
from tests.ui.fake_engine import FakeEngine
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.ui.app import Shell

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("discard_unsaved")  # File > Open over unsaved edits discards them


def _raw_scores_model() -> Project:
    """Input(4) -> Dense(32, relu) -> Dense(32, no activation): valid Keras, wrong for three classes."""
    g = Graph(SEQUENTIAL)
    g.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 32, "activation": "relu"}, (0, 140)))
    g.add_node(Node("dense_2", "Dense", {"units": 32}, (0, 280)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return Project(g, name="raw scores")


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _apply_data(qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, path: Path, folder: bool) -> None:
    """Choose ``path`` with the Data panel's File…/Image folder… button, wait for the preview, click Apply."""
    panel = shell.window.data_panel
    shell.window.docks["data"].raise_()
    if folder:
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(path))
    else:
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    choose = next(b for b in panel.findChildren(QPushButton) if b.text() == ("Image folder…" if folder else "File…"))
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        _click(qtbot, choose)
    _click(qtbot, panel.apply_btn)
    qtbot.waitUntil(lambda: shell.window.validity_label.text() != "Checking against the data…", timeout=WAIT_MS)


def _rows(shell: Shell) -> list[tuple[str, str]]:
    """(layer, problem) as the Problems list shows them."""
    tree = shell.window.problems_panel.tree
    items: list[QTreeWidgetItem] = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [(item.text(1), item.text(2)) for item in items]


def _open_checked(qtbot: QtBot, shell: Shell, project: Project, path: Path) -> Any:
    """Save ``project`` as ``path``, File > Open it, and wait until its data has been read and the model checked."""
    save_project(project, path)
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: window.document.data_facts is not None, timeout=WAIT_MS)
    return window


def _fix_button(shell: Shell, text: str) -> QPushButton:
    shell.window.docks["problems"].raise_()
    found = [b for b in shell.window.problems_panel.fix_buttons if b.text() == text]
    assert len(found) == 1, [b.text() for b in shell.window.problems_panel.fix_buttons]
    return found[0]


def test_raw_scores_on_a_three_class_target_are_not_valid_before_train(
    qtbot: QtBot, shell: Shell, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = shell.window
    window.document.set_project(_raw_scores_model())
    assert window.validity_label.text() == "✓ Valid"  # nothing is wrong until the data says how many classes
    _apply_data(qtbot, shell, monkeypatch, three_class_csv(tmp_path), folder=False)

    assert window.validity_label.text() == "✗ 2 errors"
    assert "flowers.csv" in window.validity_label.toolTip()
    rows = _rows(shell)
    assert ("dense_2", "dense_2: the output has 32 units but the data has 3 classes. Set units to 3.") in rows
    assert any(layer == "dense_2" and "no activation" in text and "softmax" in text for layer, text in rows)
    assert "train" not in fake_engine.job_types()  # all of this before Train is pressed

    _click(qtbot, _fix_button(shell, "Fix: set dense_2.units = 3"))
    assert window.document.graph.node("dense_2").params["units"] == 3
    _click(qtbot, _fix_button(shell, "Fix: set dense_2.activation = softmax"))
    assert window.document.graph.node("dense_2").params["activation"] == "softmax"
    assert window.validity_label.text() == "✓ Valid" and shell.window.problems_panel.fix_buttons == []
    window.document.undo_stack.undo()  # each fix is one undoable step
    assert window.document.graph.node("dense_2").params.get("activation") is None
    assert window.validity_label.text() == "✗ 1 error"


def test_new_from_template_then_image_data_adapts_the_mlp_with_a_flatten(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = shell.window
    action = next(a for a in window.template_menu.actions() if a.text() == "MLP classifier")
    action.trigger()
    assert [n.type for n in window.document.graph] == ["Input", "Dense", "Dropout", "Dense", "Dense"]
    _apply_data(qtbot, shell, monkeypatch, digits_pngs(tmp_path), folder=True)

    graph = window.document.graph
    assert graph.chain_order() == ["input_1", "flatten_1", "dense_1", "dropout_1", "dense_2", "dense_3"]
    assert graph.node("input_1").params["shape"] == [16, 16, 1]
    assert "A Flatten before dense_1 lets the Dense layers see one vector per sample" in window.data_panel.status.text()
    assert window.validity_label.text() == "✓ Valid"
    window.document.undo_stack.undo()  # attaching the data and adapting the model was one step
    assert "flatten_1" not in window.document.graph.nodes and window.document.project.dataset is None
    assert window.document.data_facts is None


def test_an_opened_project_is_checked_once_its_data_is_read_and_the_fix_inserts_the_flatten(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    data = digits_pngs(tmp_path)
    project = template("mlp_classifier").build()  # what `visualnn new --data` used to write: Dense on images
    project.graph.set_param("input_1", "shape", [16, 16, 1])
    project.set_dataset(DatasetSpec("images", str(data), {}))
    path = tmp_path / "digits.vnn"
    save_project(project, path)

    window = shell.window
    assert window.open_path(str(path), ask=False)
    assert window.validity_label.text() == "Checking against the data…"  # the data is read off the GUI thread
    qtbot.waitUntil(lambda: window.document.data_facts is not None, timeout=WAIT_MS)
    assert window.validity_label.text() == "✗ 1 error"
    ((layer, text),) = _rows(shell)
    assert layer == "dense_1" and text.startswith("dense_1 (Dense) receives (None, 16, 16, 1), rank 4")
    assert text.endswith("Add a Flatten (or GlobalAveragePooling2D) before dense_1.")
    assert window.scene.nodes["dense_1"].view.severity == "error"  # the canvas badge marks the same layer

    _click(qtbot, _fix_button(shell, "Fix: insert Flatten before dense_1"))
    assert window.document.graph.chain_order()[:3] == ["input_1", "flatten_1", "dense_1"]
    assert window.validity_label.text() == "✓ Valid"


def test_data_that_cannot_be_read_is_said_not_checked(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    project = template("mlp_classifier").build()
    project.set_dataset(DatasetSpec("images", str(tmp_path / "moved_png"), {}))
    path = tmp_path / "moved.vnn"
    save_project(project, path)
    window = shell.window
    assert window.open_path(str(path), ask=False)
    qtbot.waitUntil(lambda: not window.document.data_pending, timeout=WAIT_MS)
    assert window.validity_label.text() == "✓ Valid · 1 warning"
    ((layer, text),) = _rows(shell)
    assert layer == "model" and text.startswith("The model was not checked against the data: The data folder")


def test_an_opened_price_model_without_a_rescaling_is_warned_and_the_fix_adds_it(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    from tests.tiny_data import price_csv

    project = template("mlp_regressor").build()  # what `visualnn new --data` wrote before it added the Rescaling
    project.graph.set_param("input_1", "shape", [5])
    project.set_dataset(DatasetSpec("csv", str(price_csv(tmp_path / "houses.csv")), {}))
    window = _open_checked(qtbot, shell, project, tmp_path / "houses.vnn")
    assert window.validity_label.text() == "✓ Valid · 1 warning"
    ((layer, text),) = _rows(shell)
    assert layer == "dense_3" and "the target 'price' of houses.csv averages 4.5" in text  # this spec's split
    fix = window.document.issues[0].action
    assert fix is not None and fix["append"] == "Rescaling"
    scale, offset = fix["params"]["scale"], fix["params"]["offset"]

    _click(qtbot, _fix_button(shell, f"Fix: add Rescaling(scale={scale:g}, offset={offset:g}) after dense_3"))
    graph = window.document.graph
    assert graph.chain_order()[-2:] == ["dense_3", "rescaling_1"] and graph.sinks() == ["rescaling_1"]
    assert graph.node("rescaling_1").params == {"scale": scale, "offset": offset}
    assert window.validity_label.text() == "✓ Valid" and _rows(shell) == []
    assert "rescaling_1" in window.scene.nodes  # the new layer is on the canvas
    window.document.undo_stack.undo()
    assert "rescaling_1" not in window.document.graph.nodes and window.validity_label.text() == "✓ Valid · 1 warning"


def test_imbalanced_data_watched_by_accuracy_alone_is_fixed_with_the_metrics_and_balanced_class_weights(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    from tests.tiny_data import fraud_csv
    from visualnn.cli.project_verbs import new_project

    project = new_project("mlp_classifier", str(fraud_csv(tmp_path / "fraud.csv"))).project
    project.set_training(project.training.with_changes(metrics=("accuracy",)))  # watched by accuracy alone
    window = _open_checked(qtbot, shell, project, tmp_path / "fraud.vnn")
    assert window.validity_label.text() == "✓ Valid · 1 warning"
    ((_, text),) = _rows(shell)
    assert "Class 'yes' has 66 of 600 samples (11%)" in text and "Balanced class weights (Training, Fit)" in text

    _click(qtbot, _fix_button(shell, "Fix: set metrics = ['accuracy', 'precision', 'recall'], class_weight = balanced"))
    training = window.document.project.training
    assert training.metrics == ("accuracy", "precision", "recall") and training.class_weight == "balanced"
    assert window.validity_label.text() == "✓ Valid" and _rows(shell) == []
    form = window.training_panel.form
    assert form.class_weight.currentText() == "balanced"  # the Training panel shows what the fix set
    window.document.undo_stack.undo()  # one undoable step
    assert window.document.project.training.class_weight == "none" and form.class_weight.currentText() == "none"


def test_an_identifier_column_is_a_warning_whose_fix_ignores_it_and_the_input_follows(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    from tests.tiny_data import churn_csv

    project = template("mlp_classifier").build()  # the id used as a feature, as a project made before the check was
    project.graph.set_param("input_1", "shape", [205])  # fee, 3 plans, calls and 200 one-hot ids
    project.graph.set_param("dense_3", "units", 1)
    project.graph.set_param("dense_3", "activation", "sigmoid")
    project.set_training(project.training.with_changes(loss="binary_crossentropy"))
    project.set_dataset(DatasetSpec("csv", str(churn_csv(tmp_path / "churn.csv")), {
        "columns": {"signup_date": {"role": "ignore"}, "customer_id": {"role": "feature"}}}))  # the target: the last
    window = _open_checked(qtbot, shell, project, tmp_path / "churn.vnn")
    assert window.validity_label.text() == "✓ Valid · 1 warning", _rows(shell)
    (row,) = _rows(shell)
    assert "Column 'customer_id' of churn.csv has a different value in every row (200 of 200)" in row[1]

    _click(qtbot, _fix_button(shell, "Fix: set column 'customer_id' role = ignore"))
    assert window.document.project.dataset.column("customer_id").role == "ignore"
    # The Data panel reads the data again; the Input no longer matches it, and says so with its own fix.
    qtbot.waitUntil(lambda: window.validity_label.text() == "✗ 1 error", timeout=WAIT_MS)
    _click(qtbot, _fix_button(shell, "Fix: set input_1.shape = [5]"))
    assert window.validity_label.text() == "✓ Valid" and _rows(shell) == []


def test_a_project_whose_column_settings_name_no_target_is_checked_once_its_data_is_read(
    qtbot: QtBot, shell: Shell, tmp_path: Path
) -> None:
    """The inspection added the implicit target to the column settings it was given, on its worker thread: those were
    the Data panel's own, so the project's data no longer matched what was read, and the model was never checked
    ("the data source was changed in the Data panel and not applied again")."""
    project = template("mlp_classifier").build()
    project.graph.set_param("input_1", "shape", [4])
    project.set_dataset(DatasetSpec("csv", str(three_class_csv(tmp_path)), {"columns": {"sepal_length": {"role": "feature"}}}))
    window = _open_checked(qtbot, shell, project, tmp_path / "flowers.vnn")
    assert window.document.data_facts.n_classes == 3 and window.document.data_facts.input_shape == (4,)
    assert window.validity_label.text() == "✓ Valid" and _rows(shell) == []
    assert window.data_panel.spec.options["columns"] == {"sepal_length": {"role": "feature"}, "species": {"role": "target"}}
    assert window.document.project.dataset.options["columns"] == {"sepal_length": {"role": "feature"}}
