"""Project -> Python source text: the model definition and the full runnable training script."""

from __future__ import annotations

from typing import Any

from visualnn.core.codegen.literals import CodegenError
from visualnn.core.codegen.model_code import STYLES, model_definition
from visualnn.core.specs.builtin.hub import code_imports, code_requirements

HEADER = "import keras"


def generate_model_code(project: Any, style: str = "functional") -> str:
    """The model definition alone (``import keras`` + ``build_model()``); fast enough for every edit."""
    lines = [HEADER, *code_imports(n.type for n in project.graph), "", "", *model_definition(project.graph, project.name, style)]
    return "\n".join(lines) + "\n"


def generate_script(
    project: Any, style: str = "functional", strategy: str | None = None, facts: dict[str, Any] | None = None
) -> str:
    """The full standalone training script (data, model, compile, fit, evaluate, predict, save).

    ``facts`` is what the data service detected (``visualnn.services.script_facts``); a project
    with a dataset needs them, a project without one gets random stand-in data of the right shapes.
    """
    from visualnn.core.codegen.script import script

    return script(project, style=style, strategy=strategy, facts=facts)


def requirements_txt(project: Any = None) -> str:
    """``requirements.txt`` pinning the versions the exported script was written for (with keras-hub when the
    ``project``'s model has a KerasHub node)."""
    from visualnn.core.codegen.script import requirements

    return requirements(code_requirements(n.type for n in project.graph) if project is not None else None)


__all__ = ["STYLES", "CodegenError", "generate_model_code", "generate_script", "requirements_txt"]
