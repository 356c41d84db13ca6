"""The Predict tab with models of several Inputs and outputs, driven in the window as a person would.

The engine's answers are made by the real prediction service code (tests/ui/multi_output.py), so the
panel reads exactly what ``visualnn predict`` sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QWidget

from tests.journeys.user import ScriptedChooser, User
from tests.ui.engine_fakes import mlp_graph
from tests.ui.fake_engine import FakeEngine
from tests.ui.multi_output import two_output_graph, two_output_prediction
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.services.training_common import TrainingError
from visualnn.ui import theme
from visualnn.ui.app import Shell
from visualnn.ui.choosers import use_chooser

TWO_INPUTS = "This model has 2 Inputs: open an .npz with arrays tabular (None, 8) and sequence (None, 12, 3)."


@dataclass
class FilterChooser(ScriptedChooser):
    """A scripted chooser that also keeps the filters each open dialog offered."""

    filters: list[str] = field(default_factory=list)

    def open_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        self.filters.append(filters)
        return super().open_file(parent, title, start, filters)

    def open_files(self, parent: QWidget | None, title: str, start: str, filters: str) -> list[str]:
        self.filters.append(filters)
        return super().open_files(parent, title, start, filters)


def _open(shell: Shell, qtbot: Any, graph: Any, run_graph: Any = None) -> tuple[Any, User, FilterChooser]:
    """The window with a project whose run r1 has a saved model, and the Predict tab on screen."""
    window = shell.window
    run = RunRecord(id="r1", started="2026-01-01T00:00:00", model_path="runs/r1/model.keras",
                    graph=run_graph.to_dict() if run_graph is not None else {})
    window.document.set_project(Project(graph=graph, runs=[run]))
    chooser = FilterChooser()
    use_chooser(window, chooser)
    user = User(window, qtbot, chooser)
    window.resize(1500, 1000)
    user.show_dock("predict")
    window.docks["predict"].setMinimumHeight(420)
    qtbot.wait(20)
    return window.predict_panel, user, chooser


def _predict_file(panel: Any, user: User, engine: FakeEngine, path: Path) -> tuple[str, dict[str, Any]]:
    """Open ``path`` with the panel's Open file… button; the predict job it sent."""
    user.chooser.will_answer("open_file", str(path))
    user.click(panel.open_button)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "predict" and payload["input_path"] == str(path) and payload["rows"] is None
    return job_id, payload


def _cells(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def _headers(table: QTableWidget) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def _click_cell(qtbot: Any, table: QTableWidget, row: int, column: int) -> None:
    item = table.item(row, column)
    table.scrollToItem(item)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(item).center())


def _bars(panel: Any) -> list[float]:
    return [round(float(h), 4) for h in panel.bars.opts["height"]]


def _ticks(panel: Any) -> list[str]:
    return [text for _x, text in panel.bars_plot.getAxis("bottom")._tickLevels[0]]


