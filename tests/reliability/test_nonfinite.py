"""Issue 15, item 1: numbers that are not finite (JSON ``1e999`` reads as ``inf``) and huge positions.

A node at ``[1e999, -1e999]`` crashed the window (segfault), ``[1e999, 0]`` raised ZeroDivisionError in the
canvas's zoom, ``[1e20, -1e20]`` took ~50 s to open, and ``learning_rate: 1e999`` trained with NaN and broke
saving. Every such number is now refused at load with its JSON path; positions are clamped to the canvas's
range on load, in move commands and on the canvas; the view's zoom never divides by zero.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QTransform

from tests.reliability.hostile_files import run_cli, small_project, write_project
from visualnn.core.commands import MoveNodes
from visualnn.core.graph import POSITION_LIMIT
from visualnn.core.project.io import ProjectFileError, load_project, project_from_dict, project_to_dict
from visualnn.ui.app import Shell
from visualnn.ui.errors import ErrorDialog

CASES = [
    (["graph", "nodes", 1, "pos", 0], "1e999", "graph.nodes[1].pos[0]"),
    (["graph", "nodes", 2, "pos", 1], "-1e999", "graph.nodes[2].pos[1]"),
    (["training", "learning_rate"], "1e999", "training.learning_rate"),
    (["training", "epochs"], "1" + "0" * 400, "training.epochs"),  # an integer no float can hold
    (["graph", "nodes", 2, "params", "rate"], "1e999", "graph.nodes[2].params.rate"),
    (["graph", "nodes", 1, "params", "units"], "-1e999", "graph.nodes[1].params.units"),
    (["name"], "1e999", "name"),
]


@pytest.mark.parametrize("where, raw, json_path", CASES)
def test_a_number_that_is_not_finite_is_refused_at_load_naming_its_json_path(
    tmp_path: Path, where: list[str | int], raw: str, json_path: str
) -> None:
    path = write_project(tmp_path, where, raw)
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    assert caught.value.json_path == json_path
    assert str(caught.value).startswith(f"{path}: {json_path}: ")
    assert "Fix:" in str(caught.value)


def test_documents_from_elsewhere_pass_the_same_door() -> None:
    # A recovery's or an engine job's project is a dict, never a file: the check is in project_from_dict too.
    doc: Any = project_to_dict(small_project())
    doc["graph"]["nodes"][3]["params"]["units"] = float("inf")
    with pytest.raises(ProjectFileError, match=r"<job>: graph\.nodes\[3\]\.params\.units: must be a finite number"):
        project_from_dict(doc, "<job>")
    doc["graph"]["nodes"][3]["params"]["units"] = 3
    doc["training"]["learning_rate"] = float("nan")
    with pytest.raises(ProjectFileError, match=r"training\.learning_rate: must be a finite number; received NaN"):
        project_from_dict(doc, "<job>")


def test_huge_but_finite_positions_are_clamped_on_load(tmp_path: Path) -> None:
    path = write_project(tmp_path, ["graph", "nodes", 1, "pos"], "[1e20, -1e300]")
    project = load_project(path)
    assert project.graph.nodes["dense_1"].pos == (POSITION_LIMIT, -POSITION_LIMIT)
    assert project.graph.nodes["input_1"].pos == (0.0, 0.0)


def test_moves_are_clamped_to_the_canvas_range_and_undo_exactly() -> None:
    project = small_project()
    move = MoveNodes({"dense_1": (1e30, float("-inf")), "dense_2": (float("nan"), 5.0)})
    move.redo(project)
    assert project.graph.nodes["dense_1"].pos == (POSITION_LIMIT, -POSITION_LIMIT)
    assert project.graph.nodes["dense_2"].pos == (0.0, 5.0)
    move.undo(project)
    assert project.graph.nodes["dense_1"].pos == (0.0, 140.0) and project.graph.nodes["dense_2"].pos == (0.0, 420.0)


@pytest.mark.parametrize("pos", ["[1e999, -1e999]", "[1e999, 0]"])
def test_the_window_refuses_an_infinite_position_with_the_path_instead_of_crashing(
    shell: Shell, qtbot: Any, tmp_path: Path, pos: str
) -> None:
    window = shell.window
    path = write_project(tmp_path, ["graph", "nodes", 1, "pos"], pos)
    assert not window.open_path(str(path), ask=False)
    shown = window.findChild(ErrorDialog)
    assert isinstance(shown, ErrorDialog) and shown.windowTitle() == "Cannot open project"
    assert f"{path}: graph.nodes[1].pos[0]: must be a finite number" in shown.message.text()
    qtbot.wait(50)  # paint and process events: the window is still alive and usable
    assert window.isVisible() and window.view.zoom > 0
    shown.close()


def test_the_window_opens_huge_finite_positions_quickly_and_zooms(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    path = write_project(tmp_path, ["graph", "nodes", 1, "pos"], "[1e20, -1e20]")
    started = time.perf_counter()
    assert window.open_path(str(path), ask=False)
    qtbot.wait(50)
    window.resize(window.width() - 200, window.height() - 100)  # a refit on resize
    qtbot.wait(50)
    assert time.perf_counter() - started < 10, "opening took ~50 s before positions were clamped"
    card = window.scene.nodes["dense_1"]
    assert (card.pos().x(), card.pos().y()) == (POSITION_LIMIT, -POSITION_LIMIT)
    assert window.view.zoom > 0
    window.view.zoom_in()
    window.view.fit()
    assert 0 < window.view.zoom <= 1.2


def test_zoom_recovers_from_a_degenerate_view_transform(shell: Shell, qtbot: Any) -> None:
    # What an infinite scene rectangle left behind: a zero scale, and the next zoom divided by it.
    view = shell.window.view
    view.setTransform(QTransform.fromScale(0.0, 0.0))
    view.set_zoom(1.5)
    assert view.zoom == pytest.approx(1.5)
    view.setTransform(QTransform.fromScale(0.0, 0.0))
    view.zoom_out()
    assert view.zoom > 0


def test_a_card_dragged_beyond_the_canvas_range_stops_at_its_edge(shell: Shell, tmp_path: Path) -> None:
    window = shell.window
    assert window.open_path(str(write_project(tmp_path, ["name"], '"fine"')), ask=False)
    card = window.scene.nodes["dense_1"]
    card.setPos(5e12, -5e12)  # what a drag (not a document sync) asks for
    assert abs(card.pos().x()) <= POSITION_LIMIT and abs(card.pos().y()) <= POSITION_LIMIT


VERBS = [("check",), ("summary",), ("train", "--epochs", "1"), ("evaluate",), ("export-code", "-o", "train.py")]


def test_every_project_verb_refuses_a_non_finite_number_with_exit_2_and_the_path(tmp_path: Path) -> None:
    path = write_project(tmp_path, ["graph", "nodes", 1, "pos"], "[1e999, 0]")  # passed check, crashed the window
    running = [(verb, run_cli(verb[0], str(path), *verb[1:], cwd=tmp_path)) for verb in VERBS]
    for verb, proc in running:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 2, f"{verb[0]} exited {proc.returncode}: {err[-2000:]}"
        assert "Traceback" not in err and "Traceback" not in out, f"{verb[0]}: {err[-2000:]}"
        assert "graph.nodes[1].pos[0]: must be a finite number" in err, f"{verb[0]}: {err[-2000:]}"
    assert not (tmp_path / "train.py").exists() and not (tmp_path / "runs").exists()
