"""Engine clients wired to the stand-in engine process (``fake_engine_process.py``): the real protocol, no TensorFlow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

FAKE_ENGINE = str(Path(__file__).with_name("fake_engine_process.py"))
READY_MS = 20_000


def fake_client(*flags: str) -> Any:
    """An ``EngineClient`` that starts the fake engine (call ``start()`` or submit a job)."""
    from visualnn.ui.engine_client import EngineClient

    return EngineClient(program=sys.executable, args=[FAKE_ENGINE, *flags])


def started_client(qtbot: Any, *flags: str) -> Any:
    """A fake-engine client that has already said ``ready``."""
    client = fake_client(*flags)
    with qtbot.waitSignal(client.ready, timeout=READY_MS):
        client.start()
    return client
