"""The engine's export/import handlers, called directly with a job context."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest

from visualnn.engine import JobContext, handler_for

pytestmark = pytest.mark.tf
ROOT = Path(__file__).resolve().parents[2]


def run(job: str, payload: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    import visualnn.engine.handlers_export  # noqa: F401  (registers the handlers)

    messages: list[tuple[str, dict[str, Any]]] = []
    handler = handler_for(job)
    assert handler is not None
    result = handler(JobContext("job-1", payload, lambda kind, data: messages.append((kind, data))))
    return result, messages


def test_export_code_job_reads_the_data_and_returns_the_script(tmp_path: Path) -> None:
    from visualnn.core.project.io import load_project

    folder = tmp_path / "tabular"
    shutil.copytree(ROOT / "resources" / "examples" / "tabular", folder)
    project = load_project(folder / "tabular.vnn")
    result, _ = run("export_code", {"project": project.to_dict(), "base_dir": str(folder),
                                    "script_dir": str(tmp_path / "out"), "style": "sequential"})
    tree = ast.parse(result["code"])
    assert any(isinstance(n, ast.FunctionDef) and n.name == "load_data" for n in tree.body)
    assert '"path": "../tabular/penguins.csv"' in result["code"] and "keras.Sequential(" in result["code"]
    assert "tensorflow" in result["requirements"]


def test_export_and_import_jobs_round_trip(tmp_path: Path) -> None:
    import keras

    from visualnn.core.templates import TEMPLATES

    project = TEMPLATES["two_input"].build()
    result, messages = run("export_model", {"project": project.to_dict(), "base_dir": str(tmp_path),
                                            "out": str(tmp_path / "m.keras"), "samples": 16})
    assert result["report"]["passed"] and result["run"] is None and "PASS" in result["summary"]
    assert messages and messages[0][0] == "status"
    assert keras.saving.load_model(tmp_path / "m.keras").count_params() > 0
    imported, _ = run("import_model", {"path": str(tmp_path / "m.keras"), "weights": False})
    nodes = imported["project"]["graph"]["nodes"]
    assert len(nodes) == len(project.graph)
