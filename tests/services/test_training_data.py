"""Inline arrays become the data service's PreparedData (one ArrayData/DataError/from_arrays, not two)."""

from __future__ import annotations

import numpy as np
import pytest

from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.prepared import PreparedData
from visualnn.services.training_data import data_facts, inline_data, load_data

pytestmark = pytest.mark.tf


def test_inline_arrays_are_prepared_data_with_a_held_out_split() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), rng.integers(0, 3, size=50)
    data = load_data(None, ".", 8, 1, {"x": x.tolist(), "y": y.tolist()})
    assert isinstance(data, PreparedData)
    # No test split unless test arrays are given: the validation rows never pose as test rows.
    assert (data.n_train, data.n_val, data.n_test) == (40, 10, 0) and data.input_shape == (3,)
    assert data.test is None
    with_test = load_data(None, ".", 8, 1, {"x": x.tolist(), "y": y.tolist(), "x_test": x[:7].tolist(),
                                            "y_test": y[:7].tolist()})
    assert (with_test.n_train, with_test.n_val, with_test.n_test) == (40, 10, 7)
    assert data.task == "multiclass" and data.class_names == ["0", "1", "2"] and data.n_outputs == 3
    assert data.suggestion.loss == "sparse_categorical_crossentropy"
    xb, yb = next(iter(data.train))
    assert tuple(xb.shape) == (8, 3) and xb.dtype.name == "float32"
    assert data.transform([[1, 2, 3]]).dtype == np.float32
    facts = data_facts(data)
    assert (facts.task, facts.n_classes, facts.label_format, facts.input_kind) == ("classification", 3, "int", "table")


def test_one_hot_and_regression_labels_and_no_validation() -> None:
    onehot = inline_data(np.zeros((6, 2)), np.eye(3)[[0, 1, 2, 0, 1, 2]], 4, val_fraction=0.0)
    assert onehot.n_val == 0 and onehot.val is None and onehot.test is None
    assert onehot.suggestion.loss == "categorical_crossentropy" and data_facts(onehot).label_format == "onehot"
    reg = inline_data(np.zeros((6, 2)), np.linspace(0, 1, 6), 4, val_fraction=0.0)
    assert reg.task == "regression" and reg.n_outputs == 1


def test_mismatched_lengths_raise_the_data_services_error() -> None:
    with pytest.raises(DataError, match="same number of samples; received 4 and 3"):
        inline_data(np.zeros((4, 2)), np.zeros(3), 2)
    with pytest.raises(DataError, match="no dataset"):
        load_data(None, ".", 2, 0)
