"""Diagnostics for a project: structural, parameter and shape problems, each tied to a node or edge.

``validate`` never raises; it runs after every edit, so it is linear in nodes + edges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from visualnn.core.backbone_checks import check_backbone_data
from visualnn.core.compile_options import (
    CompileIssue,
    DataFacts,
    check_class_weight_parts,
    check_compile,
    check_outputs,
)
from visualnn.core.data_checks import check_data
from visualnn.core.dataset import ArrayOptions
from visualnn.core.finetune import FineTuneError, fine_tune_plan
from visualnn.core.fixes import fix_label
from visualnn.core.graph import SEQUENTIAL, Edge, Graph, Node
from visualnn.core.model_io import is_multi_io, output_names
from visualnn.core.names import layer_name_reason, safe_layer_name
from visualnn.core.part_checks import check_parts
from visualnn.core.project import Project
from visualnn.core.sequential import sequential_problem
from visualnn.core.shapes import ShapeReport, infer_shapes
from visualnn.core.specs import LayerSpec, Registry, default_registry, fmt_shape
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.core.specs.builtin.pretrained import GRAYSCALE, grayscale_note
from visualnn.core.window_parts import check_window_parts

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

# Stable codes: the UI keys icons/filters on them and tests assert them.
EMPTY = "empty"
MISSING_INPUT = "missing-input"
NO_OUTPUT = "no-output"
CYCLE = "cycle"
UNKNOWN_TYPE = "unknown-type"
BAD_EDGE = "bad-edge"
BAD_PARAM = "bad-param"
UNKNOWN_PARAM = "unknown-param"
UNCONNECTED_INPUT = "unconnected-input"
TOO_MANY_EDGES = "too-many-edges"
DANGLING = "dangling"
UNUSED_INPUT = "unused-input"
EXTRA_OUTPUT = "extra-output"
SEQUENTIAL_MODE = "sequential-mode"
DUPLICATE_NAME = "duplicate-name"
BAD_NAME = "bad-name"
MERGE_SHAPES = "merge-shapes"
SHAPE = "shape"
INTERNAL = "internal"
DATA_UNREADABLE = "data-unreadable"
FINE_TUNE = "fine-tune"  # two-phase fine-tuning switched on but unable to run on this model
# The compile and data checks bring their own codes (``output-units``, ``dense-rank``, ``input-data-shape`` ...),
# the checks of named parts theirs (``part-missing``, ``part-shape`` ..., see ``core.part_checks``).


@dataclass(frozen=True)
class Issue:
    """One diagnostic: severity, stable code, message naming the layer, and a suggested fix.

    ``fix`` is the fix in words; ``action``, when there is one, is the same fix as data that one
    click applies (the forms of :mod:`visualnn.core.fixes`).
    """

    severity: Severity
    code: str
    message: str
    node_id: str | None = None
    edge: Edge | None = None
    fix: str | None = None
    action: dict[str, Any] | None = None

    @property
    def is_error(self) -> bool:
        """True for errors (the model cannot be built), False for warnings."""
        return self.severity == ERROR

    def to_dict(self) -> dict[str, object]:
        """JSON form for ``visualnn check --json``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "node": self.node_id,
            "edge": None if self.edge is None else self.edge.to_dict(),
            "fix": self.fix,
            "action": self.action,
        }


def from_compile_issue(issue: CompileIssue) -> Issue:
    """A compile or data check's finding as a diagnostic (its fix sentence pulled out of the message)."""
    severity: Severity = ERROR if issue.severity == ERROR else WARNING
    label = fix_label(issue.fix).removeprefix("Fix: ")
    words = _fix_of(issue.message) or (label[:1].upper() + label[1:] or None)
    return Issue(severity, issue.code, issue.message, issue.node_id, None, words, issue.fix)


def data_unreadable(message: str) -> Issue:
    """The attached data could not be read, so the model was not checked against it."""
    return Issue(WARNING, DATA_UNREADABLE, f"The model was not checked against the data: {message}",
                 fix="Fix the data source in the Data panel (Relocate… when it moved).")


