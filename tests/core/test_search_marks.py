"""Marking one parameter at a time (the inspector's toggle): suggestions, checks, and the undoable command."""

from __future__ import annotations

from visualnn.core.command_base import UndoStack
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.search_marks import (
    MarkSearch,
    check_spec,
    searchable_fields,
    searchable_params,
    searched_on_node,
    suggest_field_spec,
    suggest_param_spec,
)
from visualnn.core.search_space import param_problems, parse_spec, space_problems
from visualnn.core.specs import default_registry
from visualnn.core.training_settings import FIELD_BY_NAME


def _project() -> Project:
    g = Graph(SEQUENTIAL)
    g.add_node(Node("input_1", "Input", {"shape": [16]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 140)))
    g.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (0, 280)))
    g.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 420)))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dropout_1"))
    g.connect(Edge.of("dropout_1", "dense_2"))
    return Project(g, name="p")


def test_every_suggestion_is_a_valid_spec_for_its_parameter() -> None:
    """Switching 'search' on must never start from a refused SPEC: each suggestion passes the space's checks."""
    project = _project()
    reg = default_registry()
    for node in project.graph.nodes.values():
        spec = reg.get(node.type)
        assert spec is not None
        resolved = spec.resolved(node.params)
        for name in searchable_params(spec.params):
            if name == "seed" or name.endswith("regularizer"):
                continue  # optional knobs whose None default has no numeric neighbourhood to offer
            target = f"{node.id}.{name}"
            text = suggest_param_spec(spec.param(name), resolved.get(name))
            param, problems = check_spec(target, text, project.graph, reg)
            assert param is not None, (target, text, problems)
    for field in searchable_fields():
        if field.name in ("optimizer", "learning_rate", "batch_size", "epochs", "weight_decay", "momentum",
                          "schedule"):
            value = getattr(project.training, field.name)
            text = suggest_field_spec(field, value)
            param, problems = check_spec(f"training.{field.name}", text, project.graph, reg)
            assert param is not None, (field.name, text, problems)
    assert suggest_field_spec(FIELD_BY_NAME["learning_rate"], 0.001) == "0.0001..0.01:log"
    assert suggest_param_spec(reg.get("Dense").param("units"), 8) == "4,8,16"  # type: ignore[union-attr]
    assert suggest_param_spec(reg.get("Dropout").param("rate"), 0.2) == "0.0..0.5"  # type: ignore[union-attr]


def test_check_spec_refuses_with_the_target_named() -> None:
    project = _project()
    for target, text, words in (("dense_1.units", "64..16", "low > high"), ("dense_1.units", "0.1..0.5", "whole"),
                                ("training.learning_rate", "0..0.1:log", "log-scale"),
                                ("dense_2.@optional", "yes", "consumer"), ("dense_1.units", "", "empty")):
        param, problems = check_spec(target, text, project.graph)
        assert param is None and problems and target in problems[0] and words in " ".join(problems), problems


def test_mark_and_unmark_are_separate_undo_steps_and_restore_the_project_exactly() -> None:
    project = _project()
    stack = UndoStack(project)
    before = project.to_dict()
    units = parse_spec("dense_1.units", "16,32")
    stack.push(MarkSearch(project, "dense_1.units", units))
    stack.push(MarkSearch(project, "dropout_1.@optional", parse_spec("dropout_1.@optional", "yes")))
    assert [p.target for p in project.search.space] == ["dense_1.units", "dropout_1.@optional"]
    assert not space_problems(project.search.space, project.graph)
    wider = parse_spec("dense_1.units", "16,32,64")
    stack.push(MarkSearch(project, "dense_1.units", wider))  # replaces in place, keeps the order
    assert project.search.space == (wider, parse_spec("dropout_1.@optional", "yes"))
    stack.push(MarkSearch(project, "dense_1.units", None))
    assert [p.target for p in searched_on_node(project, "dense_1")] == []
    assert [p.target for p in searched_on_node(project, "dropout_1")] == ["dropout_1.@optional"]
    for expected in ([wider.target, "dropout_1.@optional"], ["dense_1.units", "dropout_1.@optional"],
                     ["dense_1.units"], []):
        stack.undo()
        assert [p.target for p in project.search.space] == expected
    assert project.to_dict() == before
    assert not param_problems(units)
