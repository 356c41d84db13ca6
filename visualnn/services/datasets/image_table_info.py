"""What an image folder feeds as named parts, for the Data panel and ``visualnn data inspect`` (TF-free).

An image folder feeding a model with several Inputs or outputs, or read with a per-image table, is
shown as one part per node: the images' Input (samples x height x width x channels), the output compared
with the class folders, and each other Input's column group and output's target column of the table, as
a CSV's column groups are shown. The roles resolve in :mod:`visualnn.core.image_parts`, the rows match
the images as training matches them (:func:`~visualnn.services.datasets.image_keys.match_rows`), so a
key that names no image is reported here with the words training would use. The table's columns (key
column left out) and first rows fill the Columns tab, where their roles and the nodes they feed are chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.image_parts import ImageRoles, image_roles, table_roles
from visualnn.core.tensors import TensorInfo
from visualnn.services.datasets.errors import Problem

if TYPE_CHECKING:
    from visualnn.services.datasets.inspect import PartInfo, SourceInfo

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
    from visualnn.services.datasets.inspect import PartInfo

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
    from visualnn.services.datasets.inspect import PartInfo

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
    import os

    import numpy as np

    from visualnn.services.datasets.columns import analyze_table, text_values
    from visualnn.services.datasets.errors import missing_path_error
    from visualnn.services.datasets.image_keys import match_rows
    from visualnn.services.datasets.inspect import PREVIEW_ROWS, _cell, _column_part_infos
    from visualnn.services.datasets.tables import read_table

    path = str(spec.image().table)
    if not os.path.exists(path):
        raise missing_path_error(path, "file")
    read = read_table(path, spec.csv(), spec.max_bytes())
    table, header = read.table, read.format.header
    info.problems += read.problems
    texts = {str(c): text_values(table.column(c)).tolist() for c in table.column_names}
    match = match_rows(images, path, texts, spec.image().key, header)
    names = [str(c) for c in table.column_names if c != match.key]
    aligned = table.select(names).take(np.asarray(match.rows, dtype=np.int64))
    info.columns = analyze_table(aligned, path, header)
    head = aligned.slice(0, PREVIEW_ROWS).to_pylist()
    info.preview = [[_cell(row[c]) for c in names] for row in head]
    features, targets, problems = table_roles(spec.columns(), names, roles, path)
    info.problems += [Problem("warning", p.message) for p in problems]
    info.features, info.targets = features, targets
    info.format = dict(info.format, table=path, key=match.key)
    table_nodes = [n for n in inputs if n in roles.table_inputs], [n for n in outputs if n in roles.table_outputs]
    if not table_nodes[0] and not table_nodes[1]:
        return {}
    from visualnn.services.datasets.inspect import SourceInfo

    own = SourceInfo(path, "csv", columns=info.columns, features=features, targets=targets)
    _column_part_infos(spec.with_path(path), aligned, header, own, *table_nodes)
    info.problems += own.problems
    return {(p.role, p.node): p for p in own.parts}


__all__ = ["add_image_parts"]
