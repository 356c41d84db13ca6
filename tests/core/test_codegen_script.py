"""The full exported script (no TensorFlow): structure, course vocabulary, safety, lint."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from visualnn.core.codegen import CodegenError, generate_script, requirements_txt
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import TrainingConfig

HOSTILE = "x\"]); __import__('os').system('echo pwned'); print(\"["


def csv_facts(column: str = "petal") -> dict[str, Any]:
    """What the data service would report for a small CSV (written by hand here)."""
    return {
        "path": "data/iris.csv", "val": 0.2, "test": 0.1, "split_seed": 7, "stratify": True,
        "target_encoding": "index", "scaling": "standardize", "delimiter": ",", "encoding": "utf-8",
        "header": True, "decimal": ".", "task": "multiclass", "fill_value": 0,
        "features": [{"name": column, "kind": "numeric", "missing": "mean", "scaling": "standardize"},
                     {"name": "colour", "kind": "categorical", "missing": "most_frequent", "encoding": "onehot"}],
        "targets": [{"name": "species", "kind": "categorical"}],
    }


def csv_project(column: str = "petal") -> tuple[Any, dict[str, Any]]:
    project = TEMPLATES["mlp_classifier"].build()
    project.dataset = DatasetSpec("csv", "data/iris.csv", {})
    return project, csv_facts(column)


def squeeze(code: str) -> str:
    """The code without whitespace or trailing commas before brackets (line breaks do not matter)."""
    return re.sub(r",(?=[)\]}])", "", re.sub(r"\s+", "", code))


def top_functions(code: str) -> list[str]:
    return [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_gives_an_importable_script_with_the_six_steps(name: str) -> None:
    code = generate_script(TEMPLATES[name].build(), "functional")
    tree = ast.parse(code)
    funcs = top_functions(code)
    assert {"load_data", "build_model", "make_dataset", "compile_model", "main"} <= set(funcs)
    # Training only happens under the __main__ guard: the module body has no call to main().
    guard = [n for n in tree.body if isinstance(n, ast.If)]
    assert len(guard) == 1 and "__main__" in ast.unparse(guard[0].test)
    calls_at_top = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert calls_at_top == []
    for step in range(1, 7):
        assert f"Step {step}" in code
    for word in ("from_tensor_slices", "Dataset.zip((ds_x, ds_y))", "shuffle(buffer_size=", ".batch(", ".prefetch(",
                 "model.compile(", "model.fit(", "model.evaluate(", "model.predict(", "--epochs", "--batch-size"):
        assert squeeze(word) in squeeze(code), word


def test_csv_script_carries_the_detected_settings_as_data() -> None:
    project, facts = csv_project()
    code = generate_script(project, "subclass", facts=facts)
    tree = ast.parse(code)
    data = next(n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "DATA")
    assert ast.literal_eval(data.value) == facts
    assert "def split_indices(" in code and "def fit_column(" in code and "Counter" in code
    assert "class " in code and "def call(self, inputs, training=None)" in code


def test_hostile_column_names_and_paths_cannot_inject_code() -> None:
    project, facts = csv_project(column=HOSTILE)
    facts["path"] = HOSTILE
    project.name = HOSTILE
    code = generate_script(project, "functional", facts=facts)
    tree = ast.parse(code)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert HOSTILE in strings
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "__import__" not in names
    imports = sorted(ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
    assert imports == sorted(["import argparse", "import math", "import os", "from collections import Counter", "import keras",
                              "import numpy as np", "import pandas as pd", "import tensorflow as tf", "import time",
                              # inside log_to_mlflow only (--mlflow URI; docs/TRACKING.md)
                              "from mlflow.entities import Metric, Param", "from mlflow.tracking import MlflowClient"])


def image_table_facts() -> dict[str, Any]:
    """What script_facts reports for tests.services.image_table_helpers' folder and table (written by hand here)."""
    return {
        "path": "images", "val": 0.2, "test": 0.0, "split_seed": 3, "stratify": True, "target_encoding": "index",
        "scaling": "standardize", "table": "meta.csv", "key": "file", "delimiter": ",", "encoding": "utf-8",
        "header": True, "decimal": ".", "image_input": "image", "class_output": "class", "image_size": [8, 8],
        "channels": 3, "rescale": "0_1", "skipped": [], "task": "binary", "fill_value": 0,
        "inputs": [{"name": "meta", "features": [{"name": "size", "kind": "numeric", "missing": "mean",
                                                  "scaling": "standardize"}]}],
        "outputs": [{"name": "class", "folders": True, "task": "binary"},
                    {"name": "score", "column": "score", "kind": "numeric", "task": "regression"}],
    }


