"""What the exported script must know about the data that only reading it tells (TF-free).

The CSV format, each column's kind and missing-value rule, the targets and the detected task:
the script then repeats the data service's algorithm with those decisions fixed, so it sees the
same tensors as the app. Statistics (means, categories, fill values) are recomputed by the
script from the training split, as the app does.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.model_io import input_names, is_multi_io, output_names
from visualnn.core.paths import relative_path, resolve_path
from visualnn.core.project import Project


def script_facts(project: Project, base_dir: str, script_dir: str | None = None) -> dict[str, Any] | None:
    """The ``DATA`` settings of the exported script, or ``None`` when the project has no dataset.

    ``script_dir`` is where the script will live (data paths are written relative to it).
    Raises the data service's ``DataError`` when the data cannot be read.
    """
    spec = project.dataset
    if spec is None:
        return None
    path = resolve_path(spec.path, base_dir)
    split = spec.split()
    facts: dict[str, Any] = {
        "path": path if script_dir is None else relative_path(path, script_dir),
        "val": float(split.val),
        "test": float(split.test),
        "split_seed": int(split.seed),
        "stratify": bool(split.stratify),
        "target_encoding": spec.target_encoding(),
        "scaling": spec.scaling(),
    }
    abs_spec = spec.with_path(path)
    if spec.kind in ("csv", "timeseries"):
        from visualnn.services.datasets.tables import read_table

        read = read_table(path, spec.csv(), spec.max_bytes())
        facts.update(read.format.to_dict())
        if spec.kind == "csv" and is_multi_io(project.graph):
            facts.update(_csv_parts(project, abs_spec, read.table, read.format.header))
        elif spec.kind == "csv":
            facts.update(_csv(abs_spec, read.table, read.format.header))
        elif is_multi_io(project.graph) or len(spec.window().targets or ()) > 1:
            facts.update(_series_targets(project, abs_spec, read.table, read.format.header))
        else:
            from visualnn.services.datasets.timeseries import timeseries_columns

            features, target = timeseries_columns(abs_spec, read.table, read.format.header)
            window = spec.window()
            facts.update(features=features, target=target, length=int(window.length), stride=int(window.stride),
                         horizon=int(window.horizon), task="regression")
    elif spec.kind == "numpy" and is_multi_io(project.graph):
        facts.update(_named_parts(project, abs_spec, path))
    elif spec.kind == "numpy":
        from visualnn.services.datasets.arrays import encode_array_targets, load_arrays

        pair = load_arrays(path, spec.arrays(), os.path.dirname(path), spec.max_bytes(), mmap=True)
        task = spec.task()
        if pair.y is not None:
            task = encode_array_targets(pair.y, abs_spec, path)[0]
        facts.update(features_array=pair.x_name, targets_array=pair.y_name, task=task,
                     targets_path=spec.arrays().targets_path)
    elif spec.kind == "images" and (spec.image().table is not None or is_multi_io(project.graph)):
        facts.update(_image_table(project, abs_spec, base_dir, script_dir))
    elif spec.kind == "images":
        from visualnn.services.datasets.images import scan_image_folder

        image = spec.image()
        scan = scan_image_folder(path, sample_size=0)  # the class names only
        facts.update(image_size=list(image.image_size), channels=image.channels, rescale=image.rescale,
                     task=spec.task() or ("binary" if len(scan.class_names) == 2 else "multiclass"))
    return facts


def _named_parts(project: Project, spec: Any, path: str) -> dict[str, Any]:
    """Models with several Inputs or outputs: which .npz array feeds each Input and each output, and each
    output's task (the script encodes each target on its own, as the app does)."""
    from visualnn.services.datasets.arrays import encode_array_targets, npz_headers, read_npz_arrays
    from visualnn.services.datasets.errors import DataError

    arrays = spec.arrays()
    inputs = [{"name": n, "array": arrays.input_array(n)} for n in input_names(project.graph)]
    outputs = [{"name": n, "array": arrays.output_array(n)} for n in output_names(project.graph)]
    try:
        headers = npz_headers(path)  # sizes from the .npy headers first: a compressed bomb is never inflated
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror or exc}).", path) from exc
    held = list(headers)
    for part in inputs + outputs:
        if part["array"] not in held:
            role = "Input" if part in inputs else "output"
            raise DataError(f"{path} has no array {part['array']!r} for the {role} {part['name']!r}; its arrays "
                            f"are {', '.join(held)}. Rename the array or map it in the Data panel.", path)
    targets = read_npz_arrays(path, [p["array"] for p in outputs], spec.max_bytes())[1]
    # A task forced in the Data panel describes one target; with several, each output's is detected.
    own = spec if len(outputs) == 1 else spec.with_options(task=None)
    for part in outputs:
        part["task"] = encode_array_targets(targets[part["array"]], own, path)[0]
    return {"inputs": inputs, "outputs": outputs, "task": outputs[0]["task"] if outputs else None}


def _series_targets(project: Project, spec: Any, table: Any, header: bool) -> dict[str, Any]:
    """A time series with several target columns: the columns in output order, and with several outputs the
    Input that takes the windows and the column each output predicts (the app's rules, ``series_targets``)."""
    from visualnn.services.datasets.timeseries import one_input, series_targets

    inputs, outputs = input_names(project.graph), output_names(project.graph)
    one_input(inputs)
    features, targets, mapping = series_targets(spec, table, header, outputs)
    window = spec.window()
    facts: dict[str, Any] = {"features": features, "targets": targets, "target": targets[0],
                             "length": int(window.length), "stride": int(window.stride),
                             "horizon": int(window.horizon), "task": "regression"}
    if mapping:
        facts.update(input=inputs[0], outputs=[{"name": node, "column": column} for node, column in mapping.items()])
    return facts


