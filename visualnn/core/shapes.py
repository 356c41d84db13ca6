"""Shape inference: the output shape and parameter count of every node, without TensorFlow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from visualnn.core.graph import BlockDef, Edge, Graph
from visualnn.core.specs import ParamCount, Registry, Shape, ShapeError, default_registry, fmt_shape
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE


@dataclass(frozen=True)
class NodeShapes:
    """What inference found for one node."""

    input_shapes: tuple[Shape | None, ...] = ()
    output: Shape | None = None
    params: ParamCount | None = None
    error: str | None = None

    @property
    def rank(self) -> int | None:
        """Rank of the output tensor (batch axis included)."""
        return None if self.output is None else len(self.output)


@dataclass(frozen=True)
class ShapeReport:
    """Shapes, parameter counts and shape errors for a whole graph."""

    nodes: dict[str, NodeShapes] = field(default_factory=dict)

    def output(self, node_id: str) -> Shape | None:
        """Output shape of a node, or ``None`` when unknown."""
        info = self.nodes.get(node_id)
        return None if info is None else info.output

    def edge_shape(self, edge: Edge) -> Shape | None:
        """The tensor shape flowing along ``edge``."""
        return self.output(edge.src.node)

    def error(self, node_id: str) -> str | None:
        """The shape error of a node, if any."""
        info = self.nodes.get(node_id)
        return None if info is None else info.error

    @property
    def errors(self) -> dict[str, str]:
        """Node id -> message for every node whose shape could not be inferred."""
        return {nid: info.error for nid, info in self.nodes.items() if info.error}

    @property
    def trainable_params(self) -> int:
        """Sum of trainable weights over nodes with known counts."""
        return sum(i.params.trainable for i in self.nodes.values() if i.params)

    @property
    def non_trainable_params(self) -> int:
        """Sum of non-trainable weights over nodes with known counts."""
        return sum(i.params.non_trainable for i in self.nodes.values() if i.params)

    @property
    def total_params(self) -> int:
        """All weights over nodes with known counts."""
        return self.trainable_params + self.non_trainable_params


def describe(shape: Shape | None) -> str:
    """``(None, 28, 28, 1) · rank 4`` for edge labels."""
    if shape is None:
        return "?"
    return f"{fmt_shape(shape)} · rank {len(shape)}"


def block_inputs(graph: Graph) -> list[str]:
    """A block's Input nodes in document order: the order of the Block node's input ports."""
    return [nid for nid, node in graph.nodes.items() if node.type == "Input"]


def block_outputs(graph: Graph) -> list[str]:
    """A block's outputs: the nodes nothing reads, less Inputs, in document order (a valid block has one)."""
    return [nid for nid in graph.sinks() if graph.nodes[nid].type != "Input"]


def block_with_inputs(block: BlockDef, inputs: list[Shape]) -> Graph:
    """A copy of the block's graph whose Inputs take the shapes of the tensors coming in (batch axis dropped)."""
    inner = block.graph.copy()
    for nid, shape in zip(block_inputs(inner), inputs, strict=False):
        inner.nodes[nid].params["shape"] = list(shape[1:])
    return inner


def infer_block(
    block: BlockDef,
    inputs: list[Shape],
    blocks: Mapping[str, BlockDef],
    registry: Registry | None = None,
    _within: tuple[str, ...] = (),
) -> tuple[Shape, ParamCount, ShapeReport]:
    """The output shape, parameter count and inner report of ``block`` called on ``inputs``.

    Raises :class:`ShapeError` naming the block and the inner node when the block cannot take these inputs.
    """
    name = block.name
    if name in _within:
        raise ShapeError(f"Block {name!r} contains itself ({' > '.join([*_within, name])}); a block cannot nest itself.")
    ports = block_inputs(block.graph)
    if not ports:
        raise ShapeError(f"Block {name!r} has no Input; open it and add one.")
    if len(inputs) != len(ports):
        raise ShapeError(f"Block {name!r} takes {len(ports)} input(s); received {len(inputs)}. "
                         f"Connect {len(ports)} layer(s) into it.")
    outs = block_outputs(block.graph)
    if len(outs) != 1:
        raise ShapeError(f"Block {name!r} must have exactly one output layer; it has {len(outs)}. "
                         "Open it and connect the loose layers.")
    inner = block_with_inputs(block, inputs)
    report = _infer(inner, registry or default_registry(), blocks, (*_within, name))
    for nid, msg in report.errors.items():
        raise ShapeError(f"Inside block {name!r}, {inner.nodes[nid].label}: {msg}")
    out = report.output(outs[0])
    if out is None:
        raise ShapeError(f"Block {name!r}: the shape of its output {inner.nodes[outs[0]].label} is unknown.")
    return out, ParamCount(report.trainable_params, report.non_trainable_params), report


