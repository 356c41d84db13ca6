"""The named parts an inspection shows: a CSV's column groups and target columns, an image folder's (TF-free).

A CSV feeding a model with several Inputs or outputs shows one part per column group and target column
(:func:`column_part_infos`). An image folder feeding a model with several Inputs or outputs, or read with a per-image table, is
shown as one part per node: the images' Input (samples x height x width x channels), the output compared
with the class folders, and each other Input's column group and output's target column of the table, as
a CSV's column groups are shown. The roles resolve in :mod:`visualnn.core.image_parts`, the rows match
the images as training matches them (:func:`~visualnn.services.datasets.image_keys.match_rows`), so a
key that names no image is reported here with the words training would use. The table's columns (key
column left out) and first rows fill the Columns tab, where their roles and the nodes they feed are chosen.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.image_parts import ImageRoles, image_roles, table_roles
from visualnn.core.tensors import TensorInfo
from visualnn.services.datasets.errors import DataError, Problem
from visualnn.services.datasets.source_info import PREVIEW_ROWS, PartInfo, SourceInfo, cell

Shape = tuple[int | None, ...] | None


def add_image_parts(spec: DatasetSpec, info: SourceInfo, inputs: list[str], outputs: list[str],
                    shapes: dict[str, Shape] | None = None) -> None:
    """Fill ``info.parts`` (and, with a table, its columns, preview, features and targets) in model order.

    ``spec.image().table`` must be absolute (or relative to the working directory); ``shapes`` are the
    Inputs' declared sample shapes, which tell the images' Input when the settings name none. A problem
    (a role that cannot be resolved, a table whose rows do not match the images) is added to
    ``info.problems`` and leaves the parts it concerns without a tensor: validation names the node.
    """
    from visualnn.services.datasets.image_keys import list_images
    opts = spec.image()
    roles = image_roles([(n, (shapes or {}).get(n)) for n in inputs], outputs, opts, spec.path)
    info.problems += [Problem("warning", p.message) for p in roles.problems]
    images = list_images(spec.path, roles.class_output is not None)
    n = len(images.files)
    info.n_samples = n
    found: dict[tuple[str, str], PartInfo] = {}
    if opts.table is not None:  # a table that cannot be read or matched fails the inspection, naming file and row
        found = _table_parts(spec, info, roles, images, inputs, outputs)
    image = TensorInfo(roles.image_input or "images", (n, int(opts.image_size[0]), int(opts.image_size[1]),
                                                        opts.channels), "float32", "image")
    parts: list[PartInfo] = []
    for node in inputs:
        if node == roles.image_input:
            parts.append(PartInfo("input", node, "images", image))
        else:
            parts.append(found.get(("input", node)) or PartInfo("input", node, "", None))
    for node in outputs:
        if node == roles.class_output:
            parts.append(_class_part(spec, node, images.class_names, n, len(outputs)))
        else:
            parts.append(found.get(("target", node)) or PartInfo("target", node, "", None))
    info.parts = parts


def _class_part(spec: DatasetSpec, node: str, class_names: list[str], n: int, n_outputs: int) -> PartInfo:
    """The output compared with the class folders: one label per image, as training encodes it."""
    task = "binary" if len(class_names) == 2 else "multiclass"
    if n_outputs == 1 and spec.task() in ("binary", "multiclass"):
        task = str(spec.task())
    index = task == "multiclass" and spec.target_encoding() == "index"
    shape = (n,) if index else (n, len(class_names) if task == "multiclass" else 1)
    tensor = TensorInfo(node, shape, "int32" if index else "float32", "labels")
    return PartInfo("target", node, "class folders", tensor, task, tuple(class_names))


def _table_parts(spec: DatasetSpec, info: SourceInfo, roles: ImageRoles, images: Any, inputs: list[str],
                 outputs: list[str]) -> dict[tuple[str, str], PartInfo]:
    """The table's columns into ``info`` and the parts its column groups and target columns feed."""
    import numpy as np

    from visualnn.services.datasets.columns import analyze_table
    from visualnn.services.datasets.image_keys import read_matched_table

    path = str(spec.image().table)
    read, match = read_matched_table(spec, images, path)
    table, header = read.table, read.format.header
    info.problems += read.problems
    names = [str(c) for c in table.column_names if c != match.key]
    aligned = table.select(names).take(np.asarray(match.rows, dtype=np.int64))
    info.columns = analyze_table(aligned, path, header)
    head = aligned.slice(0, PREVIEW_ROWS).to_pylist()
    info.preview = [[cell(row[c]) for c in names] for row in head]
    features, targets, problems = table_roles(spec.columns(), names, roles, path)
    info.problems += [Problem("warning", p.message) for p in problems]
    info.features, info.targets = features, targets
    info.format = dict(info.format, table=path, key=match.key)
    table_nodes = [n for n in inputs if n in roles.table_inputs], [n for n in outputs if n in roles.table_outputs]
    if not table_nodes[0] and not table_nodes[1]:
        return {}
    own = SourceInfo(path, "csv", columns=info.columns, features=features, targets=targets)
    column_part_infos(spec.with_path(path), aligned, header, own, *table_nodes)
    info.problems += own.problems
    return {(p.role, p.node): p for p in own.parts}


def column_part_infos(spec: DatasetSpec, table: Any, header: bool, info: SourceInfo, inputs: list[str],
                       outputs: list[str]) -> list[str]:
    """Fill ``info.parts`` with each Input's column group and each output's target column; return the target
    column that sets the task shown (the first output's), as a one-element list.

    A mapping problem is no error here (validation names the column and the node); the part shows no tensor.
    """
    from visualnn.core.column_groups import column_parts, column_width
    from visualnn.services.datasets.tabular import _encode_targets

    mapping = column_parts(spec.columns(), info.features, info.targets, inputs, outputs, spec.path)
    by_name = {c.name: c for c in info.columns}
    n = table.num_rows
    for node in inputs:
        cols = mapping.groups.get(node) or []
        width = sum(column_width(spec.column(c).kind or by_name[c].kind, by_name[c].n_unique, spec.column(c).encoding)
                    for c in cols)
        tensor = TensorInfo(node, (n, width), "float32", "vector") if cols else None
        info.parts.append(PartInfo("input", node, ", ".join(cols), tensor))
    own = spec if len(outputs) == 1 else spec.with_options(task=None)
    for node in outputs:
        col = mapping.targets.get(node)
        if col is None:
            info.parts.append(PartInfo("target", node, "", None))
            continue
        try:
            task, names, _codes, _ = _encode_targets(own, [by_name[col]], [table.column(col)], header)
        except DataError as exc:
            info.problems.append(Problem("warning", f"Output {node}: {exc}"))
            info.parts.append(PartInfo("target", node, col, TensorInfo(col, (n,), "float32", "labels")))
            continue
        index = task == "multiclass" and spec.target_encoding() == "index"
        shape = (n,) if index else (n, len(names) if task == "multiclass" else 1)
        tensor = TensorInfo(col, shape, "int32" if index else "float32", "labels")
        info.parts.append(PartInfo("target", node, col, tensor, task, tuple(names)))
    first = mapping.targets.get(outputs[0]) if outputs else None
    return [first] if first is not None else info.targets[:1]


__all__ = ["add_image_parts", "column_part_infos"]
