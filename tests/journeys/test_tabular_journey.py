"""Journey: a table of numbers to a trained, saved, reopened and exported model, by hand, with a real engine.

New project -> File… in the Data panel picks a 150-row CSV -> Apply -> three layers dragged from the
palette and connected port to port -> the hidden layer's units typed in the Inspector -> "Use
suggested input and output" -> every Compile and Fit setting changed (walked from the settings
table, so a new setting is covered without editing this test) -> Train, one epoch -> File > Save
As -> File > Open -> File > Export .keras, .tflite and the script -> each file loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import build_dense_model, export_all, load_csv, write_csv
from tests.journeys.user import User
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project.io import load_project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OPTIMIZERS, SCHEDULES
from visualnn.core.training_settings import BOOL, CHOICE, FIELDS, FLOAT, INT, MULTI, OUTPUTS, applies
from visualnn.services.datasets import fast_numbers
from visualnn.services.datasets.sources import load_csv_arrays
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.main_window import MainWindow
from visualnn.ui.training.settings import TrainingSettingsForm

pytestmark = [pytest.mark.tf, pytest.mark.slow]

OWNERS = (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES))
"""The choices that switch other settings on (a field listed in an option's params applies while it is chosen)."""

# What the person picks for each Compile/Fit setting: values that still train a small regression.
# A setting not listed here (a new field) gets a generic change from `_another_value`.
PICKS: dict[str, Any] = {
    "loss": "huber", "optimizer": "sgd", "learning_rate": 0.005, "metrics": "rmse", "momentum": 0.5,
    "nesterov": True, "weight_decay": 0.001, "schedule": "plateau", "decay_steps": 50, "decay_rate": 0.8,
    "plateau_factor": 0.3, "plateau_patience": 2, "min_lr": 0.00001, "epochs": 1, "batch_size": 16,
    "seed": 7, "shuffle": False, "deterministic": True,
}


def _another_value(field: Any, current: Any) -> Any:
    """A value different from ``current`` within the field's range (for settings without a pick)."""
    if field.kind == BOOL:
        return not current
    if field.kind == INT:
        return current + 1 if field.maximum is None or current < field.maximum else current - 1
    if field.kind == FLOAT:
        return round((current or field.step) * 0.5, field.decimals)
    if field.kind == CHOICE:
        return next(c for c in field.choices if c != current)
    if field.kind == MULTI:
        return next(c for c in field.choices if c not in current)
    raise AssertionError(f"no generic change for {field.name} ({field.kind})")


def change_every_compile_and_fit_setting(user: User, window: MainWindow) -> TrainingConfig:
    """Set each Compile/Fit row of the Training form to a new value; returns the config shown before."""
    form = window.training_panel.findChild(TrainingSettingsForm)
    assert form is not None
    before = form.config()
    # The per-output table has its own journey (two outputs); this model has one, so it shows a note instead.
    fields = [f for f in FIELDS if f.group in ("compile", "fit") and f.kind != OUTPUTS]
    owners = {name for name, _ in OWNERS}
    for f in [f for f in fields if f.name not in owners] + [f for f in fields if f.name in owners]:
        if not applies(f.name, form.config()):  # choose the optimizer or schedule that uses it first
            owner, option = next((n, o) for n, options in OWNERS for o in options if f.name in o.params)
            user.set_setting(form, owner, option.id)
        current = getattr(form.config(), f.name)
        value = PICKS.get(f.name, _another_value(f, current))
        if f.kind != MULTI and value == current:
            continue  # already chosen on the way (an owner picked to enable another field)
        user.set_setting(form, f.name, value)
        shown = getattr(form.config(), f.name)
        if f.kind == MULTI:
            assert (value in shown) != (value in current), f"{f.name}: toggling {value} left {shown}"
        elif f.kind == FLOAT:
            assert shown == pytest.approx(value), f"{f.name}: typed {value}, the form shows {shown}"
        else:
            assert shown == value, f"{f.name}: set {value!r}, the form shows {shown!r}"
    after = form.config()
    unchanged = [f.name for f in fields if getattr(after, f.name) == getattr(before, f.name)]
    assert not unchanged, f"settings left at their first value: {unchanged}"
    assert window.document.project.training == after, "the form's settings did not all reach the project"
    return before




def test_csv_to_trained_saved_reopened_and_exported_model(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    window = session.window
    document = window.document
    chooser = user.chooser
    csv = write_csv(tmp_path / "numbers.csv")

    user.menu("File", "New")
    assert not document.graph.nodes and document.path is None

    # Data: File… -> the CSV; the preview comes from the background inspection; Apply to project.
    load_csv(user, csv)
    user.screenshot("tabular-1-data")

    # The model, by hand: three layers dropped down the canvas, connected port to port, the hidden layer's
    # units typed in the Inspector, then "Use suggested input and output".
    build_dense_model(user, hidden_units=16)
    user.screenshot("tabular-2-model")

    # Training: every Compile/Fit setting changed, then Train for the one epoch chosen.
    user.show_dock("training")
    before = change_every_compile_and_fit_setting(user, window)
    assert before != document.project.training
    # Balanced class weights were among the changes; this target is a number: Train refuses and offers the fix.
    panel = window.training_panel
    user.click(panel.train_button)
    assert not document.project.runs and not panel.running
    assert panel.fix_button.isVisible() and "class_weight" in panel.fix_button.text(), panel.fix_button.text()
    user.click(panel.fix_button)
    assert document.project.training.class_weight == "none" and not panel.fix_button.isVisible()
    user.click(window.training_panel.train_button)
    user.wait_until(lambda: bool(document.project.runs) and not window.training_panel.running,
                    "one epoch of training", timeout_ms=300_000)
    run = document.project.runs[-1]
    assert run.status == "finished" and run.epochs_done == 1, (run.status, run.error)
    user.screenshot("tabular-3-trained")
    # The engine read this table of numbers with the compiled reader: it learned what Arrow's reading teaches.
    dataset = document.project.dataset
    assert dataset is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_numbers, "compiled", lambda: None)
        by_arrow = load_csv_arrays(DatasetSpec(dataset.kind, str(csv), dataset.options))
    assert fast_numbers.compiled() is not None
    assert run.extra["preprocessing"]["features"] == by_arrow.stats["features"], run.extra["preprocessing"]

    # File > Save As, then File > Open of the saved file: the same project comes back.
    saved = tmp_path / "work" / "numbers_model.vnn"
    saved.parent.mkdir()
    chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert saved.exists() and document.path == str(saved) and not document.is_dirty
    assert document.display_name == "numbers_model", f"Save As kept the name {document.display_name!r}"
    on_disk = load_project(str(saved)).to_dict()
    assert on_disk == document.project.to_dict()
    for r in document.project.runs:  # the run's model lives with the project
        assert r.model_path is None or (saved.parent / r.model_path).exists(), (r.model_path, saved.parent)
    chooser.will_answer("open_file", str(saved))
    user.menu("File", "Open…")
    assert document.path == str(saved) and not document.is_dirty
    assert document.project.to_dict() == on_disk

    # File > Export: the Keras model, the LiteRT model (float32), the script; each confirms with its report.
    loaded = export_all(user, session.shell.export, tmp_path / "exports", "model")
    assert [a.split(": ")[-1] for a in user.answered] == ["Close", "OK", "Close"], user.answered
    # Raw inputs: the .keras takes one input per feature column, the .tflite the three raw values.
    assert loaded["keras_in"] == [[None]] * 3 and loaded["tflite_in"][-1] == 3 and loaded["tflite_out"][-1] == 1, loaded
    assert not chooser.answers, f"file dialogs that never opened: {list(chooser.answers)}"
