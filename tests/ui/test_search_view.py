"""The Runs tab's Search view in the real window with the FakeEngine: the study settings form, the Search button's
job, the live trials table and plots from the engine's messages, the diff, Apply this trial, Export code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QToolButton

from tests.journeys.user import ScriptedChooser
from tests.ui import search_fakes as fake
from tests.ui.canvas_helpers import chain
from tests.ui.fake_engine import FakeEngine
from visualnn.core.project import Project
from visualnn.core.project.io import load_project
from visualnn.core.search_commands import SetSearch
from visualnn.core.search_job import SearchRequest
from visualnn.core.search_settings import SearchConfig
from visualnn.core.search_space import parse_assignment
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser
from visualnn.ui.training.search_view import SearchPanel

SPACE = (parse_assignment("dense_1.units=8,32,64"), parse_assignment("training.learning_rate=0.0001..0.01:log"))


def _search_view(shell: Shell, qtbot: Any, project: Project | None = None) -> SearchPanel:
    window = shell.window
    window.document.set_project(project or chain())
    window.docks["runs"].show()
    window.docks["runs"].raise_()
    runs = window.runs_panel
    bar = runs.views.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert runs.views.currentWidget() is runs.search
    return runs.search


def _searched_project(tmp_path: Path | None = None) -> Project:
    project = chain()
    project.set_search(SearchConfig(space=SPACE, metric="val_accuracy", study="chain_study"))
    if tmp_path is not None:
        project.path = str(tmp_path / "chain.vnn")
    return project


def test_settings_form_writes_the_search_section_and_the_saved_project_round_trips(
        shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    view = _search_view(shell, qtbot)
    form = view.form
    doc = shell.window.document
    sampler = form.findChild(QComboBox, "search_sampler")
    sampler.setFocus()
    qtbot.keyClick(sampler, Qt.Key.Key_Down)  # tpe -> random
    assert doc.project.search.sampler == "random"
    trials = form.findChild(QSpinBox, "search_trials")
    trials.setFocus()
    trials.selectAll()
    qtbot.keyClicks(trials, "12")
    assert doc.project.search.trials == 12
    metric = form.findChild(QComboBox, "search_metric")
    assert [metric.itemText(i) for i in range(metric.count())] == ["val_loss", "val_accuracy"]
    metric.setFocus()
    qtbot.keyClick(metric, Qt.Key.Key_Down)
    assert doc.project.search.metric == "val_accuracy"
    direction = form.findChild(QComboBox, "search_direction")
    assert direction.currentText() == "auto (maximize)"
    study = form.findChild(QLineEdit, "search_study")
    assert study.placeholderText() == "untitled"
    qtbot.mouseClick(study, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(study, "wine_study")
    qtbot.keyClick(study, Qt.Key.Key_Return)
    assert doc.project.search.study == "wine_study"
    # A training setting is searched from the form: the learning rate on a log scale around its value.
    lr = form.findChild(QToolButton, "search_toggle:training.learning_rate")
    qtbot.mouseClick(lr, Qt.MouseButton.LeftButton)
    assert [p.describe() for p in doc.project.search.space] == ["training.learning_rate=0.0001..0.01:log"]
    shown = form.findChild(QLabel, "search_param:training.learning_rate")
    assert shown is not None and shown.text() == "training.learning_rate=0.0001..0.01:log"
    # Saved and opened again: the same search section; the storage default shown is the file beside it.
    path = str(tmp_path / "wine.vnn")
    doc.save(path)
    assert load_project(path).search == doc.project.search
    storage = form.findChild(QLineEdit, "search_storage")
    assert storage.placeholderText() == f"sqlite:///{tmp_path}/wine.search.db"
    assert f"sqlite:///{tmp_path}/wine.search.db" in form.storage_note.text()
    shell.window.document.load(path)
    assert shell.window.document.project.search == load_project(path).search
    assert form.findChild(QComboBox, "search_sampler").currentData() == "random"
    assert form.findChild(QLineEdit, "search_study").text() == "wine_study"
    # Undo goes back through the form's edits.
    before = doc.project.search
    qtbot.keyClick(form.findChild(QComboBox, "search_pruner"), Qt.Key.Key_Down)
    assert doc.project.search.pruner == "hyperband"
    doc.undo_stack.undo()
    assert doc.project.search == before


def test_search_refused_before_sending_names_the_parameter(shell: Shell, fake_engine: FakeEngine, qtbot: Any) -> None:
    project = chain()
    project.set_search(SearchConfig(space=(parse_assignment("dense_9.units=8,16"),), metric="val_auc"))
    view = _search_view(shell, qtbot, project)
    assert "dense_9.units" in view.form.problems_label.text()
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    assert "search" not in fake_engine.job_types()
    assert view.error.isVisible()
    assert "dense_9.units: there is no layer 'dense_9'" in view.error.text()
    assert "val_auc" in view.error.text() and "not compiled" in view.error.text()
    # The parameter of a layer that is gone cannot be unmarked in the Inspector: "remove" beside it does it.
    qtbot.mouseClick(view.form.findChild(QToolButton, "search_remove:dense_9.units"), Qt.MouseButton.LeftButton)
    assert shell.window.document.project.search.space == ()
    assert "dense_9" not in view.form.problems_label.text()
    shell.window.document.undo_stack.undo()
    assert [p.target for p in shell.window.document.project.search.space] == ["dense_9.units"]


def _run_search(shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> tuple[SearchPanel, str]:
    project = _searched_project(tmp_path)
    view = _search_view(shell, qtbot, project)
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    job = fake.search_job(fake_engine)
    payload = fake_engine.jobs[-1][2]
    assert payload["project_path"] == str(tmp_path / "chain.vnn") and payload["base_dir"] == str(tmp_path)
    assert payload["project"]["search"]["study"] == "chain_study"
    parsed = SearchRequest.from_dict(payload).parsed()  # what the engine's handler does with it
    assert parsed.project.search.study == "chain_study" and parsed.trials is None
    assert not view.search_btn.isEnabled() and view.stop_btn.isEnabled()
    doc = shell.window.document
    fake.study_started(fake_engine, job, "chain_study", "val_accuracy", "maximize")
    trials = [({"dense_1.units": 64, "training.learning_rate": 0.003}, "complete", 0.81),
              ({"dense_1.units": 8, "training.learning_rate": 0.0002}, "pruned", None),
              ({"dense_1.units": 32, "training.learning_rate": 0.002}, "complete", 0.9)]
    for number, (params, state, value) in enumerate(trials):
        fake.trial_started(fake_engine, job, number, params)
        fake.report(fake_engine, job, "epoch", {"trial": number, "epoch": 1, "logs": {"val_accuracy": 0.5}})
        fake.trial_finished(fake_engine, job, doc.project, "chain_study", number, params, state, value)
    fake.trial_started(fake_engine, job, 3, {"dense_1.units": 8, "training.learning_rate": 0.005})
    fake.importance(fake_engine, job, {"training.learning_rate": 0.7, "dense_1.units": 0.3})
    return view, job


def _cells(view: SearchPanel, column: str) -> list[str]:
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    c = headers.index(column)
    return [view.table.item(r, c).text() for r in range(view.table.rowCount())]


def test_fake_trial_events_fill_the_table_and_plots(shell: Shell, fake_engine: FakeEngine, qtbot: Any,
                                                    tmp_path: Path) -> None:
    view, job = _run_search(shell, fake_engine, qtbot, tmp_path)
    assert _cells(view, "trial") == ["0", "1", "2", "3"]
    assert _cells(view, "state") == ["complete", "pruned", "complete", "running"]
    assert _cells(view, "val_accuracy") == ["0.8100", "", "0.9000", ""]
    assert _cells(view, "dense_1.units") == ["64", "8", "32", "8"]
    assert _cells(view, "training.learning_rate") == ["0.003", "0.0002", "0.002", "0.005"]
    # Trials are runs: the three finished ones are in the project's runs (the Runs view lists them too).
    assert [r.id for r in shell.window.document.project.runs] == ["trial-0", "trial-1", "trial-2"]
    assert shell.window.runs_panel.table.rowCount() == 3
    xs, ys = view.plots.best_curve.getData()  # a step: flat until trial 2 beats trial 0
    assert list(xs) == [0, 2, 2] and list(ys) == [0.81, 0.81, 0.9]
    points = view.plots.value_points.getData()
    assert list(points[1]) == [0.81, 0.9]
    # Parallel coordinates: three axes, two complete trials; the better one (0.9) is drawn last, at the top.
    ticks = view.plots.parallel.getAxis("bottom")._tickLevels[0]
    assert [name for _x, name in ticks] == ["dense_1.units", "training.learning_rate", "val_accuracy"]
    trial_lines = view.plots.parallel_lines[3:]
    assert len(trial_lines) == 2 and list(trial_lines[-1].getData()[1])[-1] == 1.0
    assert view.plots.importance_values == {"training.learning_rate": 0.7, "dense_1.units": 0.3}
    assert view.plots.importance_bars is not None
    left = view.plots.importance.getAxis("left")._tickLevels[0]
    assert [name for _y, name in left] == ["dense_1.units", "training.learning_rate"]  # most important on top
    assert "Trial 3" in view.status.text()
    # The result lists every trial of the study: trial 3 ended failed (stopped); 4 came from another machine.
    other = {"number": 4, "state": "complete", "params": {"dense_1.units": 32, "training.learning_rate": 0.004},
             "value": 0.85, "run_id": None}
    trials = [{"number": n, "state": s, "params": {}, "value": None} for n, s in
              ((0, "complete"), (1, "pruned"), (2, "complete"), (3, "failed"))] + [other]
    fake_engine.finish(job, {"study": "chain_study", "directions": ["maximize"], "trials": trials,
                             "best": {"number": 2, "value": 0.9}, "storage": "sqlite:///x", "ended": "stopped",
                             "ran": ["trial-0", "trial-1", "trial-2"]})
    assert view.search_btn.isEnabled() and not view.stop_btn.isEnabled()
    assert view.status.text() == "Search ended (stopped) · 5 trials in study chain_study; best: trial 2 (val_accuracy 0.9)."
    assert _cells(view, "state") == ["complete", "pruned", "complete", "failed", "complete"]
    assert _cells(view, "run") == ["trial-0", "trial-1", "trial-2", "", ""]
    # The saved project keeps its trials: opened again, the view lists them.
    shell.window.document.save()
    shell.window.document.load(str(tmp_path / "chain.vnn"))
    assert _cells(view, "trial") == ["0", "1", "2"]  # the runs of this project; the study file has the rest


def _click_row(qtbot: Any, view: SearchPanel, row: int, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    rect = view.table.visualRect(view.table.model().index(row, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_apply_this_trial_changes_the_canvas_and_undo_restores_it(shell: Shell, fake_engine: FakeEngine,
                                                                  qtbot: Any, tmp_path: Path) -> None:
    view, job = _run_search(shell, fake_engine, qtbot, tmp_path)
    doc = shell.window.document
    card = shell.window.scene.nodes["dense_1"]
    assert doc.graph.nodes["dense_1"].params["units"] == 8 and "8" in card.view.subtitle
    _click_row(qtbot, view, 0)
    _click_row(qtbot, view, 2, Qt.KeyboardModifier.ControlModifier)
    assert [r.number for r in view.selected_rows()] == [0, 2]
    assert not view.apply_btn.isEnabled()
    diff = {view.diff_table.item(r, 0).text(): (view.diff_table.item(r, 1).text(), view.diff_table.item(r, 2).text())
            for r in range(view.diff_table.rowCount())}
    assert diff["layer dense_1.units"] == ("64", "32")
    assert diff["learning_rate"] == ("0.0030", "0.0020")
    _click_row(qtbot, view, 2)
    assert view.apply_btn.isEnabled()
    qtbot.mouseClick(view.apply_btn, Qt.MouseButton.LeftButton)
    assert doc.graph.nodes["dense_1"].params["units"] == 32
    assert doc.project.training.learning_rate == 0.002
    assert "Dense · 32" in card.view.subtitle
    assert doc.undo_stack.undoText() == "Apply trial 2"
    doc.undo_stack.undo()
    assert doc.graph.nodes["dense_1"].params["units"] == 8
    assert doc.project.training.learning_rate == 0.001  # the default the project had
    assert "Dense · 8" in card.view.subtitle


def test_export_code_for_this_trial_writes_the_trial_model(shell: Shell, fake_engine: FakeEngine, qtbot: Any,
                                                           tmp_path: Path) -> None:
    view, _job = _run_search(shell, fake_engine, qtbot, tmp_path)
    chooser = ScriptedChooser()
    use_chooser(shell.window, chooser)
    target = tmp_path / "trial_0.py"
    chooser.will_answer("save_file", str(target))
    _click_row(qtbot, view, 0)
    qtbot.mouseClick(view.export_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text() == f"Wrote {target}." or view.error.isVisible(), timeout=20000)
    assert not view.error.isVisible(), view.error.text()
    code = target.read_text()
    assert 'units=64, activation="relu", use_bias=True, name="dense_1"' in code  # trial 0's units, not the canvas's 8
    assert "learning_rate = 0.003" in code
    assert shell.window.document.graph.nodes["dense_1"].params["units"] == 8  # the open project is untouched
    assert os.path.exists(tmp_path / "requirements.txt")


def test_marking_from_a_saved_search_shows_badges_on_open(shell: Shell, qtbot: Any) -> None:
    project = _searched_project()
    shell.window.document.set_project(project)
    from visualnn.ui.canvas.search_badge import badge_of

    badge = badge_of(shell.window.scene.nodes["dense_1"])
    assert badge is not None and badge.toolTip().endswith("dense_1.units=8,32,64")
    assert badge_of(shell.window.scene.nodes["dense_2"]) is None
    shell.window.document.push(SetSearch(SearchConfig()))
    assert badge_of(shell.window.scene.nodes["dense_1"]) is None


def test_a_second_objective_shows_the_pareto_front(shell: Shell, fake_engine: FakeEngine, qtbot: Any,
                                                   tmp_path: Path) -> None:
    project = _searched_project(tmp_path)
    project.set_search(project.search.with_changes(second_objective="params"))
    view = _search_view(shell, qtbot, project)
    assert view.plots.pareto_note.isVisible()
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    job = fake.search_job(fake_engine)
    fake.study_started(fake_engine, job, "chain_study", "val_accuracy", "maximize")
    fake.report(fake_engine, job, "search", {"event": "study", "study": "chain_study",
                                             "directions": ["maximize", "minimize"], "objective": "val_accuracy"})
    # (accuracy, parameter count): trial 1 is beaten on both by trial 2; the others each win on one.
    for number, units, acc, size in ((0, 8, 0.8, 163), (1, 64, 0.82, 1315), (2, 32, 0.9, 771), (3, 64, 0.93, 1315)):
        fake.trial_finished(fake_engine, job, shell.window.document.project, "chain_study", number,
                            {"dense_1.units": units, "training.learning_rate": 0.001}, "complete", acc, size)
    xs, ys = view.plots.pareto_front.getData()
    assert list(xs) == [163, 771, 1315] and list(ys) == [0.8, 0.9, 0.93]
    assert len(view.plots.pareto_points.getData()[0]) == 4
    assert not view.plots.pareto_note.isVisible()


def test_stop_and_an_engine_failure_reach_the_user(shell: Shell, fake_engine: FakeEngine, qtbot: Any,
                                                   tmp_path: Path) -> None:
    view, job = _run_search(shell, fake_engine, qtbot, tmp_path)
    qtbot.mouseClick(view.stop_btn, Qt.MouseButton.LeftButton)
    assert fake_engine.controls == [(job, "stop")]
    assert view.status.text() == "Stopping after the current batch…"
    message = "Cannot reach the search storage postgresql://db.example/optuna within 10 s: connection refused."
    fake_engine.fail(job, message)
    assert view.error.isVisible() and view.error.text() == message
    assert view.search_btn.isEnabled() and not view.stop_btn.isEnabled()
    assert _cells(view, "state") == ["complete", "pruned", "complete"]  # the finished trials stay
    # Closing the project while a search runs stops it; nothing more lands in the next project.
    qtbot.mouseClick(view.search_btn, Qt.MouseButton.LeftButton)
    second = fake.search_job(fake_engine)
    assert second != job
    shell.window.document.set_project(chain())
    assert (second, "stop") in fake_engine.controls
    fake.trial_finished(fake_engine, second, shell.window.document.project, "chain_study", 9, {"dense_1.units": 8},
                        "complete", 0.5)
    assert shell.window.document.project.runs == [] and view.rows == []
    assert view.search_btn.isEnabled()
