"""About dialog: versions of VisualNN, TensorFlow, Keras, Qt and Python, and the devices found.

The window never imports TensorFlow, so TensorFlow/Keras versions and the device list come from
the engine process once it reports them (its ``ready`` message carries ``versions``; the
``devices`` job returns ``devices``). Until then those rows read "detecting…".
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from visualnn import __version__, logs

DETECTING = "detecting…"


def app_icon() -> QIcon:
    """The VisualNN icon (from the packaged resources or the source tree), or an empty icon."""
    import sys
    from pathlib import Path

    here = Path(__file__).resolve()
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen) / "packaging" / "icons" / "visualnn.svg"] if frozen else []
    candidates += [
        here.parents[2] / "packaging" / "icons" / "visualnn.svg",
        here.parents[2] / "resources" / "icons" / "visualnn.svg",
    ]
    for path in candidates:
        if path.is_file():
            return QIcon(str(path))
    return QIcon()


def format_devices(devices: list[Mapping[str, Any]]) -> str:
    """One line per device: ``GPU · NVIDIA H100 · 80,000 MB``."""
    lines = []
    for dev in devices:
        parts = [str(dev.get("kind", "?")), str(dev.get("name", dev.get("id", "?")))]
        memory = dev.get("memory_mb")
        if memory:
            parts.append(f"{int(memory):,} MB")
        lines.append(" · ".join(parts))
    return "\n".join(lines) or "CPU only"


class AboutDialog(QDialog):
    """Shows the versions of everything VisualNN runs on; engine rows fill in when it reports."""

    def __init__(self, parent: QWidget | None = None, engine_info: Mapping[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About VisualNN")
        self.setObjectName("AboutDialog")
        icon = QLabel()
        pix: QPixmap = app_icon().pixmap(72, 72)
        if not pix.isNull():
            icon.setPixmap(pix)
        title = QLabel(
            f"<h2>VisualNN {__version__}</h2>Build, train and export Keras models visually."
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(title, 1)
        self.rows: dict[str, QLabel] = {}
        self.devices_job: str | None = None
        form = QFormLayout()
        for key, label, value in (
            ("visualnn", "VisualNN", __version__),
            ("tensorflow", "TensorFlow", DETECTING),
            ("keras", "Keras", DETECTING),
            ("qt", "Qt", f"{qVersion()} (PySide6 {PYSIDE_VERSION})"),
            ("python", "Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("system", "System", f"{platform.system()} {platform.release()} ({platform.machine()})"),
            ("devices", "Devices", DETECTING),
            ("log", "Log file", str(logs.log_path())),
        ):
            field = QLabel(value)
            field.setObjectName(f"about_{key}")
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            self.rows[key] = field
            form.addRow(f"{label}:", field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy versions", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(buttons)
        if engine_info:
            self.set_engine_info(engine_info)

    def value(self, key: str) -> str:
        """The text of one row (``tensorflow``, ``devices``...)."""
        return self.rows[key].text()

    def set_engine_info(self, info: Mapping[str, Any]) -> None:
        """Fill the engine rows from its ``ready`` payload and/or ``devices`` result (either may come first)."""
        versions = info.get("versions") or {}
        if versions.get("tensorflow"):
            self.rows["tensorflow"].setText(str(versions["tensorflow"]))
        if versions.get("keras"):
            self.rows["keras"].setText(str(versions["keras"]))
        devices = info.get("devices")
        if isinstance(devices, list):
            self.rows["devices"].setText(format_devices(devices))
        elif info.get("summary"):
            self.rows["devices"].setText(str(info["summary"]))

    def on_engine_info(self, payload: object) -> None:
        """Slot for engine signals carrying a ``ready`` payload or device list."""
        if isinstance(payload, Mapping):
            self.set_engine_info(payload)

    def on_engine_job_finished(self, job_id: str, data: object) -> None:
        """Slot for the engine's job results: fills the devices row from our ``devices`` job."""
        if job_id == self.devices_job and isinstance(data, Mapping):
            self.set_engine_info(data)

    def on_engine_job_failed(self, job_id: str, message: str) -> None:
        """Slot for failed jobs: the devices row says why instead of "detecting…"."""
        if job_id == self.devices_job and self.rows["devices"].text() == DETECTING:
            self.rows["devices"].setText(f"unavailable ({message})")

    def set_engine_unavailable(self, reason: str) -> None:
        """The engine could not start: say so instead of "detecting…" forever."""
        for key in ("tensorflow", "keras", "devices"):
            if self.rows[key].text() == DETECTING:
                self.rows[key].setText(f"unavailable ({reason})")

    def report(self) -> str:
        """All rows as plain text (for bug reports)."""
        names = {"visualnn": "VisualNN", "tensorflow": "TensorFlow", "keras": "Keras", "qt": "Qt",
                 "python": "Python", "system": "System", "devices": "Devices", "log": "Log file"}
        return "\n".join(f"{names[k]}: {w.text()}".replace("\n", "; ") for k, w in self.rows.items()) + "\n"

    def copy_versions(self) -> None:
        """Put :meth:`report` on the clipboard."""
        QGuiApplication.clipboard().setText(self.report())
        self.copy_button.setText("Copied ✓")


def connect_engine(dialog: AboutDialog, client: object) -> None:
    """Follow an engine client: use what it already knows, ask it for devices, update when it reports.

    Duck-typed so the About box does not depend on the engine client's internals: it reads
    ``client.info`` / ``client.engine_info`` (the ``ready`` payload), listens to ``ready`` and
    ``engine_died``, and submits a ``devices`` job through ``submit`` and ``job_finished``.
    Bound methods of the dialog are connected (not lambdas) so Qt disconnects them when it closes.
    """
    for attr in ("info", "engine_info"):
        info = getattr(client, attr, None)
        if isinstance(info, Mapping) and info:
            dialog.set_engine_info(info)
    for name in ("ready", "info_changed", "device_info", "devices_found"):
        signal = getattr(client, name, None)
        if signal is not None and hasattr(signal, "connect"):
            signal.connect(dialog.on_engine_info)
    died = getattr(client, "engine_died", None)
    if died is not None and hasattr(died, "connect"):
        died.connect(dialog.set_engine_unavailable)
    if getattr(client, "state", None) == "dead":
        dialog.set_engine_unavailable("the engine stopped; restart it from the Training panel")
    submit = getattr(client, "submit", None)
    finished = getattr(client, "job_finished", None)
    if callable(submit) and finished is not None and hasattr(finished, "connect"):
        finished.connect(dialog.on_engine_job_finished)
        failed = getattr(client, "job_failed", None)
        if failed is not None and hasattr(failed, "connect"):
            failed.connect(dialog.on_engine_job_failed)
        dialog.devices_job = str(submit("devices", {}))


def show_about(parent: QWidget | None, engine_info: object = None) -> AboutDialog:
    """Open the About dialog (non-blocking); ``engine_info`` is a mapping or an engine client."""
    dialog = AboutDialog(parent, engine_info if isinstance(engine_info, Mapping) else None)
    if engine_info is not None and not isinstance(engine_info, Mapping):
        connect_engine(dialog, engine_info)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
