"""The predictions table (``visualnn predict --output``, the Predict tab's Save predictions…), TF-free: the samples as
given, then each output's prediction, from results the prediction service formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visualnn.services.datasets.errors import DataError
from visualnn.services.predict import format_predictions
from visualnn.services.prediction_table import prediction_table, write_predictions


def test_images_are_named_by_file_and_values_by_their_position(tmp_path: Path) -> None:
    result = {"task": "regression", "predictions": [{"file": "a.png", **r} for r in
                                                     format_predictions(np.array([[1.5, 2.0]]), "regression", [])]}
    table = prediction_table(result, str(tmp_path))  # a folder of images
    assert list(table.columns) == ["file", "predicted[0]", "predicted[1]"]
    assert table.iloc[0].tolist() == ["a.png", 1.5, 2.0]
    typed = {"task": "regression", "predictions": format_predictions(np.array([[3.25], [4.0]]), "regression", [])}
    assert prediction_table(typed).to_dict("list") == {"sample": [0, 1], "predicted": [3.25, 4.0]}


def test_several_outputs_get_their_names_in_the_models_order_and_clashing_names_are_marked(tmp_path: Path) -> None:
    kind = format_predictions(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), "multiclass", ["cat", "dog", "fox"])
    score = format_predictions(np.array([[0.5], [7.0]]), "regression", [])
    result = {"task": "multi-output", "outputs": {"kind": kind, "score": score},  # keys sorted, as after a signal
              "tasks": {"kind": "multiclass", "score": "regression"}}
    table = prediction_table(result, order=["score", "kind"])
    assert list(table.columns) == ["sample", "score: predicted", "kind: predicted", "kind: confidence", "kind: p(cat)",
                                   "kind: p(dog)", "kind: p(fox)"]
    assert table["kind: predicted"].tolist() == ["cat", "fox"] and table["score: predicted"].tolist() == [0.5, 7.0]
    rows = tmp_path / "rows.csv"
    rows.write_text("predicted,x\n1,2\n3,4\n")  # an input column already called "predicted"
    single = {"task": "regression", "predictions": score}
    assert list(prediction_table(single, str(rows)).columns) == ["predicted", "x", "predicted (model)"]


def test_a_file_that_changed_or_a_folder_that_is_gone_is_said_and_nothing_is_written(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n1\n")
    result = {"task": "regression", "predictions": format_predictions(np.array([[1.0], [2.0]]), "regression", [])}
    with pytest.raises(DataError, match="holds 1 rows but there are 2 predictions"):
        write_predictions(str(tmp_path / "p.csv"), result, str(rows))
    with pytest.raises(OSError, match="the folder .*gone does not exist; choose another"):
        write_predictions(str(tmp_path / "gone" / "p.csv"), result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]
    assert write_predictions(str(tmp_path / "p.csv"), result) == 2
    assert (tmp_path / "p.csv").read_text().splitlines() == ["sample,predicted", "0,1.0", "1,2.0"]


def test_each_window_of_a_series_is_named_by_the_row_it_ends_at(tmp_path: Path) -> None:
    rows = tmp_path / "recent.csv"
    rows.write_text("hour,temp\n" + "".join(f"{h},{10 + h}.5\n" for h in range(10)))
    values = format_predictions(np.arange(7, dtype=float).reshape(-1, 1), "regression", [])
    table = prediction_table({"task": "regression", "predictions": values, "window_length": 4}, str(rows))
    assert table["hour"].tolist() == [3, 4, 5, 6, 7, 8, 9]  # the first window ends at the 4th row, the last at the end
    assert table["predicted"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    with pytest.raises(DataError, match="holds 10 rows but there are 8 predictions"):  # not this file's windows
        prediction_table({"task": "regression", "predictions": values + values[:1], "window_length": 4}, str(rows))


def test_a_csvs_ignored_id_column_names_its_rows_and_nothing_else_does() -> None:
    import pandas as pd

    from visualnn.core.dataset import DatasetSpec
    from visualnn.services.prediction_table import row_names

    spec = DatasetSpec("csv", "train.csv", {"columns": {"day": {"role": "ignore"}, "order": {"role": "ignore"},
                                                        "churn": {"role": "target"}}})
    rows = pd.DataFrame({"fee": [1.0, 2.0, 3.0], "day": ["mon", "mon", "tue"], "order": [17, 4, 9]})
    # 'day' is ignored but repeats: it cannot tell the rows apart; 'order' can (numbers are written as text).
    assert row_names(rows, spec) == {"column": "order", "values": ["17", "4", "9"]}
    assert row_names(rows.assign(order=[17, None, 9]), spec) is None  # a row without an id: numbered instead
    assert row_names(rows.drop(columns=["order"]), spec) is None
    assert row_names(rows, spec.with_options(columns={"order": {"role": "feature"}})) is None  # a feature is no name
    assert row_names(rows, DatasetSpec("numpy", "x.npy")) is None and row_names(rows, None) is None
    assert row_names([[1.0, 2.0]], spec) is None  # rows typed in, not a table
