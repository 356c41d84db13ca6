"""Engine handlers for export and import jobs (TensorFlow side; payloads are JSON).

Like the training handlers, these parse a job's ``project`` once with the project loader
(:func:`~visualnn.core.protocol.parse_job_project`) and hand the services a ``Project``.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.protocol import parse_job_project
from visualnn.engine import JobContext, register_handler


def export_model_job(ctx: JobContext) -> dict[str, Any]:
    """Export a project's model and check parity.

    Payload: ``project`` (Project.to_dict()), ``base_dir``, ``out``, optional ``run_id``,
    ``quantize`` and ``samples``. Result: ``report`` (ParityReport dict) and ``run`` (the updated
    run record dict, or None for an untrained export).
    """
    p = ctx.payload
    project = parse_job_project(p.get("project"), "export_model")
    from visualnn.services.export_project import export_project

    ctx.sink("status", {"text": f"Exporting to {p['out']}…"})
    report, record = export_project(
        project, p["out"], p.get("base_dir", "."), p.get("run_id"), p.get("quantize", "none"), int(p.get("samples", 256))
    )
    ctx.sink("status", {"text": "Export checked: " + ("parity OK" if report.passed else "parity FAILED")})
    return {"report": report.to_dict(), "summary": report.summary(), "run": None if record is None else record.to_dict()}


class ImportCancelled(Exception):
    """The user cancelled an import job (its stop event was set)."""


def import_model_job(ctx: JobContext) -> dict[str, Any]:
    """Import a .keras / .h5 / Keras JSON file. Payload: ``path``, optional ``project_path``, ``weights``.

    Sends a ``status`` message after each layer (``done``, ``total``, ``layer``) and stops between layers
    when the job is stopped. Result: ``project`` (Project.to_dict()) and ``notes`` (messages for the user).
    """
    from visualnn.services.export_project import import_project

    p = ctx.payload
    name = os.path.basename(str(p["path"]))

    def progress(done: int, total: int, layer: str) -> None:
        if ctx.stop.is_set():
            raise ImportCancelled(f"Import of {name} cancelled.")
        ctx.sink("status", {"text": f"Reading {name}: layer {done} of {total} ({layer})", "done": done,
                            "total": total, "layer": layer})

    ctx.sink("status", {"text": f"Importing {name}…"})
    project, notes = import_project(p["path"], p.get("project_path"), with_weights=bool(p.get("weights")),
                                    progress=progress, status=lambda text: ctx.sink("status", {"text": text}))
    return {"project": project.to_dict(), "notes": notes}


def export_code_job(ctx: JobContext) -> dict[str, Any]:
    """The full training script. Payload: ``project``, ``base_dir``, ``script_dir``, ``style``, ``strategy``.

    The same ``services.script_export`` as ``visualnn export-code``, File > Export and the Code dock: it
    reads the data first (column kinds, CSV format) so the script's load_data() matches the app.
    Result: ``code`` and ``requirements`` (text).
    """
    p = ctx.payload
    project = parse_job_project(p.get("project"), "export_code")
    from visualnn.services.script_export import export_script

    base_dir = p.get("base_dir", ".")
    # No strategy in the payload means the plain single-process script ("auto"), not the project's own.
    export = export_script(project, p.get("style", "functional"), base_dir, p.get("script_dir") or base_dir,
                           strategy=p.get("strategy") or "auto")
    return {"code": export.script, "requirements": export.requirements}


register_handler("export_model", export_model_job)
register_handler("export_code", export_code_job)
register_handler("import_model", import_model_job)