def errors(issues: list[Issue]) -> list[Issue]:
    """Only the errors."""
    return [i for i in issues if i.is_error]


def validate(
    project: Project | Graph,
    registry: Registry | None = None,
    shapes: ShapeReport | None = None,
    facts: DataFacts | None = None,
) -> list[Issue]:
    """Every diagnostic for ``project`` (or a bare graph), errors and warnings. Never raises.

    For a project the compile settings are checked against the output layer; with ``facts`` (what the
    services read from the attached data) the Input shape, the output's rank and units and the loss
    are checked against the data too.
    """
    graph = project.graph if isinstance(project, Project) else project
    reg = default_registry() if registry is None else registry
    try:
        validator = _Validator(graph, reg, shapes)
        issues = validator.run()
    except Exception as exc:  # a validator bug must never take the editor down
        return [Issue(ERROR, INTERNAL, f"Validation failed unexpectedly ({type(exc).__name__}: {exc}).")]
    if isinstance(project, Project) and graph.nodes:
        issues = _intended_outputs_kept(project, issues)
        issues += _compile_and_data(project, validator.report(), facts) + _class_weight_parts(project)
        issues += _fine_tune(project)
    return issues


def _fine_tune(project: Project) -> list[Issue]:
    """Fine-tuning's phase 2 checked before training: a frozen layer to unfreeze, a known layer to start from."""
    try:
        fine_tune_plan(project.graph, project.training)
    except FineTuneError as exc:
        return [Issue(ERROR, FINE_TUNE, str(exc), fix="Freeze the layers to fine-tune, or switch fine-tuning off in "
                                                       "the Training settings.")]
    return []


def _intended_outputs_kept(project: Project, issues: list[Issue]) -> list[Issue]:
    """Drop the extra-output warning of outputs the compile settings give their own loss: they are meant."""
    named = {o.name for o in project.training.outputs}
    return [i for i in issues if not (i.code == EXTRA_OUTPUT and i.node_id is not None
                                      and i.node_id in project.graph.nodes
                                      and project.graph.nodes[i.node_id].label in named)]


def _compile_and_data(project: Project, shapes: ShapeReport, facts: DataFacts | None) -> list[Issue]:
    """The compile checks and, with facts, the data checks; a bug in them degrades to one message."""
    try:
        if facts is not None and (is_multi_io(project.graph) or _image_table(project)):
            return _parts(project, facts)
        found = check_compile(project.graph, project.training.loss, project.training.metrics, facts,
                              project.training.class_weight)
        if facts is not None:
            found = check_data(project.graph, shapes, facts) + found
        found += check_backbone_data(project, facts)
    except Exception as exc:  # the structural diagnostics above must still reach the user
        return [Issue(ERROR, INTERNAL, f"Checking the model against the data failed ({type(exc).__name__}: {exc}).")]
    return [from_compile_issue(i) for i in found]


def _image_table(project: Project) -> bool:
    """Whether the data is an image folder read with its per-image table (named parts, whatever the model)."""
    spec = project.dataset
    return spec is not None and spec.kind == "images" and spec.image().table is not None


def _class_weight_parts(project: Project) -> list[Issue]:
    found = check_class_weight_parts(project.graph, project.training.class_weight, _image_table(project))
    return [from_compile_issue(i) for i in found]


def _parts(project: Project, facts: DataFacts) -> list[Issue]:
    """A model with several Inputs or outputs against its named parts (the single-tensor data checks do not apply).

    With one output the compile checks still see the data (its facts are that output's target); with
    several, each output's loss and metrics are its own and the model-wide ones are not checked against one target.
    """
    mapping = project.dataset.arrays() if project.dataset is not None else ArrayOptions()
    image = project.dataset.image() if project.dataset is not None and project.dataset.kind == "images" else None
    if project.dataset is not None and project.dataset.kind == "timeseries":
        found = check_window_parts(project.graph, project.dataset.window(), facts)  # one target column per output
    else:
        columns = project.dataset.columns() if project.dataset is not None else {}
        found = check_parts(project.graph, mapping, facts, columns=columns, image=image)
    single_output = len(output_names(project.graph)) == 1
    found += check_compile(project.graph, project.training.loss, project.training.metrics,
                           facts if single_output and not found and image is None else None, project.training.class_weight)
    if not single_output and not found and facts.outputs:  # each output against its own target, as training does
        found += [replace(issue, message=prefix + issue.message)
                  for prefix, issue in check_outputs(project.graph, project.training, dict(facts.outputs))]
    out = []
    for issue in found:
        converted = from_compile_issue(issue)
        if converted.fix is None and issue.code.startswith(("part", "series", "image", "group", "target")):
            # The part checks end with what to do: rename the array, or choose it in the Data panel.
            converted = replace(converted, fix=issue.message.rsplit(". ", 1)[-1].strip())
        out.append(converted)
    return out