def infer_shapes(graph: Graph, registry: Registry | None = None, blocks: Mapping[str, BlockDef] | None = None) -> ShapeReport:
    """Infer every node's output shape and parameter count. Never raises.

    A node whose inputs are unknown or missing gets no shape; the first failing node
    on a path carries the message, nodes after it stay quiet (like a compiler). Block nodes
    look their definition up in ``blocks`` (default: the graph's own).
    """
    return _infer(graph, registry or default_registry(), graph.blocks if blocks is None else blocks, ())


def _infer(graph: Graph, registry: Registry, blocks: Mapping[str, BlockDef], within: tuple[str, ...]) -> ShapeReport:
    shared_seen: set[str] = set()
    result: dict[str, NodeShapes] = {}
    order = graph.topological_order()
    in_cycle = set(graph.nodes) - set(order)
    in_edges: dict[str, list[Edge]] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        if e.dst.node in in_edges:
            in_edges[e.dst.node].append(e)
    for nid in order:
        node = graph.nodes[nid]
        spec = registry.get(node.type)
        edges = sorted(in_edges[nid], key=lambda e: e.dst.port)
        inputs = tuple(result[e.src.node].output if e.src.node in result else None for e in edges)
        if spec is None:
            result[nid] = NodeShapes(inputs, None, None, f"Unknown layer type {node.type!r}; it cannot be built.")
            continue
        if spec.inputs or spec.variadic:
            needed = spec.required_inputs()
            # Named ports must be connected by position: MultiHeadAttention with query and key
            # but no value has enough edges, yet its value port is missing.
            missing = [] if spec.variadic else [
                spec.port_name(i) for i in range(needed) if i not in {e.dst.port for e in edges}
            ]
            if len(edges) < needed or missing:
                if spec.variadic:
                    msg = f"{spec.type} needs at least {needed} inputs; received {len(edges)}. Connect more layers into it."
                elif len(spec.inputs) == 1:
                    msg = f"{spec.type} has no input connected. Connect a layer into it."
                else:
                    msg = f"{spec.type} input {', '.join(missing)} is not connected. Connect a layer into it."
                result[nid] = NodeShapes(inputs, None, None, msg)
                continue
        if any(s is None for s in inputs):
            result[nid] = NodeShapes(inputs, None, None, None)
            continue
        known = [s for s in inputs if s is not None]
        if spec.type == BLOCK_TYPE:
            result[nid] = _block_node(node.params, known, inputs, blocks, registry, within, shared_seen)
            continue
        try:
            params = spec.resolved(node.params)
            out = spec.infer(params, known)
            count = spec.count_params(params, known, out)
            pc = count if isinstance(count, ParamCount) else ParamCount(int(count), 0)
            result[nid] = NodeShapes(inputs, tuple(out), pc, None)
        except ShapeError as exc:
            result[nid] = NodeShapes(inputs, None, None, str(exc))
        except Exception as exc:  # a spec bug must not take the editor down
            result[nid] = NodeShapes(inputs, None, None, f"{spec.type}: could not infer the shape ({exc}).")
    for nid in in_cycle:
        result[nid] = NodeShapes((), None, None, f"{graph.nodes[nid].label} lies on a cycle; models must be acyclic.")
    return ShapeReport({nid: result[nid] for nid in graph.nodes})


def _block_node(
    params: dict[str, object],
    known: list[Shape],
    inputs: tuple[Shape | None, ...],
    blocks: Mapping[str, BlockDef],
    registry: Registry,
    within: tuple[str, ...],
    shared_seen: set[str],
) -> NodeShapes:
    """A Block node: inference through its definition; a shared node after the first adds no weights."""
    name = str(params.get("block") or "")
    block = blocks.get(name)
    if block is None:
        known_names = ", ".join(blocks) or "none"
        return NodeShapes(inputs, None, None, f"Block {name!r} is not defined in this project (blocks: {known_names}). "
                                              "Import its .vnnblock file or delete the node.")
    try:
        out, count, _ = infer_block(block, known, blocks, registry, within)
    except ShapeError as exc:
        return NodeShapes(inputs, None, None, str(exc))
    if params.get("shared"):
        if name in shared_seen:
            count = ParamCount(0, 0)  # the weights are counted once, at the first shared call (as Keras does)
        shared_seen.add(name)
    return NodeShapes(inputs, out, count, None)
