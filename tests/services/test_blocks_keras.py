"""Blocks against Keras: the builder's nested models, the generated code in all three styles and the
.keras import of nested models all have Keras's own parameter counts (and the import keeps its blocks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_blocks import residual_project
from visualnn.core.blocks import make_block
from visualnn.core.codegen import generate_model_code
from visualnn.core.command_base import UndoStack
from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes

pytestmark = pytest.mark.tf


def blocked(shared: bool) -> Project:
    """The residual project with its middle made a block, used twice (sharing weights or not)."""
    project = residual_project()
    UndoStack(project).push(make_block(project, ["c1", "c2", "add"], "residual"))
    graph = project.graph
    first = next(n for n in graph if n.type == "Block")
    graph.disconnect(Edge.of(first.id, "flat"))
    graph.add_node(Node("again", "Block", {"block": "residual", "shared": shared}))
    graph.set_param(first.id, "shared", shared)
    graph.connect(Edge.of(first.id, "again"))
    graph.connect(Edge.of("again", "flat"))
    return project


def keras_reference(shared: bool) -> Any:
    """The same network written by hand with Keras: a residual sub-model called twice."""
    import keras

    def residual(name: str) -> Any:
        x = keras.Input((8, 8, 16))
        y = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
        y = keras.layers.Conv2D(16, 3, padding="same")(y)
        return keras.Model(x, keras.layers.Add()([x, y]), name=name)

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(16, 3, padding="same")(inp)
    one = residual("r1")
    two = one if shared else residual("r2")
    x = two(one(x))
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    return keras.Model(inp, out)


@pytest.mark.parametrize("shared", [False, True])
def test_builder_nests_blocks_with_keras_parameter_counts(shared: bool) -> None:
    from visualnn.services.keras_builder import build_model

    project = blocked(shared)
    model = build_model(project.graph)
    expected = keras_reference(shared).count_params()
    assert model.count_params() == expected == infer_shapes(project.graph).total_params
    nested = [layer for layer in model.layers if layer.__class__.__name__ == "Functional"]
    assert len(nested) == (1 if shared else 2)
    assert [layer.name for layer in nested[0].layers] == ["input_1", "c1", "c2", "add"]


@pytest.mark.parametrize("style", ["sequential", "functional", "subclass"])
def test_generated_code_with_a_block_runs_and_has_the_app_parameter_count(style: str, tmp_path: Path) -> None:
    project = blocked(shared=style == "subclass")
    if style == "sequential":
        project.graph.set_mode("sequential")  # a chain: Input > Conv > Block > Block > Flatten > Dense
    code = generate_model_code(project, style)
    assert "def build_residual(input_shape, name=" in code
    script = tmp_path / f"model_{style}.py"
    script.write_text(code + "\nprint('PARAMS', build_model().count_params())\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    printed = [line for line in run.stdout.splitlines() if line.startswith("PARAMS")]
    assert printed == [f"PARAMS {infer_shapes(project.graph).total_params}"]


def test_import_keeps_nested_models_as_blocks_with_keras_counts_and_weights(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model
    from visualnn.services.keras_builder import build_model

    keras.utils.set_random_seed(3)
    si = keras.Input((6,), name="si")
    encoder = keras.Model(si, keras.layers.Dense(4, name="o")(keras.layers.Dense(5, activation="relu", name="h")(si)),
                          name="encoder")
    head = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d3")], name="head")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    mixed = keras.layers.Dense(4, name="mix")(keras.layers.Concatenate(name="cat")([encoder(a), encoder(b)]))
    model = keras.Model([a, b], head(mixed), name="siamese")
    path = tmp_path / "siamese.keras"
    model.save(path)

    result = import_model(path)
    graph = result.graph
    assert list(graph.blocks) == ["encoder", "head"]
    calls = [(n.params["block"], n.params.get("shared", False)) for n in graph if n.type == "Block"]
    assert calls == [("encoder", True), ("encoder", True), ("head", False)]
    assert [n.type for n in graph.blocks["encoder"].graph] == ["Input", "Dense", "Dense"]
    assert graph.blocks["head"].graph.mode == "sequential"
    assert infer_shapes(graph).total_params == model.count_params() == build_model(graph).count_params()
    saved = keras.saving.load_model(import_weights(path, graph, tmp_path / "w.keras", result.weight_paths))
    xa, xb = (np.random.default_rng(i).standard_normal((5, 6)).astype("float32") for i in (0, 1))
    np.testing.assert_allclose(saved.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0), atol=1e-6)


def test_a_block_inside_a_block_builds_and_its_code_runs_with_the_same_count(tmp_path: Path) -> None:
    from visualnn.services.keras_builder import build_model

    project = residual_project()
    stack = UndoStack(project)
    stack.push(make_block(project, ["c1", "c2", "add"], "residual"))
    inner = next(n.id for n in project.graph if n.type == "Block")
    stack.push(make_block(project, ["stem", inner], "stage"))
    expected = infer_shapes(project.graph).total_params
    model = build_model(project.graph)
    assert model.count_params() == expected
    stage = model.get_layer("stage_1")
    assert [layer.__class__.__name__ for layer in stage.layers] == ["InputLayer", "Conv2D", "Functional"]
    code = generate_model_code(project, "functional")
    assert code.index("def build_residual(") < code.index("def build_stage(")
    script = tmp_path / "nested.py"
    script.write_text(code + "\nprint('PARAMS', build_model().count_params())\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"PARAMS {expected}" in run.stdout


@pytest.mark.slow
def test_a_project_with_a_block_trains_in_the_app_and_the_exported_scripts_to_the_same_losses(tmp_path: Path) -> None:
    import dataclasses
    import shutil

    from tests.services.script_parity import app_and_styles_histories, assert_same_losses
    from visualnn.core.project.io import load_project, save_project

    root = Path(__file__).resolve().parents[2]
    shutil.copy(root / "resources" / "examples" / "tabular" / "penguins.csv", tmp_path / "penguins.csv")
    vnn = tmp_path / "penguins.vnn"
    made = subprocess.run([sys.executable, "-m", "visualnn.cli", "new", "-t", "mlp_classifier", "--data",
                           str(tmp_path / "penguins.csv"), "-o", str(vnn)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert made.returncode == 0, made.stderr[-2000:]
    project = load_project(vnn)
    hidden = [n.id for n in project.graph if n.type in ("Dense", "Dropout")][:-1]  # all but the output layer
    UndoStack(project).push(make_block(project, hidden, "hidden"))
    project.set_training(dataclasses.replace(project.training, epochs=2))
    save_project(project, vnn)
    app, scripts = app_and_styles_histories(vnn, ["sequential", "functional", "subclass"])
    assert sorted(scripts) == ["functional", "sequential", "subclass"]
    for history in scripts.values():
        assert_same_losses(app, history, ("loss", "val_loss", "accuracy"))
