"""Journey: a rare yes/no class, found more often by lowering the decision threshold, with a real engine.

A person loads a fraud table (one row in nine is a fraud), builds Input -> Dense -> Dense by hand, takes the suggested
output (one sigmoid unit) and trains. The run is evaluated on its own; on the validation split the person types a
lower threshold, sees the matrix and the recall follow without a new evaluation, presses *Best F1*, then *Keep for
this run*. The Predict tab then names rows 'yes' above the kept threshold, and the saved project keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.journeys.conftest import Launch
from tests.journeys.steps import build_dense_model, set_training, start_on_csv, train_to_the_end
from tests.tiny_data import fraud_csv
from visualnn.core.decision import best_f1, confusion_at
from visualnn.ui.engine_client import EngineClient

pytestmark = [pytest.mark.tf]


def test_a_kept_threshold_finds_more_frauds_and_predictions_follow_it(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path
) -> None:
    data = fraud_csv(tmp_path / "fraud.csv")
    session, user = start_on_csv(launch, tf_engine, data)
    window = session.window
    document = window.document
    build_dense_model(user, hidden_units=16, width=6)
    assert document.project.training.loss == "binary_crossentropy"
    set_training(user, epochs=8)
    run = train_to_the_end(user)
    assert run.status == "finished", (run.status, run.error)

    panel = window.evaluation_panel
    user.show_dock("evaluation")
    user.wait_until(lambda: panel.report is not None and panel.report.get("run_id") == run.id,
                    "the run's automatic evaluation", timeout_ms=60_000)
    user.choose(panel.split_combo, "val")  # a threshold is chosen on the validation split
    user.wait_until(lambda: panel.report is not None and panel.report.get("split") == "val",
                    "the validation split's evaluation", timeout_ms=60_000)
    box = panel.threshold_box
    assert box.isVisible() and box.threshold() == 0.5 and "⚠" not in box.summary.text()
    cls = panel.report["classification"]
    curve = cls["curve"]
    user.type_into(box.spin, "0.15")
    assert panel.confusion.matrix == confusion_at(curve, 0.15)
    recall = float(panel.per_class.item(1, 2).text())
    assert recall >= cls["per_class"][1]["recall"], "a lower threshold finds at least as many frauds"
    user.screenshot("threshold-1-tried")

    user.click(box.best_button)
    best = best_f1(curve)
    assert box.threshold() == best
    if best == 0.5:  # the model's own cut was already the best: keep a lower one, for more frauds found
        user.type_into(box.spin, "0.15")
        best = 0.15
    user.click(box.keep_button)
    assert document.project.runs[-1].extra["thresholds"] == {cls["output"]: best}
    user.wait_until(lambda: panel.report is not None and panel.report["classification"].get("threshold") == best,
                    "the evaluation at the kept threshold", timeout_ms=60_000)
    assert f"this run keeps {best:g}" in box.summary.text()
    user.screenshot("threshold-2-kept")

    predict = window.predict_panel
    user.show_dock("predict")
    user.chooser.will_answer("open_files", [str(data)])
    user.click(predict.open_button)
    user.wait_until(lambda: predict.result is not None, "the predictions of the table", timeout_ms=60_000)
    rows = predict.result["predictions"]
    assert predict.result["thresholds"] == {cls["output"]: best}
    assert [r["label"] for r in rows] == ["yes" if r["probabilities"]["yes"] > best else "no" for r in rows]
    assert f"Decision: 'yes' when p('yes') > {best:g}, else 'no' (kept for the run)." in predict.status.text()
    assert predict.threshold_line.isVisible() and predict.threshold_line.value() == best

    saved = tmp_path / "work" / "fraud.vnn"
    saved.parent.mkdir()
    user.chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert json.loads(saved.read_text())["runs"][-1]["extra"]["thresholds"] == {cls["output"]: best}
    assert not user.chooser.answers, f"file dialogs that never opened: {list(user.chooser.answers)}"
