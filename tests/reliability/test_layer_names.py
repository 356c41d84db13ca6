"""Layer names TensorFlow refuses ("hidden layer", "couche_é", "x(1)"): refused where typed, reported where loaded.

Keras 3 builds a layer with any name; TensorFlow refuses the name only when training calls the model
("... is not a valid scope name"), so before the rule in ``core.names`` such a project passed ``check``,
showed no problem, and failed at Train with Keras's message cut to its useless first line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visualnn.cli import main
from visualnn.core.command_base import CommandError, UndoStack
from visualnn.core.commands import Rename
from visualnn.core.fixes import fix_command, fix_label
from visualnn.core.names import layer_name_problem, safe_layer_name
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.core.validation import validate

REFUSED = {"hidden layer": "hidden_layer", "couche_é": "couche_e", "x(1)": "x_1"}
"""The issue's three names and the fixed name offered for each."""


def _hidden(project: Project) -> str:
    """The id of the template's first Dense layer."""
    return next(n.id for n in project.graph if n.type == "Dense")


def _named(name: str) -> Project:
    """The MLP template with its first Dense layer named ``name`` as a loaded file can name it (no command)."""
    project = template("mlp_classifier").build()
    project.graph.rename(_hidden(project), name)
    return project


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_rule_is_tensorflows_and_the_fix_is_a_name_it_accepts(name: str) -> None:
    problem = layer_name_problem(name)
    assert problem is not None and f"Use {REFUSED[name]!r} instead." in problem
    assert layer_name_problem(REFUSED[name]) is None
    assert safe_layer_name(name, {REFUSED[name]}) == f"{REFUSED[name]}_2"  # unique among the other layers
    for fine in ("dense_1", "Conv2D.a-b", "1st", "_x", "a>b"):  # TensorFlow trains all of these
        assert layer_name_problem(fine) is None


@pytest.mark.parametrize("name", list(REFUSED))
def test_rename_refuses_the_name_and_says_which_to_use(name: str) -> None:
    project = template("mlp_classifier").build()
    stack, node = UndoStack(project), _hidden(project)
    with pytest.raises(CommandError, match=f"Use '{REFUSED[name]}' instead"):
        stack.push(Rename(node, name))
    assert project.graph.nodes[node].name is None and not stack.can_undo


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_loaded_name_is_a_problem_on_its_node_with_a_one_click_fix(name: str) -> None:
    project = _named(name)
    node = _hidden(project)
    found = [i for i in validate(project) if i.code == "bad-name"]
    assert len(found) == 1 and found[0].is_error and found[0].node_id == node
    assert repr(name) in found[0].message and "letters A-Z" in found[0].message
    assert found[0].fix == f"Rename it to {REFUSED[name]!r}."
    assert fix_label(found[0].action) == f"Fix: rename to {REFUSED[name]}"
    UndoStack(project).push(fix_command(found[0].action or {}, project))
    assert project.graph.nodes[node].name == REFUSED[name]
    assert validate(project) == []


def test_two_bad_names_get_two_different_fixes() -> None:
    project = template("mlp_classifier").build()
    dense = [n.id for n in project.graph if n.type == "Dense"]
    project.graph.rename(dense[0], "a b")
    project.graph.rename(dense[1], "a(b")
    fixes = [i.action for i in validate(project) if i.code == "bad-name"]
    assert fixes == [{"rename": dense[0], "name": "a_b"}, {"rename": dense[1], "name": "a_b_2"}]


def test_check_reports_the_name_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "named.vnn"
    save_project(_named("hidden layer"), str(path))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[bad-name] dense_1: The layer name 'hidden layer' contains a space" in out
    assert "Fix: Rename it to 'hidden_layer'." in out
    assert main(["check", "--json", str(path)]) == 1
    issue = json.loads(capsys.readouterr().out)["issues"][0]
    assert issue["action"] == {"rename": "dense_1", "name": "hidden_layer"}


def test_export_code_refuses_the_name_instead_of_writing_a_script_that_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "named.vnn"
    save_project(_named("x(1)"), str(path))
    assert main(["export-code", str(path), "-o", str(tmp_path / "train.py"), "--model-only"]) == 1
    err = capsys.readouterr().err
    assert "x(1)" in err and "Use 'x_1' instead." in err
    assert not (tmp_path / "train.py").exists()


@pytest.mark.tf
def test_build_model_names_the_layer_and_the_fix() -> None:
    from visualnn.services.keras_builder import BuildError, build_model

    with pytest.raises(BuildError, match=r"^couche_é: The layer name 'couche_é' contains 'é'.*Use 'couche_e' instead"):
        build_model(_named("couche_é").graph)


@pytest.mark.tf
def test_keras_message_is_never_cut_to_its_first_line() -> None:
    """The cause of Keras's "Exception encountered when calling Sequential.call()." is on its third line."""
    import keras
    import numpy as np

    from visualnn.services.training_common import explain

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden layer")])
    model.compile("sgd", "mse")
    with pytest.raises(Exception) as raised:
        model.fit(np.zeros((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
    first_line = str(raised.value).splitlines()[0]
    assert "scope name" not in first_line  # what the old message showed, and all it showed
    text = explain(raised.value)
    assert "'hidden layer' is not a valid scope name" in text and first_line in text
    assert "\x1b[" not in text  # Keras's terminal bold codes are dropped
    assert not text.startswith("ValueError")  # the class name says nothing to the user
