"""Journey: a run's model file goes where the project goes, and closing mid-training never strands one.

With the real TensorFlow engine and a 150-row table, by hand: New -> the CSV through the Data panel ->
Input, Dense, Dense dragged and connected -> Train.

- Trained while untitled, then File > Save As into a new folder: the file records ``runs/<id>/model.keras``
  relative to itself, the model is there, the engine evaluates it from there (Evaluation > Evaluate), and
  File > Open of the saved file brings the same runs back.
- The window's close button while training runs, once per answer to "Training is running" (the app's own
  question box, its buttons clicked): Cancel (training goes on, the window stays), then Stop and keep the run
  so far; Wait and keep the run; Discard the run. The unsaved-changes question that follows is answered Save,
  into a new folder (and once, after waiting, Discard: the finished run's folder goes with the changes).
  Afterwards every ``runs/*/model.keras`` on disk (under the test's folder and the app's
  session folder for unsaved runs) is one the saved project records, once the app has ended as ``run_app``
  ends it (the session folder removed).

Closing the window stops the engine; the next journey's ``tf_engine`` starts it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import build_dense_model, load_csv, set_training, start_training, train_to_the_end, write_csv
from tests.journeys.user import User
from visualnn.core.project.io import load_project
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.training import snapshot

pytestmark = [pytest.mark.tf, pytest.mark.slow]

LONG = 300  # epochs of a run the journey ends early (far more than it lets run)
SHORT = 25  # epochs of a run the journey waits for


@pytest.fixture(autouse=True)
def own_session_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each journey is one run of the app: its own session folder for unsaved runs, removed when it ends."""
    monkeypatch.setattr(snapshot, "_SESSION_DIR", None)
    yield
    snapshot.remove_session_dir()


def models_on_disk(*roots: Path) -> set[Path]:
    """Every ``runs/<id>/model.keras`` under ``roots``."""
    return {p.resolve() for root in roots if root.is_dir() for p in root.glob("**/runs/*/model.keras")}


def recorded_models(saved: Path) -> set[Path]:
    """The model files the project saved at ``saved`` records."""
    project = load_project(str(saved))
    return {(saved.parent / r.model_path).resolve() for r in project.runs if r.model_path}


def untitled_model(user: User, csv: Path, epochs: int, batch_size: int) -> Path:
    """File > New, the CSV, three layers, the epochs and batch size typed; returns the app's session folder."""
    document = user.window.document
    user.menu("File", "New")
    assert not document.graph.nodes and document.path is None
    load_csv(user, csv)
    build_dense_model(user, hidden_units=8)
    set_training(user, epochs=epochs, batch_size=batch_size)
    assert document.is_dirty and document.path is None
    return Path(snapshot.job_base_dir(document))  # where an untitled project's runs go


def close_and_save(user: User, training_answer: str, saved: Path) -> None:
    """Click the window's close button mid-training, answer ``training_answer`` and then Save (into ``saved``)."""
    window = user.window
    saved.parent.mkdir()
    user.chooser.will_answer("save_file", str(saved))
    user.answer_next_prompt(training_answer)
    user.answer_next_prompt("Save")
    window.close()  # what the title bar's close button does
    user.wait_until(lambda: not window.isVisible(), "the window closing after training ended", timeout_ms=180_000)
    assert [a.split(": ", 1)[1] for a in user.answered[-2:]] == [training_answer, "Save"], user.answered
    assert user.answered[-2].startswith("Training is running"), user.answered
    assert saved.exists(), f"the unsaved-changes question's Save did not write {saved}"
    assert not user.chooser.answers, f"file dialogs that never opened: {list(user.chooser.answers)}"


def app_ends_and_nothing_is_stranded(saved: Path, session: Path, tmp_path: Path) -> None:
    """Every model file on disk is one ``saved`` records, before and after the app ends (session folder removed)."""
    recorded = recorded_models(saved)
    on_disk = models_on_disk(tmp_path, session)
    # Before the app ends, the session folder may still hold the originals of runs Save As copied (a job sent
    # before the save may read them): each must be a run the saved project records, with its copy beside it.
    recorded_ids = {p.parent.name for p in recorded}
    stray = sorted(str(p) for p in on_disk - recorded
                   if not (p.is_relative_to(session.resolve()) and p.parent.name in recorded_ids))
    assert not stray, f"model files no project records: {stray} (the project records {sorted(map(str, recorded))})"
    assert recorded <= on_disk, f"recorded models missing from disk: {sorted(map(str, recorded - on_disk))}"
    snapshot.remove_session_dir()  # what run_app does once the window has closed and the loop has ended
    assert not session.exists(), f"the session folder {session} outlived the app"
    assert models_on_disk(tmp_path, session) == recorded


