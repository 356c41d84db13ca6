"""The message protocol between the UI (or any client) and the engine process.

Wire format
-----------
One JSON object per line (UTF-8, ``\\n``-terminated) on the engine's stdin (client -> engine) and
on the engine's protocol stream, its stdout (engine -> client). Every object carries ``"t"``:

``{"t": "job", "id": "j1", "type": "train", "payload": {...}}``
    Start a job. ``type`` names a handler registered in the engine (``train``, ``evaluate``,
    ``predict``, ``devices``, ``ping``, and whatever other modules register, e.g. ``export``).
``{"t": "control", "job_id": "j1", "action": "stop"}``
    ``stop`` | ``pause`` | ``resume`` the running job; ``shutdown`` (job_id "") ends the engine.
``{"t": "msg", "job_id": "j1", "kind": "epoch", "data": {...}}``
    Engine output. ``kind`` is one of :data:`MESSAGE_KINDS`; job_id is "" for engine-level
    messages (``ready``). Each job ends with exactly one ``result`` or ``error`` message.

Payloads are plain JSON; the typed request dataclasses below (``TrainRequest`` ...) give them a
shape with ``to_dict``/``from_dict`` so both sides agree on field names. A request's ``project`` is
``Project.to_dict()`` on the wire (``TrainRequest[dict[str, Any]]``); the engine parses it once, at
its boundary, with the project loader (:meth:`TrainRequest.parsed`, :func:`parse_job_project`), and the
services take the result (``TrainRequest[Project]``): a malformed project fails there, naming its JSON path.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Generic, TypeVar

from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, project_from_dict

PROTOCOL_VERSION = 1

MESSAGE_KINDS = (
    "ready",  # engine started: {"protocol": 1, "pid": int, "versions": {...}}
    "started",  # job accepted: {"type": str}
    "status",  # free-form stage text: {"text": str, "phase_boundary"?: int (fine-tuning's phase 2 starts after it)}
    "batch",  # {"epoch", "epochs", "batch", "batches", "logs", "samples_per_s", "elapsed_s"}
    "epoch",  # {"epoch", "epochs", "logs", "lr", "elapsed_s"}
    "log",  # {"level": "info"|"warning"|"error", "text": str, "code"?: str, "fix"?: CompileIssue.fix}
    "paused",  # {"paused": bool}
    "search",  # a search job's study and trial events (visualnn.core.search_job)
    "result",  # job finished: handler-specific data (train: {"run": RunRecord dict, ...})
    "error",  # job failed: {"message": str, "traceback": str}
    "memory",  # engine-level, after each job's result or error: {"rss_mb": float, "after": job id, "job_type": str}
)
CONTROL_ACTIONS = ("stop", "pause", "resume", "shutdown")


class ProtocolError(ValueError):
    """A line on the wire that is not a valid protocol object."""


@dataclass(frozen=True)
class Job:
    """A unit of work for the engine: an id chosen by the client, a handler type and a JSON payload."""

    id: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return copy.deepcopy(self.wire())

    def wire(self) -> dict[str, Any]:
        """Wire form sharing the payload (read-only use: :func:`encode`)."""
        return {"t": "job", "id": self.id, "type": self.type, "payload": self.payload}


@dataclass(frozen=True)
class Control:
    """Steer a running job (stop/pause/resume) or the engine itself (shutdown)."""

    job_id: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return self.wire()

    def wire(self) -> dict[str, Any]:
        """Wire form (nothing in it to share)."""
        return {"t": "control", "job_id": self.job_id, "action": self.action}


@dataclass(frozen=True)
class Message:
    """Something the engine reports about a job (progress, logs, result, error)."""

    job_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return copy.deepcopy(self.wire())

    def wire(self) -> dict[str, Any]:
        """Wire form sharing the data (read-only use: :func:`encode`)."""
        return {"t": "msg", "job_id": self.job_id, "kind": self.kind, "data": self.data}


Wire = Job | Control | Message


def encode(obj: Wire) -> str:
    """One protocol object as a single JSON line (with the trailing newline).

    The training thread sends a message at every epoch and every progress report: the object is written as it
    is (``wire()``, not ``to_dict``'s deep copy, which is for callers that keep the dict; JSON writing changes
    nothing), and NaN/inf are looked for only when ``json`` finds one (in a fit this took an encode from ~80 to
    ~50 us).
    """
    wire = obj.wire()
    try:
        text = json.dumps(wire, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # JSON has no NaN/inf, yet a diverging loss is exactly what the user must see: send them as strings.
        text = json.dumps(_finite(wire), separators=(",", ":"))
    return text + "\n"


def decode(line: str | bytes) -> Wire:
    """Parse one line back into a :class:`Job`, :class:`Control` or :class:`Message`."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"Not a protocol line (invalid JSON: {exc.msg}): {line[:80]!r}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"A protocol line must be a JSON object; received {type(data).__name__}.")
    tag = data.get("t")
    try:
        if tag == "job":
            return Job(str(data["id"]), str(data["type"]), dict(data.get("payload") or {}))
        if tag == "control":
            action = str(data["action"])
            if action not in CONTROL_ACTIONS:
                raise ProtocolError(f"Unknown control action {action!r}; expected one of {CONTROL_ACTIONS}.")
            return Control(str(data.get("job_id", "")), action)
        if tag == "msg":
            return Message(str(data.get("job_id", "")), str(data["kind"]), dict(data.get("data") or {}))
    except KeyError as exc:
        raise ProtocolError(f"Protocol object {tag!r} lacks the field {exc.args[0]!r}.") from exc
    raise ProtocolError(f"Unknown protocol object type {tag!r}; expected 'job', 'control' or 'msg'.")


