"""Blocks: named sub-graphs stored once in the project and used as one layer by Block nodes.

A block definition (:class:`~visualnn.core.graph.BlockDef`) is a graph with its own Input(s) and one
output layer. Block nodes on the main graph (type ``Block``, parameter ``block``) refer to it by name;
shape inference walks through it (``core.shapes.infer_block``), the builder makes it a nested
``keras.Model``, the code generator a helper function returning one.

This module holds the rules (a valid block name, a valid definition), the "Make block" command built
from a selection, the commands that add/replace/remove a definition or edit inside one, and the small
``.vnnblock`` file that carries one block (and the blocks it uses) between projects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from visualnn.core.block_rules import block_name_problem, structure_problem
from visualnn.core.command_base import Command, CommandError, Macro
from visualnn.core.commands import AddNode, Connect, RemoveNodes, fresh_id
from visualnn.core.graph import BlockDef, Edge, Graph, Node, PortRef
from visualnn.core.layout import auto_layout
from visualnn.core.project import Project
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import Registry, default_registry
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE

BLOCK_FILE_FORMAT = "visualnn-block"
BLOCK_FILE_VERSION = 1
BLOCK_FILE_SUFFIX = ".vnnblock"


def blocks_used(graph: Graph) -> list[str]:
    """Names of the blocks that Block nodes of ``graph`` refer to, in document order, each once."""
    names = [str(n.params.get("block") or "") for n in graph if n.type == BLOCK_TYPE]
    return list(dict.fromkeys(names))


def closure(name: str, blocks: dict[str, BlockDef]) -> list[str]:
    """``name`` and every block it uses, directly or inside other blocks, dependencies first."""
    out: list[str] = []

    def visit(current: str, path: tuple[str, ...]) -> None:
        if current in out or current in path or current not in blocks:
            return
        for inner in blocks_used(blocks[current].graph):
            visit(inner, (*path, current))
        out.append(current)

    visit(name, ())
    return out


# ---------------------------------------------------------------------- commands
class SetBlock(Command):
    """Add, replace or remove (``block=None``) one block definition; undo restores the former one in place."""

    def __init__(self, name: str, block: BlockDef | None) -> None:
        self.name = name
        self.block = None if block is None else block.copy()
        self.text = f"Remove block {name}" if block is None else f"Define block {name}"
        self._old: BlockDef | None = None
        self._index = -1

    def redo(self, project: Project) -> None:
        """Put the definition in (or take it out)."""
        graph = project.graph
        if self.block is None and self.name not in graph.blocks:
            raise CommandError(f"There is no block {self.name!r} in the project.")
        if self.block is None and any(n.params.get("block") == self.name for n in graph if n.type == BLOCK_TYPE):
            raise CommandError(f"Block {self.name!r} is still used on the canvas; delete its nodes first.")
        self._index = list(graph.blocks).index(self.name) if self.name in graph.blocks else -1
        self._old = graph.set_block(self.name, None if self.block is None else self.block.copy())

    def undo(self, project: Project) -> None:
        """Restore the former definition at its former place."""
        graph = project.graph
        if self._old is None:
            graph.set_block(self.name, None)
        elif self.block is None:
            graph.set_block(self.name, self._old.copy(), self._index)
        else:
            graph.set_block(self.name, self._old.copy())


class InBlock(Command):
    """Any graph command applied to the inside of a block definition (editing an opened block)."""

    def __init__(self, name: str, command: Command) -> None:
        self.name = name
        self.command = command
        self.text = f"{command.text} in block {name}"

    def _inside(self, project: Project) -> tuple[BlockDef, Project]:
        block = project.graph.blocks.get(self.name)
        if block is None:
            raise CommandError(f"There is no block {self.name!r} in the project.")
        return block, Project(block.graph)

    def redo(self, project: Project) -> None:
        """Apply the command to the block's graph, then tell the project that the block changed."""
        block, inside = self._inside(project)
        self.command.redo(inside)
        project.graph.set_block(self.name, block)  # same object: only announces the change (re-inference)

    def undo(self, project: Project) -> None:
        """Undo the command inside the block."""
        block, inside = self._inside(project)
        self.command.undo(inside)
        project.graph.set_block(self.name, block)

    def merge_id(self) -> object | None:
        """Drags inside a block merge like drags on the main canvas."""
        inner = self.command.merge_id()
        return None if inner is None else ("in block", self.name, inner)

    def merge(self, other: Command) -> bool:
        """Merge two edits of the same block when the inner commands merge."""
        return isinstance(other, InBlock) and other.name == self.name and self.command.merge(other.command)


