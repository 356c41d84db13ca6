"""Payloads of the ``activations`` and ``explain`` engine jobs (look inside a model, pure Python).

Like the requests in :mod:`visualnn.core.protocol`, ``project`` is ``Project.to_dict()`` on the wire and
a :class:`~visualnn.core.project.Project` after :meth:`parsed`, which the engine's boundary calls once.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, fields
from typing import Any, Generic

from visualnn.core.project import Project
from visualnn.core.protocol import ProjectT, parse_job_project

SPLITS = ("train", "val", "test")
METHODS = ("gradcam", "saliency", "permutation")


def importance_effect(report: dict[str, Any]) -> str:
    """What a permutation-importance figure measures: ``"drop in accuracy"`` (classifiers) or ``"increase in mae"``
    (regression: shuffling a column that matters raises the error). Every figure is "how much worse", largest first."""
    return f"{report.get('effect', 'drop')} in {report['metric']}"


def _known(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: copy.deepcopy(v) for k, v in data.items() if k in names}


def _rest(request: object) -> dict[str, Any]:
    return {f.name: getattr(request, f.name) for f in fields(request) if f.name != "project"}  # type: ignore[arg-type]


@dataclass(frozen=True)
class ActivationsRequest(Generic[ProjectT]):
    """Payload of an ``activations`` job: one node's output for one sample of the project's data.

    ``node`` is the node's id on the canvas; ``run_id`` None means the untrained model built from the
    graph (weights drawn with the training seed, so the same request gives the same values);
    ``split``/``index`` pick the sample (the split's order, as evaluation numbers it); ``sample``, when
    given, is one raw sample instead (a row, an image's path, an array) that the data's preprocessing
    turns into the model's input.
    """

    project: ProjectT
    base_dir: str
    node: str
    run_id: str | None = None
    split: str = "val"
    index: int = 0
    sample: Any = None
    inline_data: dict[str, Any] | None = None

    def to_dict(self: ActivationsRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ActivationsRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return ActivationsRequest(**_known(ActivationsRequest, data))

    def parsed(self: ActivationsRequest[dict[str, Any]]) -> ActivationsRequest[Project]:
        """This request with its project built by the loader."""
        return ActivationsRequest(parse_job_project(self.project, "activations"), **_rest(self))


@dataclass(frozen=True)
class ExplainRequest(Generic[ProjectT]):
    """Payload of an ``explain`` job: why a run's model decided what it did.

    ``method``: ``gradcam`` or ``saliency`` (one image: ``split``/``index`` or ``input_path``, a file
    the data's preprocessing reads as prediction does) or ``permutation`` (feature importance on the
    validation split of tabular data). ``node`` is the convolutional node Grad-CAM looks at (None: the
    last one); ``class_index`` the class explained (None: the predicted one); ``repeats`` how many
    shuffles permutation importance averages.
    """

    project: ProjectT
    base_dir: str
    run_id: str | None = None
    method: str = "gradcam"
    split: str = "test"
    index: int = 0
    input_path: str | None = None
    node: str | None = None
    class_index: int | None = None
    repeats: int = 3
    seed: int = 0
    inline_data: dict[str, Any] | None = None

    def to_dict(self: ExplainRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ExplainRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return ExplainRequest(**_known(ExplainRequest, data))

    def parsed(self: ExplainRequest[dict[str, Any]]) -> ExplainRequest[Project]:
        """This request with its project built by the loader."""
        return ExplainRequest(parse_job_project(self.project, "explain"), **_rest(self))
