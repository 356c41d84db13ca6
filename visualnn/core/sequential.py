"""The one rule for what ``keras.Sequential`` can express: a single chain of layers that starts at an Input.

Switching to sequential mode, validation, the code generator's Sequential style, the model builder
and the Code dock's style box all ask :func:`sequential_problem`, so they agree on every graph and
explain a refusal with the same words, naming the layer at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from visualnn.core.graph import Graph
from visualnn.core.specs import Registry, default_registry

CHAIN_FIX = "Use the functional API (functional mode, or the Functional or Subclass code style), or remove the extra connections."
INPUT_FIX = "Add an Input before it."


@dataclass(frozen=True)
class SequentialProblem:
    """Why a graph is not a Sequential model: the reason (naming the layer), the fix, and that layer's id."""

    reason: str
    fix: str
    node_id: str | None = None
    kind: Literal["chain", "input"] = "chain"  # not one chain, or a chain that does not start at an Input

    @property
    def message(self) -> str:
        """Reason and fix in one sentence pair, as errors show it."""
        return f"{self.reason} {self.fix}"

    def __str__(self) -> str:
        return self.message


def sequential_problem(graph: Graph, registry: Registry | None = None) -> SequentialProblem | None:
    """Why ``graph`` cannot be a ``keras.Sequential`` model, or ``None`` when it can (an empty graph can)."""
    if not graph.nodes:
        return None
    order = graph.chain_order()
    if order is None:
        return _not_a_chain(graph)
    first = graph.nodes[order[0]]
    # `registry or default` would be wrong: an empty Registry is falsy (it has __len__).
    spec = (default_registry() if registry is None else registry).get(first.type)
    if spec is None or spec.type != "Input":
        return SequentialProblem(
            f"A sequential model must start with an Input; {first.label} ({first.type}) comes first.",
            INPUT_FIX,
            first.id,
            "input",
        )
    return None


def _not_a_chain(graph: Graph) -> SequentialProblem:
    """Name the first layer (in document order) where the graph stops being one chain."""
    head = "A sequential model must be a single chain of layers"
    order = graph.topological_order()
    if len(order) != len(graph.nodes):
        placed = set(order)
        looped = next(n for n in graph if n.id not in placed)
        return SequentialProblem(f"{head}; {looped.label} lies on a cycle.", CHAIN_FIX, looped.id)
    for nid in order:
        node = graph.nodes[nid]
        n_in, n_out = len(graph.in_edges(nid)), len(graph.out_edges(nid))
        if n_in > 1:
            return SequentialProblem(f"{head}; {node.label} merges {n_in} inputs.", CHAIN_FIX, nid)
        if n_out > 1:
            return SequentialProblem(f"{head}; {node.label} branches into {n_out} layers.", CHAIN_FIX, nid)
    # No merge, branch or cycle: the graph falls into separate parts. Name the start of the second one.
    starts = [nid for nid in order if not graph.in_edges(nid)]
    second = graph.nodes[starts[1]] if len(starts) > 1 else graph.nodes[order[-1]]
    first = graph.nodes[starts[0]] if starts else graph.nodes[order[0]]
    return SequentialProblem(
        f"{head}; {second.label} is not connected to the chain that starts at {first.label}.", CHAIN_FIX, second.id
    )


__all__ = ["SequentialProblem", "sequential_problem"]