def _csv(spec: Any, table: Any, header: bool) -> dict[str, Any]:
    from visualnn.services.datasets.columns import analyze_column
    from visualnn.services.datasets.tabular import build_arrays

    arrays = build_arrays(spec, table, header)
    plan = arrays.stats["features"]
    features = []
    taken: set[str] = set()
    for p in plan:
        entry = {"name": p["name"], "kind": p["kind"], "missing": p["missing"]}
        entry.update({"encoding": p["encoding"]} if p["kind"] == "categorical" else {"scaling": p["scaling"]})
        entry.update({"text": True} if p.get("text") else {})  # yes/no words: the saved model takes the words
        features.append(_named_input(entry, taken))
    targets = []
    for name in arrays.stats["targets"]:
        info = analyze_column(name, table.column(name), spec.path, header)
        targets.append({"name": name, "kind": spec.column(name).kind or info.kind})
    return {"features": features, "targets": targets, "task": arrays.task, "fill_value": spec.missing().fill_value}


def _csv_parts(project: Project, spec: Any, table: Any, header: bool) -> dict[str, Any]:
    """Models with several Inputs or outputs on a CSV: each Input's column group and each output's target column."""
    from visualnn.services.datasets.tabular import table_parts

    ins, outs = input_names(project.graph), output_names(project.graph)
    mapping = table_parts(spec, list(table.column_names), ins, outs)
    return _column_groups(spec, table, header, mapping, ins, outs)


def _image_table(project: Project, spec: Any, base_dir: str, script_dir: str | None) -> dict[str, Any]:
    """An image folder with its per-image table, matched as training matches it: the table (its format and key
    column), which Input takes the images and which output the class folders, the images skipped as unreadable,
    and the table's column groups and target columns (read from the rows in the images' order)."""
    from visualnn.core.model_io import model_inputs
    from visualnn.services.datasets.image_keys import class_task, match_image_table

    ins, outs = input_names(project.graph), output_names(project.graph)
    image = spec.image()
    if image.table is not None:
        table = resolve_path(image.table, base_dir)
        spec = spec.with_options(image={**(spec.options.get("image") or {}), "table": table})
    shapes = {port.name: port.shape for port in model_inputs(project.graph)}
    found = match_image_table(spec, ins, outs, shapes)
    roles = found.roles
    klass = roles.class_output
    folders = {klass: class_task(spec, found.images, outs)} if klass is not None else {}
    table_path = found.table_path
    facts: dict[str, Any] = {
        "table": table_path if script_dir is None or table_path is None else relative_path(table_path, script_dir),
        "key": found.key, **found.csv_format, "image_input": roles.image_input, "class_output": klass,
        "image_size": list(image.image_size), "channels": image.channels, "rescale": image.rescale,
        "skipped": sorted(os.path.relpath(p, spec.path).replace(os.sep, "/") for p, _ in found.images.skipped),
    }
    facts.update(_column_groups(spec.with_path(table_path or spec.path), found.aligned, found.header, found.mapping,
                                roles.table_inputs, outs, folders, taken={roles.image_input} if roles.image_input else None))
    return facts


def _named_input(entry: dict[str, Any], taken: set[str]) -> dict[str, Any]:
    """``entry`` (one column's facts) with the name of its raw Keras ``Input`` under ``"input"`` where that is not
    the column's own name: the name the app's exported model gives it (Keras refuses ``/`` and the like)."""
    from visualnn.core.names import input_key

    key = input_key(entry["name"], taken)
    return entry if key == entry["name"] else {**entry, "input": key}


def _column_groups(spec: Any, table: Any, header: bool, mapping: Any, ins: list[str], outs: list[str],
                   folders: dict[str, str] | None = None, taken: set[str] | None = None) -> dict[str, Any]:
    """Each Input's column group (with each column's kind, missing-value rule, encoding or scaling) and each
    output's target column and task, as the app reads them; an output in ``folders`` (its task) predicts the
    image's class folder instead of a column. ``taken``: raw Input names already used (the images' Input)."""
    from visualnn.services.datasets.columns import analyze_column, in_words
    from visualnn.services.datasets.tabular import _encode_targets, _missing_strategy

    folders = folders or {}
    taken = set(taken or ())
    inputs = []
    for name in ins:
        features = []
        for col in mapping.groups[name]:
            info = analyze_column(col, table.column(col), spec.path, header, detail=False)
            kind = spec.column(col).kind or info.kind
            entry = {"name": col, "kind": kind, "missing": _missing_strategy(spec, col, kind)}
            entry.update({"encoding": spec.column(col).encoding} if kind == "categorical" else
                         {"scaling": spec.scaling() if kind == "numeric" else "none"})
            entry.update({"text": True} if in_words(kind, info) else {})
            features.append(_named_input(entry, taken))
        inputs.append({"name": name, "features": features})
    own = spec if len(outs) == 1 else spec.with_options(task=None)
    outputs: list[dict[str, Any]] = []
    for name in outs:
        if name in folders:
            outputs.append({"name": name, "folders": True, "task": folders[name]})
            continue
        col = mapping.targets[name]
        info = analyze_column(col, table.column(col), spec.path, header, detail=False)
        task = _encode_targets(own, [info], [table.column(col)], header)[0]
        outputs.append({"name": name, "column": col, "kind": spec.column(col).kind or info.kind, "task": task})
    return {"inputs": inputs, "outputs": outputs, "task": outputs[0]["task"], "fill_value": spec.missing().fill_value}
