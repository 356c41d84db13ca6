"""The parity report of an export: how the exported artefact's outputs compare with the app's on the same samples,
and the tolerances that judge it (float artefacts to 1e-5 of the output scale, quantized ones by class agreement or
by their mean difference against the outputs' spread). :mod:`visualnn.services.export` runs the artefacts.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from visualnn.core.decision import DEFAULT_THRESHOLD

FLOAT_TOLERANCE = 1e-5  # float32 artefacts: max abs diff, relative to the output scale when > 1
AGREEMENT_TOLERANCE = 0.98  # quantized classification: share of samples with the same class
QUANT_REGRESSION_TOLERANCE = 0.05  # quantized regression: mean abs diff / output std


class ExportError(RuntimeError):
    """Export or reload failed; the message names the format, the layer when known, and why."""


@dataclass(frozen=True)
class ParityReport:
    """What was exported and how closely the reloaded artefact matches the in-app model."""

    format: str
    quantize: str
    path: str
    size_bytes: int
    samples: int
    sample_source: str  # "dataset" or "random"
    max_abs_diff: float
    mean_abs_diff: float
    class_agreement: float | None
    metric: str | None = None
    metric_app: float | None = None
    metric_export: float | None = None
    tolerance: str = ""
    passed: bool = True
    notes: list[str] = field(default_factory=list)
    feed: list[str] = field(default_factory=list)  # what a caller must feed the artefact
    inputs_file: str | None = None  # the JSON beside a .tflite describing its input columns

    @property
    def metric_diff(self) -> float | None:
        """Exported metric minus in-app metric."""
        if self.metric_app is None or self.metric_export is None:
            return None
        return self.metric_export - self.metric_app

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored in the run record's ``extra["exports"]``)."""
        data = asdict(self)
        data["metric_diff"] = self.metric_diff
        return data

    def _source(self) -> str:
        return self.sample_source if self.sample_source.startswith("raw") else f"{self.sample_source} samples"

    def summary(self) -> str:
        """A few lines for the terminal and the dialog."""
        lines = [
            f"Exported {self.format} ({self.quantize}) to {self.path}: {_size(self.size_bytes)}",
            f"Parity on {self.samples} {self._source()}: max |diff| {self.max_abs_diff:.3g}, "
            f"mean |diff| {self.mean_abs_diff:.3g}",
        ]
        if self.class_agreement is not None:
            lines.append(f"Predicted classes agree on {self.class_agreement:.1%} of samples")
        if self.metric and self.metric_app is not None and self.metric_export is not None:
            lines.append(
                f"{self.metric}: app {self.metric_app:.4f}, export {self.metric_export:.4f} "
                f"(diff {self.metric_diff:+.4f})"
            )
        lines.append(f"{'PASS' if self.passed else 'FAIL'}: {self.tolerance}")
        lines += self.feed
        if self.inputs_file:
            lines.append(f"Input columns and vocabularies: {self.inputs_file}")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n} B"


def _classes(y: Any, threshold: float = DEFAULT_THRESHOLD) -> Any:
    import numpy as np

    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1)
    if y.ndim >= 1 and float(np.min(y)) >= 0.0 and float(np.max(y)) <= 1.0:
        return (y.reshape(len(y), -1)[:, 0] > threshold).astype("int64")
    return None


def compare(
    fmt: str,
    quantize: str,
    path: str,
    source: str,
    reference: list[Any],
    exported: list[Any],
    labels: Any,
    notes: list[str],
    threshold: float = DEFAULT_THRESHOLD,
) -> ParityReport:
    import numpy as np

    if len(reference) != len(exported):
        raise ExportError(f"The exported model gives {len(exported)} outputs; the app's model gives {len(reference)}.")
    diffs = [np.abs(np.asarray(e, "float64").reshape(r.shape) - r) for r, e in zip(reference, exported, strict=True)]
    max_diff = float(max(d.max() for d in diffs)) if diffs else 0.0
    mean_diff = float(np.mean(np.concatenate([d.ravel() for d in diffs])))
    scale = max(1.0, float(max(np.abs(r).max() for r in reference)))
    agreement = None
    pairs = [(_classes(r, threshold), _classes(np.asarray(e).reshape(r.shape), threshold))
             for r, e in zip(reference, exported, strict=True)]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    if pairs and _classification(reference[0]):
        agreement = float(np.mean(np.concatenate([(a == b).ravel() for a, b in pairs])))
    metric = app_metric = export_metric = None
    if labels is not None:
        metric, app_metric, export_metric = _metric(reference[0], exported[0], np.asarray(labels), threshold)
    if quantize == "none":
        passed = max_diff <= FLOAT_TOLERANCE * scale
        tolerance = f"max |diff| <= {FLOAT_TOLERANCE:g}" + (f" x {scale:.3g}" if scale > 1 else "")
    elif agreement is not None:
        passed = agreement >= AGREEMENT_TOLERANCE
        tolerance = f"class agreement >= {AGREEMENT_TOLERANCE:.0%}"
    else:
        spread = float(np.std(reference[0])) or 1.0
        passed = mean_diff <= QUANT_REGRESSION_TOLERANCE * spread
        tolerance = f"mean |diff| <= {QUANT_REGRESSION_TOLERANCE:g} x output std ({spread:.3g})"
    size = _disk_size(path)
    n = int(len(reference[0])) if reference else 0
    return ParityReport(
        fmt, quantize, path, size, n, source, max_diff, mean_diff, agreement, metric, app_metric, export_metric,
        tolerance, bool(passed), notes,
    )


def _classification(y: Any) -> bool:
    import numpy as np

    if y.ndim >= 2 and y.shape[-1] > 1:
        return True
    return bool(y.ndim >= 1 and np.min(y) >= 0.0 and np.max(y) <= 1.0 and y.reshape(len(y), -1).shape[1] == 1)


def _metric(ref: Any, exp: Any, labels: Any, threshold: float = DEFAULT_THRESHOLD) -> tuple[str, float, float]:
    import numpy as np

    exp = np.asarray(exp).reshape(ref.shape)
    if _classification(ref):
        truth = labels.argmax(-1) if labels.ndim == ref.ndim and labels.shape[-1] == ref.shape[-1] > 1 else labels
        truth = truth.reshape(len(truth), -1)[:, 0] if truth.ndim > 1 else truth
        pa, pe = _classes(ref, threshold), _classes(exp, threshold)
        return "accuracy", float(np.mean(pa == truth)), float(np.mean(pe == truth))
    truth = labels.reshape(ref.shape)
    return "mae", float(np.mean(np.abs(ref - truth))), float(np.mean(np.abs(exp - truth)))


def _disk_size(path: str) -> int:
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
    return os.path.getsize(path)


__all__ = ["AGREEMENT_TOLERANCE", "FLOAT_TOLERANCE", "QUANT_REGRESSION_TOLERANCE", "ExportError", "ParityReport",
           "compare"]