def test_a_two_input_model_asks_for_an_npz_names_a_missing_array_and_shows_each_output(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    panel, user, chooser = _open(shell, qtbot, two_output_graph())
    fake_engine.start()
    # The panel says which arrays the model needs; typed samples cannot feed two Inputs.
    assert panel.inputs_note.isVisible() and panel.inputs_note.text() == TWO_INPUTS
    assert not panel.sample_edit.isEnabled() and not panel.predict_button.isEnabled()
    assert "an .npz with arrays tabular (None, 8) and sequence (None, 12, 3)" in panel.open_button.toolTip()

    # A file without the sequence array: the engine's message, naming the array and the node, in the panel.
    bad = tmp_path / "only_tabular.npz"
    np.savez(bad, tabular=np.zeros((2, 8)))
    job_id, _payload = _predict_file(panel, user, fake_engine, bad)
    assert chooser.filters[-1].startswith("Arrays named after the Inputs (*.npz)")
    with pytest.raises(TrainingError) as failure:  # the real service refusing that file's arrays
        two_output_prediction(dict(np.load(bad)))
    message = str(failure.value)
    assert "no array 'sequence' for Input node 'sequence'" in message
    with qtbot.waitSignal(panel.prediction_failed, timeout=5_000):
        fake_engine.fail(job_id, message)
    assert panel.status.isVisible() and panel.status.text() == f"only_tabular.npz: {message}"
    assert theme.ERROR in panel.status.styleSheet()
    assert panel.table.rowCount() == 0 and panel.result is None

    # Both arrays: one row per sample, a column group per output, the first classifier's bars.
    good = tmp_path / "samples.npz"
    np.savez(good, tabular=np.ones((4, 8)), sequence=np.zeros((4, 12, 3)))
    job_id, _payload = _predict_file(panel, user, fake_engine, good)
    result = two_output_prediction()
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, result)
    assert panel.status.styleSheet() == ""
    assert panel.status.text() == "4 prediction(s) with run r1. Outputs: kind (multiclass), score (regression)."
    assert _headers(panel.table) == ["#", "kind: predicted class", "kind: confidence", "score: predicted value"]
    assert _cells(panel.table) == [
        ["0", "cat", "0.8214", "0.3"], ["1", "dog", "0.8396", "6.7"], ["2", "fox", "0.9570", "13.1"],
        ["3", "dog", "0.3672", "19.5"]]
    assert panel.table.horizontalHeader().length() <= panel.table.viewport().width()  # every column on screen
    assert panel.output_combo.isVisible() and panel.shown_output() == "kind"
    assert [panel.output_combo.itemText(i) for i in range(panel.output_combo.count())] == [
        "kind (class probabilities)", "score (values)"]
    assert _ticks(panel) == ["cat", "dog", "fox"] and _bars(panel) == [0.8214, 0.1112, 0.0674]

    # A click in the score column of sample 2 shows that sample's score; the box switches to it.
    _click_cell(qtbot, panel.table, 2, 3)
    assert panel.shown_output() == "score" and panel.output_combo.currentText() == "score (values)"
    assert _bars(panel) == [13.1] and _ticks(panel) == ["score"]
    assert panel.bars_plot.getPlotItem().titleLabel.text == "score: predicted value of sample 2"
    # Choosing kind in the box shows sample 2's class probabilities; a click on sample 1's class keeps kind.
    user.choose(panel.output_combo, "kind (class probabilities)")
    assert _bars(panel) == [0.0194, 0.0237, 0.957]
    _click_cell(qtbot, panel.table, 1, 1)
    assert panel.shown_output() == "kind" and _bars(panel) == [0.0842, 0.8396, 0.0762]
    # The sample column shows the chosen output's details for the clicked sample.
    _click_cell(qtbot, panel.table, 3, 0)
    assert panel.shown_output() == "kind" and _bars(panel) == [0.3322, 0.3672, 0.3006]
    with pytest.raises(KeyError, match="its outputs are kind, score"):
        panel.show_output("price")

    # A new prediction keeps the chosen output on screen.
    user.show_dock("predict")
    job_id, _payload = _predict_file(panel, user, fake_engine, good)
    panel.show_output("score")
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, result)
    assert panel.shown_output() == "score" and _bars(panel) == [0.3]


def test_the_column_groups_follow_the_model_order_of_outputs(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any) -> None:
    graph = two_output_graph()
    graph.rename("dense_3", "type")  # outputs "type" then "score": not alphabetical
    panel, _user, _chooser = _open(shell, qtbot, graph)
    fake_engine.start()
    result = two_output_prediction()
    for key in ("outputs", "tasks", "output_class_names"):
        result[key] = {"type": result[key]["kind"], "score": result[key]["score"]}
    result["predictions"] = [{"type": row["kind"], "score": row["score"]} for row in result["predictions"]]
    job_id = panel.predict(input_path="samples.npz")
    assert job_id is not None
    with qtbot.waitSignal(panel.predicted, timeout=5_000):  # the answer crosses a Qt signal: its keys come sorted
        fake_engine.finish(job_id, result)
    assert _headers(panel.table) == ["#", "type: predicted class", "type: confidence", "score: predicted value"]
    assert panel.output_combo.itemData(0) == "type" and panel.shown_output() == "type"

    # Rows of a CSV named by its id column: the name stands in the first column of every output's row.
    named = {**result, "row_names": {"column": "id", "values": [f"u{i}" for i in range(len(result["predictions"]))]}}
    job_id = panel.predict(input_path="samples.csv")
    assert job_id is not None
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, named)
    assert _headers(panel.table)[0] == "id"
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == named["row_names"]["values"]


