"""Checks of a model with several Inputs or outputs against its data's named parts (one ``.npz`` array per node).

Each Input node reads the array :meth:`ArrayOptions.input_array` names, each output node is compared
with the array :meth:`ArrayOptions.output_array` names (by default the node's own name, see
:mod:`visualnn.core.model_io`). Every problem names the node and the array, and says how to fix it:
rename the array in the file, or choose the node's array in the Data panel. Pure Python: the arrays'
names, shapes and dtypes come from the inspection's :class:`~visualnn.core.compile_options.DataFacts`.
"""

from __future__ import annotations

from visualnn.core.column_groups import GroupProblem, column_parts, column_width, width_problem
from visualnn.core.compile_options import ArrayFact, CompileIssue, DataFacts
from visualnn.core.dataset import ArrayOptions, ColumnOptions, ImageOptions
from visualnn.core.graph import Graph
from visualnn.core.image_parts import IMAGE_INPUT_SHAPE, image_roles, table_roles
from visualnn.core.model_io import declared_inputs, input_names, output_names
from visualnn.core.specs import fmt_shape

# Stable codes (the Problems list and tests key on them).
PARTS_NEED_NPZ = "parts-need-npz"
PART_MISSING = "part-missing"
PART_SHAPE = "part-shape"
PART_SAMPLES = "part-samples"
PART_UNKNOWN_NODE = "part-unknown-node"
PART_SHARED_ARRAY = "part-shared-array"

_CHOOSE = "choose the array for {node} in the Data panel (Tensors tab)"


def _node_ids(graph: Graph) -> dict[str, str]:
    """Node name (label) -> node id."""
    return {n.label: n.id for n in graph}


def _accepts(declared: list[object], sample: tuple[int, ...]) -> bool:
    """Whether an Input's declared shape takes samples of ``sample`` (None or 0 accepts any size)."""
    return len(declared) == len(sample) and all(d in (None, 0) or d == s for d, s in zip(declared, sample, strict=True))


def check_parts(graph: Graph, mapping: ArrayOptions, facts: DataFacts,
                columns: dict[str, ColumnOptions] | None = None, image: ImageOptions | None = None) -> list[CompileIssue]:
    """Every problem between the model's Input/output nodes and the ``.npz`` arrays (or CSV columns) that feed them.

    A CSV feeds each Input a column group and each output a target column (``columns``: the project's
    column settings, see :mod:`visualnn.core.column_groups`). An image folder (``image``: its settings) feeds
    one Input its images, one output its class folders and the rest its per-image table
    (:mod:`visualnn.core.image_parts`).
    """
    inputs, outputs = input_names(graph), output_names(graph)
    ids = _node_ids(graph)
    source = facts.source or "the data"
    if facts.source_kind == "csv":
        return _column_groups(graph, columns or {}, facts, ids, source)
    if facts.source_kind == "images" and image is not None:
        return _image_parts(graph, image, columns or {}, facts, ids, source)
    if facts.source_kind != "numpy" or not source.lower().endswith(".npz"):  # images, time series
        first = inputs[0] if inputs else None
        return [CompileIssue(
            "error", PARTS_NEED_NPZ,
            f"The model has {len(inputs)} Input(s) ({', '.join(inputs)}) and {len(outputs)} output(s) "
            f"({', '.join(outputs)}), so it takes its data as named parts, one array per Input and output; "
            f"{source} gives one tensor per sample. Save the parts as the arrays of one .npz named after the nodes "
            f"(numpy.savez(path, {', '.join(f'{n}=...' for n in inputs + outputs)})) and choose it in the Data panel.",
            ids.get(first) if first is not None else None, None)]
    arrays = {a.name: a for a in facts.arrays}
    listing = ", ".join(f"{a.name} {fmt_shape((None, *a.shape[1:]))}" for a in facts.arrays) or "none"
    issues: list[CompileIssue] = []
    issues += _unknown_nodes(mapping.inputs, inputs, "Input", ids)
    issues += _unknown_nodes(mapping.outputs, outputs, "output", ids)
    found: list[tuple[str, str, ArrayFact]] = []  # (role word, node, array) of every part whose array exists
    for role, names, pick in (("Input", inputs, mapping.input_array), ("output", outputs, mapping.output_array)):
        for node in names:
            array = pick(node)
            fact = arrays.get(array)
            if fact is None or not fact.shape:
                how = "it reads the array of its own name" if array == node else f"it is mapped to the array {array!r}"
                issues.append(CompileIssue(
                    "error", PART_MISSING,
                    f"{role} {node} has no array in {source}: {how}, and {source} holds {listing}. Rename an array "
                    f"in the file to {node!r}, or {_CHOOSE.format(node=node)}.",
                    ids.get(node), None))
                continue
            found.append((role, node, fact))
            if role == "Input":
                issues += _input_shape(graph, ids.get(node), node, fact, source)
    issues += _shared_arrays(found, ids)
    issues += _sample_counts(found, ids, source)
    return issues


def _image_parts(graph: Graph, image: ImageOptions, columns: dict[str, ColumnOptions], facts: DataFacts,
                 ids: dict[str, str], source: str) -> list[CompileIssue]:
    """An image folder and its per-image table against the model's Inputs and outputs (codes of image_parts)."""
    roles = image_roles(declared_inputs(graph), output_names(graph), image, source)
    problems = list(roles.problems)
    if image.table is not None and not problems:
        table = image.table
        names = [c.name for c in facts.columns]
        features, targets, found = table_roles(columns, names, roles, table)
        problems += found
        if not found:
            problems += _group_problems(graph, columns, facts, ids, table, features, targets, roles.table_inputs,
                                        roles.table_outputs)
    want = [int(image.image_size[0]), int(image.image_size[1]), image.channels]
    return [_issue(p, ids, want if p.code == IMAGE_INPUT_SHAPE else None) for p in problems]


