"""The engine process: serves build/train/evaluate/export jobs with TensorFlow (python -m visualnn.engine).

This package's ``__init__`` stays light (no TensorFlow): it holds the handler registry. Handlers
live in modules listed in :data:`HANDLER_MODULES`; each registers itself on import with
:func:`register_handler`, e.g. ``visualnn/engine/handlers_export.py``::

    from visualnn.engine import JobContext, register_handler

    def export(ctx: JobContext) -> dict:
        ctx.sink("status", {"text": "Exporting…"})
        return {"path": ...}

    register_handler("export", export)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HANDLER_MODULES: tuple[str, ...] = (
    "visualnn.engine.handlers",
    "visualnn.engine.handlers_export",
    "visualnn.engine.handlers_deploy",
    "visualnn.engine.handlers_explain",
    "visualnn.engine.handlers_search",
    "visualnn.engine.handlers_augment",
    "visualnn.engine.handlers_backbone",
)
"""Modules imported by the engine at start-up; a missing module is skipped."""


@dataclass
class JobContext:
    """What a handler gets: the job id, its payload, a progress sink and the stop/pause events."""

    job_id: str
    payload: dict[str, Any]
    sink: Callable[[str, dict[str, Any]], None]
    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)


Handler = Callable[[JobContext], dict[str, Any]]
"""A job handler: returns the ``result`` message's data; raises to report an ``error``."""

_HANDLERS: dict[str, Handler] = {}


def register_handler(job_type: str, fn: Handler) -> None:
    """Serve jobs of ``job_type`` with ``fn`` (a later registration replaces an earlier one)."""
    _HANDLERS[job_type] = fn


def handler_for(job_type: str) -> Handler | None:
    """The handler registered for ``job_type``, or None."""
    return _HANDLERS.get(job_type)


def handler_types() -> tuple[str, ...]:
    """Job types this engine serves."""
    return tuple(sorted(_HANDLERS))


__all__ = ["HANDLER_MODULES", "Handler", "JobContext", "handler_for", "handler_types", "register_handler"]
