"""The model's named doors: its Input nodes and its output nodes, as data and compile settings see them.

A model with one Input and one output takes one array and one target, as before. A functional model
with several Inputs or several outputs takes its data as *named parts*: each Input node is fed by the
array of the same name, each output node is compared with the target of the same name, and the
compile settings give each output its own loss, loss weight and metrics. The names are the nodes'
labels (their Keras layer names), so the app, ``model.fit`` on dicts, and the exported script all key
the parts the same way. No Qt, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

from visualnn.core.graph import Graph
from visualnn.core.specs import Registry, default_registry


@dataclass(frozen=True)
class Port:
    """One Input node or output node: its id, its name (what data parts are keyed by) and one sample's shape.

    ``shape`` has no batch axis; None where inference could not tell (an error elsewhere names why).
    """

    node_id: str
    name: str
    shape: tuple[int | None, ...] | None


def model_inputs(graph: Graph, registry: Registry | None = None) -> list[Port]:
    """The Input nodes in topological order (the order ``keras.Model(inputs=[...])`` lists them)."""
    from visualnn.core.shapes import infer_shapes

    report = infer_shapes(graph, registry or default_registry())
    return [_port(graph, nid, report.output(nid)) for nid in graph.topological_order()
            if graph.nodes[nid].type == "Input"]


def model_outputs(graph: Graph, registry: Registry | None = None) -> list[Port]:
    """The output nodes (sinks that are not Inputs) in document order (the order the builder lists them)."""
    from visualnn.core.shapes import infer_shapes

    report = infer_shapes(graph, registry or default_registry())
    return [_port(graph, nid, report.output(nid)) for nid in graph.sinks() if graph.nodes[nid].type != "Input"]


def output_names(graph: Graph) -> list[str]:
    """The output nodes' names, without shape inference (compile settings need only the names)."""
    return [graph.nodes[nid].label for nid in graph.sinks() if graph.nodes[nid].type != "Input"]


def input_names(graph: Graph) -> list[str]:
    """The Input nodes' names in topological order, without shape inference."""
    return [graph.nodes[nid].label for nid in graph.topological_order() if graph.nodes[nid].type == "Input"]


def declared_inputs(graph: Graph) -> list[tuple[str, tuple[int | None, ...] | None]]:
    """Each Input node's name and the sample shape its ``shape`` parameter declares (unset axes None), in
    topological order, without shape inference (the data's roles read it as the user wrote it)."""
    out: list[tuple[str, tuple[int | None, ...] | None]] = []
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        if node.type != "Input":
            continue
        shape = node.params.get("shape")
        out.append((node.label, tuple(d if isinstance(d, int) else None for d in shape)
                    if isinstance(shape, list | tuple) else None))
    return out


def is_multi_io(graph: Graph) -> bool:
    """Whether the model needs named data parts (several Inputs or several outputs)."""
    return len(input_names(graph)) > 1 or len(output_names(graph)) > 1


def _port(graph: Graph, nid: str, shape: tuple[int | None, ...] | None) -> Port:
    sample = None if shape is None else tuple(None if d is None else int(d) for d in shape[1:])
    return Port(nid, graph.nodes[nid].label, sample)


__all__ = ["Port", "declared_inputs", "input_names", "is_multi_io", "model_inputs", "model_outputs", "output_names"]
