"""Before Train: does the estimated peak training memory (core.costs) fit the device the run will use?

The engine reports each device's memory in its ``ready`` message (``device_memory_mb``: RAM for ``cpu``, what
TensorFlow may use for ``gpu:N``). When the estimate exceeds it, the window says so before sending the job,
naming the largest layers and suggesting a smaller batch or mixed precision; the person may train anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import QMessageBox, QWidget

from visualnn.core.costs import MIXED, CostReport, fmt_bytes

MemoryPrompt = Callable[[QWidget, str], bool]
"""``ask(parent, message) -> True`` to train anyway."""


def training_device(setting: str, memory_mb: Mapping[str, int | None]) -> str:
    """The device id a run with ``device`` = ``setting`` trains on (``auto``: the first GPU, else the CPU)."""
    if setting and setting != "auto":
        return setting.lower()
    gpus = sorted(d for d in memory_mb if d.startswith("gpu:"))
    return gpus[0] if gpus else "cpu"


def memory_warning(report: CostReport, device: str, memory_mb: int | None) -> str | None:
    """Why the run may not fit ``device`` (``None`` when it fits or the device's memory is unknown)."""
    if not memory_mb:
        return None
    available = memory_mb * 2**20
    peak = report.training_peak_bytes
    if peak <= available:
        return None
    largest = ", ".join(f"{n.name} ({fmt_bytes(n.kept_bytes)})" for n in report.largest("kept_bytes", 3)
                        if n.kept_bytes)
    what = "RAM" if device == "cpu" else f"memory of {device.upper()}"
    smaller = max(1, int(report.batch_size * available / peak * 0.8))
    hints = [f"a smaller batch size (about {smaller} would fit)"]
    if report.precision not in MIXED and device != "cpu":
        hints.append("mixed precision (Training settings > Advanced > Precision: mixed_float16) to halve "
                     "the activations")
    return (f"Training may not fit: the estimated peak memory is {fmt_bytes(peak)} at batch size "
            f"{report.batch_size}, and the {what} is {fmt_bytes(available)}. The largest layers: {largest}. "
            f"Try {' or '.join(hints)}.")


def ask_train_anyway(parent: QWidget, message: str) -> bool:
    """The warning dialog: Train anyway or Cancel (the default)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Training may not fit in memory", message,
                      QMessageBox.StandardButton.Cancel, parent)
    train = box.addButton("Train anyway", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is train
