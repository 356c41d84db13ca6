"""What an inspection reports about a data source: :class:`SourceInfo` and the named :class:`PartInfo` it feeds.

The data model of :mod:`visualnn.services.datasets.inspect` (which fills it), shared with
:mod:`visualnn.services.datasets.part_infos` (the named parts of CSV column groups and of an image
folder with its table) one floor down, so neither imports the other. TF-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.data_checks import target_rescaling
from visualnn.core.dataset import DatasetSpec
from visualnn.core.tensors import OutputSuggestion, TensorInfo
from visualnn.services.datasets.columns import ColumnInfo
from visualnn.services.datasets.errors import Problem

PREVIEW_ROWS = 50


@dataclass(frozen=True)
class PartInfo:
    """One named part of the data: the Input or output node it feeds and the ``.npz`` array that holds it.

    ``tensor`` is the whole array (samples first, dtype as stored), None when the file has no such array;
    targets also carry their task and class names.
    """

    role: str  # "input" | "target"
    node: str  # the Input or output node's name
    array: str  # the .npz array it reads
    tensor: TensorInfo | None
    task: str | None = None
    class_names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"role": self.role, "node": self.node, "array": self.array,
                "tensor": None if self.tensor is None else self.tensor.to_dict(), "task": self.task,
                "class_names": list(self.class_names)}


@dataclass
class SourceInfo:
    """Everything the preview shows about one source, JSON-able through :meth:`to_dict`."""

    path: str
    kind: str  # csv | images | numpy | timeseries
    format: dict[str, Any] = field(default_factory=dict)
    n_samples: int = 0
    columns: list[ColumnInfo] = field(default_factory=list)
    preview: list[list[Any]] = field(default_factory=list)  # first rows (tables)
    classes: dict[str, int] = field(default_factory=dict)  # images per class
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few files per class
    arrays: dict[str, dict[str, Any]] = field(default_factory=dict)  # .npz arrays: shape, dtype
    features: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    tensors: list[TensorInfo] = field(default_factory=list)  # x and y for the whole source
    task: str | None = None
    class_names: list[str] = field(default_factory=list)
    suggestion: OutputSuggestion | None = None
    options: dict[str, Any] = field(default_factory=dict)  # suggested DatasetSpec options
    problems: list[Problem] = field(default_factory=list)
    split_note: str | None = None  # why a new source got no test split (None: it has one, or the split was set)
    parts: list[PartInfo] = field(default_factory=list)  # named parts (models with several Inputs/outputs)
    target_stats: tuple[float, float] | None = None  # regression, one target: mean and std over the training rows

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample of x without the batch axis (what the Input layer should declare)."""
        for t in self.tensors:
            if t.name == "x":
                return tuple(int(d or 0) for d in t.sample_shape)
        return ()

    def spec(self, relpath: str | None = None) -> DatasetSpec:
        """The DatasetSpec this inspection suggests (path as given or ``relpath``)."""
        return DatasetSpec(self.kind, relpath or self.path, dict(self.options))

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``visualnn data inspect --json``."""
        return {
            "path": self.path, "kind": self.kind, "format": self.format, "samples": self.n_samples,
            "columns": [c.to_dict() for c in self.columns], "classes": self.classes, "arrays": self.arrays,
            "features": self.features, "targets": self.targets, "tensors": [t.to_dict() for t in self.tensors],
            "input_shape": list(self.input_shape), "task": self.task, "class_names": self.class_names,
            "suggestion": None if self.suggestion is None else self.suggestion.to_dict(),
            "options": self.options, "problems": [p.to_dict() for p in self.problems],
            "split_note": self.split_note, "parts": [p.to_dict() for p in self.parts],
            "target_stats": None if self.target_stats is None else dict(zip(("mean", "std"), self.target_stats,
                                                                               strict=True)),
        }

    def target_line(self) -> str:
        """``target over the training rows: mean …, standard deviation …`` and, for a target far from unit scale,
        the Rescaling that maps a fresh output onto it ("" without statistics)."""
        if self.target_stats is None:
            return ""
        mean, std = self.target_stats
        line = f"target over the training rows: mean {mean:.4g}, standard deviation {std:.4g}"
        params = target_rescaling(mean, std)
        if params is not None:
            line += (f" (far from a fresh output's 0 +- 1: a Rescaling(scale={params['scale']:g}, "
                     f"offset={params['offset']:g}) after the output maps it there)")
        return line

    def describe(self) -> str:
        """Human-readable report (the CLI's default output)."""
        lines = [f"{self.path}: {self.kind}" + (f" ({fmt_options(self.format)})" if self.format else "")]
        lines.append(f"samples: {self.n_samples}")
        if self.columns:
            lines.append("columns:")
            for c in self.columns:
                role = "target" if c.name in self.targets else "feature" if c.name in self.features else "ignore"
                lines.append(
                    f"  {c.name:<20} {c.dtype:<10} {c.kind:<12} {role:<8} missing {c.n_missing:<6} unique {c.n_unique}"
                )
        if self.classes:
            lines.append("classes: " + ", ".join(f"{k} ({v})" for k, v in self.classes.items()))
        for name, meta in self.arrays.items():
            lines.append(f"array {name}: shape {tuple(meta['shape'])} {meta['dtype']}")
        if self.parts:
            lines.append("parts (one array per Input and output):")
            for part in self.parts:
                feeds = f"Input {part.node}" if part.role == "input" else f"output {part.node}"
                found = part.tensor.describe() if part.tensor is not None else f"{part.array}: no such array"
                task = f" ({part.task})" if part.task else ""
                lines.append(f"  {found} -> {feeds}{task}")
        else:
            lines.append("tensors:")
            lines += [f"  {t.describe()}" for t in self.tensors]
        if self.task:
            names = f" [{', '.join(self.class_names)}]" if self.class_names else ""
            lines.append(f"task: {self.task}{names}")
        if self.target_stats is not None:
            lines.append(self.target_line())
        if self.suggestion:
            lines.append(f"suggested output: {self.suggestion.describe()}")
        for p in self.problems:
            lines.append(f"{p.severity}: {p.message}")
        return "\n".join(lines)


def fmt_options(fmt: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v!r}" for k, v in fmt.items())


def cell(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.decode("latin-1")
    if isinstance(v, float) and v != v:
        return None
    return v if isinstance(v, (int, float, str, bool)) or v is None else str(v)


__all__ = ["PREVIEW_ROWS", "PartInfo", "SourceInfo", "cell", "fmt_options"]