def _issue(p: GroupProblem, ids: dict[str, str], shape: list[int] | None = None) -> CompileIssue:
    """A column-group or image-part problem as a compile issue; a wrong Input shape gets its one-click fix."""
    node_id = ids.get(p.node) if p.node is not None else None
    value = shape if shape is not None else ([p.width] if p.width is not None else None)
    fix = {"node": node_id, "param": "shape", "value": value} if value is not None and node_id else None
    return CompileIssue("error", p.code, p.message, node_id, fix)


def _column_groups(graph: Graph, columns: dict[str, ColumnOptions], facts: DataFacts, ids: dict[str, str],
                   source: str) -> list[CompileIssue]:
    """A CSV's column groups and target columns against the model's Inputs and outputs (codes of column_groups)."""
    features = [c.name for c in facts.columns]
    problems = _group_problems(graph, columns, facts, ids, source, features, list(facts.targets), input_names(graph),
                               output_names(graph))
    return [_issue(p, ids) for p in problems]


def _group_problems(graph: Graph, columns: dict[str, ColumnOptions], facts: DataFacts, ids: dict[str, str],
                    source: str, features: list[str], targets: list[str], inputs: list[str],
                    outputs: list[str]) -> list[GroupProblem]:
    """The column mapping's problems and each complete group's width against its Input's declared shape."""
    mapping = column_parts(columns, features, targets, inputs, outputs, source)
    problems = list(mapping.problems)
    by_name = {c.name: c for c in facts.columns}
    grouped = not any(p.code.startswith("group-") for p in problems)  # widths of incomplete groups say nothing
    for node, cols in mapping.groups.items() if grouped else ():
        if not cols or node not in ids:
            continue
        width = 0
        for col in cols:
            opts = columns.get(col, ColumnOptions())
            width += column_width(opts.kind or by_name[col].kind, by_name[col].n_unique, opts.encoding)
        found = width_problem(node, graph.nodes[ids[node]].params.get("shape"), cols, width, source)
        if found is not None:
            problems.append(found)
    return problems


def _unknown_nodes(chosen: dict[str, str] | None, names: list[str], role: str, ids: dict[str, str]) -> list[CompileIssue]:
    """Mappings that name an Input or output the model does not have (a node renamed or deleted since)."""
    out = []
    for node, array in (chosen or {}).items():
        if node not in names:
            have = ", ".join(names) or "none"
            out.append(CompileIssue(
                "error", PART_UNKNOWN_NODE,
                f"The data maps the array {array!r} to the {role} {node!r}, but the model has no {role} of that name "
                f"(its {role}s: {have}). Choose the arrays again in the Data panel (Tensors tab), or rename the "
                f"{role} back to {node!r}.",
                ids.get(node), None))
    return out


def _input_shape(graph: Graph, node_id: str | None, node: str, fact: ArrayFact, source: str) -> list[CompileIssue]:
    """The Input's declared shape must take one sample of its array."""
    if node_id is None:
        return []
    declared = graph.nodes[node_id].params.get("shape")
    sample = tuple(int(d) for d in fact.shape[1:])
    if not isinstance(declared, list) or _accepts(declared, sample):
        return []
    have = fmt_shape((None, *(d if isinstance(d, int) else None for d in declared)))
    return [CompileIssue(
        "error", PART_SHAPE,
        f"Input {node} declares {have}, but the array {fact.name!r} of {source} gives samples of "
        f"{fmt_shape((None, *sample))}. Set {node}'s shape to {list(sample)}, or {_CHOOSE.format(node=node)}.",
        node_id, {"node": node_id, "param": "shape", "value": list(sample)})]


def _shared_arrays(found: list[tuple[str, str, ArrayFact]], ids: dict[str, str]) -> list[CompileIssue]:
    """One array feeding two nodes: each Input and output needs its own array."""
    by_array: dict[str, list[tuple[str, str]]] = {}
    for role, node, fact in found:
        by_array.setdefault(fact.name, []).append((role, node))
    out = []
    for array, users in by_array.items():
        if len(users) < 2:
            continue
        names = " and ".join(f"{role} {node}" for role, node in users)
        last = users[-1][1]
        out.append(CompileIssue(
            "error", PART_SHARED_ARRAY,
            f"The array {array!r} feeds both {names}; each Input and output needs its own array. "
            f"Choose another array for {last} in the Data panel (Tensors tab).",
            ids.get(last), None))
    return out


def _sample_counts(found: list[tuple[str, str, ArrayFact]], ids: dict[str, str], source: str) -> list[CompileIssue]:
    """Every part needs the same number of samples on axis 0 (one row of each per sample)."""
    if not found:
        return []
    ref_role, ref_node, ref = found[0]
    out = []
    for role, node, fact in found[1:]:
        if fact.shape[0] != ref.shape[0]:
            out.append(CompileIssue(
                "error", PART_SAMPLES,
                f"The array {fact.name!r} ({role} {node}) has {fact.shape[0]} samples but {ref.name!r} "
                f"({ref_role} {ref_node}) has {ref.shape[0]}; every part of {source} needs the same number of samples "
                "on axis 0, sample i of each array belonging together. Save the arrays with the same samples.",
                ids.get(node), None))
    return out


__all__ = ["PARTS_NEED_NPZ", "PART_MISSING", "PART_SAMPLES", "PART_SHAPE", "PART_SHARED_ARRAY", "PART_UNKNOWN_NODE",
           "check_parts"]