def make_block(project: Project, ids: Sequence[str], name: str, registry: Registry | None = None) -> Macro:
    """The one undoable command that replaces the selected layers ``ids`` by a Block node named ``name``.

    The tensors flowing into the selection become the block's Inputs (one per source layer, in the order
    the selection reads them); the one layer whose output leaves the selection (or ends the model) becomes
    its output. Raises :class:`CommandError` saying why the selection cannot form a block.
    """
    registry = default_registry() if registry is None else registry
    graph = project.graph
    chosen = [nid for nid in graph.nodes if nid in set(ids)]  # document order
    problem = block_name_problem(name, list(graph.blocks))
    if problem:
        raise CommandError(problem)
    if not chosen:
        raise CommandError("Select the layers to put in the block first.")
    missing = [nid for nid in ids if nid not in graph.nodes]
    if missing:
        raise CommandError(f"There is no layer {missing[0]!r} in the model.")
    selected = set(chosen)
    for nid in chosen:
        if graph.nodes[nid].type == "Input":
            raise CommandError(f"{graph.nodes[nid].label} is the model's Input; leave it out of the block "
                               "(the block gets Inputs of its own for the tensors flowing into it).")
    entering = [e for e in graph.edges if e.dst.node in selected and e.src.node not in selected]
    leaving = [e for e in graph.edges if e.src.node in selected and e.dst.node not in selected]
    order = graph.topological_order()
    rank = {nid: i for i, nid in enumerate(order)}
    if any(nid not in rank for nid in chosen):
        raise CommandError("The selection lies on a cycle; remove the cycle before making a block.")
    if not entering:
        raise CommandError("Nothing flows into the selection: a block needs at least one connection coming in. "
                           "Select layers that follow another layer.")
    exits = sorted({e.src.node for e in leaving} | {nid for nid in chosen if not graph.out_edges(nid)}, key=lambda n: rank[n])
    if len(exits) != 1:
        labels = ", ".join(graph.nodes[n].label for n in exits) or "none"
        raise CommandError(f"A block has one output, but {len(exits)} selected layers send their output out of the "
                           f"selection ({labels}). Select the layers up to one layer whose output leaves.")
    for nid in chosen:
        if not graph.in_edges(nid):
            raise CommandError(f"{graph.nodes[nid].label} has no input; connect it or leave it out of the selection.")
    sources = sorted({e.src.node for e in entering}, key=lambda s: min(rank[e.dst.node] for e in entering
                                                                       if e.src.node == s))
    shapes = infer_shapes(graph, registry)
    inner = Graph()
    taken = set(chosen) | {graph.nodes[n].label for n in chosen}
    input_ids: dict[str, str] = {}
    for src in sources:
        iid = fresh_id(inner, "Input", taken)
        taken.add(iid)
        shape = shapes.output(src)
        params: dict[str, Any] = {"shape": list(shape[1:]) if shape else [1]}
        inner.nodes[iid] = Node(iid, "Input", params)  # placed by the layout below
        input_ids[src] = iid
    for nid in chosen:
        inner.nodes[nid] = graph.nodes[nid].copy()
    for e in graph.edges:
        if e.dst.node in selected:
            src = e.src.node if e.src.node in selected else input_ids[e.src.node]
            inner.edges.append(Edge(PortRef(src, e.src.port), e.dst))
    for nid, pos in auto_layout(inner).items():  # the block's own canvas: top to bottom from its Inputs
        inner.nodes[nid].pos = (float(pos[0]), float(pos[1]))
    block = BlockDef(name, inner)
    first = graph.nodes[chosen[0]]
    node_id = fresh_id(graph, name, taken | set(graph.nodes))
    out_pos = graph.nodes[exits[0]].pos
    node = Node(node_id, BLOCK_TYPE, {"block": name}, (first.pos[0], (first.pos[1] + out_pos[1]) / 2))
    commands: list[Command] = [SetBlock(name, block), RemoveNodes(chosen),
                               AddNode(node, graph.index_of(chosen[0]))]
    for k, src in enumerate(sources):
        commands.append(Connect(Edge(PortRef(src, 0), PortRef(node_id, k)), registry))
    for e in leaving:
        commands.append(Connect(Edge(PortRef(node_id, 0), e.dst), registry))
    return Macro(f"Make block {name}", commands)


