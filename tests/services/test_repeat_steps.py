"""'Repeat' in the pipeline settings: one epoch = ceil(n_train / batch) steps, never an endless epoch.

Each test carries a timeout: before the fix a repeating pipeline trained forever in epoch 1.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.services.training_helpers import tiny_project
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.protocol import TrainRequest
from visualnn.services.training_common import TrainingError

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
N, VAL, BATCH = 110, 0.2, 16  # 88 training samples: 6 steps per epoch, the last one 8 samples


def _numpy_project(tmp_path: Path, repeat: bool) -> Project:
    import numpy as np

    rng = np.random.default_rng(4)
    x = rng.normal(size=(N, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    np.savez(tmp_path / "arrays.npz", x=x, y=y)
    project = tiny_project(deterministic=True, seed=5, batch_size=BATCH, epochs=2)
    project.dataset = DatasetSpec("numpy", "arrays.npz", {"split": {"val": VAL, "test": 0.0, "seed": 3},
                                                          "pipeline": {"repeat": repeat}})
    return project


@pytest.mark.timeout(120)
def test_repeat_runs_one_pass_per_epoch_and_reports_its_steps(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from visualnn.services import training_common
    from visualnn.services.training import run_training

    monkeypatch.setattr(training_common, "BATCH_REPORT_INTERVAL_S", 0.0)  # every batch reaches the sink
    events: list[tuple[str, dict[str, Any]]] = []
    result = run_training(TrainRequest(project=_numpy_project(tmp_path, repeat=True), base_dir=str(tmp_path)),
                          lambda kind, data: events.append((kind, data)))
    n_train = result.data.n_train
    steps = math.ceil(n_train / BATCH)
    assert (n_train, steps) == (88, 6)
    assert len(result.run.history["loss"]) == 2 and len(result.run.history["val_loss"]) == 2
    assert [d["epoch"] for k, d in events if k == "epoch"] == [1, 2]
    for epoch in (1, 2):
        batches = [d for k, d in events if k == "batch" and d["epoch"] == epoch]
        assert {d["batch"] for d in batches} == set(range(1, steps + 1)), epoch  # exactly ceil(n / batch)
        assert {d["batches"] for d in batches} == {steps}
    logs = [d["text"] for k, d in events if k == "log"]
    assert any(f"each epoch runs {steps} steps" in text for text in logs), logs
    # Epoch 1 is one pass over the same batches as without Repeat: the same numbers. (Later passes are
    # shuffled afresh by the repeat, in another order than a new iterator per epoch gives.)
    plain = run_training(TrainRequest(project=_numpy_project(tmp_path, repeat=False), base_dir=str(tmp_path)))
    for key, values in plain.run.history.items():
        assert values[0] == pytest.approx(result.run.history[key][0], abs=1e-6), key


@pytest.mark.timeout(120)
def test_a_repeating_pipeline_of_unknown_size_is_refused_with_the_fix() -> None:
    import tensorflow as tf

    from visualnn.services.keras_builder import build_model
    from visualnn.services.training import fit_model
    from visualnn.services.training_common import compile_model

    project = tiny_project()
    model = build_model(project.graph)
    compile_model(model, project.training)
    endless = tf.data.Dataset.from_tensor_slices((tf.zeros((8, 4)), tf.zeros((8,), tf.int32))).batch(4).repeat()
    data = SimpleNamespace(train=endless, val=None, n_train=0)  # a size nobody knows
    with pytest.raises(TrainingError, match=r"repeats forever \(the 'Repeat' pipeline setting\).*Turn off 'Repeat' "
                                            r"in the Data panel's pipeline settings"):
        fit_model(model, data, project.training)


def test_multiworker_counts_one_pass_of_even_batches_when_the_pipeline_repeats() -> None:
    import tensorflow as tf

    from visualnn.core.distribution import DistributionError
    from visualnn.services.distribute import count_batches

    endless = tf.data.Dataset.range(100).batch(16).repeat()
    assert count_batches(endless, 100, 16) == 6  # the ragged 4-sample batch is dropped, as without Repeat
    with pytest.raises(DistributionError, match="'Repeat'"):
        count_batches(endless)


@pytest.mark.timeout(300)
def test_cli_and_exported_script_train_a_repeating_pipeline_to_the_same_losses(tmp_path: Path) -> None:
    """`visualnn train` finishes with Repeat on, and the functional script runs the same steps and losses."""
    from visualnn.core.project.io import load_project, save_project

    folder = tmp_path / "tabular"
    shutil.copytree(EXAMPLES / "tabular", folder)
    vnn = folder / "tabular.vnn"
    project = load_project(vnn)
    assert project.dataset is not None
    options = {**project.dataset.options, "pipeline": {"repeat": True}}
    project.dataset = DatasetSpec(project.dataset.kind, project.dataset.path, options)
    project.training = project.training.with_changes(epochs=2, batch_size=BATCH, deterministic=True, device="cpu")
    save_project(project, vnn)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "visualnn.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    cli("export-code", str(vnn), "--style", "functional", "-o", str(folder / "train.py"))
    app_history = json.loads(cli("train", str(vnn), "--json").stdout)["history"]
    assert len(app_history["loss"]) == 2
    probe = ("import json, sys; sys.path.insert(0, '.'); import train; "
             "h = train.main(['--output', 'script_model.keras']); print('HISTORY' + json.dumps(h.history))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    from visualnn.services.datasets import prepare

    n_train = prepare(project.dataset, str(folder), batch_size=BATCH, seed=project.training.seed).n_train
    steps = math.ceil(n_train / BATCH)
    assert f"Repeat is on: {steps} steps per epoch" in run.stdout
    assert f"{steps}/{steps}" in run.stdout  # Keras's verbose=2 line of each epoch counts the steps
    script_history = json.loads(run.stdout.split("HISTORY", 1)[1])
    for key, values in script_history.items():
        assert len(values) == 2, key
        assert all(abs(a - b) <= 1e-5 for a, b in zip(values, app_history[key], strict=True)), (key, values,
                                                                                              app_history[key])
