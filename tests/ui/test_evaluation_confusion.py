"""The Evaluation tab's confusion matrix: each count is written in its cell and coloured by its row's share,
hovering a cell names both classes; evaluating a run behind another tab draws nothing until the tab is
shown (issue 16, failure 3: a 10-class matrix froze the window for 54-62 ms at the end of every run)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QTabBar, QToolTip

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.ui.app import Shell

CLASSES = [f"digit {k}" for k in range(10)]
MATRIX = [[30 + i if i == j else (i * 7 + j * 3) % 5 for j in range(10)] for i in range(10)]
SAMPLE = [[(x * 29 + y * 13) % 256 for x in range(8)] for y in range(8)]  # an 8x8 grey image


def _report(run_id: str) -> dict[str, Any]:
    per_class = [{"class": c, "precision": 0.9, "recall": 0.9, "f1": 0.9, "support": sum(MATRIX[k])}
                 for k, c in enumerate(CLASSES)]
    wrong = [{"index": k, "true": CLASSES[1], "pred": CLASSES[2], "confidence": 0.9, "sample": SAMPLE}
             for k in range(3)]
    return {"run_id": run_id, "split": "test", "n_samples": sum(map(sum, MATRIX)), "task": "classification",
            "metrics": {"loss": 0.3, "accuracy": 0.9},
            "classification": {"class_names": CLASSES, "confusion": MATRIX, "per_class": per_class, "wrong": wrong}}


def _train_and_evaluate(shell: Shell, qtbot: Any) -> Any:
    """Train (fake engine) with the Training tab in front: the new run is evaluated automatically."""
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(Project(graph=mlp_graph(), training=TrainingConfig(epochs=2)))
    window.docks["training"].raise_()
    qtbot.waitUntil(window.training_panel.isVisible)
    assert _behind_another_tab(window.evaluation_panel)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    train_job = engine.jobs[-1][0]
    run = engine.finish_training(train_job)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "evaluate" and payload["run_id"] == run["id"]
    engine.finish(job_id, _report(run["id"]))
    return window.evaluation_panel


def _behind_another_tab(panel: Any) -> bool:
    # Qt keeps a dock behind another tab "visible", moved out of the window: no part of it is exposed.
    return bool(panel.visibleRegion().isEmpty())


def _click_tab(qtbot: Any, shell: Shell, title: str) -> None:
    bars = [b for b in shell.window.findChildren(QTabBar) if title in [b.tabText(i) for i in range(b.count())]]
    assert bars, f"no tab named {title}"
    bar = bars[0]
    index = [bar.tabText(i) for i in range(bar.count())].index(title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_a_run_evaluated_behind_another_tab_is_drawn_when_the_tab_is_shown(shell: Shell, qtbot: Any) -> None:
    panel = _train_and_evaluate(shell, qtbot)
    view = panel.confusion
    assert _behind_another_tab(panel) and panel.report is not None
    assert "Run" in panel.status.text() and view.matrix == MATRIX and panel.per_class.rowCount() == 10
    qtbot.wait(100)  # event loop turns: still nothing drawn behind the Training tab
    assert view.paints == 0 and view.drawn_counts == {}
    assert panel.wrong.item(0, 4).data(Qt.ItemDataRole.DecorationRole) is None  # thumbnails wait too

    _click_tab(qtbot, shell, "Evaluation")
    qtbot.waitUntil(lambda: view.paints > 0)
    assert view.drawn_counts == {(i, j): str(MATRIX[i][j]) for i in range(10) for j in range(10)}
    qtbot.waitUntil(lambda: panel.wrong.item(0, 4).data(Qt.ItemDataRole.DecorationRole) is not None)
    assert panel.wrong.item(0, 4).data(Qt.ItemDataRole.DecorationRole).height() == 36


def test_each_count_is_written_in_its_cell_coloured_by_its_row_share(shell: Shell, qtbot: Any) -> None:
    panel = _train_and_evaluate(shell, qtbot)
    _click_tab(qtbot, shell, "Evaluation")
    view = panel.confusion
    qtbot.waitUntil(lambda: view.paints > 0)
    assert view.cell_rect(0, 0).width() >= 14, "cells too small to hold their counts"
    image = view.grab().toImage()
    for i in range(10):
        for j in range(10):
            assert view.drawn_counts[(i, j)] == str(MATRIX[i][j])
            rect = view.cell_rect(i, j)
            corner = QPoint(int(rect.left()) + 2, int(rect.top()) + 2)  # off the text in the middle
            share = MATRIX[i][j] / sum(MATRIX[i])
            assert view.cell_colour(i, j) == view.cell_colour(j, j) or share < 0.5  # the diagonal is brightest
            assert image.pixelColor(corner) == view.cell_colour(i, j), f"cell {i},{j}"
    # The true classes are the rows: row 3's diagonal is bright, its neighbours dark.
    assert view.cell_colour(3, 3).lightness() > view.cell_colour(3, 4).lightness()

    # Hovering a cell names both classes, its count and its share of the true class.
    centre = view.cell_rect(3, 4).center().toPoint()
    view.event(QHelpEvent(QEvent.Type.ToolTip, centre, view.mapToGlobal(centre)))
    share = MATRIX[3][4] / sum(MATRIX[3])
    assert QToolTip.text() == f"true digit 3, predicted digit 4: {MATRIX[3][4]} ({share:.0%} of the digit 3 samples)"
    QToolTip.hideText()

    # Another run's matrix replaces every number (no cell of the old one left).
    panel.confusion.set_matrix([[1, 2], [3, 4]], ["a", "b"])
    qtbot.waitUntil(lambda: set(view.drawn_counts) == {(0, 0), (0, 1), (1, 0), (1, 1)})
    assert [view.drawn_counts[k] for k in sorted(view.drawn_counts)] == ["1", "2", "3", "4"]
