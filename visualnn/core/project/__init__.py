"""The project document: graph, dataset description, training config and run records."""

from __future__ import annotations

from typing import Any

from psygnal import Signal

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Graph
from visualnn.core.search_settings import SearchConfig
from visualnn.core.specs import Registry, default_registry
from visualnn.core.training_config import RunRecord, TrainingConfig

FORMAT = "visualnn-project"
FORMAT_VERSION = 1
DEFAULT_NAME = "Untitled"  # a project nobody has named yet (saving it names it after its file)
SPEC_VERSION_KEY = "version"  # on a node: the version of its layer spec that wrote the params (absent: 1)


def graph_with_spec_versions(graph: Graph, registry: Registry | None = None) -> dict[str, Any]:
    """The graph's JSON with each node's layer-spec version, so a later spec can upgrade its params on load.

    Written only above version 1: files from before versions existed hold version-1 params, so an
    absent version means 1 and today's files stay as they were.
    """
    data = graph.to_dict()
    specs = default_registry() if registry is None else registry
    _with_versions(data, specs)
    for block in data.get("blocks", []):
        _with_versions(block["graph"], specs)
    return data


def _with_versions(data: dict[str, Any], specs: Registry) -> None:
    nodes = []
    for node in data["nodes"]:
        spec = specs.get(str(node.get("type")))
        if spec is not None and spec.version > 1:
            node = {"id": node["id"], "type": node["type"], SPEC_VERSION_KEY: spec.version, **node}
        nodes.append(node)
    data["nodes"] = nodes


class Project:
    """Everything saved in a ``.vnn`` file; ``path`` is session state (where it lives on disk)."""

    dataset_changed = Signal(object)  # DatasetSpec | None
    training_changed = Signal(object)  # TrainingConfig
    runs_changed = Signal()
    name_changed = Signal(str)
    search_changed = Signal(object)  # SearchConfig

    def __init__(
        self,
        graph: Graph | None = None,
        name: str = DEFAULT_NAME,
        dataset: DatasetSpec | None = None,
        training: TrainingConfig | None = None,
        runs: list[RunRecord] | None = None,
        path: str | None = None,
        search: SearchConfig | None = None,
    ) -> None:
        self.graph = graph if graph is not None else Graph()
        self.name = name
        self.dataset = dataset
        self.training = training if training is not None else TrainingConfig()
        self.runs: list[RunRecord] = list(runs or [])
        self.path = path
        self.search = search if search is not None else SearchConfig()

    # Mutators: the only way commands change project-level state.
    def set_dataset(self, dataset: DatasetSpec | None) -> None:
        """Replace the dataset description."""
        self.dataset = dataset
        self.dataset_changed.emit(dataset)

    def set_training(self, training: TrainingConfig) -> None:
        """Replace the compile/fit settings."""
        self.training = training
        self.training_changed.emit(training)

    def add_run(self, run: RunRecord, index: int | None = None) -> None:
        """Record a training run."""
        self.runs.insert(len(self.runs) if index is None else index, run)
        self.runs_changed.emit()

    def remove_run(self, run_id: str) -> tuple[int, RunRecord]:
        """Forget a run; returns its index and record (for undo)."""
        for i, run in enumerate(self.runs):
            if run.id == run_id:
                del self.runs[i]
                self.runs_changed.emit()
                return i, run
        raise KeyError(f"There is no run {run_id!r} in the project.")

    def replace_run(self, run: RunRecord) -> RunRecord:
        """Put ``run`` in place of the record with its id; returns the record replaced (for undo)."""
        for i, old in enumerate(self.runs):
            if old.id == run.id:
                self.runs[i] = run
                self.runs_changed.emit()
                return old
        raise KeyError(f"There is no run {run.id!r} in the project.")

    def set_search(self, search: SearchConfig) -> None:
        """Replace the hyperparameter search (space and study settings)."""
        self.search = search
        self.search_changed.emit(search)

    def set_name(self, name: str) -> None:
        """Rename the project."""
        self.name = name
        self.name_changed.emit(name)

    def to_dict(self) -> dict[str, object]:
        """The JSON document written to a ``.vnn`` file (stable key order)."""
        from visualnn import __version__

        data: dict[str, object] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "name": self.name,
            "graph": graph_with_spec_versions(self.graph),
            "dataset": None if self.dataset is None else self.dataset.to_dict(),
            "training": self.training.to_dict(),
            "runs": [r.to_dict() for r in self.runs],
        }
        if not self.search.is_default():  # projects that never searched keep their files as they were
            data["search"] = self.search.to_dict()
        return data


__all__ = ["DEFAULT_NAME", "FORMAT", "FORMAT_VERSION", "DatasetSpec", "Graph", "Project", "RunRecord", "SearchConfig", "TrainingConfig"]
