"""NumPy sources: .npz key choice, any rank, targets from a second .npy, mismatched sample counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visualnn.core.dataset import ArrayOptions, DatasetSpec
from visualnn.services.datasets.arrays import encode_array_targets, load_arrays
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source


def test_rank5_video_npz_is_described_with_course_axes(tmp_path: Path) -> None:
    path = tmp_path / "video.npz"
    np.savez(path, clips=np.zeros((12, 4, 8, 8, 1), np.float32), labels=np.arange(12) % 3)
    info = inspect_source(str(path))
    x = info.tensors[0]
    assert x.shape == (12, 4, 8, 8, 1)
    assert x.axes == ("samples", "frames", "height", "width", "channels")
    assert info.task == "multiclass" and info.class_names == ["0", "1", "2"]
    assert info.input_shape == (4, 8, 8, 1)
    assert info.arrays["clips"]["rank"] == 5


def test_chosen_keys_and_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, a=np.ones((5, 3)), b=np.zeros(5), c=np.arange(5.0))
    pair = load_arrays(str(path), ArrayOptions(features="a", targets="c"))
    assert pair.x.shape == (5, 3) and pair.y_name == "c"
    with pytest.raises(DataError, match="has no array named 'zz' for the targets; its arrays are a, b, c"):
        load_arrays(str(path), ArrayOptions(targets="zz"))


def test_npz_with_mismatched_sample_counts(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((10, 2)), y=np.zeros(9))
    with pytest.raises(DataError, match="features 'x' have 10 samples .* but targets 'y' have 9"):
        load_arrays(str(path), ArrayOptions())


def test_npy_with_targets_file_and_corrupt_file(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((6, 10, 3)))
    np.save(tmp_path / "y.npy", np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]))
    pair = load_arrays(str(tmp_path / "x.npy"), ArrayOptions(targets_path="y.npy"))
    assert pair.y.shape == (6,)
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="is not a readable NumPy file"):
        load_arrays(str(tmp_path / "junk.npy"), ArrayOptions())


def test_target_encoding_per_task() -> None:
    spec = DatasetSpec("numpy", "x.npz")
    task, names, labels, y = encode_array_targets(np.array(["cat", "dog", "cat", "dog"]), spec, "x.npz")
    assert task == "binary" and names == ["cat", "dog"] and y.shape == (4, 1)
    onehot = np.eye(3)[[0, 1, 2, 1]]
    task, names, labels, y = encode_array_targets(onehot, spec, "x.npz")
    assert task == "multiclass" and labels.tolist() == [0, 1, 2, 1] and y.dtype == np.int32
    task, *_ = encode_array_targets(np.array([[1, 0], [1, 1], [0, 0]]), spec, "x.npz")
    assert task == "multilabel"
    task, *_ = encode_array_targets(np.linspace(0, 1, 50), spec, "x.npz")
    assert task == "regression"
    with pytest.raises(DataError, match="single class"):
        encode_array_targets(np.zeros(5, dtype=int), DatasetSpec("numpy", "x", {"task": "binary"}), "x.npz")
