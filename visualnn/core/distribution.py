"""Where training runs beyond one device: the strategy setting, mixed precision and the ``TF_CONFIG`` cluster.

Pure Python (no TensorFlow): the UI, the CLI and the code generator read the same description;
``visualnn.services.distribute`` turns it into a ``tf.distribute`` strategy.

Batch sizes follow TensorFlow's convention: the project's ``batch_size`` is the batch *per replica*
and the global batch (the one the dataset is batched with) is per-replica batch x replicas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STRATEGIES = ("auto", "mirrored", "multiworker")
"""``auto``: one GPU if present, else the CPU; ``mirrored``: local GPUs; ``multiworker``: a TF_CONFIG cluster."""

PRECISIONS = ("none", "mixed_float16", "mixed_bfloat16")
"""Keras mixed-precision policies (``none`` keeps float32 everywhere)."""

DEFAULT_PEER_TIMEOUT_S = 120.0
"""How long a worker waits for every peer in TF_CONFIG to start before giving up (TF waits forever)."""

CLUSTER_TASK_TYPES = ("chief", "worker")


class DistributionError(ValueError):
    """A strategy setting or a TF_CONFIG that cannot work; the message names the value and the fix."""


def normalize_precision(value: object) -> str:
    """A precision setting as one of :data:`PRECISIONS` (older projects stored a bool: True = float16)."""
    if value is None or value is False:
        return "none"
    if value is True:
        return "mixed_float16"
    text = str(value).strip().lower()
    aliases = {"": "none", "float32": "none", "off": "none", "float16": "mixed_float16",
               "fp16": "mixed_float16", "bfloat16": "mixed_bfloat16", "bf16": "mixed_bfloat16"}
    text = aliases.get(text, text)
    if text not in PRECISIONS:
        raise DistributionError(f"Mixed precision must be one of {', '.join(PRECISIONS)}; received {value!r}.")
    return text


@dataclass(frozen=True)
class DistributionConfig:
    """The strategy, the chosen local GPUs (empty: all) and the mixed-precision policy of a run."""

    strategy: str = "auto"
    gpus: tuple[int, ...] = ()
    mixed_precision: str = "none"
    peer_timeout_s: float = DEFAULT_PEER_TIMEOUT_S

    def problems(self) -> list[str]:
        """Settings that cannot work, each naming the value and the fix."""
        out = []
        if self.strategy not in STRATEGIES:
            out.append(f"Distribution strategy must be one of {', '.join(STRATEGIES)}; received {self.strategy!r}.")
        if self.mixed_precision not in PRECISIONS:
            out.append(f"Mixed precision must be one of {', '.join(PRECISIONS)}; received {self.mixed_precision!r}.")
        bad = [g for g in self.gpus if not isinstance(g, int) or g < 0]
        if bad:
            out.append(f"GPU indices must be whole numbers >= 0; received {list(self.gpus)}.")
        if len(set(self.gpus)) != len(self.gpus):
            out.append(f"GPU indices must not repeat; received {list(self.gpus)}.")
        if self.gpus and self.strategy != "mirrored":
            out.append(f"Choosing GPUs ({list(self.gpus)}) needs the 'mirrored' strategy; received {self.strategy!r}.")
        if not self.peer_timeout_s > 0:
            out.append(f"The peer start-up timeout must be greater than 0 s; received {self.peer_timeout_s}.")
        return out

    def check(self) -> DistributionConfig:
        """``self`` when valid, else :class:`DistributionError` listing every problem."""
        if problems := self.problems():
            raise DistributionError(" ".join(problems))
        return self

    @property
    def is_mixed(self) -> bool:
        """Whether a mixed-precision policy is requested."""
        return self.mixed_precision != "none"

    @staticmethod
    def from_training(data: Mapping[str, Any]) -> DistributionConfig:
        """Read the distribution fields of a training-config dict (missing fields default)."""
        try:
            gpus = tuple(int(g) for g in (data.get("gpus") or ()))
        except (TypeError, ValueError) as exc:
            raise DistributionError(f"GPU indices must be whole numbers; received {data.get('gpus')!r}.") from exc
        return DistributionConfig(
            strategy=str(data.get("strategy") or "auto").lower(),
            gpus=gpus,
            mixed_precision=normalize_precision(data.get("mixed_precision")),
            peer_timeout_s=float(data.get("peer_timeout_s") or DEFAULT_PEER_TIMEOUT_S),
        )

    def describe(self) -> str:
        """One line for the UI and logs, e.g. ``mirrored on GPUs 0, 1 · mixed_float16``."""
        if self.strategy == "mirrored":
            where = f"mirrored on GPUs {', '.join(map(str, self.gpus))}" if self.gpus else "mirrored on all local GPUs"
        elif self.strategy == "multiworker":
            where = "multi-worker (cluster from TF_CONFIG)"
        else:
            where = "auto (one GPU if present, else the CPU)"
        return where if not self.is_mixed else f"{where} · {self.mixed_precision}"


# --- batches --------------------------------------------------------------------------------


def global_batch_size(per_replica: int, replicas: int) -> int:
    """The batch the whole cluster processes per step: per-replica batch x replicas."""
    if per_replica < 1:
        raise DistributionError(f"Batch size per replica must be at least 1; received {per_replica}.")
    if replicas < 1:
        raise DistributionError(f"The number of replicas must be at least 1; received {replicas}.")
    return per_replica * replicas


def expected_replicas(config: DistributionConfig, n_gpus: int, n_workers: int = 1) -> int:
    """Replicas a strategy will use on a machine with ``n_gpus`` GPUs (before TensorFlow is asked)."""
    local = max(1, len(config.gpus) if config.gpus else n_gpus)
    if config.strategy == "mirrored":
        return local
    if config.strategy == "multiworker":
        return max(1, n_workers) * (max(1, n_gpus) if n_gpus else 1)
    return 1


def batch_summary(per_replica: int, replicas: int) -> str:
    """The label the training panel shows: ``batch 32 per replica × 2 replicas = 64 global``."""
    if replicas <= 1:
        return f"batch {per_replica} (one replica: global batch {per_replica})"
    return f"batch {per_replica} per replica × {replicas} replicas = {per_replica * replicas} global"


# --- TF_CONFIG ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterTask:
    """This process's place in a ``TF_CONFIG`` cluster (chief first, then workers, in TF's order)."""

    task_type: str
    task_index: int
    chief: str | None
    workers: tuple[str, ...]

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every task's ``host:port``, chief first: the rank order MultiWorkerMirroredStrategy uses."""
        return ((self.chief,) if self.chief else ()) + self.workers

    @property
    def num_workers(self) -> int:
        """Processes taking part in training (the chief counts as one)."""
        return len(self.addresses)

    @property
    def rank(self) -> int:
        """0-based position of this task in :attr:`addresses`."""
        if self.task_type == "chief":
            return 0
        return self.task_index + (1 if self.chief else 0)

    @property
    def is_chief(self) -> bool:
        """The chief writes checkpoints of record, the run record and the final model: the 'chief' task,
        or worker 0 when the cluster has no chief (TensorFlow's rule)."""
        return self.task_type == "chief" or (self.chief is None and self.task_index == 0)

    @property
    def address(self) -> str:
        """This task's own ``host:port``."""
        return self.addresses[self.rank]

    @property
    def peers(self) -> tuple[str, ...]:
        """The other tasks' addresses."""
        return tuple(a for i, a in enumerate(self.addresses) if i != self.rank)

    def describe(self) -> str:
        """``worker 1 of 2 (127.0.0.1:2223); chief: 127.0.0.1:2222``."""
        role = "chief" if self.is_chief else "worker"
        return f"{role} {self.rank} of {self.num_workers} ({self.address}); chief: {self.addresses[0]}"


