"""The Runs table's figures are the ones the runs report: a regression project showed an empty val_accuracy column
and no MAE at all."""

from __future__ import annotations

from typing import Any

from tests.services.training_helpers import mlp_graph
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.ui.app import Shell


def _headers(table: Any) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def test_a_regression_project_shows_its_mae_and_its_test_figures(shell: Shell) -> None:
    window = shell.window
    project = Project(graph=mlp_graph())
    history = {"loss": [9.0, 4.0], "mae": [2.5, 1.5], "val_loss": [8.0, 5.0], "val_mae": [2.4, 1.75], "lr": [1e-3] * 2}
    project.add_run(RunRecord("run-1", "2026-01-01T12:00:00", history=history, epochs_done=2,
                              metrics={"loss": 4.0, "val_loss": 5.0, "val_mae": 1.75, "test_loss": 6.0, "test_mae": 2.25}))
    project.add_run(RunRecord("run-2", "2026-01-01T13:00:00", status="failed", error="stopped"))
    window.document.set_project(project)
    table = window.runs_panel.table
    headers = _headers(table)
    assert headers[6:] == ["loss", "val_loss", "val_mae", "test_loss", "test_mae"], headers
    assert [table.item(0, c).text() for c in range(6, 11)] == ["4.0000", "5.0000", "1.7500", "6.0000", "2.2500"]
    assert [table.item(1, c).text() for c in range(6, 11)] == [""] * 5  # a run without figures leaves them empty


def test_a_classifier_shows_its_accuracy_and_no_test_columns_without_a_test_split(shell: Shell) -> None:
    window = shell.window
    project = Project(graph=mlp_graph())
    history = {"loss": [0.7], "accuracy": [0.6], "val_loss": [0.65], "val_accuracy": [0.625]}
    project.add_run(RunRecord("run-1", "2026-01-01T12:00:00", history=history, epochs_done=1))
    window.document.set_project(project)
    table = window.runs_panel.table
    assert _headers(table)[6:] == ["loss", "val_loss", "val_accuracy"]
    assert table.item(0, 8).text() == "0.6250"


def test_large_figures_read_with_thousands_separators(shell: Shell) -> None:
    """A price model's loss read "127501968.0000" in the Runs and Evaluation tables."""
    window = shell.window
    project = Project(graph=mlp_graph())
    history = {"loss": [109_716_552.0], "val_loss": [145_615_008.25], "val_mae": [9665.88379]}
    project.add_run(RunRecord("run-1", "2026-01-01T12:00:00", history=history, epochs_done=1))
    window.document.set_project(project)
    table = window.runs_panel.table
    assert [table.item(0, c).text() for c in range(6, 9)] == ["109,716,552", "145,615,008.2", "9,665.9"]

