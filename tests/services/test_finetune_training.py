"""Two-phase fine-tuning in the training runner and in the exported script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.services.finetune_helpers import conv_graph, images
from tests.services.training_helpers import tiny_project
from visualnn.core.protocol import TrainRequest

pytestmark = pytest.mark.tf


def _train(tmp_path: Any, sink: Any, **training: Any) -> Any:
    from visualnn.services.training import run_training

    project = tiny_project(conv_graph(), **training)
    req = TrainRequest(project=project, base_dir=str(tmp_path), inline_data=images())
    return run_training(req, sink)


def test_phase_two_unfreezes_the_top_layers_lowers_the_rate_and_continues_the_history(tmp_path: Path) -> None:
    import keras

    msgs: list[tuple[str, dict[str, Any]]] = []
    result = _train(tmp_path, lambda k, d: msgs.append((k, d)), epochs=1, fine_tune=True, fine_tune_layers=2,
                    fine_tune_epochs=1)
    run = result.run
    assert run.status == "finished" and run.epochs_done == 2
    assert len(run.history["loss"]) == len(run.history["val_loss"]) == 2  # one sequence over both phases
    entry = run.extra["fine_tune"]
    assert entry["boundary"] == 1 and entry["epochs"] == 1
    assert entry["unfrozen"] == ["conv_b"]  # the top 2 of conv_a, bn, conv_b: bn stays frozen
    assert entry["learning_rate"] == pytest.approx(1e-4)  # a tenth of phase 1's 0.001
    epochs = [d for k, d in msgs if k == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert epochs[0]["lr"] == pytest.approx(1e-3) and epochs[1]["lr"] == pytest.approx(1e-4)
    assert run.history["lr"] == pytest.approx([1e-3, 1e-4])  # the record keeps each epoch's rate, as plotted
    assert "lr" not in run.metrics  # the rate is no metric
    assert any(k == "status" and d.get("phase_boundary") == 1 for k, d in msgs)
    flags = {layer.name: layer.trainable for layer in result.model.layers}
    assert (flags["conv_a"], flags["bn"], flags["conv_b"], flags["head"]) == (False, False, True, True)
    saved = keras.saving.load_model(tmp_path / run.model_path)
    assert [w.name for w in saved.get_layer("conv_b").trainable_weights] == ["kernel", "bias"]
    assert not saved.get_layer("conv_a").trainable_weights


def test_fine_tuning_without_frozen_layers_says_how_to_freeze(tmp_path: Path) -> None:
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    project = tiny_project(conv_graph(frozen=()), epochs=1, fine_tune=True)
    with pytest.raises(TrainingError, match="no layer is frozen.*Freeze everything before this layer"):
        run_training(TrainRequest(project=project, base_dir=str(tmp_path), inline_data=images()))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_the_exported_script_trains_both_phases_to_the_app_history(tmp_path: Path) -> None:
    """Same seed, deterministic ops, CPU: `visualnn train` and the script give the same two-phase history."""
    import shutil

    from tests.services.script_parity import app_and_script_histories, assert_same_losses
    from visualnn.core.command_base import UndoStack
    from visualnn.core.freezing import FreezeBefore
    from visualnn.core.project.io import load_project, save_project

    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    shutil.copytree(examples / "tabular", tmp_path / "tabular")
    vnn = tmp_path / "tabular" / "tabular.vnn"
    project = load_project(vnn)
    last = project.graph.sinks()[0]
    UndoStack(project).push(FreezeBefore(last))
    project.training = project.training.with_changes(epochs=1, deterministic=True, device="cpu", fine_tune=True,
                                                     fine_tune_layers=1, fine_tune_epochs=1)
    save_project(project, vnn)
    app, script = app_and_script_histories(vnn)
    assert len(app["loss"]) == 2
    assert_same_losses(app, script, [k for k in script if k in app], epochs=2)
    record = json.loads(vnn.read_text())["runs"][-1]
    assert record["extra"]["fine_tune"]["boundary"] == 1
