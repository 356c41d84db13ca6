"""Renaming an output or Input of a model with named parts keeps its settings and its data (issue 14)."""

from __future__ import annotations

from visualnn.core.commands import Rename, UndoStack
from visualnn.core.dataset import DatasetSpec
from visualnn.core.templates import TEMPLATES


def _ids(project: object) -> dict[str, str]:
    return {n.label: n.id for n in project.graph}  # type: ignore[attr-defined]


def test_renaming_an_output_carries_its_loss_row_and_its_array_and_undo_restores_both() -> None:
    project = TEMPLATES["two_input"].build()
    project.set_dataset(DatasetSpec("numpy", "two_inputs.npz", {}))
    stack = UndoStack(project)
    before_training, before_dataset = project.training, project.dataset
    stack.push(Rename(_ids(project)["score"], "price"))
    rows = {o.name: o for o in project.training.outputs}
    assert "score" not in rows and rows["price"].loss == "mean_squared_error" and rows["price"].weight == 0.5
    assert project.dataset is not None
    assert project.dataset.arrays().output_array("price") == "score"  # still fed by the file's array "score"
    stack.push(Rename(_ids(project)["tabular"], "table"))
    assert project.dataset.arrays().input_array("table") == "tabular"
    stack.undo()
    stack.undo()
    assert project.training == before_training and project.dataset == before_dataset


def test_renaming_back_to_the_arrays_name_drops_the_mapping() -> None:
    project = TEMPLATES["two_input"].build()
    project.set_dataset(DatasetSpec("numpy", "two_inputs.npz", {}))
    stack = UndoStack(project)
    stack.push(Rename(_ids(project)["kind"], "label"))
    stack.push(Rename(_ids(project)["label"], "kind"))
    assert project.dataset is not None and not project.dataset.arrays().outputs
    assert [o.name for o in project.training.outputs] == ["kind", "score"]


def test_single_input_models_and_other_sources_are_left_alone() -> None:
    project = TEMPLATES["mlp_classifier"].build()
    project.set_dataset(DatasetSpec("csv", "rows.csv", {}))
    before = project.dataset
    out = next(n for n in project.graph.sinks())
    UndoStack(project).push(Rename(out, "head"))
    assert project.dataset is before