def _finite(value: Any) -> Any:
    """Replace NaN/inf floats (not valid JSON) by the strings "nan", "inf", "-inf"."""
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def as_float(value: Any) -> float:
    """Read back a number that may have been sent as "nan"/"inf" by :func:`encode`."""
    if isinstance(value, str):
        return float(value)
    return float(value)


# --- typed payloads -------------------------------------------------------------------------

_R = TypeVar("_R")
ProjectT = TypeVar("ProjectT")
"""A request's project: ``dict[str, Any]`` (``Project.to_dict()``) on the wire, :class:`Project` once parsed."""


def _from_dict(cls: type[_R], data: dict[str, Any]) -> _R:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in names})


def parse_job_project(data: object, job_type: str) -> Project:
    """A job payload's ``project`` built by the project loader: the engine's one place that reads it.

    Raises :class:`ProjectFileError` naming the job and the bad JSON path, e.g.
    ``the train job's project: training.epochs: Epochs must be a whole number; received '5'.``
    """
    source = f"the {job_type} job's project"
    if data is None:
        raise ProjectFileError(source, "is missing: the job's payload must carry the project (Project.to_dict()).")
    if not isinstance(data, dict):
        raise ProjectFileError(source, f"must be a JSON object (Project.to_dict()); received {json.dumps(data)[:60]}.")
    return project_from_dict(data, source)


def _rest(request: object) -> dict[str, Any]:
    """A request's fields other than ``project`` (to rebuild it around the parsed project)."""
    return {f.name: getattr(request, f.name) for f in fields(request) if f.name != "project"}  # type: ignore[arg-type]


@dataclass(frozen=True)
class TrainRequest(Generic[ProjectT]):
    """Payload of a ``train`` job: an immutable snapshot of the project plus run overrides.

    ``project`` is ``Project.to_dict()`` on the wire and a :class:`Project` after :meth:`parsed`;
    ``base_dir`` is the folder of the project file (data paths and the ``runs/`` folder are relative to it). ``continue_run`` names an earlier run whose saved
    model (weights and optimizer state) training resumes from. ``inline_data`` ({"x", "y"} nested
    lists, optional "x_val"/"y_val" and "x_test"/"y_test") replaces the project's dataset (tests, quick experiments).
    ``mlflow_uri``/``mlflow_experiment`` log the finished run to MLflow (the app's preference, ``--mlflow``).
    """

    project: ProjectT
    base_dir: str
    run_id: str = ""
    epochs: int | None = None
    batch_size: int | None = None
    seed: int | None = None
    device: str | None = None
    continue_run: str | None = None
    inline_data: dict[str, Any] | None = None
    mlflow_uri: str = ""  # log the run to this MLflow tracking store ("": no MLflow; docs/TRACKING.md)
    mlflow_experiment: str = ""  # the MLflow experiment ("": "untitled"; clients send the project's name)
    tensorboard_dir: str | None = None  # TensorBoard logs here, not in runs/<id>/logs (a search trial's folder)

    def to_dict(self: TrainRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrainRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return _from_dict(TrainRequest, data)

    def parsed(self: TrainRequest[dict[str, Any]]) -> TrainRequest[Project]:
        """This request with its project built by the loader (:func:`parse_job_project`)."""
        return TrainRequest(parse_job_project(self.project, "train"), **_rest(self))


@dataclass(frozen=True)
class EvaluateRequest(Generic[ProjectT]):
    """Payload of an ``evaluate`` job: which run's saved model to score on the test split."""

    project: ProjectT
    base_dir: str
    run_id: str | None = None  # None: the latest run with a saved model
    split: str = "test"  # test | val | train
    max_wrong: int = 12
    inline_data: dict[str, Any] | None = None
    threshold: float | None = None  # binary outputs decide here, not at the run's own (visualnn.core.decision)

    def to_dict(self: EvaluateRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> EvaluateRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return _from_dict(EvaluateRequest, data)

    def parsed(self: EvaluateRequest[dict[str, Any]]) -> EvaluateRequest[Project]:
        """This request with its project built by the loader (:func:`parse_job_project`)."""
        return EvaluateRequest(parse_job_project(self.project, "evaluate"), **_rest(self))


@dataclass(frozen=True)
class PredictRequest(Generic[ProjectT]):
    """Payload of a ``predict`` job: raw samples (``rows``) or a file (``input_path``: CSV, image, .npy)."""

    project: ProjectT
    base_dir: str
    run_id: str | None = None
    input_path: str | None = None
    rows: list[Any] | None = None  # raw samples, e.g. CSV rows as {column: value} dicts
    top_k: int = 5
    threshold: float | None = None  # binary outputs decide here, not at the run's own (visualnn.core.decision)

    def to_dict(self: PredictRequest[dict[str, Any]]) -> dict[str, Any]:
        """JSON form."""
        return copy.deepcopy(asdict(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> PredictRequest[dict[str, Any]]:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        return _from_dict(PredictRequest, data)

    def parsed(self: PredictRequest[dict[str, Any]]) -> PredictRequest[Project]:
        """This request with its project built by the loader (:func:`parse_job_project`)."""
        return PredictRequest(parse_job_project(self.project, "predict"), **_rest(self))


__all__ = [
    "CONTROL_ACTIONS",
    "MESSAGE_KINDS",
    "PROTOCOL_VERSION",
    "Control",
    "EvaluateRequest",
    "Job",
    "Message",
    "PredictRequest",
    "ProjectT",
    "ProtocolError",
    "TrainRequest",
    "Wire",
    "as_float",
    "decode",
    "encode",
    "parse_job_project",
]
