"""The engine's ``deploy_check`` job: registered, parses the project at the boundary, returns the precheck."""

from __future__ import annotations

from typing import Any

import pytest

from visualnn.core.templates import TEMPLATES
from visualnn.engine import JobContext, handler_for, handler_types


def _run(payload: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    import visualnn.engine.handlers_deploy  # noqa: F401  (registers the handler, as the engine does at start-up)

    said: list[tuple[str, dict[str, Any]]] = []
    handler = handler_for("deploy_check")
    assert handler is not None and "deploy_check" in handler_types()
    return handler(JobContext("job-1", payload, lambda kind, data: said.append((kind, data)))), said


def test_deploy_job_reports_every_node_with_sizes() -> None:
    project = TEMPLATES["mlp_classifier"].build()
    result, said = _run({"project": project.to_dict()})
    assert result["status"] == "builtin"
    assert {n["id"] for n in result["nodes"]} == set(project.graph.nodes)
    assert result["sizes"]["fp32"] > result["sizes"]["int8"] > 0
    assert said and "TFLite" in said[0][1]["text"]


def test_a_malformed_project_fails_the_job_naming_the_json_path() -> None:
    project = TEMPLATES["mlp_classifier"].build().to_dict()
    project["graph"]["nodes"][1]["params"]["units"] = "many"
    with pytest.raises(Exception, match="units"):
        _run({"project": project})
