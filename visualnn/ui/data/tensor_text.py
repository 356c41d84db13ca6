"""The Data panel's texts about an inspected source: the one-line summary, the Tensors tab and the tf.data code.

Pure functions of the inspection (``services.datasets.inspect``'s result) and the working DatasetSpec, so the
panel only puts them on screen.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.tensor_card import source_data_card


def summary_text(info: Any) -> str:
    """One line: the source kind, its samples and the x tensor (or the named parts it feeds)."""
    if info.parts:
        n_in = sum(p.role == "input" for p in info.parts)
        missing = sum(p.tensor is None for p in info.parts)
        gap = f" · {missing} without an array (see Problems)" if missing else ""
        return (f"{info.kind}: {info.n_samples} samples → named parts for {n_in} input(s) and "
                f"{len(info.parts) - n_in} output(s){gap}")
    x = next((t for t in info.tensors if t.name == "x"), None)
    shape = f" → {x.describe()}" if x is not None else ""
    note = " · no test split (too little data; see Problems)" if info.split_note else ""
    return f"{info.kind}: {info.n_samples} samples{shape}{note}"


def tensor_lines(info: Any, spec: DatasetSpec | None) -> list[str]:
    """The Tensors tab: each tensor (or each named part and its node), the task, the suggested output, the
    Input shape and the Tensor card of what the model receives."""
    if info.parts:
        return [f"{p.node} ({'Input' if p.role == 'input' else 'output'}) ← "
                + (p.tensor.describe() if p.tensor is not None else f"{p.array}: no such array")
                + (f" · {p.task}" + (f" [{', '.join(p.class_names)}]" if p.class_names else "") if p.task else "")
                for p in info.parts]
    lines = []
    for t in info.tensors:
        lines.append(t.describe())
        if t.sample:
            lines.append(f"    first sample: {t.sample}")
    if info.task:
        counts = info.classes or {}
        names = f" [{', '.join(f'{n} ({counts[n]})' if n in counts else n for n in info.class_names)}]" \
            if info.class_names else ""
        lines += ["", f"task: {info.task}{names}"]
    if info.target_stats is not None:
        lines.append(info.target_line())
    if info.suggestion is not None:
        lines.append(f"suggested output: {info.suggestion.describe()}")
    if info.input_shape:
        lines.append(f"Input shape (one sample, no batch axis): {list(info.input_shape)}")
        rescale = spec.image().rescale if spec is not None and spec.kind == "images" else "none"
        card = source_data_card(spec.kind if spec is not None else None, info.input_shape, rescale)
        lines += ["", "Tensor card (what the model receives, and the TensorFlow code that makes it):", card.text()]
    return lines


def pipeline_text(spec: DatasetSpec, info: Any) -> str:
    """The tf.data code of the spec's pipeline for the training split (``from_tensor_slices``, shuffle, batch)."""
    from visualnn.services.datasets.pipeline_code import pipeline_code

    split = spec.split()
    n_train = max(1, int(info.n_samples * split.train + 0.5))
    parts = info.parts
    x_name = "x_train" if parts or spec.kind != "images" else "image_paths_train"
    names = {role: [p.node for p in parts if p.role == role] for role in ("input", "target")}
    return pipeline_code(spec.pipeline(), n_train, split.seed, x_name,
                         x_names=names["input"] or None, y_names=names["target"] or None)