def test_untitled_run_travels_with_save_as_and_is_evaluated_and_reopened_from_there(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    window = session.window
    document = window.document
    chooser = user.chooser
    session_dir = untitled_model(user, write_csv(tmp_path / "numbers.csv"), epochs=3, batch_size=16)

    run = train_to_the_end(user)
    assert run.status == "finished" and run.epochs_done == 3, (run.status, run.error)
    trained_at = Path(str(run.model_path))
    assert trained_at.is_absolute() and trained_at.is_relative_to(session_dir), (run.model_path, session_dir)
    assert trained_at.exists()

    # File > Save As into a folder of its own: the run comes along, recorded relative to the file.
    saved = tmp_path / "work" / "regression.vnn"
    saved.parent.mkdir()
    chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert saved.exists() and document.path == str(saved) and not document.is_dirty
    stored = load_project(str(saved)).runs
    assert [(r.id, r.model_path) for r in stored] == [(run.id, f"runs/{run.id}/model.keras")], stored
    beside = saved.parent / "runs" / run.id / "model.keras"
    assert beside.is_file() and beside.stat().st_size > 0, f"no model beside the saved project at {beside}"

    # File > New, then File > Open of the saved file: the same runs; Evaluate reads the model beside it.
    user.menu("File", "New")
    assert not document.project.runs
    chooser.will_answer("open_file", str(saved))
    user.menu("File", "Open…")
    assert document.path == str(saved) and not document.is_dirty
    assert [r.to_dict() for r in document.project.runs] == [r.to_dict() for r in stored]
    user.show_dock("evaluation")
    panel = window.evaluation_panel
    failures: list[str] = []
    panel.evaluation_failed.connect(failures.append)
    assert panel.run_combo.currentData() == run.id, panel.run_combo.currentText()
    user.click(panel.evaluate_button)
    user.wait_until(lambda: panel.report is not None or bool(failures),
                    lambda: f"the evaluation (the panel says {panel.status.text()!r})", timeout_ms=120_000)
    assert not failures, failures
    assert panel.report is not None and panel.report.get("run_id") == run.id, panel.report
    assert panel.report.get("n_samples", 0) > 0 and panel.report.get("metrics"), panel.report
    user.screenshot("runs-1-evaluated-from-saved")
    assert not chooser.answers, f"file dialogs that never opened: {list(chooser.answers)}"
    app_ends_and_nothing_is_stranded(saved, session_dir, tmp_path)


def test_close_mid_training_cancel_then_stop_and_keep_the_run_so_far(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    window = session.window
    controller = window.training_panel.controller
    session_dir = untitled_model(user, write_csv(tmp_path / "numbers.csv"), epochs=LONG, batch_size=8)
    start_training(user)

    # Cancel: nothing closes, training goes on.
    user.answer_next_prompt("Cancel")
    assert window.close() is False
    assert user.answered == ["Training is running: Cancel"], user.answered
    assert "still training" in user.read[-1] and "Epoch" in user.read[-1], user.read[-1]
    assert window.isVisible() and window.training_panel.running
    epochs = len(controller.history["loss"])
    user.wait_until(lambda: len(controller.history["loss"]) > epochs, "another epoch after Cancel", timeout_ms=60_000)
    assert not window.document.project.runs and window.document.path is None
    user.screenshot("runs-2-still-training-after-cancel")

    # Stop and keep the run so far, then Save.
    saved = tmp_path / "stopped" / "stopped.vnn"
    close_and_save(user, "Stop and keep the run so far", saved)
    runs = load_project(str(saved)).runs
    assert len(runs) == 1, runs
    assert runs[0].status == "stopped" and 0 < runs[0].epochs_done < LONG, (runs[0].status, runs[0].epochs_done)
    assert runs[0].model_path == f"runs/{runs[0].id}/model.keras"
    app_ends_and_nothing_is_stranded(saved, session_dir, tmp_path)


def test_close_mid_training_wait_and_keep_the_run(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    session_dir = untitled_model(user, write_csv(tmp_path / "numbers.csv"), epochs=SHORT, batch_size=8)
    start_training(user)

    saved = tmp_path / "kept" / "kept.vnn"
    close_and_save(user, "Wait and keep the run", saved)
    assert "1 training run not saved yet" in user.read[-1], user.read[-1]  # the question said what Discard would delete
    runs = load_project(str(saved)).runs
    assert len(runs) == 1, runs
    assert runs[0].status == "finished" and runs[0].epochs_done == SHORT, (runs[0].status, runs[0].epochs_done)
    assert runs[0].model_path == f"runs/{runs[0].id}/model.keras"
    app_ends_and_nothing_is_stranded(saved, session_dir, tmp_path)


def test_close_mid_training_wait_then_discard_the_unsaved_changes_deletes_the_run(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    window = session.window
    session_dir = untitled_model(user, write_csv(tmp_path / "numbers.csv"), epochs=SHORT, batch_size=8)
    start_training(user)

    user.answer_next_prompt("Wait and keep the run")
    user.answer_next_prompt("Discard")
    window.close()
    user.wait_until(lambda: not window.isVisible(), "the window closing after training ended", timeout_ms=180_000)
    assert [a.split(": ", 1)[1] for a in user.answered] == ["Wait and keep the run", "Discard"], user.answered
    assert "Discarding also deletes the 1 training run" in user.read[-1], user.read[-1]
    assert [r.status for r in window.document.project.runs] == ["finished"], "waiting did not keep the run"
    left = models_on_disk(tmp_path, session_dir)
    assert not left, f"the run thrown away with the unsaved changes left its model: {sorted(map(str, left))}"
    assert not list(session_dir.glob("runs/*")), list(session_dir.glob("runs/*"))
    assert window.document.path is None and not [k for k, _ in user.chooser.asked if k == "save_file"], user.chooser.asked


def test_close_mid_training_discard_the_run(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    session_dir = untitled_model(user, write_csv(tmp_path / "numbers.csv"), epochs=LONG, batch_size=8)
    start_training(user)

    saved = tmp_path / "discarded" / "discarded.vnn"
    close_and_save(user, "Discard the run", saved)
    assert "training run" not in user.read[-1], user.read[-1]  # no run left to mention
    assert load_project(str(saved)).runs == [], "a discarded run was recorded"
    assert not list(saved.parent.glob("runs/*")), list(saved.parent.glob("runs/*"))
    assert not models_on_disk(tmp_path, session_dir), sorted(map(str, models_on_disk(tmp_path, session_dir)))
    assert not list(session_dir.glob("runs/*")), f"the discarded run's folder is left: {list(session_dir.glob('runs/*'))}"
    app_ends_and_nothing_is_stranded(saved, session_dir, tmp_path)