def test_an_image_folder_with_its_table_gives_a_script_of_dict_pipelines() -> None:
    from tests.services.image_table_helpers import image_project

    project = image_project()
    for style in ("functional", "subclass"):
        code = generate_script(project, style, facts=image_table_facts())
        compile(code, "train.py", "exec")
        # from_tensor_slices on a dict of the image paths and the table's arrays, zipped with the targets ...
        assert 'x = {DATA["image_input"]: files[positions], **x}' in code
        assert "ds_x = tf.data.Dataset.from_tensor_slices(x)" in code
        assert "ds = tf.data.Dataset.zip((ds_x, ds_y))" in code
        # ... the images decoded in a map, the table rows matched by the key column
        assert "lambda x, label: (on_images(x, load_image), label)" in code
        assert 'rows = match_rows(files, table[DATA["key"]])' in code
        assert {"match_rows", "encode_parts", "load_data", "with_preprocessing", "make_dataset"} <= set(
            top_functions(code))
        assert "import pandas as pd" in code and "from collections import Counter" in code
    with pytest.raises(CodegenError, match="which Input takes the images.*visualnn export-code"):
        generate_script(project, "functional", facts={"path": "images"})


def test_project_with_data_but_no_facts_asks_for_them() -> None:
    project, _ = csv_project()
    with pytest.raises(CodegenError, match="visualnn export-code"):
        generate_script(project)


def test_training_settings_reach_compile_and_callbacks() -> None:
    project = TEMPLATES["mlp_regressor"].build()
    project.training = TrainingConfig(loss="mse", optimizer="sgd", learning_rate=0.05, momentum=0.9,
                                      metrics=("mae", "rmse"), schedule="plateau", early_stopping=True,
                                      patience=4, deterministic=True)
    code = generate_script(project, "sequential", strategy="mirrored")
    flat = squeeze(code)
    assert squeeze("keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9, nesterov=False)") in flat
    assert 'loss="mean_squared_error"' in flat and squeeze('keras.metrics.RootMeanSquaredError(name="rmse")') in flat
    assert "EarlyStopping(" in flat and "patience=4" in flat and "ReduceLROnPlateau(" in flat
    assert "enable_op_determinism" in code and "MirroredStrategy" in code
    with pytest.raises(CodegenError, match="strategy"):
        generate_script(project, strategy="tpu-pod")


