"""A model with several Inputs/outputs against its .npz's named arrays: each problem names the node and the array."""

from __future__ import annotations

from visualnn.core.compile_options import ArrayFact, DataFacts, FeatureColumn
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.templates import template
from visualnn.core.validation import Issue, validate

N = 600
GOOD = {"tabular": (N, 8), "sequence": (N, 12, 3), "kind": (N,), "score": (N,)}


def _facts(arrays: dict[str, tuple[int, ...]], source: str = "parts.npz", kind: str = "numpy") -> DataFacts:
    return DataFacts("classification", n_classes=3, source=source, source_kind=kind,
                     arrays=tuple(ArrayFact(k, v, "float32") for k, v in arrays.items()))


def _project(arrays: dict[str, object] | None = None) -> Project:
    project = template("two_input").build()
    options: dict[str, object] = {"split": {"val": 0.15, "test": 0.15}}
    if arrays is not None:
        options["arrays"] = arrays
    project.set_dataset(DatasetSpec("numpy", "parts.npz", options))
    return project


def _errors(project: Project, facts: DataFacts) -> list[Issue]:
    return [i for i in validate(project, facts=facts) if i.is_error]


def test_arrays_named_after_the_nodes_are_clean() -> None:
    assert validate(_project(), facts=_facts(GOOD)) == []


def test_an_input_without_its_array_names_the_node_the_array_the_files_arrays_and_the_fix() -> None:
    arrays = {k: v for k, v in GOOD.items() if k != "sequence"} | {"seq": (N, 12, 3)}
    (issue,) = _errors(_project(), _facts(arrays))
    assert issue.code == "part-missing" and issue.node_id == "input_2"
    assert issue.message.startswith("Input sequence has no array in parts.npz")
    assert "seq (None, 12, 3)" in issue.message and "tabular (None, 8)" in issue.message
    assert issue.fix is not None and "Rename an array in the file to 'sequence'" in issue.fix
    assert "Data panel" in issue.fix


def test_an_output_mapped_to_a_missing_array_says_so() -> None:
    (issue,) = _errors(_project({"outputs": {"score": "rating"}}), _facts(GOOD))
    assert issue.code == "part-missing" and issue.node_id == "dense_4"
    assert "output score has no array in parts.npz: it is mapped to the array 'rating'" in issue.message


def test_a_sample_shape_that_differs_from_the_input_names_both_shapes_and_fixes_the_input() -> None:
    (issue,) = _errors(_project(), _facts(GOOD | {"tabular": (N, 10)}))
    assert issue.code == "part-shape" and issue.node_id == "input_1"
    assert "Input tabular declares (None, 8), but the array 'tabular' of parts.npz gives samples of (None, 10)" \
        in issue.message
    assert issue.action == {"node": "input_1", "param": "shape", "value": [10]}


def test_arrays_with_different_sample_counts_name_each_array_and_node() -> None:
    (issue,) = _errors(_project(), _facts(GOOD | {"score": (500,)}))
    assert issue.code == "part-samples" and issue.node_id == "dense_4"
    assert "'score' (output score) has 500 samples but 'tabular' (Input tabular) has 600" in issue.message


def test_a_mapping_for_a_node_the_model_lacks_is_an_error() -> None:
    (issue,) = _errors(_project({"inputs": {"tab": "tabular"}}), _facts(GOOD))
    assert issue.code == "part-unknown-node"
    assert "maps the array 'tabular' to the Input 'tab'" in issue.message and "tabular, sequence" in issue.message


def test_one_array_mapped_to_two_nodes_is_an_error() -> None:
    (issue,) = _errors(_project({"outputs": {"score": "kind"}}), _facts(GOOD))
    assert issue.code == "part-shared-array" and issue.node_id == "dense_4"
    assert "'kind' feeds both output kind and output score" in issue.message


def _csv_facts(features: dict[str, tuple[str, int]], targets: tuple[str, ...]) -> DataFacts:
    cols = tuple(FeatureColumn(name, kind, unique) for name, (kind, unique) in features.items())
    return DataFacts("classification", n_classes=3, source="rows.csv", source_kind="csv", columns=cols, targets=targets)


def _csv_project(columns: dict[str, object]) -> Project:
    """Inputs tabular [6] and extra [2] -> outputs kind (dense_3) and score (dense_4), on rows.csv."""
    from tests.services.csv_parts_helpers import csv_graph

    return Project(csv_graph(), "csv", DatasetSpec("csv", "rows.csv", {"columns": columns}))


FEATURES = {"a": ("numeric", 50), "b": ("numeric", 50), "color": ("categorical", 4), "s1": ("numeric", 9),
            "s2": ("boolean", 2)}
GROUPED = {"a": {"input": "tabular"}, "b": {"input": "tabular"}, "color": {"input": "tabular"},
           "s1": {"input": "extra"}, "s2": {"input": "extra"},
           "label": {"role": "target", "output": "kind"}, "value": {"role": "target", "output": "score"}}


def test_column_groups_that_fit_the_inputs_are_clean() -> None:
    assert _errors(_csv_project(GROUPED), _csv_facts(FEATURES, ("label", "value"))) == []


def test_bad_column_groups_name_the_column_and_the_node() -> None:
    columns = {**GROUPED, "s2": {"input": "gone"}, "b": {}, "label": {"role": "target", "output": "score"}}
    issues = _errors(_csv_project(columns), _csv_facts(FEATURES, ("label", "value")))
    by_code = {i.code: i for i in issues}
    assert set(by_code) == {"group-unknown-input", "group-missing", "target-missing", "target-shared"}
    assert "Feature column 's2' of rows.csv feeds Input 'gone', but the model has no Input of that name " \
           "(its Inputs: tabular, extra)" in by_code["group-unknown-input"].message
    assert "Feature column 'b' of rows.csv feeds no Input" in by_code["group-missing"].message
    assert by_code["target-missing"].node_id == "dense_3" and "Output kind has no target column" in \
        by_code["target-missing"].message
    assert "Output score has 2 target columns (label, value)" in by_code["target-shared"].message


def test_a_group_wider_than_its_input_names_the_columns_both_widths_and_fixes_the_shape() -> None:
    project = _csv_project(GROUPED)
    project.graph.set_param("input_1", "shape", [5])
    (issue,) = _errors(project, _csv_facts(FEATURES, ("label", "value")))
    assert issue.code == "group-width" and issue.node_id == "input_1"
    assert "Input tabular declares shape [5], but its columns of rows.csv (a, b, color) encode to 6 numbers" \
        in issue.message
    assert issue.fix is not None


def test_an_input_without_columns_and_a_target_for_a_missing_output() -> None:
    columns = {**{k: {"input": "tabular"} for k in FEATURES}, "label": {"role": "target", "output": "kind"},
               "value": {"role": "target"}}
    codes = {i.code: i for i in _errors(_csv_project(columns), _csv_facts(FEATURES, ("label", "value")))}
    assert "Input extra has no columns of rows.csv" in codes["group-empty"].message
    assert codes["group-empty"].node_id == "input_2"
    assert "Target column 'value' of rows.csv is compared with the output of its own name, but the model has no " \
           "output of that name (its outputs: kind, score)" in codes["target-unknown-output"].message


def test_the_single_tensor_checks_stay_out_of_a_multi_output_model() -> None:
    """A classification loss on a regression-looking first target is no error: each output has its own loss."""
    facts = _facts(GOOD)
    facts = DataFacts("regression", source=facts.source, source_kind="numpy", arrays=facts.arrays)
    assert validate(_project(), facts=facts) == []
