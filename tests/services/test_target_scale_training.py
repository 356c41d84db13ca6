"""A price target in the hundreds of thousands: the Rescaling that attaching the data adds lets the model learn it in a
few dozen epochs (without it the model had learnt almost nothing), and predictions come back in the target's units."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_data import price_csv
from visualnn.core.commands import RemoveNodes
from visualnn.core.project.io import project_from_dict
from visualnn.core.protocol import PredictRequest, TrainRequest
from visualnn.core.templates import template
from visualnn.services.datasets.attach import attach_dataset

pytestmark = pytest.mark.tf


def test_the_rescaled_price_model_learns_and_predicts_prices_the_bare_one_does_not(tmp_path: Path) -> None:
    import pandas as pd

    from visualnn.services.predict import run_prediction
    from visualnn.services.training import run_training

    data = price_csv(tmp_path / "houses.csv")
    project = attach_dataset(template("mlp_regressor").build(), str(data))
    project.set_training(replace(project.training, epochs=30, seed=1))
    std = float(project.graph.nodes["rescaling_1"].params["scale"])
    bare = project_from_dict(project.to_dict())
    RemoveNodes(["rescaling_1"]).redo(bare)

    rescaled = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    without = run_training(TrainRequest(project=bare, base_dir=str(tmp_path)))
    assert rescaled.run.metrics["test_mae"] < 0.15 * std  # noise alone is 0.06 std
    assert without.run.metrics["test_mae"] > 0.9 * std  # a fresh output near 0, still far from 4.5e5

    project.add_run(rescaled.run)
    table = pd.read_csv(data).dropna().head(100)
    out = run_prediction(PredictRequest(project=project, base_dir=str(tmp_path),
                                        rows=table.drop(columns=["price"]).to_dict(orient="records")))
    predicted = np.array([p["values"][0] for p in out["predictions"]])
    assert np.abs(predicted - table["price"].to_numpy()).mean() < 0.15 * std  # raw rows in, prices out
