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


def test_the_copy_made_while_the_next_epoch_starts_is_the_epoch_ends_state() -> None:
    """Between epochs the keeper's copy runs on a helper thread while Keras starts the next epoch, and the first
    batch waits for it. An epoch that then diverges (every weight NaN after its first batch) must give back the
    previous epoch's end exactly, optimizer state included, through the runner's own callback list."""
    import keras

    from visualnn.services import training_common
    from visualnn.services.epoch_steps import dataset_steps
    from visualnn.services.training_common import make_callback_list, make_progress_callback

    model, x, y = _model_and_data()
    ends: dict[int, list[np.ndarray]] = {}

    class Spoiler(keras.callbacks.Callback):  # type: ignore[misc]
        """Records each epoch's end; poisons every float variable after the first batch of the last epoch."""

        epoch = 0

        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self.epoch = epoch

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            ends[epoch + 1] = [keras.ops.convert_to_numpy(v) for v in [*model.weights, *model.optimizer.variables]]

        def on_train_batch_end(self, batch: int, logs: object = None) -> None:
            if self.epoch == 3 and batch == 0:
                for variable in [*model.weights, *model.optimizer.variables]:
                    if "float" in str(variable.dtype):
                        variable.assign(np.full(variable.shape, math.nan, dtype="float32"))

    keeper = make_weight_keeper(0)
    progress = make_progress_callback(lambda kind, data: None, None, None, 16, 0, False)
    listed = make_callback_list([progress, Spoiler(), keeper], progress, model, 4, dataset_steps(None, None))
    assert keeper in listed.batch_begins  # its first-batch wait runs where the runner dispatches batch begins
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=listed, shuffle=False)
    assert training_common._KEEPER_THREAD  # the copies of epochs 1-3 ran on the helper thread
    assert keeper.kept_epoch == 3 and math.isnan(model.get_weights()[0].flat[0])
    keeper.restore()
    kept = [keras.ops.convert_to_numpy(v) for v in [*model.weights, *model.optimizer.variables]]
    for got, want in zip(kept, ends[3], strict=True):
        np.testing.assert_array_equal(got, want)
