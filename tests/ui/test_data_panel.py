"""Data panel: background inspection, roles, settings -> code, Apply/undo, suggestion, errors, relocate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.ui.data_panel import DataPanel
from visualnn.ui.document import ProjectDocument

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    doc = ProjectDocument(template("mlp_classifier").build())
    widget = DataPanel(doc)
    qtbot.addWidget(widget)
    return widget


def load(qtbot, panel: DataPanel, path: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.load_path(path)


def test_csv_preview_roles_tensors_and_code(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    assert panel.columns.rowCount() == 6
    assert panel.preview.rowCount() == 50
    assert "x: (600, 7) · rank 2 (samples, features) · float32" in panel.tensor_view.toPlainText()
    # New data: train/validation/test 70/15/15, so 420 of 600 rows train.
    assert "buffer_size=480" not in panel.code_view.toPlainText()
    assert "buffer_size=420" in panel.code_view.toPlainText()
    assert "Dataset.zip((ds_x, ds_y))" in panel.code_view.toPlainText()
    role = panel.columns.editor("island", "role")
    assert role is not None and role.currentText() == "feature"
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        role.setCurrentText("ignore")
    assert "x: (600, 4)" in panel.tensor_view.toPlainText()  # island's 3 one-hot columns are gone


def test_only_categorical_features_offer_an_encoding(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    """The Encoding box said "onehot" beside numbers and beside a target trained with index labels."""
    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    assert panel.columns.editor("island", "encoding") is not None
    names = [panel.columns.item(r, 0).text() for r in range(panel.columns.rowCount())]
    for name, why in (("body_mass_g", "Numeric columns are not encoded"), ("species", "(now: index)")):
        assert panel.columns.editor(name, "encoding") is None
        cell = panel.columns.item(names.index(name), 6)
        assert cell.text() == "—" and why in cell.toolTip()
    encoding = panel.columns.editor("island", "encoding")
    assert encoding is not None
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        encoding.setCurrentText("index")  # 3 one-hot columns -> 1 code column
    assert "x: (600, 5)" in panel.tensor_view.toPlainText()
    kind = panel.columns.editor("body_mass_g", "kind")
    assert kind is not None
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        kind.setCurrentText("categorical")
    assert panel.columns.editor("body_mass_g", "encoding") is not None  # now it has categories to encode


def test_panel_module_does_not_import_tensorflow() -> None:
    code = (
        "import sys; import visualnn.ui.data_panel; import visualnn.ui.data.worker; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_settings_change_the_equivalent_code(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    panel.settings.editors["pipeline.batch_size"].setValue(64)  # type: ignore[attr-defined]
    panel.settings.editors["pipeline.repeat"].setChecked(True)  # type: ignore[attr-defined]
    panel.settings.editors["pipeline.shuffle_buffer"].setValue(100)  # type: ignore[attr-defined]
    code = panel.code_view.toPlainText()
    assert ".batch(64)" in code and ".repeat()" in code and "buffer_size=100," in code
    assert panel.spec is not None and panel.spec.pipeline().batch_size == 64


def test_apply_pushes_one_undoable_command_and_suggestion_fits_model(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    doc = panel.document
    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    assert panel.suggest_btn.isEnabled()  # the template's Input is [4]; the data gives 7 features
    assert "input_1.shape is [4]; the data needs [7]" in panel.shape_warning.text()
    assert panel.apply()
    assert doc.project.dataset is not None and doc.project.dataset.kind == "csv"
    assert doc.graph.node("input_1").params["shape"] == [7]  # the Input follows the data on Apply
    doc.undo_stack.undo()  # one step undoes both
    assert doc.project.dataset is None and doc.graph.node("input_1").params["shape"] == [4]
    doc.graph.set_param("dense_3", "units", 5)
    assert panel.suggest_btn.isEnabled()
    assert "dense_3.units is 5; the data needs 3" in panel.shape_warning.text()
    assert panel.apply_suggestion()
    assert doc.graph.node("input_1").params["shape"] == [7] and doc.graph.node("dense_3").params["units"] == 3
    assert not panel.suggest_btn.isEnabled()
    doc.undo_stack.undo()
    assert doc.graph.node("dense_3").params["units"] == 5


def test_image_folder_shows_thumbnails(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    load(qtbot, panel, str(EXAMPLES / "images" / "shapes"))
    assert panel.thumbs.count() == 24  # 8 thumbnails for each of 3 classes
    assert panel.thumbs.item(0).text() == "circle (60)"
    assert "rank 4 (samples, height, width, channels)" in panel.tensor_view.toPlainText()


def test_errors_are_shown_not_raised(qtbot, panel: DataPanel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with qtbot.waitSignal(panel.inspection_failed, timeout=20000) as blocker:
        panel.load_path(str(empty))
    assert "empty (0 bytes)" in blocker.args[0]
    assert "empty (0 bytes)" in panel.status.text()
    assert not panel.apply_btn.isEnabled()


def test_cancel_ignores_the_result(qtbot, panel: DataPanel) -> None:  # type: ignore[no-untyped-def]
    panel.load_path(str(EXAMPLES / "tabular" / "penguins.csv"))
    panel.cancel()
    assert panel.status.text() == "Cancelled."
    with qtbot.assertNotEmitted(panel.inspected, wait=1500):
        pass
    assert panel.info is None


def test_moved_data_offers_relocate(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "penguins.csv"
    shutil.copy(EXAMPLES / "tabular" / "penguins.csv", data)
    project = template("mlp_classifier").build()
    from visualnn.services.datasets.attach import attach_dataset

    attach_dataset(project, str(data), target="species")
    save_project(project, tmp_path / "p.vnn")
    moved = tmp_path / "moved.csv"
    data.rename(moved)
    doc = ProjectDocument()
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.inspection_failed, timeout=20000):
        doc.set_project(project)
    assert not panel.relocate_btn.isHidden()
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.relocate(str(moved))
    assert doc.project.dataset is not None and doc.project.dataset.path == "moved.csv"
    assert doc.project.dataset.targets() == ["species"]


def test_npz_arrays_can_be_chosen(qtbot, panel: DataPanel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    path = tmp_path / "clips.npz"
    np.savez(path, frames=np.zeros((10, 3, 4, 4, 1), np.float32), labels=np.arange(10) % 2, other=np.linspace(0, 1, 20).reshape(10, 2))
    load(qtbot, panel, str(path))
    assert "rank 5 (samples, frames, height, width, channels)" in panel.tensor_view.toPlainText()
    targets = panel.settings.editors["arrays.targets"]
    assert [targets.itemText(i) for i in range(targets.count())] == ["frames", "labels", "other"]  # type: ignore[attr-defined]
    assert targets.currentText() == "labels"  # type: ignore[attr-defined]
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        targets.setCurrentText("other")  # type: ignore[attr-defined]
    assert panel.info.task == "regression"
    assert panel.spec is not None and panel.spec.arrays().targets == "other"


def test_new_data_gets_a_test_split_and_small_data_is_told_why_not(
    qtbot, panel: DataPanel, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from PySide6.QtCore import Qt

    small = tmp_path / "small.csv"
    small.write_text("a,b,kind\n" + "".join(f"{i},{i % 4},{'xyz'[i % 3]}\n" for i in range(36)))
    load(qtbot, panel, str(small))
    settings = panel.settings.editors
    assert (settings["split.val"].value(), settings["split.test"].value()) == (0.2, 0.0)
    assert "no test split (too little data; see Problems)" in panel.status.text()
    problems = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert any(p.startswith("info: No test split: class 'x' has only 12 sample(s)") for p in problems)
    qtbot.mouseClick(panel.apply_btn, Qt.MouseButton.LeftButton)
    dataset = panel.document.project.dataset
    assert dataset is not None and (dataset.split().val, dataset.split().test) == (0.2, 0.0)

    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    assert (settings["split.val"].value(), settings["split.test"].value()) == (0.15, 0.15)
    assert "no test split" not in panel.status.text()
    qtbot.mouseClick(panel.apply_btn, Qt.MouseButton.LeftButton)
    dataset = panel.document.project.dataset
    assert dataset is not None and (dataset.split().val, dataset.split().test, dataset.split().stratify) == (
        0.15, 0.15, True)


def test_a_project_saved_without_a_split_shows_the_split_it_really_uses(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from visualnn.core.dataset import DatasetSpec

    shutil.copy(EXAMPLES / "tabular" / "penguins.csv", tmp_path / "penguins.csv")
    project = template("mlp_classifier").build()
    project.set_dataset(DatasetSpec("csv", str(tmp_path / "penguins.csv"), {"columns": {"species": {"role": "target"}}}))
    doc = ProjectDocument()
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        doc.set_project(project)
    assert (panel.settings.editors["split.val"].value(), panel.settings.editors["split.test"].value()) == (0.2, 0.0)


def test_a_regression_model_that_fits_its_data_is_offered_nothing(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The mlp_regressor stores its loss as "mean_squared_error" and the data suggests "mse": the panel compared
    the two words and kept offering "Use suggested input and output" ("The loss is mean_squared_error; the data
    suggests mse.") on a model that already fit. A price target far from unit scale is offered its Rescaling."""
    from tests.tiny_data import price_csv

    doc = ProjectDocument(template("mlp_regressor").build())
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    data = tmp_path / "r.csv"
    data.write_text("a,b,c,d,e,f,g,h,y\n" + "".join(f"{i},{i % 3},1,2,3,4,5,{i % 7},{i * 0.1:.2f}\n" for i in range(60)))
    load(qtbot, panel, str(data))  # eight features, as the template's Input: a target of mean 3, spread 1.7
    assert not panel.suggest_btn.isEnabled() and panel.shape_warning.text() == "", panel.shape_warning.text()
    load(qtbot, panel, str(price_csv(tmp_path / "houses.csv")))
    assert panel.suggest_btn.isEnabled()
    assert "A Rescaling(scale=156500, offset=454200) after dense_3 maps the output" in panel.shape_warning.text()
    assert panel.apply_suggestion()
    assert doc.graph.sinks() == ["rescaling_1"] and not panel.suggest_btn.isEnabled()
    assert "A Rescaling(scale=156500, offset=454200) after dense_3" in panel.status.text()
    doc.undo_stack.undo()  # one step: the Input, the Rescaling and the loss together
    assert doc.graph.sinks() == ["dense_3"] and doc.graph.node("input_1").params["shape"] == [8]

    # Why the layer was added stays on screen when an inspection still running (Apply's, on large data) ends after
    # "Use suggested" (it replaced the note with the data's summary: the price journey failed so under load).
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.inspect()
        assert panel.apply_suggestion()
    assert panel.status.text().startswith("csv: 600 samples"), panel.status.text()
    assert "A Rescaling(scale=156500, offset=454200) after dense_3" in panel.status.text()
    # Two readings in a row (one running when "Use suggested" is clicked, one due after it, as when the model's
    # change has the data read again): the note stays through both, "Reading …" included. The first reading's end
    # had used it up and "Reading houses.csv…" replaced it (fresh-clone CI's price journey read it in between).
    doc.undo_stack.undo()
    note = "A Rescaling(scale=156500, offset=454200) after dense_3"
    panel._reinspect.setInterval(60_000)  # the due reading starts when the test says, not 250 ms later under load
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.inspect()
        assert panel.apply_suggestion()
        panel._read_again()
    assert panel._reinspect.isActive() and note in panel.status.text(), panel.status.text()
    panel._reinspect.stop()  # the reading that was due, started now (what the timer does 250 ms later)
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.inspect()
        assert panel.status.text().startswith("Reading ") and note in panel.status.text(), panel.status.text()
    assert note in panel.status.text(), panel.status.text()


