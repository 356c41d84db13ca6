"""Per-spec upgrades: a node saved by an older version of its layer spec is migrated when the project loads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from visualnn.core import specs as specs_module
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import SPEC_VERSION_KEY, Project, graph_with_spec_versions
from visualnn.core.project.io import ProjectFileError, load_project, project_from_dict, save_project
from visualnn.core.specs import LayerSpec, Registry, default_registry, renamed_params
from visualnn.core.validation import validate

# Keras 1 called Dense's `units` `output_dim`: version 1 of this Dense saved `output_dim`, version 2 saves `units`.
DENSE_V2 = dataclasses.replace(default_registry()["Dense"], version=2, upgrade=renamed_params({1: {"output_dim": "units"}}))


def _registry(dense: LayerSpec = DENSE_V2) -> Registry:
    reg = Registry()
    for spec in default_registry():
        reg.register(dense if spec.type == "Dense" else spec)
    return reg


def _file(dense: dict[str, Any]) -> dict[str, Any]:
    """A project document whose second node is ``dense`` (version 1 when it carries none)."""
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    g.add_node(Node("dense_1", "Dense", {"units": 3}))
    g.connect(Edge.of("input_1", "dense_1"))
    data: dict[str, Any] = Project(g, "old").to_dict()
    data["graph"]["nodes"][1] = {"id": "dense_1", "type": "Dense", "pos": [0, 100], **dense}
    return data


def test_a_renamed_argument_saved_by_version_1_loads_under_its_new_name() -> None:
    reg = _registry()
    project = project_from_dict(_file({"params": {"output_dim": 8, "activation": "relu"}}), "old.vnn", reg)
    assert project.graph.nodes["dense_1"].params == {"units": 8, "activation": "relu"}
    assert validate(project, reg) == []
    # Saved with the spec's current version, so the next load does not migrate again.
    saved = graph_with_spec_versions(project.graph, reg)
    assert saved["nodes"][1][SPEC_VERSION_KEY] == 2 and SPEC_VERSION_KEY not in saved["nodes"][0]
    assert list(saved["nodes"][1])[:3] == ["id", "type", SPEC_VERSION_KEY]


def test_current_params_are_never_migrated_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def double_units(params: dict[str, Any], from_version: int) -> dict[str, Any]:  # not idempotent on purpose
        calls.append(from_version)
        return dict(params, units=params["units"] * 2)

    reg = _registry(dataclasses.replace(DENSE_V2, upgrade=double_units))
    monkeypatch.setattr(specs_module, "_DEFAULT", reg)  # the app's catalog, as Project.to_dict reads it
    project = project_from_dict(_file({"params": {"units": 5}}), "old.vnn", reg)
    assert project.graph.nodes["dense_1"].params["units"] == 10 and calls == [1]
    save_project(project, tmp_path / "p.vnn")
    assert json.loads((tmp_path / "p.vnn").read_text())["graph"]["nodes"][1][SPEC_VERSION_KEY] == 2
    again = load_project(tmp_path / "p.vnn", reg)
    assert again.graph.nodes["dense_1"].params["units"] == 10 and calls == [1]


def test_a_node_from_a_newer_spec_is_refused_with_the_json_path() -> None:
    with pytest.raises(ProjectFileError, match="Dense version 3 was saved by a newer VisualNN") as newer:
        project_from_dict(_file({SPEC_VERSION_KEY: 3, "params": {"units": 2}}), "new.vnn", _registry())
    assert newer.value.json_path == "graph.nodes[1].version"
    for bad in ("2", 0, True):
        with pytest.raises(ProjectFileError) as info:
            project_from_dict(_file({SPEC_VERSION_KEY: bad, "params": {}}), "bad.vnn", _registry())
        assert info.value.json_path == "graph.nodes[1].version"


def test_a_failing_upgrade_names_the_node() -> None:
    def broken(params: dict[str, Any], from_version: int) -> dict[str, Any]:
        return dict(params, units=params["width"])  # KeyError when the old file lacks it

    reg = _registry(dataclasses.replace(DENSE_V2, upgrade=broken))
    with pytest.raises(ProjectFileError, match=r"cannot upgrade Dense parameters from version 1 to 2") as info:
        project_from_dict(_file({"params": {"units": 2}}), "old.vnn", reg)
    assert info.value.json_path == "graph.nodes[1].params"


def test_renames_chain_across_versions() -> None:
    upgrade = renamed_params({1: {"a": "b"}, 2: {"b": "c"}})
    assert upgrade({"a": 1, "x": 0}, 1) == {"c": 1, "x": 0}
    assert upgrade({"b": 2}, 2) == {"c": 2}
    assert upgrade({"a": 1, "b": 9}, 1) == {"c": 9}  # a value already under the new name wins
    spec = dataclasses.replace(DENSE_V2, version=3, upgrade=upgrade)
    assert spec.upgraded({"a": 1}, 3) == {"a": 1}  # current: untouched
    with pytest.raises(ValueError, match="newer VisualNN"):
        spec.upgraded({}, 4)


def test_todays_catalog_is_version_1_so_files_stay_as_they_were() -> None:
    assert {spec.version for spec in default_registry()} == {1}
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    assert all(SPEC_VERSION_KEY not in n for n in Project(g).to_dict()["graph"]["nodes"])  # type: ignore[index]