def _check_address(address: object, where: str) -> str:
    if not isinstance(address, str) or ":" not in address:
        raise DistributionError(f"TF_CONFIG {where} must be 'host:port'; received {address!r}.")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DistributionError(f"TF_CONFIG {where} must be 'host:port' with a port in 1-65535; received {address!r}.")
    return address


def parse_tf_config(text: str | None) -> ClusterTask | None:
    """Parse and validate a ``TF_CONFIG`` value; ``None`` when it is unset or empty.

    Raises :class:`DistributionError` naming the faulty part, e.g. a task index beyond the worker list.
    """
    if text is None or not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DistributionError(f"TF_CONFIG is not valid JSON ({exc.msg} at character {exc.pos}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cluster"), dict):
        raise DistributionError('TF_CONFIG must be a JSON object with a "cluster" object, e.g. '
                                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                                '"task": {"type": "worker", "index": 0}}.')
    cluster = data["cluster"]
    unknown = sorted(set(cluster) - set(CLUSTER_TASK_TYPES))
    if unknown:
        raise DistributionError(f"TF_CONFIG cluster has task types {unknown}; multi-worker training uses only "
                                "'worker' (and optionally one 'chief'). Parameter servers and evaluators are "
                                "not supported.")
    workers = cluster.get("worker") or []
    if not isinstance(workers, list):
        raise DistributionError(f"TF_CONFIG cluster.worker must be a list of 'host:port'; received {workers!r}.")
    chiefs = cluster.get("chief") or []
    if not isinstance(chiefs, list) or len(chiefs) > 1:
        raise DistributionError(f"TF_CONFIG cluster.chief must be a list with one 'host:port'; received {chiefs!r}.")
    checked = [_check_address(a, f"cluster.worker[{i}]") for i, a in enumerate(workers)]
    chief = _check_address(chiefs[0], "cluster.chief[0]") if chiefs else None
    everyone = ([chief] if chief else []) + checked
    if not everyone:
        raise DistributionError("TF_CONFIG cluster lists no workers; add cluster.worker = ['host:port', ...].")
    dupes = sorted({a for a in everyone if everyone.count(a) > 1})
    if dupes:
        raise DistributionError(f"TF_CONFIG lists the same address more than once: {', '.join(dupes)}.")
    task = data.get("task")
    if not isinstance(task, dict):
        raise DistributionError('TF_CONFIG lacks "task", e.g. "task": {"type": "worker", "index": 0}: '
                                "each process must say which worker it is.")
    task_type = task.get("type")
    if task_type not in CLUSTER_TASK_TYPES or not cluster.get(task_type):
        raise DistributionError(f"TF_CONFIG task.type must name a task type of the cluster "
                                f"({', '.join(t for t in CLUSTER_TASK_TYPES if cluster.get(t))}); "
                                f"received {task_type!r}.")
    index = task.get("index", 0)
    size = len(cluster[task_type])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
        raise DistributionError(f"TF_CONFIG task.index must be in 0..{size - 1} for the {size} {task_type} "
                                f"address(es); received {index!r}.")
    return ClusterTask(str(task_type), index, chief, tuple(checked))