def test_scripts_are_ruff_clean_and_formatted(tmp_path: Path) -> None:
    for name in ("mlp_classifier", "two_input", "resnet_blocks"):
        for style in ("functional", "subclass"):
            (tmp_path / f"{name}_{style}.py").write_text(generate_script(TEMPLATES[name].build(), style))
    project, facts = csv_project(column='it\'s "odd"')
    (tmp_path / "csv_script.py").write_text(generate_script(project, "functional", facts=facts))
    yes_no = csv_project()[0]  # a yes/no model: THRESHOLD, its predicted classes and its accuracy at it
    yes_no.training = yes_no.training.with_changes(loss="binary_crossentropy")
    out = yes_no.graph.sinks()[0]
    yes_no.graph.set_param(out, "units", 1)
    yes_no.graph.set_param(out, "activation", "sigmoid")
    yes_no_code = generate_script(yes_no, "functional", facts=facts)
    assert "THRESHOLD = 0.5" in yes_no_code and "Accuracy at threshold" in yes_no_code
    (tmp_path / "yes_no_script.py").write_text(yes_no_code)
    common = {key: facts[key] for key in ("val", "test", "split_seed", "stratify", "target_encoding", "scaling")}
    project.dataset = DatasetSpec("numpy", "data.npz", {})
    (tmp_path / "numpy_script.py").write_text(generate_script(project, "functional", facts={
        **common, "path": "data.npz", "features_array": "x", "targets_array": "y", "targets_path": None,
        "task": "multiclass"}))
    parts = {**common, "path": "parts.npz", "task": "multiclass", "inputs": [{"name": "tabular", "array": "tab"},
             {"name": "sequence", "array": "sequence"}], "outputs": [{"name": "kind", "array": "kind", "task": "multiclass"},
             {"name": "score", "array": "score", "task": "regression"}]}
    two = TEMPLATES["two_input"].build()
    two.dataset = DatasetSpec("numpy", "parts.npz", {})
    for style in ("functional", "subclass"):
        (tmp_path / f"parts_{style}.py").write_text(generate_script(two, style, facts=parts))
    table = {k: facts[k] for k in ("delimiter", "encoding", "header", "decimal", "fill_value")}
    groups = {**common, **table, "path": "rows.csv", "task": "multiclass", "inputs": [
        {"name": "tabular", "features": [{"name": "a", "kind": "numeric", "missing": "mean", "scaling": "standardize"},
                                         {"name": "c", "kind": "categorical", "missing": "drop", "encoding": "onehot"}]},
        {"name": "sequence", "features": [{"name": "b", "kind": "numeric", "missing": "mean", "scaling": "none"}]}],
        "outputs": [{"name": "kind", "column": "label", "kind": "categorical", "task": "multiclass"},
                    {"name": "score", "column": "value", "kind": "numeric", "task": "regression"}]}
    two.dataset = DatasetSpec("csv", "rows.csv", {})
    for style in ("functional", "subclass"):
        (tmp_path / f"csv_groups_{style}.py").write_text(generate_script(two, style, facts=groups))
    yes_no_head = two.graph.copy()  # the 'kind' head as a yes/no softmax of two: THRESHOLDS and its classes
    kind = next(n for n in yes_no_head if n.label == "kind")
    yes_no_head.set_param(kind.id, "units", 2)
    two_yes_no = Project(graph=yes_no_head, dataset=two.dataset, training=two.training)
    heads_code = generate_script(two_yes_no, "functional", facts=groups)
    assert "THRESHOLDS = {'kind': 0.5}" in heads_code.replace('"', "'") and "THRESHOLDS[name]" in heads_code
    (tmp_path / "csv_groups_yes_no.py").write_text(heads_code)
    project.dataset = DatasetSpec("timeseries", "series.csv", {})
    (tmp_path / "series_script.py").write_text(generate_script(project, "functional", facts={
        **common, **{k: facts[k] for k in ("delimiter", "encoding", "header", "decimal")}, "path": "series.csv",
        "features": ["a", "b"], "target": "b", "length": 8, "stride": 1, "horizon": 1, "task": "regression"}))
    _series_targets_scripts(tmp_path, {**common, **{k: facts[k] for k in ("delimiter", "encoding", "header", "decimal")}})
    from tests.services.image_table_helpers import image_project

    for style in ("functional", "subclass"):
        (tmp_path / f"image_table_{style}.py").write_text(generate_script(image_project(), style,
                                                                          facts=image_table_facts()))
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--isolated", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run([*ruff, "format", "--isolated", "--check", str(tmp_path)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout


def _series_targets_scripts(folder: Path, common: dict[str, object]) -> None:
    """A time series with two target columns: one output per column (both styles), and one vector output."""
    from tests.services.series_helpers import series_graph

    series = {**common, "path": "series.csv", "features": ["time", "temp", "hum"], "targets": ["temp", "hum"],
              "target": "temp", "length": 8, "stride": 1, "horizon": 2, "task": "regression"}
    two = Project(series_graph(), "series", DatasetSpec("timeseries", "series.csv", {}), TrainingConfig())
    for style in ("functional", "subclass"):
        (folder / f"series_parts_{style}.py").write_text(generate_script(two, style, facts={
            **series, "input": "window", "outputs": [{"name": "temp", "column": "temp"}, {"name": "hum", "column": "hum"}]}))
    one = Project(series_graph(("both",), units=2), "vector", DatasetSpec("timeseries", "series.csv", {}),
                  TrainingConfig())
    (folder / "series_vector.py").write_text(generate_script(one, "functional", facts=series))


