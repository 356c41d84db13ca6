"""The model summary table, like ``model.summary()``: one row per layer with shape, parameters and inputs.

``visualnn summary`` prints it (text or JSON) and the Summary dock shows it, both from these rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from visualnn.core.graph import Edge, Graph
from visualnn.core.shapes import ShapeReport
from visualnn.core.specs import Shape


@dataclass(frozen=True)
class SummaryRow:
    """One layer of the summary: names, output shape, weights (``None`` when unknown) and the layers feeding it."""

    id: str
    name: str
    type: str
    output_shape: Shape | None
    params: int | None
    trainable: int | None
    non_trainable: int | None
    connected_to: tuple[str, ...]
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``visualnn summary --json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "params": self.params,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "connected_to": list(self.connected_to),
            "error": self.error,
        }


def summary_rows(graph: Graph, report: ShapeReport) -> list[SummaryRow]:
    """One row per layer in topological order (layers on a cycle last, in document order)."""
    order = graph.topological_order()
    placed = set(order)
    order += [nid for nid in graph.nodes if nid not in placed]
    labels = graph.names()
    into: dict[str, list[Edge]] = {}
    for e in sorted(graph.edges, key=lambda e: e.dst.port):  # one pass, not in_edges() per node
        into.setdefault(e.dst.node, []).append(e)
    rows = []
    for nid in order:
        node = graph.nodes[nid]
        info = report.nodes.get(nid)
        count = info.params if info else None
        rows.append(
            SummaryRow(
                id=nid,
                name=node.label,
                type=node.type,
                output_shape=None if info is None else info.output,
                params=None if count is None else count.total,
                trainable=None if count is None else count.trainable,
                non_trainable=None if count is None else count.non_trainable,
                connected_to=tuple(labels.get(e.src.node, e.src.node) for e in into.get(nid, [])),
                error=None if info is None else info.error,
            )
        )
    return rows


__all__ = ["SummaryRow", "summary_rows"]
