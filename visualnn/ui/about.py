"""About dialog: versions of VisualNN, TensorFlow, Keras, Qt and Python, and the devices found.

The window never imports TensorFlow, so TensorFlow/Keras versions and the device list come from
the engine process once it reports them: its ``ready`` message carries ``versions`` and a
one-line ``device`` summary (its ``devices`` are only ids), and the ``devices`` job returns the
full records (kind, name, memory). Until then those rows say what the engine is doing.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
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
from visualnn.ui.engine_client import JobHandle
from visualnn.ui.engine_link import DEAD, READY, EngineLink

DETECTING = "detecting…"
NO_ENGINE = "no TensorFlow engine in this window"
STARTING_ENGINE = "starting the TensorFlow engine…"
WAITING = (DETECTING, STARTING_ENGINE)


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


def format_devices(devices: Sequence[Mapping[str, Any] | str]) -> str:
    """One line per device: ``GPU · NVIDIA H100 · 80,000 MB``; a bare id (as in ``ready``) is shown as is."""
    lines = []
    for dev in devices:
        if isinstance(dev, str):
            lines.append(dev)
            continue
        parts = [str(dev.get("kind", "?")), str(dev.get("name", dev.get("id", "?")))]
        memory = dev.get("memory_mb")
        if memory:
            parts.append(f"{int(memory):,} MB")
        lines.append(" · ".join(parts))
    return "\n".join(lines) or "CPU only"


class AboutDialog(QDialog):
    """Shows the versions of everything VisualNN runs on; engine rows fill in when it reports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About VisualNN")
        self.setObjectName("AboutDialog")
        icon = QLabel()
        pix: QPixmap = app_icon().pixmap(72, 72)
        if not pix.isNull():
            icon.setPixmap(pix)
        title = QLabel(f"<h2>VisualNN {__version__}</h2>Build, train and export Keras models visually.")
        title.setTextFormat(Qt.TextFormat.RichText)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(title, 1)
        self.rows: dict[str, QLabel] = {}
        self.devices_job: JobHandle | None = None  # the engine's ``devices`` job this dialog asked for
        self._devices_known = False  # the devices job's full records beat the ready summary
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
        self.setMinimumWidth(520)

    def _set(self, key: str, text: str) -> None:
        self.rows[key].setText(text)
        # Engine rows arrive after the dialog is up; a longer device list must not be clipped.
        self.adjustSize()

    def value(self, key: str) -> str:
        """The text of one row (``tensorflow``, ``devices``...)."""
        return self.rows[key].text()

    def set_waiting(self, text: str) -> None:
        """Say why the engine rows are still empty (no engine, engine starting)."""
        for key in ("tensorflow", "keras", "devices"):
            if self.rows[key].text() in WAITING:
                self._set(key, text)

    def set_ready_info(self, info: Mapping[str, Any]) -> None:
        """Fill the engine rows from its ``ready`` payload: versions, and the device summary line."""
        versions = info.get("versions")
        if isinstance(versions, Mapping):
            for key in ("tensorflow", "keras"):
                if versions.get(key):
                    self._set(key, str(versions[key]))
        summary = info.get("device")
        if summary and not self._devices_known:
            self._set("devices", str(summary))

    def set_devices(self, result: Mapping[str, Any]) -> None:
        """Fill the devices row from the ``devices`` job's result (full records: kind, name, memory)."""
        devices = result.get("devices")
        if isinstance(devices, list):
            self._set("devices", format_devices(devices))
            self._devices_known = True
        elif result.get("summary"):
            self._set("devices", str(result["summary"]))
            self._devices_known = True

    def on_engine_ready(self, payload: dict[str, Any]) -> None:
        """Slot for the engine's ``ready`` signal."""
        self.set_ready_info(payload)

    def follow_devices(self, handle: JobHandle) -> None:
        """Fill the devices row from this ``devices`` job's outcome (its own handle: no other job reaches it)."""
        self.devices_job = handle
        handle.finished.connect(self.set_devices)
        handle.failed.connect(self.set_devices_failed)

    def set_devices_failed(self, message: str) -> None:
        """The ``devices`` job failed: the devices row says why instead of waiting forever."""
        if not self._devices_known:
            self._set("devices", f"unavailable ({message})")

    def set_engine_unavailable(self, reason: str) -> None:
        """The engine could not start or died: rows still waiting for it say so instead of waiting forever."""
        for key in ("tensorflow", "keras", "devices"):
            if self.rows[key].text() in WAITING:
                self._set(key, f"unavailable ({reason})")

    def report(self) -> str:
        """All rows as plain text (for bug reports)."""
        names = {"visualnn": "VisualNN", "tensorflow": "TensorFlow", "keras": "Keras", "qt": "Qt",
                 "python": "Python", "system": "System", "devices": "Devices", "log": "Log file"}
        return "\n".join(f"{names[k]}: {w.text()}".replace("\n", "; ") for k, w in self.rows.items()) + "\n"

    def copy_versions(self) -> None:
        """Put :meth:`report` on the clipboard."""
        QGuiApplication.clipboard().setText(self.report())
        self.copy_button.setText("Copied ✓")


def connect_engine(dialog: AboutDialog, engine: EngineLink) -> None:
    """Follow the engine: use what it already reported, ask it for the devices, update when it reports.

    Bound methods of the dialog are connected (not lambdas) so Qt disconnects them when it closes.
    """
    if engine.info:
        dialog.set_ready_info(engine.info)
    engine.ready.connect(dialog.on_engine_ready)
    engine.engine_died.connect(dialog.set_engine_unavailable)
    if engine.state == DEAD:
        dialog.set_engine_unavailable("the engine stopped; restart it from the Training panel")
        return
    if engine.state != READY:
        # Asking for the devices starts a stopped engine; until it is up the rows say so.
        dialog.set_waiting(STARTING_ENGINE)
    dialog.follow_devices(engine.submit("devices", {}))


def show_about(parent: QWidget | None, engine: EngineLink | None) -> AboutDialog:
    """Open the About dialog (non-blocking), following ``engine`` (None: a window without one)."""
    dialog = AboutDialog(parent)
    if engine is None:
        dialog.set_waiting(NO_ENGINE)
    else:
        connect_engine(dialog, engine)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
