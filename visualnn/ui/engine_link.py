"""What the window needs of the engine client, as a type: the real one and a test's fake both fit it.

:class:`visualnn.ui.engine_client.EngineClient` (the TensorFlow child-process supervisor) satisfies
:class:`EngineLink`; the composition root (``visualnn.ui.app``) builds the window from a
``ProjectDocument`` and an ``EngineLink``, so tests inject a fake that starts no TensorFlow.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import SignalInstance

from visualnn.ui.engine_client import JobHandle

# The engine's states, as EngineClient.state reports them.
STARTING = "starting"
READY = "ready"
DEAD = "dead"
STOPPED = "stopped"


@runtime_checkable
class EngineLink(Protocol):
    """The engine client's surface used by the window, its panels, the About box and the export dialogs.

    Its signals are about the engine itself; a job is followed only through the :class:`JobHandle` that
    :meth:`submit` returns (its own progress, result and failure), so no window code filters job ids.
    """

    @property
    def state_changed(self) -> SignalInstance:
        """Emits the new state (``starting``, ``ready``, ``dead``, ``stopped``)."""

    @property
    def ready(self) -> SignalInstance:
        """Emits the engine's ``ready`` payload: ``versions``, ``device`` (a summary line), ``devices`` (ids)."""

    @property
    def engine_died(self) -> SignalInstance:
        """Emits what happened, in words."""

    @property
    def state(self) -> str:
        """``starting``, ``ready``, ``dead`` or ``stopped``."""

    @property
    def info(self) -> dict[str, Any]:
        """The last ``ready`` payload (empty until the engine has started)."""

    def start(self) -> None:
        """Start the engine in the background."""

    def stop(self, timeout_ms: int = 5000) -> None:
        """Shut the engine down (pending jobs fail)."""

    def restart(self) -> None:
        """Replace the engine with a fresh process."""

    @property
    def is_ready(self) -> bool:
        """True once the engine said ``ready`` and has not died since."""

    def submit(self, job_type: str, payload: dict[str, Any]) -> JobHandle:
        """Send a job (starting the engine if needed); returns its handle, which alone reports the job."""

    def control(self, job_id: str, action: str) -> None:
        """Stop, pause or resume a running job (what :class:`JobHandle`'s stop/pause/resume call)."""


__all__ = ["DEAD", "READY", "STARTING", "STOPPED", "EngineLink"]
