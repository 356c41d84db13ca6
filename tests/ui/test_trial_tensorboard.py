"""A search trial's TensorBoard logs live in runs/search-<study>/trial-<N> (they outlive a pruned trial's model
folder): the Runs tab's "Open in TensorBoard" serves that folder for a trial run, even one whose model is gone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.services.training_helpers import mlp_graph
from tests.ui.test_runs_tensorboard import StandInRunner
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.ui.app import Shell


def test_open_in_tensorboard_serves_a_pruned_trials_own_folder(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    logs = tmp_path / "runs" / "search-wine" / "trial-3"
    (logs / "train").mkdir(parents=True)
    project = Project(graph=mlp_graph())
    project.add_run(RunRecord("run-t3", "2026-01-01T12:00:00", status="stopped", history={"loss": [0.5]},
                              epochs_done=1, model_path=None,  # pruned: its model folder was deleted
                              extra={"search": {"study": "wine", "trial": 3, "state": "pruned",
                                                "tensorboard": "runs/search-wine/trial-3"}}))
    window.document.set_project(project)
    window.document.save(str(tmp_path / "wine.vnn"))
    window.docks["runs"].raise_()
    panel = window.runs_panel
    qtbot.waitUntil(panel.isVisible)
    runners: list[StandInRunner] = []
    ready = "TensorBoard 2.21.0 at http://127.0.0.1:{port}/ (Press CTRL+C to quit)\n"
    panel.tensorboard.runner_factory = lambda: StandInRunner([ready], runners)
    opened: list[str] = []
    panel.tensorboard.open_url = lambda url: opened.append(url.toString()) or True
    rect = panel.table.visualItemRect(panel.table.item(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(panel.tensorboard_btn, Qt.MouseButton.LeftButton)
    [runner] = runners
    assert runner.program == sys.executable
    assert runner.args[runner.args.index("--logdir") + 1] == str(logs)
    qtbot.waitUntil(lambda: len(opened) == 1)