def test_requirements_pin_the_four_packages() -> None:
    text = requirements_txt()
    names = [line.split("=")[0].split("~")[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert names == ["tensorflow", "keras", "numpy", "pandas"]


def test_script_evaluates_on_the_validation_split_and_says_so_when_there_is_no_test_split() -> None:
    from visualnn.core.codegen import generate_script
    from visualnn.core.dataset import NO_TEST_LABEL
    from visualnn.core.templates import TEMPLATES

    text = generate_script(TEMPLATES["mlp_classifier"].build())
    step5 = text[text.index("# Step 5"):text.index("# Step 6")]
    assert f'split_name = "{NO_TEST_LABEL}"' in step5 and "eval_ds = val_ds" in step5
    assert 'print(f"Evaluation on the {split_name}: {metrics}")' in step5


def test_balanced_class_weights_reach_every_fit_and_the_script_computes_them_as_the_app(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.core.codegen.script import BALANCED_CLASS_WEIGHTS
    from visualnn.core.tensors import balanced_class_weights

    project, facts = csv_project()
    plain = generate_script(project, "functional", facts=facts)
    assert "balanced_class_weights" not in plain and "class_weight=" not in plain  # none: fit as before
    project.training = TrainingConfig(class_weight="balanced")
    code = generate_script(project, "functional", facts=facts)
    assert "def balanced_class_weights(y):" in code and "class_weight = balanced_class_weights(y_train)" in code
    assert code.count("class_weight=class_weight,") == 1
    (tmp_path / "weighted.py").write_text(code)
    ruff = [sys.executable, "-m", "ruff"]
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        done = subprocess.run([*ruff, *args, str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout

    script: dict[str, Any] = {"np": np}
    exec(BALANCED_CLASS_WEIGHTS, script)  # the script's helper, against the app's rule and its class counting
    sparse = np.array([0, 2, 2, 1, 2, 2, 0, 2], dtype=np.int32)
    counts = tuple(int(c) for c in np.bincount(sparse))
    assert script["balanced_class_weights"](sparse) == balanced_class_weights(counts)
    assert script["balanced_class_weights"](np.eye(3, dtype=np.float32)[sparse]) == balanced_class_weights(counts)
    yes_no = np.array([[0.0], [1.0], [0.0], [0.0]], dtype=np.float32)
    assert script["balanced_class_weights"](yes_no) == balanced_class_weights((3, 1)) == {0: 4 / 6, 1: 2.0}

    with pytest.raises(CodegenError, match="Class weights to none"):
        generate_script(project, "functional", strategy="multiworker", facts=facts)


def test_fine_tuning_phase_two_and_the_search_script_fit_with_the_same_class_weights() -> None:
    from tests.core.test_freezing import conv_project
    from visualnn.core.codegen.search_script import search_script
    from visualnn.core.command_base import UndoStack
    from visualnn.core.freezing import FreezeBefore
    from visualnn.core.search_settings import SearchConfig
    from visualnn.core.search_space import parse_assignment

    project = conv_project()
    UndoStack(project).push(FreezeBefore("dense_1"))
    project.training = TrainingConfig(fine_tune=True, class_weight="balanced", loss="sparse_categorical_crossentropy")
    code = generate_script(project, "functional")
    assert code.count("class_weight=class_weight,") == 2  # phase 1 and phase 2
    assert code.index("class_weight = balanced_class_weights(y_train)") < code.index("model.fit(")

    project = TEMPLATES["mlp_classifier"].build()
    project.training = TrainingConfig(class_weight="balanced")
    project.search = SearchConfig(space=(parse_assignment("training.learning_rate=1e-4..1e-2"),))
    searched = search_script(project, None)
    assert "class_weight=balanced_class_weights(y_train)," in searched
    assert "def balanced_class_weights(y):" in searched
    ast.parse(searched)