def test_imbalanced_classes_show_their_counts_and_the_suggestion_watches_the_rare_one(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = ProjectDocument(template("mlp_classifier").build())
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    data = tmp_path / "fraud.csv"
    data.write_text("amount,fraud\n" + "".join(f"{i % 97},{'yes' if i % 12 == 0 else 'no'}\n" for i in range(600)))
    load(qtbot, panel, str(data))
    assert "task: binary [no (550), yes (50)]" in panel.tensor_view.toPlainText()
    assert "metrics: accuracy, precision, recall" in panel.tensor_view.toPlainText()
    assert panel.apply_suggestion()
    assert doc.project.training.metrics == ("accuracy", "precision", "recall")
    assert panel.status.text() == (  # what `visualnn new --data` says of it too
        "Class 'yes' is 8% of the samples, so precision and recall are watched besides accuracy. For a model that "
        "finds more 'yes' samples (and raises more false alarms), set the training's class_weight to balanced "
        "(Training panel, Fit: Class weights).")


def test_a_new_table_has_its_identifier_columns_ignored_and_the_person_can_take_one_back(
        qtbot, panel: DataPanel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.tiny_data import churn_csv

    load(qtbot, panel, str(churn_csv(tmp_path / "churn.csv")))
    assert [panel.columns.editor(n, "role").currentText() for n in ("customer_id", "signup_date", "plan")] == [
        "ignore", "ignore", "feature"]
    assert "x: (200, 5)" in panel.tensor_view.toPlainText()
    assert "Columns 'customer_id' and 'signup_date' have a different value in (almost) every row" in panel.status.text()
    # Only when the source is new: the person's own choice is not undone by the next reading.
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.columns.editor("signup_date", "role").setCurrentText("feature")
    assert panel.columns.editor("signup_date", "role").currentText() == "feature"
    assert "x: (200, 205)" in panel.tensor_view.toPlainText()
    assert panel.apply()
    dataset = panel.document.project.dataset
    assert (dataset.column("customer_id").role, dataset.column("signup_date").role) == ("ignore", "feature")
    assert panel.document.graph.node("input_1").params["shape"] == [205]


def test_scores_are_read_as_a_number_for_a_regressor_and_the_task_can_be_chosen(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.tiny_data import quality_csv

    doc = ProjectDocument(template("mlp_regressor").build())
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    load(qtbot, panel, str(quality_csv(tmp_path / "wine.csv")))
    assert "which are read as classes by default; the model predicts one number" in panel.status.text()
    task = panel.settings.editors["task"]
    assert task.currentText() == "regression" and "y: (300, 1)" in panel.tensor_view.toPlainText()
    assert not panel.settings.editors["split.stratify"].isChecked()  # no classes to stratify by
    # The person wants classes after all: the Split & pipeline tab's Task, read again at once.
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        task.setCurrentText("multiclass")
    assert panel.info.task == "multiclass" and panel.spec.task() == "multiclass"
    assert "the data needs 6" in panel.shape_warning.text()
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        task.setCurrentText("auto")  # detected again: the setting leaves the project
    assert "task" not in panel.spec.options and panel.info.task == "multiclass"


def test_apply_waits_while_another_source_is_read(qtbot, panel: DataPanel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Apply while the next file was read combined the file's path with the previous file's inspection (its shapes,
    its suggestion): both buttons wait for the reading."""
    load(qtbot, panel, str(EXAMPLES / "tabular" / "penguins.csv"))
    assert panel.apply_btn.isEnabled() and panel.suggest_btn.isEnabled()
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.load_path(str(tmp_path.joinpath("wine.csv").write_text("a,b,c\n1,2,x\n3,4,y\n") and tmp_path / "wine.csv"))
        assert panel.info is not None and os.path.basename(panel.info.path) == "penguins.csv"  # still on screen
        assert not panel.apply_btn.isEnabled() and not panel.suggest_btn.isEnabled()
    assert panel.apply_btn.isEnabled() and os.path.basename(panel.info.path) == "wine.csv"
    # An edit is read 250 ms later: from the edit on, Apply waits for that reading too.
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.columns.editor("a", "role").setCurrentText("ignore")
        assert not panel.apply_btn.isEnabled()
    assert panel.apply_btn.isEnabled() and panel.info.features == ["b"]
    # The same data read again (as for the model's parts when an Input is added): nothing to wait for.
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.inspect()
        assert panel.progress.isVisibleTo(panel) and panel.apply_btn.isEnabled()


def test_a_table_for_two_outputs_gets_its_targets_by_name_and_the_problems_fit_each_head(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The multi_output template (heads 'kind', 3 classes, and 'score') on a table whose 'kind' is yes/no: reading it
    makes the columns named like the outputs their targets (the last column alone was), and the checks meet the
    'kind' head against its own target, with the one-click fix (they did not look at a head of several)."""
    import tempfile

    from tests.tiny_data import shop_csv
    from visualnn.core.fixes import fix_command

    doc = ProjectDocument(template("multi_output").build())
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    data = shop_csv(Path(tempfile.mkdtemp()) / "shop.csv")
    load(qtbot, panel, str(data))
    assert panel.apply()
    dataset = doc.project.dataset
    assert dataset is not None
    assert {n: c.role for n, c in dataset.columns().items()} == {"id": "ignore", "kind": "target", "score": "target"}
    assert "Column 'kind' is named like an output of the model: it is the target that output is compared with." in \
        panel.status.text()
    kind = next(n for n in doc.graph if n.label == "kind")
    qtbot.waitUntil(lambda: any(i.code == "output-units" for i in doc.issues), timeout=20000)
    issue = next(i for i in doc.issues if i.code == "output-units")
    assert issue.message == f"Output 'kind': {kind.id}: the output has 3 units but the data has 2 classes. Set units to 2."
    assert issue.action is not None and doc.push(fix_command(issue.action, doc.project, doc.registry))
    assert doc.graph.node(kind.id).params["units"] == 2
    qtbot.waitUntil(lambda: not any(i.code == "output-units" for i in doc.issues), timeout=20000)
