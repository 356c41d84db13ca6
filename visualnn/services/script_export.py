"""The exported training script: one function makes it, one writes it (TensorFlow-free).

``visualnn export-code``, File > Export > Python Training Script and the Code dock's Save all come
here, so for the same project they write the same script and the same ``requirements.txt``:

* :func:`export_script` reads the data facts (slow: it reads the data) and renders the script;
  the Code dock, which reads the facts once on its worker thread and re-renders on every edit,
  calls the two halves :func:`read_facts` and :func:`render_script` itself.
* :func:`write_script` writes the script and ``requirements.txt`` atomically. The requirements
  pin the versions installed here (``core.codegen.requirements_txt``); they go beside the script
  unless another path is given, and a ``requirements.txt`` there that VisualNN did not write (the
  user's own) is kept, never overwritten.

A script that cannot be written raises :class:`ScriptExportError` naming the cause; no caller
inspects the text to find out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from visualnn.core.codegen import CodegenError, generate_model_code, generate_script, requirements_txt
from visualnn.core.codegen.script import REQUIREMENTS_HEADER
from visualnn.core.paths import is_absolute, relative_path
from visualnn.core.project import Project
from visualnn.core.recovery import atomic_write_text

REQUIREMENTS = "requirements.txt"


class ScriptExportError(CodegenError):
    """The script cannot be written: ``cause`` says whether the model or the data is at fault; the message says why."""

    def __init__(self, message: str, cause: Literal["model", "data"]) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class ScriptExport:
    """The text of an exported script and of its ``requirements.txt``."""

    script: str
    requirements: str
    style: str

    @property
    def lines(self) -> int:
        """How many lines the script has."""
        return self.script.count("\n")


@dataclass(frozen=True)
class WrittenScript:
    """Where :func:`write_script` put the files; ``kept_requirements`` is the user's own file it left alone."""

    script: str
    requirements: str | None
    kept_requirements: str | None = None


def read_facts(project: Project, base_dir: str) -> dict[str, Any] | None:
    """What the script must know about the project's data (data path absolute), or ``None`` without a dataset.

    Reads the data (CSV format, column kinds), so callers run it off the UI thread.
    """
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.script_facts import script_facts

    try:
        return script_facts(project, base_dir, None)
    except (DataError, OSError) as exc:
        reason = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            reason = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
        raise ScriptExportError(
            f"The data cannot be read, so the full script cannot be written: {reason}", "data"
        ) from exc


def render_script(
    project: Project,
    style: str,
    facts: dict[str, Any] | None = None,
    script_dir: str | None = None,
    strategy: str | None = None,
    model_only: bool = False,
) -> ScriptExport:
    """The script for ``project`` from data facts already read; data paths are written relative to ``script_dir``
    (kept as they are without one).

    ``strategy`` defaults to the project's own; ``model_only`` gives only ``build_model()``.
    """
    try:
        if model_only:
            code = generate_model_code(project, style)
        else:
            chosen = strategy if strategy is not None else project.training.strategy
            code = generate_script(project, style, strategy=chosen, facts=_facts_for(facts, script_dir))
    except CodegenError as exc:
        raise ScriptExportError(f"The model cannot be written as code yet: {exc}", "model") from exc
    return ScriptExport(code, requirements_txt(project), style)


def export_script(
    project: Project,
    style: str,
    base_dir: str,
    script_dir: str,
    strategy: str | None = None,
    model_only: bool = False,
) -> ScriptExport:
    """Read the data facts (data paths relative to ``base_dir``), then render the script for ``script_dir``."""
    facts = None if model_only else read_facts(project, base_dir)
    return render_script(project, style, facts, script_dir, strategy, model_only)


def write_script(
    export: ScriptExport, path: str, requirements_path: str | None = None, *, keep_requirements: bool = False
) -> WrittenScript:
    """Write the script to ``path`` and the requirements beside it (or to ``requirements_path``), atomically.

    Beside the script, a ``requirements.txt`` that VisualNN did not write is kept, and so is any existing one
    with ``keep_requirements`` (the person chose to keep theirs). Raises ``OSError``.
    """
    target = os.path.abspath(path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    atomic_write_text(target, export.script)
    if requirements_path is not None:
        req = os.path.abspath(requirements_path)
        os.makedirs(os.path.dirname(req), exist_ok=True)
    else:
        req = os.path.join(os.path.dirname(target), REQUIREMENTS)
        if (keep_requirements and os.path.lexists(req)) or _users_own(req):
            return WrittenScript(target, None, req)
    atomic_write_text(req, export.requirements)
    return WrittenScript(target, req)


def _users_own(path: str) -> bool:
    """Whether ``path`` is a requirements file that VisualNN did not write."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except FileNotFoundError:
        return False
    return not first.startswith(REQUIREMENTS_HEADER)


def _facts_for(facts: dict[str, Any] | None, script_dir: str | None) -> dict[str, Any] | None:
    """The facts with the data paths (the data, an image folder's table) written relative to the script's folder
    (the script resolves them from there)."""
    if facts is None or script_dir is None:
        return facts
    out = dict(facts)
    for key in ("path", "table"):
        path = str(out.get(key) or "")
        if path and is_absolute(path):
            out[key] = relative_path(path, script_dir)
    return out


__all__ = [
    "REQUIREMENTS",
    "ScriptExport",
    "ScriptExportError",
    "WrittenScript",
    "export_script",
    "read_facts",
    "render_script",
    "write_script",
]
