"""One-click fixes of diagnostics: the words on the button and the undoable command behind it.

A fix is JSON data (so ``visualnn check --json`` and the engine's messages can carry it), in one of
four forms:

* ``{"training": {field: value}}`` — change compile/fit settings;
* ``{"node": id, "param": name, "value": v}`` — change a layer parameter;
* ``{"insert": type, "before": id}`` — put a new layer (a Flatten, say) into the connection that
  feeds layer ``id``; the layers from ``id`` down move one row lower to make room;
* ``{"rename": id, "name": new}`` — give layer ``id`` a new name (one TensorFlow accepts, say);
* ``{"append": type, "after": id, "params": {...}}`` — add a new layer with these parameters after the output
  layer ``id`` (a Rescaling that maps a fresh output onto a regression target's range, say); it becomes the output;
* ``{"column": name, "role": role}`` — give a column of the project's table another role (ignore an identifier
  column, say).
"""

from __future__ import annotations

from typing import Any

from visualnn.core.commands import (
    AddNode,
    Command,
    CommandError,
    Connect,
    InsertBetween,
    Macro,
    MoveNodes,
    Rename,
    SetDataset,
    SetParam,
    SetTraining,
    fresh_id,
)
from visualnn.core.graph import Edge, Node, PortRef
from visualnn.core.project import Project
from visualnn.core.specs import Registry

ROW = 140.0  # the vertical step between layers when the graph gives none (a card plus the layout gap)


def fix_label(fix: dict[str, Any] | None) -> str:
    """The button text for a fix (``"Fix: set dense_3.units = 3"``); "" when there is none."""
    if not fix:
        return ""
    if "training" in fix:
        what = ", ".join(f"{k} = {v}" for k, v in fix["training"].items())
        return f"Fix: set {what}"
    if "insert" in fix:
        return f"Fix: insert {fix['insert']} before {fix.get('before')}"
    if "rename" in fix:
        return f"Fix: rename to {fix.get('name')}"
    if "append" in fix:
        args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in (fix.get("params") or {}).items())
        return f"Fix: add {fix['append']}({args}) after {fix.get('after')}"
    if "column" in fix:
        return f"Fix: set column {fix['column']!r} role = {fix.get('role')}"
    return f"Fix: set {fix.get('node')}.{fix.get('param')} = {fix.get('value')}"


def fix_command(fix: dict[str, Any], project: Project, registry: Registry | None = None) -> Command:
    """The undoable command that applies ``fix`` to ``project``; CommandError when it no longer applies."""
    if "training" in fix:
        return SetTraining(project.training.with_changes(**fix["training"]))
    if "insert" in fix:
        return _insert_before(project, str(fix["insert"]), str(fix.get("before")), registry)
    if "rename" in fix:
        return Rename(str(fix["rename"]), str(fix.get("name") or ""))
    if "append" in fix:
        return _append_after(project, str(fix["append"]), str(fix.get("after")), dict(fix.get("params") or {}), registry)
    if "column" in fix:
        return _column_role(project, str(fix["column"]), str(fix.get("role") or ""))
    if "node" in fix and "param" in fix:
        return SetParam(str(fix["node"]), str(fix["param"]), fix.get("value"), registry)
    raise CommandError(f"Unknown fix {fix!r}; expected a training, node/param, insert, append, rename or column fix.")


def _column_role(project: Project, name: str, role: str) -> Command:
    spec = project.dataset
    if spec is None or spec.kind not in ("csv", "timeseries"):
        raise CommandError(f"The project has no table with a column {name!r}; attach the data again.")
    return SetDataset(spec.with_column(name, role=role))


def _insert_before(project: Project, type_id: str, before: str, registry: Registry | None) -> Command:
    graph = project.graph
    if before not in graph.nodes:
        raise CommandError(f"There is no layer {before!r} to insert a {type_id} before.")
    into = graph.in_edges(before)
    if len(into) != 1:
        raise CommandError(f"{graph.nodes[before].label} has {len(into)} incoming connections; "
                           f"insert the {type_id} by hand.")
    edge = into[0]
    target = graph.nodes[before]
    above = graph.nodes[edge.src.node]
    step = target.pos[1] - above.pos[1] if target.pos[1] > above.pos[1] else ROW
    node = Node(fresh_id(graph, type_id), type_id, {}, target.pos)
    # Make room: the target and every layer at or below it move down one row.
    moved = {n.id: (n.pos[0], n.pos[1] + step) for n in graph if n.pos[1] >= target.pos[1]}
    return Macro(f"Insert {type_id} before {target.label}", [MoveNodes(moved), InsertBetween(edge, node, registry)])


def _append_after(project: Project, type_id: str, after: str, params: dict[str, Any],
                  registry: Registry | None) -> Command:
    graph = project.graph
    if after not in graph.nodes:
        raise CommandError(f"There is no layer {after!r} to add a {type_id} after.")
    source = graph.nodes[after]
    if graph.successors(after):
        raise CommandError(f"{source.label} already feeds another layer; add the {type_id} by hand.")
    node = Node(fresh_id(graph, type_id), type_id, params, (source.pos[0], source.pos[1] + ROW))
    return Macro(f"Add {type_id} after {source.label}",
                 [AddNode(node), Connect(Edge(PortRef(after, 0), PortRef(node.id, 0)), registry)])


__all__ = ["fix_command", "fix_label"]