# ------------------------------------------------------------------- block files
def block_file_dict(graph: Graph, name: str) -> dict[str, Any]:
    """The ``.vnnblock`` document for block ``name`` and the blocks it uses (dependencies first)."""
    if name not in graph.blocks:
        raise KeyError(f"There is no block {name!r} in the project.")
    from visualnn import __version__

    return {
        "format": BLOCK_FILE_FORMAT,
        "format_version": BLOCK_FILE_VERSION,
        "app_version": __version__,
        "block": name,
        "blocks": [graph.blocks[n].to_dict() for n in closure(name, dict(graph.blocks))],
    }


def block_file_text(graph: Graph, name: str) -> str:
    """:func:`block_file_dict` as indented JSON text."""
    return json.dumps(block_file_dict(graph, name), indent=1) + "\n"


def blocks_from_file_dict(data: Any, source: str, registry: Registry | None = None) -> tuple[str, list[BlockDef]]:
    """The main block's name and every definition of a ``.vnnblock`` document, checked like a project's blocks.

    Raises ``ValueError`` naming ``source``, the block and what is wrong.
    """
    from visualnn.core.project.io import ProjectFileError, project_from_dict

    if not isinstance(data, dict) or data.get("format") != BLOCK_FILE_FORMAT:
        raise ValueError(f"{source}: not a VisualNN block file (expected format {BLOCK_FILE_FORMAT!r}).")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > BLOCK_FILE_VERSION:
        raise ValueError(f"{source}: block file format version {version!r} is not one this VisualNN reads "
                         f"(up to {BLOCK_FILE_VERSION}); update VisualNN to open it.")
    main = data.get("block")
    if not isinstance(main, str):
        raise ValueError(f"{source}: 'block' must name the block the file holds.")
    wrapper = {"format": "visualnn-project", "format_version": 1, "graph": {"blocks": data.get("blocks", [])}}
    try:
        project = project_from_dict(wrapper, source, registry)
    except ProjectFileError as exc:
        raise ValueError(str(exc).replace("graph.blocks", "blocks")) from None
    if main not in project.graph.blocks:
        raise ValueError(f"{source}: the file names block {main!r} but does not define it.")
    return main, list(project.graph.blocks.values())


def import_blocks_command(project: Project, blocks: Sequence[BlockDef]) -> Macro:
    """Add the definitions of a block file; one that exists already must be identical (else refused by name)."""
    commands: list[Command] = []
    for block in blocks:
        existing = project.graph.blocks.get(block.name)
        if existing is None:
            commands.append(SetBlock(block.name, block))
        elif existing.graph.to_dict() != block.graph.to_dict():
            raise CommandError(f"The project already has a different block named {block.name!r}; rename or "
                               "delete it before importing this one.")
    if not commands:
        raise CommandError("The project already has these blocks.")
    return Macro(f"Import block {blocks[-1].name}", commands)


__all__ = [
    "BLOCK_FILE_SUFFIX",
    "BLOCK_TYPE",
    "InBlock",
    "SetBlock",
    "block_file_dict",
    "block_file_text",
    "block_name_problem",
    "blocks_from_file_dict",
    "blocks_used",
    "closure",
    "import_blocks_command",
    "make_block",
    "structure_problem",
]
