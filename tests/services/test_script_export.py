"""The one script writer: typed failures, one requirements.txt policy, data paths relative to the script."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from visualnn.core.codegen import CodegenError, requirements_txt
from visualnn.core.dataset import DatasetSpec
from visualnn.core.project import Project
from visualnn.core.project.io import load_project
from visualnn.core.templates import TEMPLATES
from visualnn.services.script_export import (
    ScriptExport,
    ScriptExportError,
    export_script,
    read_facts,
    render_script,
    write_script,
)

ROOT = Path(__file__).resolve().parents[2]


def _tabular(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "resources" / "examples" / "tabular", tmp_path / "tabular")
    return tmp_path / "tabular" / "tabular.vnn"


def test_export_reads_the_data_and_writes_its_path_relative_to_the_script(tmp_path: Path) -> None:
    vnn = _tabular(tmp_path)
    project = load_project(vnn)
    export = export_script(project, "functional", str(vnn.parent), str(tmp_path / "out"))
    ast.parse(export.script)
    assert '"path": "../tabular/penguins.csv"' in export.script and export.requirements == requirements_txt()
    facts = read_facts(project, str(vnn.parent))
    assert facts is not None and facts["path"] == str(vnn.parent / "penguins.csv")  # absolute until rendered
    assert render_script(project, "functional", facts, str(tmp_path / "out")) == export  # the two halves agree


def test_a_model_that_cannot_be_written_raises_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptExportError) as empty:
        export_script(Project(name="empty"), "functional", str(tmp_path), str(tmp_path))
    assert isinstance(empty.value, CodegenError) and empty.value.cause == "model"
    assert (
        str(empty.value)
        == "The model cannot be written as code yet: The model is empty: add an Input and at least one layer."
    )
    branched = TEMPLATES["resnet_blocks"].build()
    with pytest.raises(ScriptExportError, match="sequential style cannot write this model") as seq:
        render_script(branched, "sequential", None, str(tmp_path), model_only=True)
    assert seq.value.cause == "model"


def test_unreadable_data_raises_a_typed_error_naming_the_file(tmp_path: Path) -> None:
    project = TEMPLATES["mlp_classifier"].build()
    project.dataset = DatasetSpec("csv", "missing.csv", {})
    with pytest.raises(ScriptExportError, match="The data cannot be read") as failed:
        export_script(project, "functional", str(tmp_path), str(tmp_path))
    assert failed.value.cause == "data" and "missing.csv" in str(failed.value)
    # model only needs no data
    assert (
        "def build_model" in export_script(project, "functional", str(tmp_path), str(tmp_path), model_only=True).script
    )


def test_requirements_policy_beside_the_script_never_over_the_users_own(tmp_path: Path) -> None:
    export = ScriptExport("print('x')\n", requirements_txt(), "functional")
    first = write_script(export, str(tmp_path / "a" / "train.py"))  # the folder is created
    assert first.requirements == str(tmp_path / "a" / "requirements.txt") and first.kept_requirements is None
    req = tmp_path / "a" / "requirements.txt"
    req.write_text(requirements_txt().replace("keras==", "keras>="))  # an older one VisualNN wrote: replaced
    write_script(export, str(tmp_path / "a" / "train.py"))
    assert req.read_text() == requirements_txt()
    req.write_text("numpy\n")  # the user's own: kept, and said so
    kept = write_script(export, str(tmp_path / "a" / "train.py"))
    assert req.read_text() == "numpy\n" and kept.requirements is None and kept.kept_requirements == str(req)
    named = write_script(export, str(tmp_path / "a" / "train.py"), str(tmp_path / "b" / "reqs.txt"))
    assert named.requirements == str(tmp_path / "b" / "reqs.txt")  # a path the user names is written
    assert (tmp_path / "b" / "reqs.txt").read_text() == requirements_txt()
    assert (tmp_path / "a" / "train.py").read_text() == "print('x')\n"


def test_requirements_pin_the_installed_versions() -> None:
    from importlib.metadata import version

    lines = requirements_txt().splitlines()
    assert lines[0].startswith("# Written by VisualNN")
    assert f"keras=={version('keras')}" in lines and f"numpy=={version('numpy')}" in lines
