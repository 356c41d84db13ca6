"""TFLite export of recurrent layers: Keras 3's recurrent loop needs Flex ops TFLite lacks, so exports unroll it.

Before, every model with an LSTM, GRU or SimpleRNN (the LSTM template, the two-input example) exported a
.tflite the LiteRT interpreter refused ("Select TensorFlow op(s) ... FlexTensorListReserve").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from visualnn.services.export import ExportError, export_model, unrolled_for_tflite

pytestmark = pytest.mark.tf


def _recurrent_model(steps: int | None) -> object:
    import keras

    keras.utils.set_random_seed(3)
    tab = keras.Input((4,), name="tabular")
    seq = keras.Input((steps, 3), name="sequence")
    h = keras.layers.LSTM(6, return_sequences=True)(seq)
    h = keras.layers.Bidirectional(keras.layers.GRU(4))(h)
    joined = keras.layers.Concatenate()([keras.layers.Dense(4)(tab), h, keras.layers.SimpleRNN(3)(seq)])
    return keras.Model([tab, seq], [keras.layers.Dense(3, activation="softmax", name="kind")(joined),
                                    keras.layers.Dense(1, name="score")(joined)])


def test_lstm_gru_and_bidirectional_models_export_to_tflite_and_agree(tmp_path: Path) -> None:
    import numpy as np

    model = _recurrent_model(10)
    rng = np.random.default_rng(0)
    samples = [rng.standard_normal((24, 4)).astype("float32"), rng.standard_normal((24, 10, 3)).astype("float32")]
    report = export_model(model, tmp_path / "rnn.tflite", samples=samples)
    assert report.passed, report
    assert any("unrolled" in note for note in report.notes), report.notes


def test_unrolling_keeps_the_numbers_and_names_the_layers() -> None:
    import numpy as np

    model = _recurrent_model(10)
    notes: list[str] = []
    copy = unrolled_for_tflite(model, notes)
    x = [np.ones((2, 4), "float32"), np.linspace(-1, 1, 60, dtype="float32").reshape(2, 10, 3)]
    for a, b in zip(model.predict(x, verbose=0), copy.predict(x, verbose=0), strict=True):  # type: ignore[attr-defined]
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert "lstm" in notes[0] and "gru" in notes[0] and "simple_rnn" in notes[0], notes


def test_a_sequence_of_unknown_length_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="fixed number of time steps"):
        unrolled_for_tflite(_recurrent_model(None))