def test_the_run_that_predicts_says_what_it_takes(shell: Shell, qtbot: Any) -> None:
    """The project's model was edited to one Input after training; run r1's model still takes two arrays."""
    panel, _user, _chooser = _open(shell, qtbot, mlp_graph(), run_graph=two_output_graph())
    assert panel.inputs_note.text() == TWO_INPUTS and not panel.sample_edit.isEnabled()
    panel.document.set_project(Project(graph=two_output_graph(), runs=[]))
    assert panel.inputs_note.isVisible()  # no run yet: the project's model
    panel.document.set_project(Project(graph=mlp_graph(), runs=[]))
    assert not panel.inputs_note.isVisible() and panel.sample_edit.isEnabled()


def test_single_output_results_look_as_before_and_a_click_shows_that_sample(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any) -> None:
    panel, user, chooser = _open(shell, qtbot, mlp_graph())
    fake_engine.start()
    assert not panel.inputs_note.isVisible() and panel.sample_edit.isEnabled()
    rows = [{"label": "b", "confidence": 0.7, "probabilities": {"a": 0.3, "b": 0.7}, "top": [["b", 0.7], ["a", 0.3]]},
            {"label": "a", "confidence": 0.9, "probabilities": {"a": 0.9, "b": 0.1}, "top": [["a", 0.9], ["b", 0.1]]}]
    user.type_into(panel.sample_edit, "1, 2, 3, 4")
    job_id, job_type, payload = fake_engine.jobs[-1]
    assert job_type == "predict" and payload["rows"] == [[1.0, 2.0, 3.0, 4.0]]
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, {"run_id": "r1", "task": "classification", "class_names": ["a", "b"],
                                    "predictions": rows, "warnings": []})
    assert panel.status.text() == "2 prediction(s) with run r1."
    assert _headers(panel.table) == ["#", "predicted class", "confidence"]
    assert _cells(panel.table) == [["0", "b", "0.7000"], ["1", "a", "0.9000"]]
    assert not panel.output_combo.isVisible() and panel.shown_output() is None
    assert _bars(panel) == [0.3, 0.7] and _ticks(panel) == ["a", "b"]
    _click_cell(qtbot, panel.table, 1, 2)  # a click on a cell of the second sample shows its bars
    assert _bars(panel) == [0.9, 0.1]

    # Regression: one value column, no bars.
    panel.show_result({"run_id": "r1", "task": "regression", "class_names": [],
                       "predictions": [{"values": [1.25]}, {"values": [2.5, 3.0]}], "warnings": []})
    assert _headers(panel.table) == ["#", "predicted value"]
    assert _cells(panel.table) == [["0", "1.25"], ["1", "2.5, 3"]] and not panel.bars_plot.isVisible()

    # A model with two Inputs and one output answers as a single-output model (plus its outputs{}).
    single = two_output_prediction()
    single.update(task="multiclass", predictions=single["outputs"]["kind"], outputs={"kind": single["outputs"]["kind"]})
    panel.show_result(single)
    assert _headers(panel.table) == ["#", "predicted class", "confidence"] and panel.table.rowCount() == 4
    assert not panel.output_combo.isVisible() and panel.bars_plot.isVisible() and _ticks(panel) == ["cat", "dog", "fox"]
    assert panel.bars_plot.getPlotItem().titleLabel.text == "class probabilities"


def test_typed_samples_name_the_tables_columns_and_an_empty_value_is_a_missing_one(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any) -> None:
    """The hint said "e.g. 5.1, 3.5, 1.4, 0.2" whatever the data; an empty value was dropped, which moved the
    next values one column to the left (the row was then one value short)."""
    from visualnn.core.compile_options import DataFacts, FeatureColumn

    panel, user, _ = _open(shell, qtbot, mlp_graph())
    fake_engine.start()
    assert panel.bars_plot.isHidden()  # no empty "class probabilities" chart before a classification result
    columns = tuple(FeatureColumn(n, k) for n, k in (("age", "numeric"), ("city", "categorical"),
                                                       ("member", "boolean"), ("score", "numeric")))
    panel.document.set_data_facts(DataFacts(task="classification", n_classes=2, columns=columns, source="people.csv"))
    assert panel.sample_edit.placeholderText() == (
        "Values of age, city, member, score, in this order (leave one empty for a missing value)")
    user.type_into(panel.sample_edit, "41, , yes, 0.5,")
    assert fake_engine.jobs[-1][2]["rows"] == [[41.0, "", "yes", 0.5]]  # city missing, not "yes"

    # One typed line cannot be an image or a window of a time series: the panel says what to open instead.
    panel.document.set_data_facts(DataFacts(task="regression", input_kind="sequence", input_shape=(24, 3),
                                            source_kind="timeseries", source="weather.csv"))
    assert not panel.sample_edit.isEnabled() and not panel.predict_button.isEnabled()
    assert panel.sample_edit.placeholderText() == (
        "This model takes windows of 24 time steps: open a CSV of at least 24 rows (Open file…)")
    panel.document.set_data_facts(DataFacts(task="classification", input_kind="images", source_kind="images"))
    assert panel.sample_edit.placeholderText().startswith("This model takes images: open an image")
    assert panel.open_button.isEnabled()


