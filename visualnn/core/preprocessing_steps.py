"""The preprocessing the attached data implies, as the Keras layers an exported model gets in front.

The data service scales and encodes the data before the model sees it (statistics from the
training split); an exported model and the script's ``with_preprocessing(model)`` repeat those
steps as Keras preprocessing layers (``services/preprocessing.py``, ``core/codegen``). The canvas
shows them in front of the Input node. :func:`preprocessing_steps` names them from what is known
before any training: the project's :class:`DatasetSpec` (scaling, column kinds and encodings, image
options) and the :class:`DataFacts` of the Data panel's inspection (feature columns and their
distinct values, the array's stored dtype, the input shape). The statistics themselves (means,
vocabularies) are computed when training prepares the data; only their shape matters here.
"""

from __future__ import annotations

from dataclasses import dataclass

from visualnn.core.compile_options import DataFacts
from visualnn.core.dataset import DatasetSpec


@dataclass(frozen=True)
class PreprocessingStep:
    """One preprocessing layer (or a group of them) and what it does to this data."""

    layer: str  # the Keras layer(s): "Normalization", "StringLookup+CategoryEncoding" ...
    text: str  # one line: "Normalization (13 features)", "StringLookup+CategoryEncoding: colour (4 values)"
    tooltip: str = ""  # what it does, in a sentence


_SCALED = ("standardize", "minmax")
_RESCALE = {"0_1": ("1/255", "x / 255: pixels 0..255 become 0..1"),
            "-1_1": ("1/127.5 - 1", "x / 127.5 - 1: pixels 0..255 become -1..1")}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _normalization(n: int, scaling: str) -> PreprocessingStep:
    how = "min-max, from the training split's minimum and range" if scaling == "minmax" else \
        "standardize, from the training split's mean and variance"
    detail = _plural(n, "feature") + (", min-max" if scaling == "minmax" else "")
    return PreprocessingStep("Normalization", f"Normalization ({detail})", f"Normalization: {how}.")


def preprocessing_steps(spec: DatasetSpec, facts: DataFacts) -> list[PreprocessingStep]:
    """The steps in front of the model for this data, in the order the exported model applies them."""
    if spec.kind == "csv":
        return _table_steps(spec, facts)
    if spec.kind == "images":
        return _image_steps(spec)
    if spec.kind == "numpy":
        return _array_steps(spec, facts)
    if spec.kind == "timeseries":
        n = facts.input_shape[-1] if facts.input_shape else 0
        if spec.scaling() == "none" or not n:
            return []
        return [_normalization(n, "minmax" if spec.scaling() == "minmax" else "standardize")]
    return []


def _table_steps(spec: DatasetSpec, facts: DataFacts) -> list[PreprocessingStep]:
    steps: list[PreprocessingStep] = []
    missing = [c.name for c in facts.columns if c.n_missing]
    if missing:
        steps.append(PreprocessingStep(
            "Fill missing values", f"Fill missing values ({_plural(len(missing), 'column')})",
            "Missing values are filled as in training (mean, median or most frequent value of the training "
            f"split, or the constant): {', '.join(missing)}."))
    numeric = 0
    for column in facts.columns:
        options = spec.column(column.name)
        kind = options.kind or column.kind
        if kind == "numeric":
            numeric += 1
        elif kind == "categorical":
            values = _plural(column.n_unique, "value")
            if options.encoding == "onehot":
                steps.append(PreprocessingStep(
                    "StringLookup+CategoryEncoding", f"StringLookup+CategoryEncoding: {column.name} ({values})",
                    f"{column.name}: text -> its index in the vocabulary -> one-hot ({values}; text not seen "
                    "in training -> all zeros)."))
            else:
                steps.append(PreprocessingStep(
                    "StringLookup", f"StringLookup: {column.name} ({values}, as an index)",
                    f"{column.name}: text -> its index in the vocabulary ({values}; text not seen in training "
                    "-> -1)."))
    if numeric and spec.scaling() in _SCALED:
        steps.append(_normalization(numeric, spec.scaling()))
    return steps


def _image_steps(spec: DatasetSpec) -> list[PreprocessingStep]:
    image = spec.image()
    height, width = image.image_size
    steps = [PreprocessingStep("Resizing", f"Resizing {height}x{width}",
                               f"Resizing: images of any size -> {height}x{width} pixels (bilinear).")]
    if image.rescale in _RESCALE:
        factor, how = _RESCALE[image.rescale]
        steps.append(PreprocessingStep("Rescaling", f"Rescaling {factor}", f"Rescaling: {how}."))
    return steps


def _array_steps(spec: DatasetSpec, facts: DataFacts) -> list[PreprocessingStep]:
    if facts.input_dtype == "uint8":
        return [PreprocessingStep("Normalization", "Normalization (uint8 pixels / 255)",
                                  "Normalization: uint8 pixel values 0..255 become 0..1.")]
    if spec.scaling() not in _SCALED:
        return []
    shape = facts.input_shape or ()
    if len(shape) == 1:
        return [_normalization(shape[0], spec.scaling())]
    step = _normalization(1, spec.scaling())
    detail = "one mean and variance" if spec.scaling() == "standardize" else "one minimum and range, min-max"
    return [PreprocessingStep(step.layer, f"Normalization ({detail})", step.tooltip)]


__all__ = ["PreprocessingStep", "preprocessing_steps"]
