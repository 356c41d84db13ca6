"""Shape inference: the output shape and parameter count of every node, without TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field

from visualnn.core.graph import Edge, Graph
from visualnn.core.specs import ParamCount, Registry, Shape, ShapeError, default_registry, fmt_shape


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


def infer_shapes(graph: Graph, registry: Registry | None = None) -> ShapeReport:
    """Infer every node's output shape and parameter count. Never raises.

    A node whose inputs are unknown or missing gets no shape; the first failing node
    on a path carries the message, nodes after it stay quiet (like a compiler).
    """
    registry = registry or default_registry()
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
        try:
            params = spec.resolved(node.params)
            out = spec.infer(params, known)
            count = spec.count_params(params, known, out)
            pc = count if isinstance(count, ParamCount) else ParamCount(int(count), 0)
            if node.params.get("trainable", True) is False:  # a frozen layer: every weight stays as it is
                pc = ParamCount(0, pc.total)
            result[nid] = NodeShapes(inputs, tuple(out), pc, None)
        except ShapeError as exc:
            result[nid] = NodeShapes(inputs, None, None, str(exc))
        except Exception as exc:  # a spec bug must not take the editor down
            result[nid] = NodeShapes(inputs, None, None, f"{spec.type}: could not infer the shape ({exc}).")
    for nid in in_cycle:
        result[nid] = NodeShapes((), None, None, f"{graph.nodes[nid].label} lies on a cycle; models must be acyclic.")
    return ShapeReport({nid: result[nid] for nid in graph.nodes})
