"""Whether the CLI's progress goes to a terminal (redrawn in place) or to a file or pipe (one line per event)."""

from __future__ import annotations

from typing import Any


def is_terminal(stream: Any) -> bool:
    """True when ``stream`` is a terminal, which a carriage return can redraw; a log file or a pipe cannot."""
    return bool(getattr(stream, "isatty", lambda: False)())


__all__ = ["is_terminal"]
