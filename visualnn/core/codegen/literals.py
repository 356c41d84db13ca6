"""Safe Python literals, identifiers and a small line-breaking formatter for generated code.

Every piece of project content (layer names, column names, paths) reaches generated code only
through :func:`literal`, which emits ``repr``-style literals, so no project text is ever code.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.specs import KerasCall

WIDTH = 88  # ruff format's default line length
INDENT = "    "


class CodegenError(ValueError):
    """The project cannot be written as code; the message names the node or value and the fix."""


@dataclass(frozen=True)
class Br:
    """A bracketed, comma-separated group: ``(a, b)``, ``[a, b]``, ``{k: v}``."""

    open: str
    items: tuple[Expr, ...]
    close: str
    one_tuple: bool = False  # a 1-tuple needs its trailing comma even on one line
    call: bool = False  # call arguments may stay on one indented line; split literals explode


@dataclass(frozen=True)
class Cat:
    """Pieces written one after another (``keras.layers.Dense`` + ``(...)`` + ``(x)``)."""

    parts: tuple[Expr, ...] = field(default_factory=tuple)


Expr = str | Br | Cat


def flat(expr: Expr) -> str:
    """The expression on one line."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, Cat):
        return "".join(flat(p) for p in expr.parts)
    inner = ", ".join(flat(i) for i in expr.items)
    if expr.one_tuple and len(expr.items) == 1:
        inner += ","
    return f"{expr.open}{inner}{expr.close}"


def render(expr: Expr, indent: int = 0, reserve: int = 0, col: int | None = None) -> str:
    """Lay ``expr`` out like ``ruff format``: one line when it fits, else split the widest bracket.

    ``indent`` is the block indent of continuation lines, ``col`` the column where ``expr``
    starts (default ``indent``) and ``reserve`` the width of text that follows it on its last
    line. A split bracket keeps its items on one indented line when they fit; otherwise one
    item per line with a trailing comma, which ``ruff format`` keeps exploded.
    """
    start = indent if col is None else col
    one = flat(expr)
    if start + len(one) + reserve <= WIDTH or isinstance(expr, str):
        return one
    if isinstance(expr, Br):
        if not expr.items:
            return one
        pad = " " * (indent + 4)
        body = ", ".join(flat(i) for i in expr.items)
        if expr.one_tuple and len(expr.items) == 1:
            body += ","
        if expr.call and indent + 4 + len(body) <= WIDTH:
            return expr.open + "\n" + pad + body + "\n" + " " * indent + expr.close
        lines = [pad + render(item, indent + 4, 1) + "," for item in expr.items]
        return expr.open + "\n" + "\n".join(lines) + "\n" + " " * indent + expr.close
    parts = list(expr.parts)
    groups = [i for i, p in enumerate(parts) if isinstance(p, (Br, Cat))]
    if not groups:
        return one
    # Like ruff's right-hand split: the last bracket whose opening line and closing line fit.
    for target in reversed(groups):
        before = "".join(flat(p) for p in parts[:target])
        after = "".join(flat(p) for p in parts[target + 1 :])
        head = start + len(before) + len(_opening(parts[target]))
        if head <= WIDTH and indent + 1 + len(after) + reserve <= WIDTH or target == groups[0]:
            return before + render(parts[target], indent, reserve + len(after), start + len(before)) + after
    return one


def _opening(expr: Expr) -> str:
    """The text up to and including the first bracket that would be split."""
    if isinstance(expr, Br):
        return expr.open
    if isinstance(expr, Cat):
        text = ""
        for part in expr.parts:
            if isinstance(part, str):
                text += part
            else:
                return text + _opening(part)
        return text
    return expr


def statement(text: Expr, indent: int) -> str:
    """One indented statement line (possibly spanning several lines)."""
    return " " * indent + render(text, indent)


def string(value: str) -> str:
    """A Python string literal for ``value``, quoted the way ``ruff format`` would quote it."""
    quote = '"' if value.count('"') <= value.count("'") else "'"
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        else:
            out.append(repr(ch)[1:-1])  # repr escapes newlines, control and unprintable characters
    return quote + "".join(out) + quote


class Raw(str):
    """Code written by the generator itself (a variable name), never project text."""


def literal(value: Any) -> Expr:
    """``value`` (JSON data, tuples or :class:`KerasCall`) as a Python literal expression."""
    if isinstance(value, Raw):
        return str(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, KerasCall):
        return call(value.class_path, value.kwargs)
    if isinstance(value, tuple):
        return Br("(", tuple(literal(v) for v in value), ")", one_tuple=True)
    if isinstance(value, list):
        return Br("[", tuple(literal(v) for v in value), "]")
    if isinstance(value, dict):
        items = []
        for key, val in value.items():
            if not isinstance(key, str):
                raise CodegenError(f"Dictionary keys in generated code must be text; received {key!r}.")
            items.append(Cat((string(key), ": ", literal(val))))
        return Br("{", tuple(items), "}")
    raise CodegenError(f"Cannot write the value {value!r} (a {type(value).__name__}) as Python code.")


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def call(callee: str, kwargs: dict[str, Any], args: Iterable[Expr] = ()) -> Cat:
    """``callee(*args, key=value, ...)``; the callee must be a dotted name (never project text)."""
    if not _DOTTED.match(callee):
        raise CodegenError(f"Refusing to write a call to {callee!r}: it is not a dotted Python name.")
    items: list[Expr] = list(args)
    for key, val in kwargs.items():
        if not key.isidentifier() or keyword.iskeyword(key):
            raise CodegenError(f"Refusing to write the keyword argument {key!r}: it is not an identifier.")
        items.append(Cat((f"{key}=", literal(val))))
    return Cat((callee, Br("(", tuple(items), ")", call=True)))


RESERVED = frozenset(
    set(dir(builtins))
    | {
        "keras",
        "tf",
        "np",
        "pd",
        "os",
        "sys",
        "json",
        "argparse",
        "model",
        "inputs",
        "outputs",
        "self",
        "args",
        "kwargs",
        "main",
        "build_model",
        "load_data",
        "make_dataset",
        "history",
        "data",
        "parser",
        "callbacks",
        "super",
    }
)


def identifier(label: str, taken: set[str], fallback: str = "layer") -> str:
    """A snake_case Python identifier made from ``label``, unique within ``taken`` (then added to it)."""
    base = re.sub(r"[^0-9A-Za-z_]+", "_", label).strip("_").lower()
    base = re.sub(r"_+", "_", base) or fallback
    if base[0].isdigit():
        base = f"{fallback}_{base}"
    if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in RESERVED:
        base += "_"
    name, n = base, 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    taken.add(name)
    return name


def class_name(label: str, suffix: str = "Model") -> str:
    """A CamelCase class name from ``label`` (``"iris classifier"`` -> ``IrisClassifierModel``)."""
    words = re.findall(r"[A-Za-z0-9]+", label)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name[0].isdigit():
        name = "Project" + name
    if not name.endswith(suffix):
        name += suffix
    return name if name not in RESERVED else name + "_"
