"""The one door for JSON documents read from disk: bounded nesting and finite numbers, with JSON paths.

Python's ``json`` turns ``1e999`` into ``inf`` and recurses once per nesting level, so a crafted
project or recovery file could carry infinities into the canvas and training, or end in a
``RecursionError`` far from the file. :func:`loads` parses with the nesting bounded and refuses the
``NaN``/``Infinity`` literals; :func:`check_tree` then walks the parsed value without recursion and
refuses nesting deeper than :data:`MAX_DEPTH` and numbers that are not finite (or too large for a
float), naming the JSON path (``graph.nodes[2].pos[0]``) of the first offender in document order.
Pure Python (stdlib only).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of objects and lists accepted (VisualNN's own files stay under 20 levels)."""

_LARGEST = sys.float_info.max
_SHOWN_STEPS = 12  # a path deeper than this is shortened in messages


class JsonLimitError(ValueError):
    """A JSON document outside the limits; ``json_path`` names the offending value (None: no path known)."""

    def __init__(self, message: str, json_path: str | None = None) -> None:
        self.json_path = json_path
        self.reason = message
        super().__init__(f"{json_path}: {message}" if json_path else message)


def _refuse_constant(name: str) -> Any:
    raise JsonLimitError(f"{name} is not allowed in a file VisualNN reads (JSON has no {name}). Fix: write a finite "
                         "number instead.")


def too_deep_message(limit: int = MAX_DEPTH, where: str = "") -> str:
    """Why a document nested deeper than ``limit`` is refused, and the fix."""
    return (f"nested deeper than {limit} levels{where}; files VisualNN writes are never that deep, so this one is "
            f"damaged or was made by another tool. Fix: remove the deeply nested value, or restore the file from a "
            f"backup.")


def loads(text: str, limit: int = MAX_DEPTH, *, finite: bool = True) -> Any:
    """Parse ``text`` like :func:`json.loads`, then :func:`check_tree` it.

    Raises :class:`json.JSONDecodeError` for malformed text and :class:`JsonLimitError` for nesting
    deeper than ``limit`` and (with ``finite``) ``NaN``/``Infinity`` literals and numbers that are not
    finite. A Keras config read for import passes ``finite=False``: Keras writes ``Infinity`` itself.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant) if finite else json.loads(text)
    except RecursionError:
        line, column = _deep_spot(text, limit)
        raise JsonLimitError(too_deep_message(limit, f" (at line {line}, column {column})")) from None
    check_tree(data, limit, finite=finite)
    return data


def check_tree(data: Any, limit: int = MAX_DEPTH, *, finite: bool = True) -> None:
    """Refuse nesting deeper than ``limit`` and (with ``finite``) non-finite numbers anywhere in ``data``
    (no recursion).

    Raises :class:`JsonLimitError` naming the JSON path of the first offender in document order.
    """
    # Each entry: the value, its depth, and a link (parent link, key) from which the path is built on failure.
    stack: list[tuple[Any, int, tuple[Any, Any] | None]] = [(data, 0, None)]
    while stack:
        value, depth, link = stack.pop()
        if isinstance(value, float):
            if finite and not math.isfinite(value):
                raise JsonLimitError(_not_finite(value), _path(link))
        elif isinstance(value, int) and not isinstance(value, bool):
            if finite and abs(value) > _LARGEST:
                raise JsonLimitError(f"must be at most about 1.8e308; received a number of about {_digits(value)} digits. "
                                     "Fix: write a smaller number.", _path(link))
        elif isinstance(value, dict | list):
            if depth >= limit:
                raise JsonLimitError(too_deep_message(limit), _path(link))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = [(child, depth + 1, (link, key)) for key, child in items]
            stack.extend(reversed(children))  # popped in document order


def _digits(value: int) -> int:
    return int(abs(value).bit_length() * math.log10(2)) + 1  # str() of a huge int is refused (and slow)


def _not_finite(value: float) -> str:
    if math.isnan(value):
        return "must be a finite number; received NaN. Fix: write a finite number instead."
    return ("must be a finite number; received one too large to represent (it reads as infinity; the largest is "
            "about 1.8e308). Fix: write a finite number instead.")


def _path(link: tuple[Any, Any] | None) -> str:
    """``graph.nodes[2].pos[0]`` from a chain of (parent link, key) pairs; long paths are shortened."""
    steps: list[str] = []
    while link is not None:
        link, key = link
        steps.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    steps.reverse()
    if len(steps) > _SHOWN_STEPS:
        steps = [*steps[:_SHOWN_STEPS], f"… ({len(steps)} levels down)"]
    text = "".join(steps)
    return text[1:] if text.startswith(".") else (text or "(the whole document)")


def _deep_spot(text: str, limit: int) -> tuple[int, int]:
    """Line and column where nesting first passes ``limit`` in ``text`` (brackets inside strings do not count)."""
    depth, in_string, escaped = 0, False, False
    line, line_start = 1, 0
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line, i - line_start + 1
        elif ch in "]}":
            depth -= 1
        if ch == "\n":
            line, line_start = line + 1, i + 1
    return line, len(text) - line_start + 1


__all__ = ["MAX_DEPTH", "JsonLimitError", "check_tree", "loads", "too_deep_message"]
