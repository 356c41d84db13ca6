"""Engine handler for the deployability precheck: a TFLite conversion of the untrained model (no data)."""

from __future__ import annotations

from typing import Any

from visualnn.core.protocol import parse_job_project
from visualnn.engine import JobContext, register_handler


def deploy_check_job(ctx: JobContext) -> dict[str, Any]:
    """Convert the project's untrained model to TFLite and report per node.

    Payload: ``project`` (Project.to_dict()). Result: ``DeployReport.to_dict()``: ``status`` (builtin | flex |
    fails), ``message``, ``sizes`` (fp32 measured, fp16/int8 estimated, bytes), ``notes`` and ``nodes`` (``id``,
    ``name``, ``status``, ``ops``, ``message``). A model that cannot be built fails the job with the builder's
    message naming the node.
    """
    project = parse_job_project(ctx.payload.get("project"), "deploy_check")
    from visualnn.services.deploy_check import deploy_check

    ctx.sink("status", {"text": "Converting the untrained model to TFLite…"})
    return deploy_check(project).to_dict()


register_handler("deploy_check", deploy_check_job)
