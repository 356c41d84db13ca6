"""Experiment tracking in MLflow, the pure part: what a run logs (its parameters) and how the target is named.

A run logged to MLflow carries the training settings as ``training.<field>`` and every node's parameters as
``<node id>.<param>``: the same names a search space uses (``dense_1.units``, ``training.learning_rate``), so a
search trial's sampled values are among its parameters under the names the Runs tab shows. Values are written
as JSON (``true``, ``0.001``, ``[64, 64]``) so a list or a missing value reads back as the project file says it.

The MLflow client itself lives in :mod:`visualnn.services.tracking` (the engine and the CLI import it; the window
never does). It is an optional extra: :data:`INSTALL_HINT` is the fix every "not installed" message gives.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from visualnn.core.training_config import RunRecord

MLFLOW_EXTRA = "mlflow"
INSTALL_HINT = "pip install 'visualnn[mlflow]'"
MAX_PARAM_CHARS = 6000
"""MLflow refuses a parameter value longer than this; longer ones (a big list) are cut and end with an ellipsis."""
TRAINING_PREFIX = "training."


@dataclass(frozen=True)
class TrackingTarget:
    """Where runs are logged: an MLflow tracking URI (``sqlite:///...``, ``file:/...``, ``http://...``) and an
    experiment name (empty: the project file's name, :func:`experiment_name`)."""

    uri: str
    experiment: str = ""

    @property
    def enabled(self) -> bool:
        """Whether a tracking URI is set (an empty one means: do not log to MLflow)."""
        return bool(self.uri.strip())


def artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its files (the models): beside an SQLite store's database, in
    ``mlartifacts/``. MLflow's own default is ``./mlruns`` in the working folder, which for the engine is wherever
    the app was started. None (MLflow decides) for a file store (inside it) and for a tracking server."""
    if not uri.startswith("sqlite:///"):
        return None
    database = os.path.abspath(uri[len("sqlite:///"):])
    return os.path.join(os.path.dirname(database), "mlartifacts")


def uri_problem(uri: str) -> str | None:
    """Why the window's preference cannot hold ``uri``, or None (empty means: no MLflow).

    A local store must be an absolute path: the engine process does not run in the project's folder, so a
    relative one would land somewhere the user never looks. Other schemes (``http(s)://``, ``postgresql://``,
    ``databricks``) are MLflow's to check.
    """
    uri = uri.strip()
    if not uri or uri.startswith("databricks"):  # "databricks" or "databricks://profile": MLflow's own names
        return None
    if uri.startswith("sqlite:"):
        path = uri[len("sqlite:"):]
        if not path.startswith("///") or not os.path.isabs(path[3:]):
            return (f"{uri}: an SQLite store needs an absolute path after sqlite:/// (four slashes on Linux and "
                    f"macOS), e.g. sqlite:////home/me/mlflow.db.")
        return None
    if uri.startswith("file:"):
        path = uri[len("file:"):]
        path = path[2:] if path.startswith("//") else path
        if not os.path.isabs(path):
            return f"{uri}: a file store needs an absolute folder, e.g. file:/home/me/mlruns."
        return None
    if "://" not in uri and ":" not in uri.split("/")[0] and not os.path.isabs(uri):
        return f"{uri}: give an absolute folder, an sqlite:////abs/path.db or an http://host:port tracking server."
    return None


def trial_log_folder(study: str, number: int) -> str:
    """A search trial's TensorBoard folder relative to the project (POSIX): ``runs/search-<study>/trial-<N>``.

    Outside the trial's run folder on purpose: a pruned trial, or one no longer among the best ``keep_models``,
    loses its run folder (its model), but its curves stay comparable beside the others in TensorBoard.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", study).strip("._") or "study"
    return f"runs/search-{safe}/trial-{number}"


def experiment_name(experiment: str, project_path: str | None) -> str:
    """The experiment runs go to: the one set, else the project file's name without its suffix ("untitled")."""
    if experiment.strip():
        return experiment.strip()
    return os.path.splitext(os.path.basename(project_path))[0] if project_path else "untitled"


def param_text(value: Any) -> str:
    """A parameter value as MLflow stores it: a string as is, anything else as JSON, cut at MLflow's limit."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_PARAM_CHARS else text[:MAX_PARAM_CHARS - 1] + "…"


def run_params(run: RunRecord, extra: dict[str, Any] | None = None) -> dict[str, str]:
    """The parameters a run logs: its training settings (``training.<field>``), each node's parameters
    (``<node id>.<param>``, top-level nodes; a block's inner nodes are summarised by the block node), and
    ``extra`` (a trial's sampled values, under the same names; they win on a clash)."""
    return project_params(run.config, run.graph, extra)


def project_params(config: dict[str, Any], graph: dict[str, Any],
                   extra: dict[str, Any] | None = None) -> dict[str, str]:
    """:func:`run_params` from a ``TrainingConfig.to_dict()`` and a ``Graph.to_dict()`` (the exported script's)."""
    params: dict[str, str] = {f"{TRAINING_PREFIX}{k}": param_text(v) for k, v in sorted(config.items())}
    for node in graph.get("nodes", []):
        for key, value in sorted((node.get("params") or {}).items()):
            params[f"{node['id']}.{key}"] = param_text(value)
        params[f"{node['id']}.type"] = str(node.get("type", ""))
    for key, value in (extra or {}).items():
        params[key] = param_text(value)
    return params


NOT_LOGGED = ("lr",)
"""Per-epoch figures of the run record MLflow does not get: the learning rate the app records each epoch (the
Runs tab plots it) is not in the exported script's Keras history, and both must log the same names; MLflow has
the learning rate as a parameter (``training.learning_rate``, and the fine-tuning rate)."""


def epoch_metrics(run: RunRecord) -> list[tuple[str, int, float]]:
    """Every per-epoch figure of ``run`` but :data:`NOT_LOGGED` as (name, epoch, value), epochs counted from 1 as
    the Runs tab shows them; a diverged epoch (saved as null) is NaN."""
    out: list[tuple[str, int, float]] = []
    for name, values in sorted(run.history.items()):
        if name in NOT_LOGGED:
            continue
        for i, value in enumerate(values):
            out.append((name, i + 1, float("nan") if value is None else float(value)))
    return out


def final_test_metrics(run: RunRecord) -> dict[str, float]:
    """The run's test-split figures (``test_<metric>``), present when training evaluated the test split."""
    return {k: float(v) for k, v in run.metrics.items() if k.startswith("test_") and v is not None}


__all__ = ["INSTALL_HINT", "artifact_location", "MLFLOW_EXTRA", "TrackingTarget", "epoch_metrics", "experiment_name",
           "final_test_metrics", "param_text", "project_params", "run_params", "trial_log_folder", "uri_problem"]
