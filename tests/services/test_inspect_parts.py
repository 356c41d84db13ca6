"""Named parts of an .npz (models with several Inputs/outputs): inspection, facts, and `visualnn check` on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from visualnn.core.dataset import DatasetSpec
from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.services.datasets.facts import project_facts
from visualnn.services.datasets.inspect import inspect_source

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "two_inputs"
NAMES = {"inputs": ["tabular", "sequence"], "outputs": ["kind", "score"]}


def write_npz(path: Path, n: int = 60, **override: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    arrays = {"tabular": rng.normal(size=(n, 8)).astype(np.float32),
              "sequence": rng.normal(size=(n, 12, 3)).astype(np.float32),
              "kind": np.arange(n) % 3, "score": rng.normal(size=n).astype(np.float32)}
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_the_parts_of_the_bundled_example_each_feed_their_node() -> None:
    info = inspect_source(str(EXAMPLE / "two_inputs.npz"), {}, "numpy", **NAMES)
    rows = [(p.role, p.node, p.array, p.tensor.shape if p.tensor else None, p.task) for p in info.parts]
    assert rows == [("input", "tabular", "tabular", (600, 8), None),
                    ("input", "sequence", "sequence", (600, 12, 3), None),
                    ("target", "kind", "kind", (600,), "multiclass"),
                    ("target", "score", "score", (600,), "regression")]
    assert info.arrays["sequence"] == {"shape": [600, 12, 3], "dtype": "float32", "rank": 3}
    assert info.task == "multiclass" and info.class_names == ["0", "1", "2"] and info.n_samples == 600
    assert info.options["split"]["stratify"] is True and "arrays" not in info.options
    assert "-> Input sequence" in info.describe() and info.to_dict()["parts"][3]["task"] == "regression"


def test_a_missing_array_or_another_sample_count_is_no_inspection_error(tmp_path: Path) -> None:
    """The inspection reports what it found; validation names the node and the array (so the window can too)."""
    path = write_npz(tmp_path / "d.npz", sequence=None, score=np.zeros(50, np.float32))
    info = inspect_source(str(path), {}, "numpy", **NAMES)
    seq = next(p for p in info.parts if p.node == "sequence")
    assert seq.tensor is None and seq.array == "sequence"
    assert any("Input sequence" in p.message and "tabular, kind, score" in p.message for p in info.problems)


def test_one_input_and_one_output_read_the_file_as_before(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "d.npz")
    info = inspect_source(str(path), {}, "numpy", inputs=["tabular"], outputs=["kind"])
    assert info.parts == [] and [t.name for t in info.tensors] == ["x", "y"]


def write_project(tmp_path: Path, npz: Path, arrays: dict[str, object] | None = None) -> Path:
    project = template("two_input").build()
    options: dict[str, object] = {"split": {"val": 0.15, "test": 0.15, "seed": 42}}
    if arrays:
        options["arrays"] = arrays
    project.set_dataset(DatasetSpec("numpy", str(npz), options))
    target = tmp_path / "p.vnn"
    save_project(project, target)
    return target


def test_project_facts_list_every_array(tmp_path: Path) -> None:
    from visualnn.core.project.io import load_project

    facts = project_facts(load_project(write_project(tmp_path, write_npz(tmp_path / "d.npz"))))
    assert facts is not None and facts.source_kind == "numpy" and facts.source == "d.npz"
    assert [(a.name, a.shape) for a in facts.arrays] == [("tabular", (60, 8)), ("sequence", (60, 12, 3)),
                                                         ("kind", (60,)), ("score", (60,))]
