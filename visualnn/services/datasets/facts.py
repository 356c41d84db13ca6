"""What validation needs to know about a project's data, read from a TensorFlow-free inspection.

``facts_of(info)`` turns an :class:`~visualnn.services.datasets.source_info.SourceInfo` into the plain
:class:`~visualnn.core.compile_options.DataFacts` that core validation compares the model with
(the window passes the Data panel's inspection; ``visualnn check`` inspects here, synchronously).
TF-free: the window may import it.
"""

from __future__ import annotations

import os

from visualnn.core.compile_options import ArrayFact, DataFacts, FeatureColumn
from visualnn.core.model_io import declared_inputs, input_names, output_names
from visualnn.core.project import Project
from visualnn.core.project.io import resolve_data_path
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.source_info import SourceInfo

# The inspection's tensor kinds -> DataFacts.input_kind.
_INPUT_KIND = {"vector": "table", "sequence": "sequence", "image": "images", "video": "video"}
_TASK = {"binary": "classification", "multiclass": "classification", "multilabel": "classification",
         "regression": "regression"}


def facts_of(info: SourceInfo) -> DataFacts:
    """The facts of an inspected source: task and classes, label format, one sample's x and y shapes."""
    source = os.path.basename(os.path.normpath(info.path)) or info.path
    if info.kind == "images" and info.format.get("table"):  # images + per-image table: the table's columns
        return DataFacts(task="unknown", source=source, source_kind="images", columns=tuple(
            FeatureColumn(c.name, c.kind, c.n_unique, c.n_missing) for c in info.columns))
    x = next((t for t in info.tensors if t.name == "x"), None)
    y = next((t for t in info.tensors if t.name == "y"), None)
    task = _TASK.get(info.task or "", "unknown")
    if info.task == "multilabel":
        label_format = "multilabel"
    elif task == "regression":
        label_format = "float"
    elif info.task == "multiclass" and y is not None and y.rank == 2:
        label_format = "onehot"
    else:
        label_format = "int"
    return DataFacts(
        task=task,
        n_classes=len(info.class_names),
        label_format=label_format,
        input_kind=_INPUT_KIND.get(x.kind or "", "table") if x is not None else "table",
        input_shape=tuple(info.input_shape) if x is not None and all(info.input_shape) else None,
        target_shape=tuple(int(d or 0) for d in y.sample_shape) if y is not None else None,
        source=source,
        columns=_feature_columns(info),
        input_dtype=str(info.arrays.get(str(info.format.get("features")), {}).get("dtype", "")) if info.arrays else "",
        source_kind=info.kind,
        arrays=tuple(ArrayFact(name, tuple(int(d) for d in meta["shape"]), str(meta["dtype"]))
                     for name, meta in info.arrays.items()) if info.path.lower().endswith(".npz") else (),
        targets=tuple(info.targets) if info.kind in ("csv", "timeseries") else (),
        target_stats=info.target_stats,
        class_counts=tuple(int(c) for c in info.classes.values()) if task == "classification" else (),
        class_names=tuple(str(n) for n in info.classes) if task == "classification" else (),
        outputs=_output_facts(info, source),
    )


def _output_facts(info: SourceInfo, source: str) -> tuple[tuple[str, DataFacts], ...]:
    """Each output's own target facts (named parts with several outputs): task, classes, label format, shape."""
    targets = [p for p in info.parts if p.role == "target" and p.tensor is not None and p.task]
    if len(targets) < 2:
        return ()
    out = []
    for part in targets:
        task = _TASK.get(str(part.task), "unknown")
        sample = tuple(int(d or 0) for d in (part.tensor.shape[1:] if part.tensor is not None else ()))
        onehot = part.task == "multiclass" and len(sample) == 1 and sample[0] > 1
        label_format = ("multilabel" if part.task == "multilabel" else "float" if task == "regression"
                        else "onehot" if onehot else "int")
        out.append((part.node, DataFacts(task=task, n_classes=len(part.class_names), label_format=label_format,
                                         target_shape=sample if task == "regression" else None,
                                         source=f"{source}: {part.array}", class_names=tuple(part.class_names))))
    return tuple(out)


def _feature_columns(info: SourceInfo) -> tuple[FeatureColumn, ...]:
    """The table's feature columns in order (empty for images and arrays; a time series: every column, so the
    checks of its target columns know which exist and which are numeric)."""
    if info.kind == "timeseries":
        return tuple(FeatureColumn(c.name, c.kind if not c.all_missing else "missing values only", c.n_unique,
                                   c.n_missing) for c in info.columns)
    if info.kind != "csv":
        return ()
    by_name = {c.name: c for c in info.columns}
    return tuple(FeatureColumn(c.name, c.kind, c.n_unique, c.n_missing, c.n_rows)
                 for c in (by_name.get(name) for name in info.features) if c is not None)


def project_facts(project: Project) -> DataFacts | None:
    """Inspect the project's dataset (path relative to the project file) and return its facts.

    None when the project has no dataset; raises the data service's ``DataError`` when it cannot be read.
    A model with several Inputs or outputs has its ``.npz`` read as named parts (one array per node).
    """
    spec = project.dataset
    if spec is None:
        return None
    root = resolve_data_path(project, spec.path)
    options = dict(spec.options)
    table = spec.image().table if spec.kind == "images" else None
    if table is not None:  # an image folder with a per-image table (stored relative to the project)
        options["image"] = {**dict(options.get("image") or {}), "table": resolve_data_path(project, table)}
    info = inspect_source(root, options, kind=spec.kind, inputs=input_names(project.graph),
                          outputs=output_names(project.graph), shapes=dict(declared_inputs(project.graph)))
    return facts_of(info)


__all__ = ["facts_of", "project_facts"]
