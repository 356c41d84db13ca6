"""Named parts: a .npz with one array per Input and output node of a functional model (issue 14).

``prepare(..., inputs=[...], outputs=[...])`` gives dict pipelines with one shared split, each input
scaled on its own and each target encoded on its own; every bad input is refused naming the array,
the node and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.multiio_helpers import arrays, two_io_project, write_npz
from visualnn.core.dataset import DatasetSpec
from visualnn.core.model_io import input_names, output_names
from visualnn.services.datasets import prepare
from visualnn.services.datasets.errors import DataError

pytestmark = pytest.mark.tf

INPUTS, OUTPUTS = ["tabular", "sequence"], ["kind", "score"]


def _prepare(folder: Path, batch_size: int = 32, **options: object) -> object:
    project = two_io_project(**options)  # type: ignore[arg-type]
    assert project.dataset is not None
    return prepare(project.dataset, str(folder), batch_size, 1, inputs=input_names(project.graph),
                   outputs=output_names(project.graph))


def test_named_parts_become_dict_pipelines_with_one_split_and_per_part_scaling(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    write_npz(str(tmp_path))
    data = _prepare(tmp_path)
    assert (data.n_train, data.n_val, data.n_test) == (146, 47, 47)  # type: ignore[attr-defined]
    x, y = data.train.element_spec  # type: ignore[attr-defined]
    assert list(x) == INPUTS and set(y) == set(OUTPUTS)
    assert x["sequence"].shape.as_list() == [None, 12, 3] and y["score"].shape.as_list() == [None, 1]
    assert y["kind"].dtype == tf.int32
    parts = {p.name: p for p in data.parts}  # type: ignore[attr-defined]
    assert [(p.name, p.role, p.array, p.shape) for p in data.parts] == [  # type: ignore[attr-defined]
        ("tabular", "input", "tabular", (8,)), ("sequence", "input", "sequence", (12, 3)),
        ("kind", "target", "kind", ()), ("score", "target", "score", (1,))]
    assert (parts["kind"].task, parts["kind"].class_names) == ("multiclass", ("0", "1", "2"))
    assert parts["score"].task == "regression"
    assert (data.task, data.class_names, data.input_shape) == ("multiclass", ["0", "1", "2"], (8,))  # type: ignore[attr-defined]
    # Each input is standardized with its own training statistics: per feature for the table, one scalar
    # for the sequence; the stats keep them so a saved run can be predicted later.
    plans = {p["name"]: p for p in data.stats["parts"]}  # type: ignore[attr-defined]
    assert len(plans["tabular"]["center"]) == 8 and isinstance(plans["sequence"]["center"], float)
    assert plans["kind"]["label_format"] == "int" and plans["score"]["task"] == "regression"
    xs = np.concatenate([b[0]["tabular"].numpy() for b in data.train])  # type: ignore[attr-defined]
    assert np.allclose(xs.mean(axis=0), 0, atol=1e-5) and np.allclose(xs.std(axis=0), 1, atol=1e-3)
    # One split for every part: a training sample's inputs and targets come from the same row of the file.
    raw = arrays()
    sample = data.raw_samples("test", 3)  # type: ignore[attr-defined]
    rows = [int(np.flatnonzero((raw["tabular"] == sample["tabular"][i]).all(axis=1))[0]) for i in range(3)]
    assert np.array_equal(sample["sequence"], raw["sequence"][rows])
    test_y = next(iter(data.test))[1]  # type: ignore[attr-defined]
    assert np.array_equal(test_y["kind"].numpy()[:3], raw["kind"][rows])
    assert [t.name for t in data.tensors][:4] == ["tabular (train)", "sequence (train)", "kind (train)",  # type: ignore[attr-defined]
                                                  "score (train)"]
    assert "from_tensor_slices(x_train)" in data.code and "'tabular': tabular_train" in data.code  # type: ignore[attr-defined]


def test_the_split_is_stratified_by_the_first_classification_output(tmp_path: Path) -> None:
    import numpy as np

    parts = arrays(300)
    parts["kind"] = np.repeat([0, 1, 2], 100)
    write_npz(str(tmp_path), **parts)
    data = _prepare(tmp_path, split={"val": 0.2, "test": 0.2, "seed": 3, "stratify": True})
    counts = np.bincount(np.concatenate([b[1]["kind"].numpy() for b in data.val]))  # type: ignore[attr-defined]
    assert counts.tolist() == [20, 20, 20]


def test_mapped_arrays_feed_the_nodes(tmp_path: Path) -> None:
    parts = arrays()
    write_npz(str(tmp_path), tab=parts["tabular"], sequence=parts["sequence"], cls=parts["kind"], score=parts["score"])
    data = _prepare(tmp_path, arrays={"inputs": {"tabular": "tab"}, "outputs": {"kind": "cls"}})
    assert [(p.name, p.array) for p in data.parts] == [  # type: ignore[attr-defined]
        ("tabular", "tab"), ("sequence", "sequence"), ("kind", "cls"), ("score", "score")]


@pytest.mark.parametrize(("change", "options", "expected"), [
    ("drop:sequence", {}, ["no array 'sequence' for Input node 'sequence'", "its arrays are tabular, kind, score",
                           "Rename an array to 'sequence'", "arrays.inputs"]),
    ("drop:score", {}, ["no array 'score' for output node 'score'", "arrays.outputs"]),
    ("short:sequence", {}, ["array 'sequence' (Input node 'sequence') has 200 samples", "array 'tabular' (Input "
                            "node 'tabular') has 240"]),
    ("", {"arrays": {"inputs": {"table": "tabular"}}}, ["arrays.inputs maps array 'tabular' to Input node 'table'",
                                                        "its Input nodes are tabular, sequence"]),
    ("", {"arrays": {"outputs": {"label": "kind"}}}, ["output node 'label'", "its output nodes are kind, score"]),
    ("", {"arrays": {"outputs": {"kind": "tabular"}}}, ["array 'tabular' is mapped to Input node 'tabular' and "
                                                        "output node 'kind'"]),
])
def test_bad_named_parts_are_refused_naming_the_array_and_the_node(
        tmp_path: Path, change: str, options: dict[str, object], expected: list[str]) -> None:
    parts = arrays()
    what, _, name = change.partition(":")
    if what == "drop":
        del parts[name]
    elif what == "short":
        parts[name] = parts[name][:200]
    write_npz(str(tmp_path), **parts)
    with pytest.raises(DataError) as err:
        _prepare(tmp_path, **options)
    for text in expected:
        assert text in str(err.value)


def test_a_multi_io_model_needs_an_npz(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "x.npy", arrays()["tabular"])
    spec = DatasetSpec("numpy", "x.npy")
    with pytest.raises(DataError, match=r"takes named parts: arrays of an \.npz.*image folder with a per-image table.*"
                                        r"numpy\.savez\(path, tabular=\.\.\."):
        prepare(spec, str(tmp_path), inputs=INPUTS, outputs=OUTPUTS)
    (tmp_path / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # a CSV feeds column groups (test_csv_parts)
    with pytest.raises(DataError, match=r"Feature column 'a' .* feeds no Input; the model has several "
                                        r"\(tabular, sequence\)"):
        prepare(DatasetSpec("csv", "t.csv"), str(tmp_path), inputs=INPUTS, outputs=OUTPUTS)


def test_one_input_and_one_output_keep_the_single_array_path(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "a.npz", x=rng.normal(size=(50, 4)), y=rng.integers(0, 2, 50))
    data = prepare(DatasetSpec("numpy", "a.npz"), str(tmp_path), 8, inputs=["input_1"], outputs=["dense_2"])
    assert data.parts == [] and data.stats["features_array"] == "x"
    assert data.train.element_spec[0].shape.as_list() == [None, 4]


@pytest.mark.tf
def test_the_training_pipeline_shuffles_over_every_sample_with_named_targets(tmp_path: Path) -> None:
    """The shuffle buffer was len(y) of the targets dict (2 outputs -> a buffer of 2): nearly no shuffling."""
    import numpy as np

    from visualnn.core.dataset import PipelineOptions
    from visualnn.services.datasets.pipeline import make_dataset

    n = 64
    x = {"a": np.arange(n, dtype="float32").reshape(n, 1), "b": np.zeros((n, 2), "float32")}
    y = {"kind": np.arange(n), "score": np.zeros(n, "float32")}
    first = next(iter(make_dataset(x, y, PipelineOptions(batch_size=n), True, seed=1)))
    order = first[1]["kind"].numpy()
    # A buffer of 2 keeps every sample within a few places of where it was; a full buffer moves them far.
    assert np.abs(order - np.arange(n)).max() > n // 2
