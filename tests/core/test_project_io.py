"""Project files: atomic pretty JSON, phased loading, migrations, clear errors, relative data paths."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_commands import _random_command, _random_project
from visualnn.core.commands import CommandError, UndoStack
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import FORMAT_VERSION, Project
from visualnn.core.project.io import (
    ProjectFileError,
    dumps,
    load_project,
    parse,
    project_from_dict,
    project_to_dict,
    relative_data_path,
    resolve_data_path,
    save_project,
)
from visualnn.core.project.migrations import MigrationError, migrate
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.core.validation import UNKNOWN_TYPE, validate

FIXTURES = Path(__file__).parent / "fixtures"


def sample() -> Project:
    """A small project with every section filled."""
    g = Graph(SEQUENTIAL)
    g.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    g.add_node(Node("dense_1", "Dense", {"units": 3, "activation": "softmax"}, (0, 100), name="out"))
    g.connect(Edge.of("input_1", "dense_1"))
    run = RunRecord("run_1", "2026-01-01T00:00:00", metrics={"accuracy": 0.5}, model_path="runs/m.keras")
    return Project(g, "demo", DatasetSpec("csv", "data/x.csv", {"a": 1}), TrainingConfig(epochs=3), [run])


def test_every_shipped_fixture_loads_and_validates() -> None:
    files = sorted(FIXTURES.glob("project_v*.vnn"))
    assert [f.name for f in files][:1] == ["project_v1.vnn"]
    assert len(files) == FORMAT_VERSION  # one fixture per shipped format version
    for f in files:
        project = load_project(f)
        assert project.graph.chain_order() == ["input_1", "dense_1", "dropout_1", "dense_2"]
        assert project.graph.nodes["dense_1"].label == "hidden"
        assert project.dataset is not None and project.dataset.path == "data/iris.csv"
        assert project.training.epochs == 20 and project.runs[0].metrics == {"accuracy": 0.93}
        assert validate(project) == []
        assert project.path == str(f.resolve())


def test_save_load_round_trip_is_exact(tmp_path: Path) -> None:
    project = sample()
    target = tmp_path / "demo.vnn"
    save_project(project, target)
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "format": "visualnn-project",\n  "format_version": 1,')
    loaded = load_project(target)
    assert loaded.to_dict() == project.to_dict()
    save_project(loaded, target)
    assert target.read_text(encoding="utf-8") == text  # stable: saving again changes nothing
    assert [p.name for p in tmp_path.iterdir()] == ["demo.vnn"]  # no temp file left behind


def test_small_edit_is_small_diff(tmp_path: Path) -> None:
    project = sample()
    target = tmp_path / "demo.vnn"
    save_project(project, target)
    before = target.read_text().splitlines()
    project.graph.set_param("dense_1", "units", 5)
    save_project(project, target)
    after = target.read_text().splitlines()
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1


def test_failed_save_keeps_old_file(tmp_path: Path) -> None:
    project = sample()
    target = tmp_path / "demo.vnn"
    save_project(project, target)
    old = target.read_text()
    project.graph.nodes["dense_1"].params["bad"] = float("nan")  # not JSON
    with pytest.raises(ValueError):
        save_project(project, target)
    assert target.read_text() == old
    assert [p.name for p in tmp_path.iterdir()] == ["demo.vnn"]


def test_data_paths_relative_and_rebased(tmp_path: Path) -> None:
    project = sample()
    data = tmp_path / "data" / "x.csv"
    project.dataset = DatasetSpec("csv", str(data))  # an absolute path picked in the session
    save_project(project, tmp_path / "a.vnn")
    stored = json.loads((tmp_path / "a.vnn").read_text())
    assert stored["dataset"]["path"] == "data/x.csv"
    assert resolve_data_path(project, project.dataset.path) == str(data)
    sub = tmp_path / "sub"
    sub.mkdir()
    save_project(project, sub / "b.vnn")  # "save as" elsewhere keeps pointing at the same file
    stored = json.loads((sub / "b.vnn").read_text())
    assert stored["dataset"]["path"] == "../data/x.csv"
    assert stored["runs"][0]["model_path"] == "../runs/m.keras"
    loaded = load_project(sub / "b.vnn")
    assert loaded.dataset is not None
    assert resolve_data_path(loaded, loaded.dataset.path) == str(data)
    assert relative_data_path(loaded, str(data)) == "../data/x.csv"
    assert project_to_dict(loaded)["dataset"]["path"] == "../data/x.csv"  # type: ignore[index]


def _doc(**changes: Any) -> dict[str, Any]:
    data = sample().to_dict()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("mutate", "json_path"),
    [
        (lambda d: d["graph"]["nodes"][1]["params"].__setitem__("units", "many"), "graph.nodes[1].params.units"),
        (lambda d: d["graph"]["nodes"][1].__setitem__("id", 7), "graph.nodes[1].id"),
        (lambda d: d["graph"]["nodes"][0].__setitem__("pos", [1]), "graph.nodes[0].pos"),
        (lambda d: d["graph"]["nodes"][1].__setitem__("id", "input_1"), "graph.nodes[1].id"),
        (lambda d: d["graph"]["edges"][0].__setitem__("to", ["ghost", 0]), "graph.edges[0].to"),
        (lambda d: d["graph"]["edges"][0].__setitem__("from", "input_1"), "graph.edges[0].from"),
        (lambda d: d["graph"].__setitem__("mode", "tree"), "graph.mode"),
        (lambda d: d["training"].__setitem__("epochs", "ten"), "training.epochs"),
        (lambda d: d["training"].__setitem__("shuffle", 1), "training.shuffle"),
        (lambda d: d["dataset"].__setitem__("path", None), "dataset.path"),
        (lambda d: d["runs"][0].__setitem__("id", None), "runs[0].id"),
        (lambda d: d.__setitem__("name", ["x"]), "name"),
    ],
)
def test_bad_field_names_file_and_json_path(tmp_path: Path, mutate: Any, json_path: str) -> None:
    data = _doc()
    mutate(data)
    target = tmp_path / "bad.vnn"
    target.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError) as info:
        load_project(target)
    assert info.value.json_path == json_path
    assert str(info.value).startswith(f"{target}: {json_path}: ")


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    target = tmp_path / "broken.vnn"
    target.write_text('{\n  "format": "visualnn-project",\n  "name": oops\n}\n')
    with pytest.raises(ProjectFileError, match=r"broken.vnn: not valid JSON: .* at line 3, column 11"):
        load_project(target)
    with pytest.raises(ProjectFileError, match="NaN is not allowed"):
        parse('{"x": NaN}', "f.vnn")
    with pytest.raises(ProjectFileError, match="must hold a JSON object"):
        parse("[1]", "f.vnn")
    with pytest.raises(ProjectFileError, match="cannot read the file"):
        load_project(tmp_path / "missing.vnn")


def test_newer_and_foreign_files_refused() -> None:
    with pytest.raises(ProjectFileError, match=r"newer VisualNN \(format version 2.*Update VisualNN"):
        project_from_dict(_doc(format_version=FORMAT_VERSION + 1), "new.vnn")
    with pytest.raises(ProjectFileError, match="not a VisualNN project"):
        project_from_dict(_doc(format="something-else"), "x.vnn")
    with pytest.raises(ProjectFileError, match="format_version: must be a positive integer"):
        project_from_dict(_doc(format_version="1"), "x.vnn")


def test_unknown_types_become_placeholders_and_aliases_resolve() -> None:
    data = _doc()
    data["graph"]["nodes"][0]["type"] = "InputLayer"  # renamed type: alias of Input
    data["graph"]["nodes"].append({"id": "fancy_1", "type": "FancyLayer", "params": {"k": [1, 2]}, "pos": [0, 0]})
    data["graph"]["edges"].append({"from": ["dense_1", 0], "to": ["fancy_1", 0]})
    data["graph"]["mode"] = "functional"
    project = project_from_dict(data)
    assert project.graph.nodes["input_1"].type == "Input"
    assert project.graph.nodes["fancy_1"].params == {"k": [1, 2]}
    assert [i.code for i in validate(project)] == [UNKNOWN_TYPE]
    assert project.to_dict()["graph"]["nodes"][-1]["type"] == "FancyLayer"  # type: ignore[index]


def test_migration_chain_with_a_fake_step() -> None:
    def v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
        doc["graph"]["nodes"] = [dict(n, type="Dense2" if n["type"] == "Dense" else n["type"]) for n in doc["graph"]["nodes"]]
        return doc

    def v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:
        doc["title"] = doc.pop("name")
        return doc

    original = _doc()
    out = migrate(original, 3, {1: v1_to_v2, 2: v2_to_v3})
    assert out["format_version"] == 3 and out["title"] == "demo"
    assert out["graph"]["nodes"][1]["type"] == "Dense2"
    assert original["name"] == "demo" and original["format_version"] == 1  # input untouched
    assert migrate(original, 1) == original  # current version: nothing to do
    with pytest.raises(MigrationError, match="no migration from format version 2 to 3"):
        migrate(original, 3, {1: v1_to_v2})


def test_dumps_is_stable_pretty_json() -> None:
    text = dumps({"b": 1, "a": [1, 2]})
    assert text == '{"b": 1, "a": [1, 2]}\n'  # short containers stay on one line
    big = {"z": "x" * 90, "nodes": [{"id": f"n{i}", "pos": [0.0, 140.0]} for i in range(4)], "long": list(range(40))}
    text = dumps(big)
    assert json.loads(text) == big
    assert list(json.loads(text)) == ["z", "nodes", "long"]  # document key order kept
    assert '\n    {"id": "n1", "pos": [0.0, 140.0]},\n' in text  # a node on one line: a move is a one-line diff
    assert "\n    0,\n    1,\n" in text  # a container too long for a line goes one item per line
    assert os.linesep not in text or os.linesep == "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_edited_projects_round_trip(tmp_path: Path, data: st.DataObject) -> None:
    project = _random_project(data)
    stack = UndoStack(project)
    for _ in range(data.draw(st.integers(0, 8))):
        try:
            stack.push(_random_command(data, project))
        except CommandError:
            pass
    target = tmp_path / "random.vnn"
    save_project(project, target)
    assert load_project(target).to_dict() == project.to_dict()


def test_every_run_status_saves_and_loads(tmp_path: Path) -> None:
    """Each status a run can end with, "diverged" included, saves and loads back as written."""
    from visualnn.core.training_config import RUN_STATUSES

    project = Project()
    for status in RUN_STATUSES:
        project.add_run(RunRecord(f"run-{status}", "2026-01-01T00:00:00", status=status, history={"loss": [1.0, None]},
                                  error="why" if status in ("failed", "diverged") else None,
                                  extra={"diverged": {"epoch": 2, "loss": "NaN", "weights_from_epoch": 1}}
                                  if status == "diverged" else {}))
    save_project(project, tmp_path / "p.vnn")
    loaded = load_project(tmp_path / "p.vnn")
    assert [r.status for r in loaded.runs] == ["finished", "stopped", "failed", "diverged"]
    assert loaded.runs[-1].extra["diverged"]["epoch"] == 2 and loaded.runs[-1].error == "why"


def test_a_configured_initializer_saves_and_loads_and_a_foreign_one_is_refused(tmp_path: Path) -> None:
    # An imported EfficientNet's convolutions keep Keras's VarianceScaling with its settings (services.importing);
    # the file the import writes must open again, and a class outside CONFIGURED_INITIALIZERS must not.
    configured = {"class_name": "VarianceScaling",
                  "config": {"seed": None, "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [8, 8, 3]}))
    g.add_node(Node("conv", "Conv2D", {"filters": 4, "kernel_initializer": configured}))
    g.connect(Edge.of("input_1", "conv"))
    target = tmp_path / "imported.vnn"
    save_project(Project(name="imported", graph=g), target)
    assert load_project(target).graph.nodes["conv"].params["kernel_initializer"] == configured
    data = json.loads(target.read_text(encoding="utf-8"))
    data["graph"]["nodes"][1]["params"]["kernel_initializer"] = {"class_name": "Orthogonal", "config": {}}
    target.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError) as info:
        load_project(target)
    assert info.value.json_path == "graph.nodes[1].params.kernel_initializer"
    assert "Conv2D kernel_initializer must be a named initializer or a configured one (VarianceScaling" in str(info.value)


def test_a_run_records_dict_is_asdicts_copy_without_its_deepcopy_calls() -> None:
    import dataclasses

    @dataclasses.dataclass
    class Note:
        text: str

    run = RunRecord("r1", "2026-11-30T10:00:00", config={"layers": [1, (2, 3)], "opt": {"lr": 0.01, "m": None}},
                    history={"loss": [0.5, 0.25]}, extra={"pair": ("a", 1), "note": Note("kept"),
                                                          "deep": {"rows": [{"x": 1}]}})
    copied = run.to_dict()
    assert copied == dataclasses.asdict(run)
    assert type(copied["extra"]["pair"]) is tuple and copied["extra"]["note"] == {"text": "kept"}
    copied["extra"]["deep"]["rows"][0]["x"] = 2  # a copy: the record itself never changes
    copied["history"]["loss"].append(0.1)
    assert run.extra["deep"]["rows"][0]["x"] == 1 and run.history["loss"] == [0.5, 0.25]


def test_a_run_without_a_model_says_why_and_what_to_do() -> None:
    from visualnn.core.training_config import RunRecord

    trial = RunRecord(id="r3", started="2026-01-01T00:00:00", status="stopped",
                      extra={"search": {"trial": 3, "study": "wine", "state": "pruned"}})
    assert trial.no_model_reason().startswith("Run r3 is trial 3 of search 'wine' (pruned) and has no saved model: a "
                                              "search keeps the models of its best trials only (--keep-models).")
    failed = RunRecord(id="r4", started="2026-01-01T00:00:00", status="failed", error="out of memory")
    assert failed.no_model_reason() == "Run r4 failed, so it has no saved model (out of memory); train again."
    assert RunRecord(id="r5", started="x").no_model_reason() == "Run r5 has no saved model; train again."