def test_a_model_fed_by_csv_column_groups_asks_for_a_csv_of_rows(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    """The note said "open an .npz" for every model with several Inputs, though column groups of a CSV (and an
    image table's rows) predict from a CSV of rows; the open dialog offered only .npz files."""
    from visualnn.core.commands import SetDataset
    from visualnn.core.dataset import DatasetSpec

    panel, user, chooser = _open(shell, qtbot, two_output_graph())
    fake_engine.start()
    assert "open an .npz with arrays" in panel.inputs_note.text()
    shell.window.document.push(SetDataset(DatasetSpec("csv", "rows.csv", {})))
    assert panel.inputs_note.text() == ("This model has 2 Inputs: open a CSV with the training table's columns, "
                                        "one row per sample.")
    rows = tmp_path / "new_rows.csv"
    rows.write_text("a,b\n1,2\n", encoding="utf-8")
    _predict_file(panel, user, fake_engine, rows)
    assert chooser.filters[-1].startswith("Rows with the training table's columns (*.csv *.tsv)")
    shell.window.document.push(SetDataset(DatasetSpec("images", "pictures", {"image": {"table": "meta.csv"}})))
    assert "a CSV whose key column names each image" in panel.inputs_note.text()


def test_saved_predictions_keep_each_rows_own_columns_and_every_class_probability(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    from visualnn.services.predict import format_predictions

    panel, user, _chooser = _open(shell, qtbot, mlp_graph())
    fake_engine.start()
    assert not panel.save_button.isEnabled()  # nothing predicted yet
    rows = tmp_path / "customers.csv"
    rows.write_text("customer_id,fee,plan\nC001,31.5,basic\nC002,72.0,pro\nC003,48.25,basic\n")
    user.chooser.will_answer("open_files", [str(rows)])  # one file: predicted as a file
    user.click(panel.open_button)
    job_id, job_type, payload = fake_engine.jobs[-1]
    assert job_type == "predict" and payload["input_path"] == str(rows)
    result = {"run_id": "r1", "task": "binary", "class_names": ["No", "Yes"], "warnings": [],
              "predictions": format_predictions(np.array([[0.1], [0.8], [0.45]]), "binary", ["No", "Yes"])}
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, result)
    assert panel.save_button.isEnabled()
    table_width, chart_width = panel.body.sizes()  # three narrow columns: the probability chart gets the rest
    assert chart_width > 2 * table_width, (table_width, chart_width)

    saved = tmp_path / "out" / "customers_predictions.csv"
    saved.parent.mkdir()
    user.chooser.will_answer("save_file", str(saved))
    user.click(panel.save_button)
    assert panel.status.text() == f"Saved 3 prediction(s) to {saved}."
    assert saved.read_text().splitlines() == [
        "customer_id,fee,plan,predicted,confidence,p(No),p(Yes)",
        "C001,31.5,basic,No,0.9,0.9,0.1",
        "C002,72.0,pro,Yes,0.8,0.2,0.8",
        "C003,48.25,basic,No,0.55,0.55,0.45"]

    # The file changed since it was predicted: said, in the panel, with what to do; nothing is written.
    rows.write_text("customer_id,fee,plan\nC001,31.5,basic\n")
    user.chooser.will_answer("save_file", str(tmp_path / "again.csv"))
    user.click(panel.save_button)
    assert "holds 1 rows but there are 3 predictions: the file changed since it was predicted. Predict it again" in \
        panel.status.text() and theme.ERROR in panel.status.styleSheet()
    assert not (tmp_path / "again.csv").exists()


def test_an_image_model_predicts_a_folder_of_class_folders_and_saves_each_images_path(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    from visualnn.core.compile_options import DataFacts
    from visualnn.services.predict import format_predictions

    panel, user, _chooser = _open(shell, qtbot, mlp_graph())
    fake_engine.start()
    assert not panel.folder_button.isVisible()  # a table model: no folders
    shell.window.document.set_data_facts(DataFacts("classification", n_classes=2, input_kind="images",
                                                   input_shape=(16, 16, 3), target_shape=(), source="pets"))
    assert panel.folder_button.isVisible() and "(Open folder…)" in panel.sample_edit.placeholderText()
    held_out = tmp_path / "held_out"
    user.chooser.will_answer("folder", str(held_out))
    user.click(panel.folder_button)
    job_id, job_type, payload = fake_engine.jobs[-1]
    assert job_type == "predict" and payload["input_path"] == str(held_out) and payload["rows"] is None
    rows = format_predictions(np.array([[0.2], [0.9]]), "binary", ["cat", "dog"])
    result = {"run_id": "r1", "task": "binary", "class_names": ["cat", "dog"], "warnings": [],
              "predictions": [{"file": f, **r} for f, r in zip(["cat/1.png", "dog/7.png"], rows, strict=True)]}
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, result)
    assert _cells(panel.table) == [["cat/1.png", "cat", "0.8000"], ["dog/7.png", "dog", "0.9000"]]
    user.chooser.will_answer("save_file", str(tmp_path / "held_out_predictions.csv"))
    user.click(panel.save_button)
    assert (tmp_path / "held_out_predictions.csv").read_text().splitlines() == [
        "file,predicted,confidence,p(cat),p(dog)", "cat/1.png,cat,0.8,0.8,0.2", "dog/7.png,dog,0.9,0.1,0.9"]


def _predict_customers(shell: Shell, fake_engine: FakeEngine, qtbot: Any, folder: Path, text: str,
                       probabilities: list[float], **extra: Any) -> Any:
    """Open a CSV of customers in the Predict tab as a person does; the (fake) engine answers with a yes/no model's
    ``probabilities`` of 'Yes' and ``extra`` result keys (a kept threshold decides the classes). Returns the panel."""
    from visualnn.services.predict import format_predictions

    panel, user, _chooser = _open(shell, qtbot, mlp_graph())
    fake_engine.start()
    rows = folder / "customers.csv"
    rows.write_text(text)
    user.chooser.will_answer("open_files", [str(rows)])
    user.click(panel.open_button)
    job_id, _job_type, _payload = fake_engine.jobs[-1]
    threshold = next(iter((extra.get("thresholds") or {}).values()), None)
    result = {"run_id": "r1", "task": "binary", "class_names": ["No", "Yes"], "warnings": [], **extra,
              "predictions": format_predictions(np.array([[p] for p in probabilities]), "binary", ["No", "Yes"],
                                                threshold=threshold)}
    with qtbot.waitSignal(panel.predicted, timeout=5_000):
        fake_engine.finish(job_id, result)
    return panel


def test_a_kept_threshold_decides_the_predicted_classes_and_the_status_says_so(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    panel = _predict_customers(shell, fake_engine, qtbot, tmp_path, "fee,plan\n31.5,basic\n72.0,pro\n48.25,basic\n",
                               [0.1, 0.8, 0.45], thresholds={"dense_2": 0.3})
    assert panel.status.text().endswith("Decision: 'Yes' when p('Yes') > 0.3, else 'No' (kept for the run).")
    assert panel.threshold_line.isVisible() and panel.threshold_line.value() == 0.3  # across the probability bars
    assert [panel.table.item(r, 1).text() for r in range(3)] == ["No", "Yes", "Yes"]  # 0.45 is a Yes at 0.3
    assert panel.table.item(2, 2).text() == "0.4500"  # the confidence is the predicted class's probability


def test_rows_of_a_csv_are_named_by_the_id_column_the_model_ignores(
        shell: Shell, fake_engine: FakeEngine, qtbot: Any, tmp_path: Path) -> None:
    panel = _predict_customers(shell, fake_engine, qtbot, tmp_path, "customer_id,fee,plan\nC001,31.5,basic\nC002,72.0,pro\n",
                               [0.1, 0.8], row_names={"column": "customer_id", "values": ["C001", "C002"]})
    assert panel.table.horizontalHeaderItem(0).text() == "customer_id"
    assert [panel.table.item(r, 0).text() for r in range(2)] == ["C001", "C002"]
    assert [panel.table.item(1, c).text() for c in (1, 2)] == ["Yes", "0.8000"]
    assert not panel.threshold_line.isVisible()  # a result that names no threshold: no line
