"""Journey: a table of house prices (hundreds of thousands) to a model that learnt them, by hand, with a real engine.

A person loads the CSV in the Data panel, drags Input, Dense and Dense onto the canvas and clicks "Use suggested
input and output". Besides the input width and the single linear output, that adds a Rescaling after the output
(scale and offset: the price's spread and mean over the training rows), and says why. Nothing is left to suggest
and the Problems list is empty. Thirty epochs later the test error is a few percent of the price's spread; the
same model without the Rescaling ended near the spread itself, having learnt almost nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.journeys.conftest import Launch
from tests.journeys.steps import build_dense_model, start_on_csv
from tests.tiny_data import price_csv
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.training.settings import TrainingSettingsForm

pytestmark = [pytest.mark.tf]


def test_a_price_table_gets_a_rescaled_output_and_the_model_learns_prices(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path
) -> None:
    session, user = start_on_csv(launch, tf_engine, price_csv(tmp_path / "houses.csv"))
    window = session.window
    document = window.document

    ids = build_dense_model(user, hidden_units=32, width=5)  # area, rooms and city's three categories
    graph = document.graph
    (rescaling,) = [n for n in graph if n.type == "Rescaling"]
    assert graph.sinks() == [rescaling.id] and graph.predecessors(rescaling.id) == [ids[2]]
    scale, offset = rescaling.params["scale"], rescaling.params["offset"]
    assert 1.4e5 < scale < 1.7e5 and 4.3e5 < offset < 4.8e5, rescaling.params
    data = window.data_panel
    assert f"A Rescaling(scale={scale:g}, offset={offset:g}) after {ids[2]}" in data.status.text(), data.status.text()
    assert not data.suggest_btn.isEnabled(), data.shape_warning.text()  # nothing left to suggest (the loss is MSE)
    assert document.issues == [], [i.message for i in document.issues]
    tensors = data.tensor_view.toPlainText()
    assert f"a Rescaling(scale={scale:g}, offset={offset:g}) after the output maps it there" in tensors, tensors
    user.screenshot("price-1-model")

    user.show_dock("training")
    form = window.training_panel.findChild(TrainingSettingsForm)
    assert form is not None and form.config().loss == "mean_squared_error"
    user.set_setting(form, "epochs", 30)
    user.click(window.training_panel.train_button)
    user.wait_until(lambda: bool(document.project.runs) and not window.training_panel.running,
                    "thirty epochs of training", timeout_ms=300_000)
    run = document.project.runs[-1]
    assert run.status == "finished", (run.status, run.error)
    assert run.metrics["test_mae"] < 0.15 * scale, run.metrics  # the noise alone is 0.06 of the spread
    user.screenshot("price-2-trained")
