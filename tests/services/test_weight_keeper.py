"""The weight keeper puts back the weights and optimizer state of the last finite epoch (a diverged run's model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from visualnn.services.training_common import make_weight_keeper

pytestmark = pytest.mark.tf


def _model_and_data() -> tuple[object, np.ndarray, np.ndarray]:
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    return model, x, x.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("compiled", [True, False])
def test_restore_puts_back_the_last_finite_epoch_not_the_first(compiled: bool) -> None:
    import keras

    model, x, y = _model_and_data()
    keeper = make_weight_keeper(0, compiled=compiled)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[keeper])
    assert keeper.kept_epoch == 3
    weights = [np.array(w) for w in model.get_weights()]
    slots = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    # An epoch that diverges: every weight and slot turns NaN, and its end is not kept.
    for variable in [*model.weights, *model.optimizer.variables]:
        if "float" in str(variable.dtype):
            variable.assign(np.full(variable.shape, math.nan, dtype="float32"))
    keeper.on_epoch_end(3, {"loss": math.nan})
    assert keeper.kept_epoch == 3
    keeper.restore()
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    for variable, want in zip(model.optimizer.variables, slots, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), want)
