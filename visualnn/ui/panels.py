"""Optional panels owned by other parts of the app, loaded if present, else a placeholder saying what comes."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

log = logging.getLogger(__name__)


def placeholder(text: str) -> QWidget:
    """A centred grey note standing in for a panel that is not available in this build."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid); padding: 24px;")
    return label


def load_panel(module: str, name: str, args: tuple[Any, ...], missing: str) -> QWidget:
    """``module.name(*args)`` when the module exists; a placeholder naming what will be there otherwise."""
    import importlib

    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return placeholder(missing)
    try:
        widget: QWidget = cls(*args)
        return widget
    except Exception as exc:  # a broken panel must not stop the window from opening
        log.exception("could not create %s.%s", module, name)
        return placeholder(f"{missing}\n\n(The panel failed to start: {exc})")


def start_engine(parent: Any) -> Any | None:
    """The engine client (TensorFlow child process supervisor) if available; never imports TensorFlow here."""
    try:
        from visualnn.ui.engine_client import EngineClient
    except ImportError:
        return None
    try:
        return EngineClient(parent)
    except Exception:
        log.exception("could not create the engine client")
        return None
