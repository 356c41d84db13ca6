"""A yes/no model's decision threshold from the command line: chosen with ``evaluate --threshold``, kept with
``--keep``, then applied by ``predict`` (printed and saved), named by ``export-model`` and set in the exported script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main


def test_a_threshold_chosen_on_validation_is_kept_for_the_run_and_followed_by_predict_and_exports(
    tmp_path: Path, capsys: Any
) -> None:
    import pandas as pd

    from tests.tiny_data import fraud_csv
    from visualnn.core.project.io import load_project

    data = fraud_csv(tmp_path / "fraud.csv")
    path = tmp_path / "fraud.vnn"
    assert main(["new", "-t", "mlp_classifier", "--data", str(data), "-o", str(path)]) == 0
    assert main(["train", str(path), "--epochs", "2"]) == 0  # the project's seed: the exported script's too
    capsys.readouterr()
    assert main(["evaluate", str(path), "--split", "val", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)["classification"]
    assert default["threshold"] == 0.5 and default["output"] == "dense_3"
    assert len(default["curve"]["tp"]) == 101 and 0.0 <= default["curve"]["roc_auc"] <= 1.0

    assert main(["evaluate", str(path), "--split", "val", "--threshold", "0.1", "--keep"]) == 0
    out, err = capsys.readouterr()
    assert "Decision: 'yes' when p('yes') > 0.1, else 'no'" in out
    assert "(Keras's metrics above decide at 0.5; the tables below at the run's threshold)" in out
    assert f"Kept threshold 0.1 for run {load_project(path).runs[0].id} in {path}." in err
    assert "test split" not in err  # chosen on validation: nothing to warn about
    run = load_project(path).runs[0]
    assert run.extra["thresholds"] == {"dense_3": 0.1}

    assert main(["evaluate", str(path), "--json"]) == 0  # the kept threshold is now the run's own
    kept = json.loads(capsys.readouterr().out)["classification"]
    assert kept["threshold"] == 0.1
    counts = kept["curve"]
    assert kept["confusion"] == [[counts["tn"][10], counts["fp"][10]], [counts["fn"][10], counts["tp"][10]]]

    rows = pd.read_csv(data).drop(columns=["fraud"]).head(40)
    rows.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "new.csv"), "-o", str(tmp_path / "kept.csv")]) == 0
    capsys.readouterr()
    saved = pd.read_csv(tmp_path / "kept.csv")
    assert (saved["predicted"] == saved["p(yes)"].gt(0.1).map({True: "yes", False: "no"})).all()
    assert (saved["predicted"] == "yes").any()  # at 0.1 some rows are flagged that 0.5 would not flag
    assert ((saved["predicted"] == "yes") == (saved["confidence"] == saved["p(yes)"])).all()
    assert main(["predict", str(path), str(tmp_path / "new.csv")]) == 0
    assert capsys.readouterr().out.startswith("Decision of 'dense_3': 'yes' when p('yes') > 0.1, else 'no'\n")
    assert main(["predict", str(path), str(tmp_path / "new.csv"), "--threshold", "0.5", "--json"]) == 0
    once = json.loads(capsys.readouterr().out)
    assert once["thresholds"] == {"dense_3": 0.5}
    assert [r["label"] for r in once["predictions"]] == saved["p(yes)"].gt(0.5).map({True: "yes", False: "no"}).tolist()
    assert load_project(path).runs[0].extra["thresholds"] == {"dense_3": 0.1}  # a one-off choice keeps nothing

    assert main(["export-model", str(path), "-o", str(tmp_path / "fraud.keras")]) == 0
    report = capsys.readouterr().out
    assert (f"output 'dense_3' gives probabilities; run {run.id} decides 'yes' when p('yes') > 0.1, else 'no' (the "
            "threshold kept for the run)") in report
    # The parity check's accuracy is the test split's at the kept threshold, as evaluate gave it.
    assert f"accuracy: app {kept['accuracy']:.4f}, export {kept['accuracy']:.4f}" in report
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py")]) == 0
    script = (tmp_path / "train.py").read_text()
    assert f"THRESHOLD = 0.1  # the second class where its probability is above this (the threshold kept for {run.id}" in script
    assert "chosen = np.asarray(predictions).reshape(len(predictions), -1)[:3, -1] > THRESHOLD" in script
    # Run as a user would, the script trains the same model and scores it at the kept threshold as evaluate did.
    from tests.services.test_codegen_parity import load_module

    capsys.readouterr()
    load_module(script, tmp_path / "train.py").main(["--epochs", "2", "--output", str(tmp_path / "script.keras")])
    assert f"Accuracy at threshold 0.1: {kept['accuracy']:.4f}\n" in capsys.readouterr().out

    # Continuing the run goes on from its decision too, and says so; a new run starts at the default.
    capsys.readouterr()
    assert main(["train", str(path), "--epochs", "1", "--continue", run.id]) == 0
    assert (f"info: The decision threshold kept for {run.id} (0.1 for 'dense_3') carries over to this run; check it "
            "in the Evaluation tab once it ends, as the model changes.") in capsys.readouterr().err  # with the progress
    assert load_project(path).runs[-1].extra["thresholds"] == {"dense_3": 0.1}
    assert main(["train", str(path), "--epochs", "1"]) == 0
    assert "thresholds" not in load_project(path).runs[-1].extra


@pytest.mark.parametrize(("argv", "message"), [
    (["evaluate", "P", "--keep"], "--keep keeps the threshold given with --threshold T"),
    (["evaluate", "P", "--threshold", "1"], "every sample in one class"),
    (["predict", "P", "x.csv", "--threshold", "lots"], "not 'lots'"),
])
def test_a_threshold_that_cannot_work_is_refused_before_anything_loads(
    tmp_path: Path, capsys: Any, argv: list[str], message: str
) -> None:
    args = [str(tmp_path / "missing.vnn") if a == "P" else a for a in argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse refuses a value of the wrong type itself
        code = exc.code
    assert code == 2  # bad usage, before the (missing) project is even opened
    assert message in capsys.readouterr().err
