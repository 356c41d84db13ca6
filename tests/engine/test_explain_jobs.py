"""The activations and explain jobs through the engine's server: a result on the wire, a malformed project
refused at the boundary naming its JSON path, and bad input as the job's error naming the reason."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import visualnn.engine.handlers_explain  # noqa: F401  (registers the handlers)
from tests.services.training_helpers import blobs, project_dict
from visualnn.core.project.io import ProjectFileError
from visualnn.core.protocol import Control, Job, Message, decode, encode
from visualnn.engine import JobContext, handler_for
from visualnn.engine.server import EngineServer

pytestmark = pytest.mark.tf


def _serve(*jobs: Job) -> dict[str, list[Message]]:
    lines = "".join(encode(j) for j in jobs) + encode(Control("", "shutdown"))
    out = io.StringIO()
    EngineServer(io.StringIO(lines), out).serve()
    by_job: dict[str, list[Message]] = {}
    for line in out.getvalue().splitlines():
        msg = decode(line)
        if isinstance(msg, Message) and msg.job_id:
            by_job.setdefault(msg.job_id, []).append(msg)
    return by_job


@pytest.mark.parametrize("job_type", ["activations", "explain"])
def test_a_malformed_project_fails_at_the_boundary(job_type: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_dict()
    project["graph"]["nodes"][1]["params"]["units"] = "sixteen"
    called: list[str] = []
    service = {"activations": "visualnn.services.activations.run_activations",
               "explain": "visualnn.services.explanations.run_explain"}[job_type]
    monkeypatch.setattr(service, lambda *a, **k: called.append(job_type))
    handler = handler_for(job_type)
    assert handler is not None
    with pytest.raises(ProjectFileError, match=rf"the {job_type} job's project: graph.nodes\[1\].params.units"):
        handler(JobContext("j", {"project": project, "base_dir": str(tmp_path), "node": "dense_1"},
                           lambda kind, data: None))
    assert called == []


def _run(job_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    handler = handler_for(job_type)
    assert handler is not None
    sent: list[str] = []
    result = handler(JobContext("j", json.loads(json.dumps(payload)), lambda kind, data: sent.append(kind)))
    assert "status" in sent
    return json.loads(json.dumps(result))  # what crosses the wire is JSON


def test_activations_job_result_is_json_and_bad_input_is_named(tmp_path: Path) -> None:
    from visualnn.services.model_probe import ProbeError

    data = blobs(80)
    base = {"project": project_dict(), "base_dir": str(tmp_path)}
    result = _run("activations", {**base, "node": "dense_1", "split": "val", "index": 2, "inline_data": data})
    assert result["shape"] == [None, 16] and result["rank"] == 2 and len(result["values"]) == 16
    assert result["card"]["axes"] == ["samples", "features"]
    assert 0.0 <= result["zero_fraction"] <= 1.0 and result["min"] <= result["mean"] <= result["max"]
    with pytest.raises(ProbeError, match="No data is attached to the project"):
        _run("activations", {**base, "node": "dense_1"})
    with pytest.raises(ProbeError, match="There is no node 'conv_9' on the canvas"):
        _run("activations", {**base, "node": "conv_9", "inline_data": data})
    with pytest.raises(Exception, match="no trained run yet"):
        _run("explain", {**base, "method": "permutation", "inline_data": data})


def test_the_client_gets_a_bad_request_as_the_jobs_error(tmp_path: Path) -> None:
    wire = _serve(Job("e", "explain", {"project": project_dict(), "base_dir": str(tmp_path), "method": "lime"}))
    assert [m.kind for m in wire["e"]] == ["started", "error"]
    assert "The method must be one of gradcam, saliency, permutation; received 'lime'" in wire["e"][-1].data["message"]