def make_tf_config(addresses: Sequence[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a chief-less cluster of ``addresses`` (worker 0 is the chief)."""
    for i, a in enumerate(addresses):
        _check_address(a, f"cluster.worker[{i}]")
    if not 0 <= index < len(addresses):
        raise DistributionError(f"Worker index must be in 0..{len(addresses) - 1}; received {index}.")
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def cluster_key(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (project graph, settings, cluster): names a resumable backup."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def launch_instructions(command: str, n_workers: int = 2, port: int = 12345) -> list[str]:
    """Comment lines showing how to start ``command`` on ``n_workers`` machines with TF_CONFIG."""
    hosts = [f"host{i + 1}:{port}" for i in range(n_workers)]
    lines = [
        f"Run the same command on each of the {n_workers} machines, changing only task.index",
        "(worker 0 is the chief: it writes the results and the final model).",
        "",
    ]
    for i in range(n_workers):
        config = make_tf_config(hosts, i).replace('"', '\\"')
        lines.append(f'machine {i + 1}:  TF_CONFIG="{config}" \\')
        lines.append(f"             {command}")
    lines += [
        "",
        "Every machine needs the same data at the same path; the per-replica batch is the project's batch",
        "size and the global batch is that times the number of workers (x GPUs per worker).",
        "To try it on one computer, use 127.0.0.1 with two different ports and two terminals.",
    ]
    return lines


def batch_note(strategy: str, per_replica: int, gpus: Sequence[int] = (), n_gpus: int = 0) -> str:
    """The training panel's small label under the batch size: per-replica and global batch for ``strategy``."""
    if strategy == "multiworker":
        return (f"batch {per_replica} per replica; global batch = {per_replica} × the cluster's replicas "
                "(workers × GPUs each)")
    if strategy not in STRATEGIES:
        return ""
    config = DistributionConfig(strategy, tuple(gpus) if strategy == "mirrored" else ())
    return batch_summary(per_replica, expected_replicas(config, n_gpus))
