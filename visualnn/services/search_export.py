"""The exported search script (``visualnn export-code --search``): data facts read here, text from
:mod:`visualnn.core.codegen.search_script`. TensorFlow-free."""

from __future__ import annotations

from visualnn.core.codegen import CodegenError, requirements_txt
from visualnn.core.codegen.search_script import search_script
from visualnn.core.project import Project
from visualnn.services.script_export import ScriptExport, ScriptExportError, _facts_for, read_facts

SEARCH_STYLE = "search"


def export_search_script(project: Project, base_dir: str, script_dir: str, project_path: str | None = None) -> ScriptExport:
    """The search script for ``project`` (data paths relative to ``script_dir``) and its requirements.

    Raises :class:`ScriptExportError` naming the parameter or the data problem.
    """
    facts = read_facts(project, base_dir)
    try:
        code = search_script(project, _facts_for(facts, script_dir), project_path)
    except CodegenError as exc:
        raise ScriptExportError(f"The search cannot be written as a script: {exc}", "model") from exc
    requirements = requirements_txt()
    if "optuna" not in requirements:
        from importlib.metadata import PackageNotFoundError, version

        try:
            requirements = requirements.rstrip("\n") + f"\noptuna=={version('optuna')}\n"
        except PackageNotFoundError:
            requirements = requirements.rstrip("\n") + "\noptuna\n"
    return ScriptExport(code, requirements, SEARCH_STYLE)


__all__ = ["SEARCH_STYLE", "export_search_script"]
