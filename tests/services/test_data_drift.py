"""The data changed since a run was trained: evaluate, predict and export say so (TF-free parts first)."""

from __future__ import annotations

from types import SimpleNamespace

from visualnn.core.training_config import RunRecord
from visualnn.services.data_drift import data_change, data_fingerprint


def _data(mean: float, n_train: int = 70, path: str = "/a/people.csv") -> SimpleNamespace:
    stats = {"source": "csv", "path": path, "features": [{"name": "age", "center": mean, "scale": 2.0}]}
    return SimpleNamespace(stats=stats, n_train=n_train, n_val=15, n_test=15)


def test_the_fingerprint_sees_new_rows_and_new_statistics_but_not_a_moved_folder() -> None:
    run = RunRecord(id="r1", started="x", extra={"data": data_fingerprint(_data(40.0))})
    assert data_change(run, _data(40.0, path="/elsewhere/people.csv")) is None  # the project folder moved
    assert data_change(run, _data(41.5)) == ("The data changed since run r1 was trained: its preprocessing (scaling "
                                             "statistics, categories or classes) is not the one the model learned.")
    grown = data_change(run, _data(41.5, n_train=80))
    assert grown is not None and "it had 70/15/15 train/validation/test samples, now 80/15/15" in grown
    assert data_change(RunRecord(id="old", started="x"), _data(41.5)) is None  # a run from before the record


def test_a_tables_preprocessing_is_kept_small_tables_only() -> None:
    from visualnn.services.data_drift import kept_preprocessing, learned_preprocessing

    table = SimpleNamespace(stats={"source": "csv", "task": "binary", "features": [
        {"name": "colour", "kind": "categorical", "missing": "most_frequent", "encoding": "onehot",
         "categories": ["red", "white"], "fill": "red", "columns": ["colour=red", "colour=white"]}]})
    kept = kept_preprocessing(table)
    assert kept == table.stats
    learned = learned_preprocessing(RunRecord(id="r", started="x", extra={"preprocessing": kept, "class_names": ["n", "y"]}))
    assert learned is not None and learned.class_names == ["n", "y"]
    assert learned.transform([{"colour": "white"}, {"colour": None}]).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    huge = SimpleNamespace(stats={**table.stats, "features": [{**table.stats["features"][0],
                                                                "categories": [f"c{i}" for i in range(20000)]}]})
    assert kept_preprocessing(huge) is None  # thousands of categories: the fingerprint only
    assert kept_preprocessing(SimpleNamespace(stats={"source": "images", "features": []})) is None
    assert learned_preprocessing(RunRecord(id="old", started="x")) is None


def test_an_arrays_scaling_is_kept_and_prepares_new_samples_as_training_did() -> None:
    import numpy as np

    from visualnn.services.data_drift import kept_preprocessing, learned_preprocessing

    stats = {"source": "numpy", "task": "regression", "class_names": [], "scaling": "standardize",
             "center": [10.0, -2.0], "scale": [2.0, 0.5]}
    kept = kept_preprocessing(SimpleNamespace(stats=stats))
    assert kept == stats
    learned = learned_preprocessing(RunRecord(id="r", started="x", extra={"preprocessing": kept, "task": "regression"}))
    assert learned is not None and learned.task == "regression"
    assert learned.transform(np.array([[12.0, -1.0]])).tolist() == [[1.0, 2.0]]
    pixels = {"source": "numpy", "scaling": "rescale", "center": 0.0, "scale": 255.0}
    assert learned_preprocessing(RunRecord(id="p", started="x", extra={"preprocessing": pixels})).transform(
        np.array([[255, 0]], dtype=np.uint8)).tolist() == [[1.0, 0.0]]
    assert kept_preprocessing(SimpleNamespace(stats={"source": "numpy", "task": "binary"})) is None  # nothing learned
