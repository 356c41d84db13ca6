"""Column groups: which columns of a table feed each Input and each output of a model with several (pure Python).

A model with several Inputs or outputs takes a CSV as *named parts*: every feature column belongs to the
Input node its :attr:`~visualnn.core.dataset.ColumnOptions.input` names (its column group; with one Input,
every feature feeds it), and every target column is compared with the output its
:attr:`~visualnn.core.dataset.ColumnOptions.output` names, else the output of the column's own name. Each
output needs exactly one target column and each Input at least one feature column. The data service
(training) and validation (``visualnn check``, the window's Problems list) both read the mapping here, so
they refuse the same things with the same words: every message names the column and the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from visualnn.core.dataset import ColumnOptions

# Stable codes (the Problems list and tests key on them).
GROUP_UNKNOWN_INPUT = "group-unknown-input"
GROUP_MISSING = "group-missing"
GROUP_EMPTY = "group-empty"
GROUP_WIDTH = "group-width"
TARGET_UNKNOWN_OUTPUT = "target-unknown-output"
TARGET_MISSING = "target-missing"
TARGET_SHARED = "target-shared"

_WHERE = "in the Data panel (Columns tab)"


@dataclass(frozen=True)
class GroupProblem:
    """One problem of the column mapping: a stable code, the message, and the node it concerns (None: none)."""

    code: str
    message: str
    node: str | None
    width: int | None = None  # group-width: the group's encoded width (the shape the Input should declare)


@dataclass(frozen=True)
class ColumnParts:
    """The column mapping of a table: feature columns per Input, the target column per output, in model order."""

    groups: dict[str, list[str]] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    problems: list[GroupProblem] = field(default_factory=list)


def column_parts(columns: dict[str, ColumnOptions], features: list[str], targets: list[str], inputs: list[str],
                 outputs: list[str], source: str = "the table") -> ColumnParts:
    """Group ``features`` (file order) by Input and pair each output with its one target column.

    ``columns`` are the project's column settings (unlisted columns have the defaults); ``inputs`` and
    ``outputs`` the model's node names in model order. Every problem is reported, not just the first.
    """
    problems: list[GroupProblem] = []
    groups: dict[str, list[str]] = {name: [] for name in inputs}
    listing = ", ".join(inputs) or "none"
    for col in features:
        chosen = columns.get(col, ColumnOptions()).input
        if chosen is None and len(inputs) == 1:
            chosen = inputs[0]
        if chosen is None:
            problems.append(GroupProblem(
                GROUP_MISSING,
                f"Feature column {col!r} of {source} feeds no Input; the model has several ({listing}). Choose the "
                f"Input of column {col!r} {_WHERE}, or set its role to ignore.", None))
        elif chosen not in groups:
            problems.append(GroupProblem(
                GROUP_UNKNOWN_INPUT,
                f"Feature column {col!r} of {source} feeds Input {chosen!r}, but the model has no Input of that name "
                f"(its Inputs: {listing}). Choose the Input of column {col!r} again {_WHERE}.", None))
        else:
            groups[chosen].append(col)
    for name, cols in groups.items():
        if not cols and not any(p.code == GROUP_MISSING for p in problems):
            problems.append(GroupProblem(
                GROUP_EMPTY,
                f"Input {name} has no columns of {source}: no feature column feeds it. Choose Input {name!r} for its "
                f"feature columns {_WHERE}.", name))
    paired: dict[str, list[str]] = {name: [] for name in outputs}
    out_listing = ", ".join(outputs) or "none"
    for col in targets:
        chosen = columns.get(col, ColumnOptions()).output
        if chosen is None and len(outputs) == 1:
            chosen = outputs[0]
        node = chosen if chosen is not None else col
        if node not in paired:
            how = f"is compared with output {node!r}" if chosen is not None else "is compared with the output of its own name"
            problems.append(GroupProblem(
                TARGET_UNKNOWN_OUTPUT,
                f"Target column {col!r} of {source} {how}, but the model has no output of that name (its outputs: "
                f"{out_listing}). Choose the output of column {col!r} {_WHERE}.", None))
            continue
        paired[node].append(col)
    for name, cols in paired.items():
        if not cols:
            problems.append(GroupProblem(
                TARGET_MISSING,
                f"Output {name} has no target column in {source}. Set a column's role to target and choose output "
                f"{name!r} for it {_WHERE}, or name a target column {name!r}.", name))
        elif len(cols) > 1:
            problems.append(GroupProblem(
                TARGET_SHARED,
                f"Output {name} has {len(cols)} target columns ({', '.join(cols)}) in {source}; each output is "
                f"compared with exactly one. Choose another output for {cols[-1]!r} {_WHERE}, or set its role to "
                "ignore.", name))
    return ColumnParts({k: v for k, v in groups.items()}, {k: v[0] for k, v in paired.items() if len(v) == 1},
                       problems)


def column_width(kind: str, n_unique: int, encoding: str) -> int:
    """How many numbers one feature column becomes: one per category (one-hot), else one."""
    return max(0, n_unique) if kind == "categorical" and encoding == "onehot" else 1


def width_problem(node: str, declared: object, columns: list[str], width: int, source: str = "the table") -> GroupProblem | None:
    """An Input whose declared shape is not ``[width]``, the encoded width of its column group (None: it fits)."""
    if not isinstance(declared, list | tuple):
        return None
    if len(declared) == 1 and (declared[0] in (None, 0) or declared[0] == width):
        return None
    return GroupProblem(
        GROUP_WIDTH,
        f"Input {node} declares shape {list(declared)}, but its columns of {source} ({', '.join(columns)}) encode to "
        f"{width} numbers per row. Set {node}'s shape to [{width}], or choose its columns again {_WHERE}.", node, width)


__all__ = ["GROUP_EMPTY", "GROUP_MISSING", "GROUP_UNKNOWN_INPUT", "GROUP_WIDTH", "TARGET_MISSING", "TARGET_SHARED",
           "TARGET_UNKNOWN_OUTPUT", "ColumnParts", "GroupProblem", "column_parts", "column_width", "width_problem"]
