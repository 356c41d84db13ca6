"""Engine clients wired to the stand-in engine process (``fake_engine_process.py``): the real protocol, no TensorFlow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.services.training_helpers import mlp_graph
from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord, TrainingConfig

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


def training_document(graph: Graph | None = None, runs: list[RunRecord] | None = None, **cfg: Any) -> Any:
    """A ProjectDocument with a small MLP and short training settings (``cfg`` overrides them)."""
    from visualnn.ui.document import ProjectDocument

    training = TrainingConfig(**{"epochs": 3, "batch_size": 16, **cfg})
    return ProjectDocument(Project(graph=graph or mlp_graph(), training=training, runs=runs))
