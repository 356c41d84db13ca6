"""The rules a block keeps: a name that can be a Python function and a Keras model name, one output, Inputs.

Read by the project loader (a broken block in a file is refused naming the block) and by ``core.blocks``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from visualnn.core.graph import BlockDef
from visualnn.core.shapes import block_inputs, block_outputs

BLOCK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def block_name_problem(name: str, taken: Sequence[str] = ()) -> str | None:
    """Why ``name`` cannot name a new block (it becomes a Python function and a Keras model name), or None."""
    if not BLOCK_NAME.fullmatch(name):
        return (f"The block name {name!r} must start with a letter and use only letters, digits and _ "
                "(it becomes a function name in the generated code), e.g. 'residual_block'.")
    if name in taken:
        return f"The project already has a block named {name!r}; choose another name."
    return None


def structure_problem(block: BlockDef) -> str | None:
    """Why the definition cannot be used as a block (no Input, not one output, a cycle), or None."""
    graph = block.graph
    if graph.blocks:
        return "holds block definitions of its own; blocks are defined once, at the project level."
    if not block_inputs(graph):
        return "has no Input layer; a block needs at least one Input."
    outs = block_outputs(graph)
    if len(outs) != 1:
        return f"must have exactly one output layer (a layer nothing reads); it has {len(outs)}."
    if graph.has_cycle():
        return "contains a cycle; blocks, like models, must be acyclic."
    return None
