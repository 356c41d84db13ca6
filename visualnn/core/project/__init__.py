"""The project document: graph, dataset description, training config and run records."""

from __future__ import annotations

from dataclasses import dataclass, field

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Graph
from visualnn.core.training_config import RunRecord, TrainingConfig


@dataclass
class Project:
    """Everything saved in a ``.vnn`` file. ``path`` is where it was loaded from / saved to."""

    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    dataset: DatasetSpec | None = None
    training: TrainingConfig = field(default_factory=TrainingConfig)
    runs: list[RunRecord] = field(default_factory=list)
    path: str | None = None  # session state: not written into the file


__all__ = ["DatasetSpec", "Graph", "Project", "RunRecord", "TrainingConfig"]