class _Validator:
    """One validation pass; collects issues and remembers which nodes already have an error."""

    def __init__(self, graph: Graph, registry: Registry, shapes: ShapeReport | None) -> None:
        self.graph = graph
        self.registry = registry
        self.shapes = shapes
        self.issues: list[Issue] = []
        self.flagged: set[str] = set()  # nodes with a structural error: their shape error is noise
        self.specs: dict[str, LayerSpec | None] = {n.id: registry.get(n.type) for n in graph}
        self.edges_ok: list[Edge] = []

    def add(self, severity: Severity, code: str, message: str, node: str | None = None,
            edge: Edge | None = None, fix: str | None = None) -> None:
        """Record an issue (errors on a node silence that node's later shape error)."""
        self.issues.append(Issue(severity, code, message, node, edge, fix))
        if node is not None and severity == ERROR:
            self.flagged.add(node)

    def label(self, node_id: str) -> str:
        """Display name of a node."""
        node = self.graph.nodes.get(node_id)
        return node.label if node else node_id

    def run(self) -> list[Issue]:
        """All checks in a fixed order (so output is stable)."""
        graph = self.graph
        if not graph.nodes:
            self.add(ERROR, EMPTY, "The model is empty.", fix="Add an Input and at least one layer.")
            return self.issues
        self.edges_ok = self.check_edges()
        self.check_nodes()
        self.check_ports()
        self.check_names()
        self.check_structure()
        if graph.mode == SEQUENTIAL:
            self.check_sequential()
        self.check_shapes()
        self.check_backbones()
        return self.issues

    def check_edges(self) -> list[Edge]:
        """Edges must join existing nodes; returns the usable ones."""
        ok = []
        for e in self.graph.edges:
            missing = [r.node for r in (e.src, e.dst) if r.node not in self.graph.nodes]
            if missing:
                self.add(ERROR, BAD_EDGE, f"A connection refers to the missing layer {missing[0]!r}.", edge=e,
                         fix="Delete the connection.")
            else:
                ok.append(e)
        return ok

    def check_nodes(self) -> None:
        """Unknown layer types and out-of-range or unknown parameters."""
        for node in self.graph:
            spec = self.specs[node.id]
            if spec is None:
                self.add(ERROR, UNKNOWN_TYPE, f"{node.label} has the unknown layer type {node.type!r}; it cannot be built.",
                         node.id, fix="Replace it with a layer from the palette, or update VisualNN.")
                continue
            known = {p.name for p in spec.all_params}
            for pspec in spec.all_params:
                if pspec.name in node.params:
                    msg = pspec.check(node.params[pspec.name], node.label)
                    if msg:
                        self.add(ERROR, BAD_PARAM, msg, node.id, fix=f"Change {pspec.name} in the inspector.")
            for name in node.params:
                if name not in known:
                    self.add(WARNING, UNKNOWN_PARAM, f"{node.label} ({spec.type}) has no parameter {name!r}; it is ignored.",
                             node.id, fix=f"Remove {name!r} from the layer.")
            if spec.type == BLOCK_TYPE:
                self.check_block_params(node)

    def check_block_params(self, node: Node) -> None:
        """Out-of-range parameters inside the block a Block node uses, named by block and inner layer."""
        block = self.graph.blocks.get(str(node.params.get("block")))
        if block is None:  # inference reports the missing definition
            return
        for inner in block.graph:
            inner_spec = self.registry.get(inner.type)
            for pspec in () if inner_spec is None else inner_spec.params:
                msg = pspec.check(inner.params[pspec.name], inner.label) if pspec.name in inner.params else None
                if msg:
                    self.add(ERROR, BAD_PARAM, f"Inside block {block.name!r} ({node.label}): {msg}", node.id,
                             fix=f"Open the block and change {pspec.name} of {inner.label}.")

    def check_ports(self) -> None:
        """Each input port takes one edge; required ports must be connected; no edges into Input."""
        by_dst: dict[str, list[Edge]] = {}
        for e in self.edges_ok:
            by_dst.setdefault(e.dst.node, []).append(e)
        for node in self.graph:
            spec = self.specs[node.id]
            edges = by_dst.get(node.id, [])
            if spec is None:
                continue
            seen: set[int] = set()
            for e in edges:
                src = self.label(e.src.node)
                if not spec.variadic and e.dst.port >= len(spec.inputs):
                    what = "takes no inputs" if not spec.inputs else f"has {len(spec.inputs)} input port(s)"
                    self.add(ERROR, TOO_MANY_EDGES, f"{node.label} ({spec.type}) {what}; the connection from {src} is extra.",
                             node.id, e, fix=f"Disconnect {src} from {node.label}.")
                elif e.dst.port in seen:
                    self.add(ERROR, TOO_MANY_EDGES,
                             f"{node.label} input {spec.port_name(e.dst.port)} has more than one connection; it accepts one.",
                             node.id, e, fix=f"Disconnect {src} or connect it to another port.")
                seen.add(e.dst.port)
                if e.src.port != 0:
                    self.add(ERROR, BAD_EDGE, f"{src} has a single output (port 0); a connection uses port {e.src.port}.",
                             node.id, e, fix="Reconnect from output port 0.")
            if spec.variadic:
                if len(edges) < spec.min_inputs:
                    self.add(ERROR, UNCONNECTED_INPUT,
                             f"{node.label} ({spec.type}) needs at least {spec.min_inputs} inputs; received {len(edges)}.",
                             node.id, fix=f"Connect more layers into {node.label}.")
            else:
                missing = [spec.port_name(i) for i in range(spec.required_inputs()) if i not in seen]
                if missing:
                    self.add(ERROR, UNCONNECTED_INPUT,
                             f"{node.label} ({spec.type}) input {', '.join(missing)} is not connected.",
                             node.id, fix=f"Connect a layer into {node.label}.")

    def check_names(self) -> None:
        """Keras needs unique layer names, made of the characters TensorFlow accepts (``core.names``)."""
        first: dict[str, str] = {}
        labels = {node.label for node in self.graph}
        for node in self.graph:
            reason = layer_name_reason(node.label)
            if reason:
                fixed = safe_layer_name(node.label, labels)
                labels.add(fixed)  # two bad names never get the same fix
                self.issues.append(Issue(ERROR, BAD_NAME, reason, node.id, fix=f"Rename it to {fixed!r}.",
                                         action={"rename": node.id, "name": fixed}))
            if node.label in first:
                self.add(ERROR, DUPLICATE_NAME,
                         f"{node.label} is used by two layers ({first[node.label]} and {node.id}); Keras needs unique names.",
                         node.id, fix=f"Rename {node.id}.")
            else:
                first[node.label] = node.id

    def is_input(self, node: Node) -> bool:
        """Whether the node is an Input layer."""
        spec = self.specs[node.id]
        return spec is not None and spec.type == "Input"

    def check_structure(self) -> None:
        """Missing Input, cycles, unused inputs, nodes cut off from an Input, dangling extra outputs."""
        graph = self.graph
        inputs = [n.id for n in graph if self.is_input(n)]
        if not inputs:
            self.add(ERROR, MISSING_INPUT, "The model has no Input layer.",
                     fix="Add an Input from the palette and connect it to the first layer.")
        ordered = set(graph.topological_order())
        on_cycle = [nid for nid in graph.nodes if nid not in ordered]
        for nid in on_cycle:
            self.add(ERROR, CYCLE, f"{self.label(nid)} lies on a cycle; models must be acyclic.", nid,
                     fix="Remove one of the connections that loops back.")
        out: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
        for e in self.edges_ok:
            out[e.src.node].append(e.dst.node)
        fed: set[str] = set()
        stack = list(inputs)
        while stack:
            cur = stack.pop()
            if cur not in fed:
                fed.add(cur)
                stack.extend(out[cur])
        # Nodes below an already-flagged node are cut off because of it: one message is enough.
        shadowed: set[str] = set()
        stack = list(self.flagged)
        while stack:
            cur = stack.pop()
            if cur not in shadowed:
                shadowed.add(cur)
                stack.extend(out.get(cur, ()))
        for node in graph:
            if inputs and node.id not in fed and node.id not in shadowed:
                self.add(ERROR, DANGLING, f"{node.label} is not fed by any Input, so it is not part of the model.",
                         node.id, fix=f"Connect {node.label} to the layers before it, or delete it.")
        sinks = [nid for nid in graph.nodes if not out[nid]]
        outputs = [nid for nid in sinks if not self.is_input(graph.nodes[nid])]
        for nid in sinks:
            if self.is_input(graph.nodes[nid]):
                self.add(ERROR, UNUSED_INPUT if len(graph) > 1 else NO_OUTPUT,
                         f"{self.label(nid)} is not connected to any layer, so the model has no output from it.", nid,
                         fix=f"Connect {self.label(nid)} to a layer, or delete it.")
        fed_outputs = [nid for nid in outputs if nid in fed]
        if len(fed_outputs) > 1:
            for nid in fed_outputs[:-1]:
                self.add(WARNING, EXTRA_OUTPUT,
                         f"{self.label(nid)} has no layer after it, so it becomes an extra model output.", nid,
                         fix=f"Connect {self.label(nid)} onward, or delete it if it is left over.")

    def check_sequential(self) -> None:
        """Sequential mode needs what ``keras.Sequential`` can express (the rule lives in ``core.sequential``)."""
        problem = sequential_problem(self.graph, self.registry)
        if problem is not None:
            # Appended, not add()ed: the layer is named for navigation, but its own shape errors still count.
            self.issues.append(Issue(ERROR, SEQUENTIAL_MODE, problem.reason, problem.node_id, fix=problem.fix))

    def report(self) -> ShapeReport:
        """The shapes this pass checks (inferred once, on first use)."""
        if self.shapes is None:
            self.shapes = infer_shapes(self.graph, self.registry)
        return self.shapes

    def check_shapes(self) -> None:
        """Shape errors from inference (merge layers get their own code)."""
        report = self.report()
        for nid, info in report.nodes.items():
            if not info.error or nid in self.flagged or nid not in self.graph.nodes:
                continue
            spec = self.specs.get(nid)
            if spec is not None and spec.category == "merge":
                shapes = ", ".join(fmt_shape(s) for s in info.input_shapes)
                self.add(ERROR, MERGE_SHAPES, f"{self.label(nid)}: {info.error}", nid,
                         fix=f"Make the incoming shapes compatible (received {shapes}), e.g. with a Dense or Reshape.")
            else:
                self.add(ERROR, SHAPE, f"{self.label(nid)}: {info.error}", nid, fix=_fix_of(info.error))


    def check_backbones(self) -> None:
        """Notes on pretrained backbones that work but convert their input (grayscale repeated to RGB)."""
        report = self.report()
        for node in self.graph:
            info = report.nodes.get(node.id)
            note = grayscale_note(node.type, node.label, info.input_shapes) if info and not info.error else None
            if note:
                self.add(WARNING, GRAYSCALE, note, node.id,
                         fix="None needed; for colour images, set the data's colour mode to RGB.")


def _fix_of(message: str) -> str | None:
    """The shape rules put their fix in the message's last sentence; surface it separately."""
    for marker in ("Add ", "Use ", "Check ", "Remove ", "Connect ", "Set "):
        at = message.find(marker)
        if at > 0:
            return message[at:]
    return None
