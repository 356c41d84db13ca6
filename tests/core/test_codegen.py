"""Model-definition code generation: styles, safe literals, identifiers, lint-clean output (no TF)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from visualnn.core.codegen import CodegenError, generate_model_code
from visualnn.core.codegen.literals import identifier, literal, render, string
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.names import layer_name_reason
from visualnn.core.project import Project

HOSTILE = [
    "x'); __import__('os').system('echo pwned'); ('",
    'a"b\nc\\d',
    "__import__('os')",
    '"""; import os; """',
    "class",
    "1st layer",
    "",
    "é ünïcode \u2028",
]


def chain(name: str = "dense") -> Project:
    """Input -> Flatten -> Dense -> Dense."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [28, 28, 1]}))
    g.add_node(Node("flatten_1", "Flatten", {}))
    g.add_node(Node("dense_1", "Dense", {"units": 64, "activation": "relu"}, name=name))
    g.add_node(Node("dense_2", "Dense", {"units": 10, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "flatten_1"))
    g.connect(Edge.of("flatten_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return Project(g, name="tiny")


def branching() -> Project:
    """Input -> two Dense branches -> two outputs (not a chain)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    g.add_node(Node("a", "Dense", {"units": 3}))
    g.add_node(Node("b", "Dense", {"units": 2}))
    g.connect(Edge.of("input_1", "a"))
    g.connect(Edge.of("input_1", "b"))
    return Project(g, name="branchy")


def names_in(code: str) -> set[str]:
    """Every Name identifier used in the module."""
    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}


def string_constants(code: str) -> set[str]:
    """Every string constant in the module."""
    return {n.value for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@pytest.mark.parametrize("style", ["sequential", "functional", "subclass"])
def test_every_style_parses_and_defines_build_model(style: str) -> None:
    code = generate_model_code(chain(), style)
    tree = ast.parse(code)
    funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert funcs == ["build_model"]
    assert "keras.layers.Dense(" in code
    if style == "subclass":
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        assert [f.name for f in classes[0].body if isinstance(f, ast.FunctionDef)] == ["__init__", "build", "call"]
    if style == "sequential":
        assert "keras.Sequential(" in code


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("style", ["sequential", "functional", "subclass"])
def test_hostile_layer_names_stay_string_literals(hostile: str, style: str) -> None:
    # A layer name TensorFlow refuses is refused (next test); the hostile text then still goes in the project name.
    layer_name = hostile if layer_name_reason(hostile) is None else "dense"
    project = chain(name=layer_name)
    project.name = hostile
    code = generate_model_code(project, style)
    tree = ast.parse(code)
    # The hostile text appears only as data: as a string constant, never as a call or name.
    if layer_name:
        assert layer_name in string_constants(code)
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    allowed = {"super", "super().__init__", "super().build", "model", *classes}
    assert all(c.startswith(("keras.", "self.")) or c in allowed or c.split("(")[0].startswith("keras.") for c in calls)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [ast.unparse(n) for n in imports] == ["import keras"]
    assert "os" not in names_in(code)


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h and layer_name_reason(h) is not None])  # "": the id
@pytest.mark.parametrize("style", ["sequential", "functional", "subclass"])
def test_layer_names_tensorflow_refuses_are_not_written_into_a_script(hostile: str, style: str) -> None:
    """The script would fail as soon as it trains ("... is not a valid scope name"): refuse, naming the fix."""
    with pytest.raises(CodegenError, match=r"layer names may use only .* Use '[A-Za-z0-9_.>-]+' instead\."):
        generate_model_code(chain(name=hostile), style)


def test_sequential_style_refuses_a_branching_graph_with_the_fix() -> None:
    with pytest.raises(CodegenError, match="functional or subclass"):
        generate_model_code(branching(), "sequential")


def test_unknown_style_and_unknown_layer_are_named() -> None:
    with pytest.raises(CodegenError, match="'pretty'"):
        generate_model_code(chain(), "pretty")
    project = chain()
    project.graph.add_node(Node("mystery", "NoSuchLayer", {}))
    with pytest.raises(CodegenError, match="NoSuchLayer"):
        generate_model_code(project, "functional")


def test_a_spec_refusing_its_settings_is_a_codegen_error_naming_the_layer() -> None:
    project = chain()
    last = project.graph.chain_order()[-1]  # type: ignore[index]
    project.graph.add_node(Node("generic", "KerasLayer", {"config": "not json"}, name="imported"))
    project.graph.connect(Edge.of(last, "generic"))
    with pytest.raises(CodegenError, match=r"^imported: KerasLayer config is not valid JSON"):
        generate_model_code(project, "functional")


def test_functional_multi_output_lists_outputs_in_sink_order() -> None:
    code = generate_model_code(branching(), "functional")
    assert "outputs=[a, b]" in code


def test_identifiers_are_sanitised_and_unique() -> None:
    taken: set[str] = set()
    assert identifier("Dense 1", taken) == "dense_1"
    assert identifier("dense-1", taken) == "dense_1_2"
    assert identifier("class", taken) == "class_"
    assert identifier("9lives", taken) == "layer_9lives"
    assert identifier("model", taken) == "model_"
    assert identifier("!!!", taken) == "layer"
    assert all(n.isidentifier() for n in taken)


@given(st.text(max_size=40))
def test_string_literal_round_trips_any_text(text: str) -> None:
    assert ast.literal_eval(string(text)) == text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=20,
    )
)
def test_literal_round_trips_json_data(value: object) -> None:
    assert ast.literal_eval(render(literal(value), 0)) == value


def test_generated_code_is_ruff_clean(tmp_path: Path) -> None:
    for style in ("sequential", "functional", "subclass"):
        (tmp_path / f"model_{style}.py").write_text(generate_model_code(chain(name="it.s-x>1"), style))
    (tmp_path / "model_branch.py").write_text(generate_model_code(branching(), "functional"))
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--isolated", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([*ruff, "format", "--isolated", "--check", str(tmp_path)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
