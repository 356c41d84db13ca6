"""The engine parses a job's project once, at its boundary: malformed projects fail there, services get a Project."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import visualnn.engine.handlers  # noqa: F401  (registers the handlers)
import visualnn.engine.handlers_export  # noqa: F401
from tests.services.training_helpers import blobs, project_dict
from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError
from visualnn.core.protocol import Control, Job, Message, decode, encode
from visualnn.core.training_config import RunRecord
from visualnn.engine import JobContext, handler_for
from visualnn.engine.server import EngineServer

pytestmark = pytest.mark.tf

SERVICES = {  # job type -> the service function its handler calls
    "train": "visualnn.services.training.run_training",
    "evaluate": "visualnn.services.evaluation.run_evaluation",
    "predict": "visualnn.services.predict.run_prediction",
    "export_model": "visualnn.services.export_project.export_project",
    "export_code": "visualnn.services.script_export.export_script",
}


def _malformed() -> dict[str, Any]:
    project = project_dict()
    project["graph"]["nodes"][1]["params"]["units"] = "sixteen"  # dense_1
    return project


def _legacy() -> dict[str, Any]:
    """A project in forms only the loader upgrades: a renamed layer type, a bool precision, a Keras metric name."""
    project = project_dict()
    project["graph"]["nodes"][0]["type"] = "InputLayer"  # Keras's name; the catalog's id is Input
    project["training"]["mixed_precision"] = True  # files before the precision choice stored a bool
    project["training"]["metrics"] = ["accuracy", "mean_absolute_error"]
    project["runs"] = [RunRecord(id="run_1", started="2024-01-01T00:00:00", model_path="runs/run_1/model.keras")
                       .to_dict()]
    return project


def _payload(job_type: str, project: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    extra: dict[str, Any] = {"export_model": {"out": str(tmp_path / "m.keras")},
                             "export_code": {"script_dir": str(tmp_path)},
                             "predict": {"rows": [[0.0] * 4]}}.get(job_type, {})
    return {"project": project, "base_dir": str(tmp_path), **extra}


@pytest.mark.parametrize("job_type", sorted(SERVICES))
def test_a_malformed_project_fails_at_the_boundary_naming_its_json_path(
    job_type: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    called: list[str] = []
    monkeypatch.setattr(SERVICES[job_type], lambda *a, **k: called.append(job_type))
    handler = handler_for(job_type)
    assert handler is not None
    with pytest.raises(ProjectFileError) as info:
        handler(JobContext("j", _payload(job_type, _malformed(), tmp_path), lambda kind, data: None))
    assert str(info.value) == (f"the {job_type} job's project: graph.nodes[1].params.units: "
                               'Dense units must be an integer; received "sixteen".')
    assert info.value.json_path == "graph.nodes[1].params.units"
    assert called == []  # no service saw the project


def test_the_client_gets_the_loaders_message_as_the_jobs_error(tmp_path: Path) -> None:
    lines = encode(Job("t", "train", _payload("train", _malformed(), tmp_path))) + encode(Control("", "shutdown"))
    out = io.StringIO()
    EngineServer(io.StringIO(lines), out).serve()
    wire = [decode(line) for line in out.getvalue().splitlines()]
    assert all(isinstance(m, Message) for m in wire)
    messages = [m for m in wire if isinstance(m, Message) and m.job_id == "t"]
    assert [m.kind for m in messages] == ["started", "error"]
    memory = wire[-1]  # after the job's end, the engine says how much memory it holds (engine-level message)
    assert isinstance(memory, Message) and memory.kind == "memory" and memory.job_id == ""
    assert memory.data["after"] == "t" and memory.data["job_type"] == "train" and memory.data["rss_mb"] > 0
    error = messages[-1]
    assert isinstance(error, Message) and error.data["type"] == "ProjectFileError"
    assert error.data["message"] == ("the train job's project: graph.nodes[1].params.units: "
                                     'Dense units must be an integer; received "sixteen".')
    assert not (tmp_path / "runs").exists()  # training never started


def test_a_missing_or_non_object_project_is_named() -> None:
    handler = handler_for("evaluate")
    assert handler is not None
    with pytest.raises(ProjectFileError, match="the evaluate job's project: is missing"):
        handler(JobContext("j", {"project": None, "base_dir": "."}, lambda kind, data: None))
    with pytest.raises(ProjectFileError, match=r"the evaluate job's project: must be a JSON object .*received \[1\]"):
        handler(JobContext("j", {"project": [1], "base_dir": "."}, lambda kind, data: None))


@pytest.mark.parametrize("job_type", ["train", "evaluate", "predict"])
def test_services_receive_the_project_the_loader_built(
    job_type: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[Any] = []

    def service(req: Any, *args: Any) -> Any:
        received.append(req)
        raise RuntimeError("stop here")  # only what the handler passed matters

    monkeypatch.setattr(SERVICES[job_type], service)
    handler = handler_for(job_type)
    assert handler is not None
    with pytest.raises(RuntimeError, match="stop here"):
        handler(JobContext("j", _payload(job_type, _legacy(), tmp_path), lambda kind, data: None))
    project = received[0].project
    assert isinstance(project, Project)
    assert project.graph.nodes["input_1"].type == "Input"
    assert project.training.mixed_precision == "mixed_float16"
    assert project.training.metrics == ("accuracy", "mae")
    assert [type(r) for r in project.runs] == [RunRecord] and project.runs[0].id == "run_1"
    assert received[0].base_dir == str(tmp_path)


def test_a_trained_run_records_the_upgraded_graph(tmp_path: Path) -> None:
    project = project_dict(epochs=1)
    project["graph"]["nodes"][0]["type"] = "InputLayer"
    handler = handler_for("train")
    assert handler is not None
    payload = {"project": project, "base_dir": str(tmp_path), "inline_data": blobs(64)}
    run = handler(JobContext("j", payload, lambda kind, data: None))["run"]
    assert run["status"] == "finished"
    assert [n["type"] for n in run["graph"]["nodes"]] == ["Input", "Dense", "Dense"]

