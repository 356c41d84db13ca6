"""Balanced class weights: the trainer weighs each class by the training split's counts, the rare class of an
imbalanced yes/no table is found (it was ignored without them), and the exported script trains to the app's losses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.services.script_parity import app_and_script_histories, assert_same_losses
from tests.tiny_data import fraud_csv
from visualnn.core.project.io import project_from_dict, save_project
from visualnn.core.protocol import TrainRequest
from visualnn.core.templates import template
from visualnn.core.tensors import balanced_class_weights
from visualnn.services.datasets.attach import attach_dataset

pytestmark = pytest.mark.tf


def _fraud_project(tmp_path: Path, **training: Any) -> Any:
    project = attach_dataset(template("mlp_classifier").build(), str(fraud_csv(tmp_path / "fraud.csv")))
    project.set_training(replace(project.training, seed=1, **training))
    return project


def test_balanced_weights_find_the_rare_class_the_unweighted_model_ignores(tmp_path: Path) -> None:
    from visualnn.services.datasets.prepare import prepare
    from visualnn.services.training import run_training

    project = _fraud_project(tmp_path, epochs=6)
    assert {"precision", "recall"} <= set(project.training.metrics)
    said: list[str] = []
    balanced = project_from_dict(project.to_dict())
    balanced.set_training(replace(project.training, class_weight="balanced"))
    weighted = run_training(TrainRequest(project=balanced, base_dir=str(tmp_path)),
                            lambda kind, data: said.append(str(data.get("text"))))
    plain = run_training(TrainRequest(project=project, base_dir=str(tmp_path)))
    assert weighted.run.config["class_weight"] == "balanced" and plain.run.config["class_weight"] == "none"
    assert plain.run.metrics["val_recall"] <= 0.3  # 'yes' is 11 %: answering 'no' nearly always scores ~90 %
    assert weighted.run.metrics["val_recall"] >= 0.6

    data = prepare(project.dataset, str(tmp_path), 32, 1)
    labels = np.concatenate([np.asarray(y).reshape(-1) for _, y in data.train]).round().astype(int)
    assert data.class_counts == tuple(int(c) for c in np.bincount(labels, minlength=2))  # the training split's
    weights = balanced_class_weights(data.class_counts)
    assert weighted.run.extra["class_weights"] == {"no": weights[0], "yes": weights[1]}  # the record keeps them
    assert "class_weights" not in plain.run.extra
    (line,) = [t for t in said if t.startswith("Balanced class weights")]
    assert line == (f"Balanced class weights from the training split: no {weights[0]:.3g} ({data.class_counts[0]} "
                    f"samples), yes {weights[1]:.3g} ({data.class_counts[1]} samples). They weigh the training loss; "
                    "validation and test figures weigh every sample alike.")


def test_the_exported_script_weighs_the_classes_as_the_app_and_trains_to_its_losses(tmp_path: Path) -> None:
    project = _fraud_project(tmp_path, epochs=2, class_weight="balanced")
    vnn = tmp_path / "fraud.vnn"
    save_project(project, vnn)
    app, script = app_and_script_histories(vnn)
    assert_same_losses(app, script, ("loss", "val_loss", "recall"))


def test_class_weights_on_a_regression_target_stop_before_training_with_the_fix(tmp_path: Path) -> None:
    from tests.tiny_data import price_csv
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    project = attach_dataset(template("mlp_regressor").build(), str(price_csv(tmp_path / "houses.csv")))
    project.set_training(replace(project.training, epochs=1, class_weight="balanced"))
    with pytest.raises(TrainingError, match="there are no classes to weigh. Set Class weights to none"):
        run_training(TrainRequest(project=project, base_dir=str(tmp_path)))


def test_image_folders_and_arrays_count_the_classes_of_their_training_split(tmp_path: Path) -> None:
    """What balanced weights are computed from, for the other single-tensor sources: each split's labels as the
    pipeline delivers them (class numbers, one-hot rows), counted the way Keras reads classes from them."""
    from tests.tiny_data import digits_pngs
    from visualnn.core.dataset import DatasetSpec
    from visualnn.services.datasets.prepare import prepare

    def counted(data: Any) -> tuple[int, ...]:
        rows = [np.asarray(y) for _, y in data.train]
        labels = np.concatenate([r.argmax(axis=-1) if r.ndim == 2 and r.shape[1] > 1 else r.reshape(-1) for r in rows])
        return tuple(int(c) for c in np.bincount(labels.round().astype(int), minlength=len(data.class_names)))

    folder = digits_pngs(tmp_path, classes=3, per_class=10)
    for extra in sorted((folder / "0").iterdir())[:7]:  # class 0 the rare one: 3 images left
        extra.unlink()
    for encoding in ("index", "onehot"):
        data = prepare(DatasetSpec("images", str(folder), {"split": {"val": 0.25, "seed": 3},
                                                            "target_encoding": encoding}), ".", 8, 1)
        assert data.class_counts == counted(data) and sum(data.class_counts) == data.n_train
    rng = np.random.default_rng(0)
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, x=rng.random((80, 4), dtype=np.float32), y=np.r_[np.zeros(70), np.ones(10)].astype(np.int64))
    data = prepare(DatasetSpec("numpy", str(arrays), {"split": {"val": 0.2, "seed": 3}}), ".", 16, 1)
    assert data.task == "binary" and data.class_counts == counted(data) and data.class_counts[1] < data.class_counts[0]
