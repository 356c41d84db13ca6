"""Logging runs and search trials to MLflow (the optional extra ``visualnn[mlflow]``). No Qt, no TensorFlow.

:class:`MlflowTracker` talks to the tracking store through ``MlflowClient`` only (never the fluent
``mlflow.start_run``, whose active run is process-wide state the long-lived engine must not keep): a training
run is one MLflow run; a search is a parent run with one nested run per trial (the ``mlflow.parentRunId`` tag).
Each run gets the parameters of :func:`visualnn.core.tracking.run_params`, every per-epoch figure with
``step`` = the epoch (1-based), the test-split figures when training evaluated them, and the ``.keras`` model as
the artifact ``model/model.keras``.

``mlflow`` is imported when a tracker is opened, so neither the app's start-up nor a run without tracking pays
for it. The tracker is opened before training starts: a missing package or a store that cannot be opened stops
the run at once with a message naming the URI and the fix, not after the epochs were spent.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlsplit

from visualnn.core.tracking import INSTALL_HINT, artifact_location, epoch_metrics, final_test_metrics, run_params
from visualnn.core.training_config import DIVERGED, FAILED, STOPPED, RunRecord

PARAMS_PER_BATCH = 100  # MLflow's limits for one log_batch call
METRICS_PER_BATCH = 1000
ROLE_TAG, STUDY_TAG, STORAGE_TAG = "visualnn.role", "visualnn.study", "visualnn.storage"
_STATUS = {FAILED: "FAILED", DIVERGED: "FAILED", STOPPED: "KILLED"}


class TrackingError(RuntimeError):
    """MLflow could not be used: not installed, or the store at the URI could not be opened or written."""


def masked_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***`` (for messages and run records)."""
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri


def _is_file_store(uri: str) -> bool:
    scheme = urlsplit(uri).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt")  # a plain path, or C:\\... on Windows


class MlflowTracker:
    """Logs runs to one MLflow experiment at one tracking URI (created when it does not exist yet)."""

    def __init__(self, uri: str, experiment: str) -> None:
        self.uri, self.experiment = uri.strip(), experiment
        if _is_file_store(self.uri):
            # MLflow 3 keeps the file store for those who ask for it by name; a file: URI is asking.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise TrackingError(f"MLflow tracking to {masked_uri(self.uri)} needs the mlflow package, which is not "
                                f"installed ({exc}). Install it with: {INSTALL_HINT}, or clear the MLflow tracking "
                                f"URI (Edit > Preferences, or leave out --mlflow).") from exc
        try:
            self.client: Any = MlflowClient(tracking_uri=self.uri)
            found = self.client.get_experiment_by_name(experiment)
            self.experiment_id = str(found.experiment_id if found is not None else self.client.create_experiment(
                experiment, artifact_location=artifact_location(self.uri)))
        except Exception as exc:
            raise self._error("cannot be opened", exc) from exc

    def _error(self, what: str, exc: BaseException) -> TrackingError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return TrackingError(f"The MLflow tracking store {masked_uri(self.uri)} {what} ({detail}). Check the "
                             f"tracking URI (e.g. sqlite:////abs/path/mlflow.db or file:/abs/path/mlruns) in Edit > "
                             f"Preferences or --mlflow, and that the folder is writable.")

    def start(self, name: str, parent: str | None = None, tags: dict[str, str] | None = None) -> str:
        """A new run in the experiment (nested under ``parent`` when given); returns its MLflow run id."""
        all_tags = {"visualnn.name": name, **(tags or {})}
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        try:
            run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        except Exception as exc:
            raise self._error("refused a new run", exc) from exc
        return str(run.info.run_id)

    def study_run(self, study: str, storage: str, params: dict[str, str]) -> str:
        """The parent run of a search study: the one an earlier search of the same study and storage made (a
        resumed search nests its new trials there too), else a new one with the study's settings as params."""
        try:
            found = self.client.search_runs([self.experiment_id], filter_string=f"tags.`{ROLE_TAG}` = 'study'")
        except Exception as exc:
            raise self._error("could not be searched for the study's run", exc) from exc
        for run in found:
            tags = run.data.tags
            if tags.get(STUDY_TAG) == study and tags.get(STORAGE_TAG) == storage:
                try:
                    self.client.update_run(run.info.run_id, status="RUNNING")
                except Exception as exc:
                    raise self._error("could not reopen the study's run", exc) from exc
                return str(run.info.run_id)
        run_id = self.start(f"search {study}", tags={ROLE_TAG: "study", STUDY_TAG: study, STORAGE_TAG: storage})
        self.log_params(run_id, params)
        return run_id

    def log_params(self, run_id: str, params: dict[str, str]) -> None:
        """Log ``params`` (in MLflow's batch size)."""
        from mlflow.entities import Param

        items = [Param(k, v) for k, v in params.items()]
        try:
            for i in range(0, len(items), PARAMS_PER_BATCH):
                self.client.log_batch(run_id, params=items[i:i + PARAMS_PER_BATCH])
        except Exception as exc:
            raise self._error("refused the run's parameters", exc) from exc

    def log_metrics(self, run_id: str, rows: list[tuple[str, int, float]]) -> None:
        """Log (name, step, value) rows (in MLflow's batch size)."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(name, value, now, step) for name, step, value in rows]
        try:
            for i in range(0, len(items), METRICS_PER_BATCH):
                self.client.log_batch(run_id, metrics=items[i:i + METRICS_PER_BATCH])
        except Exception as exc:
            raise self._error("refused the run's metrics", exc) from exc

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        """End the run with an MLflow status (FINISHED, FAILED or KILLED)."""
        try:
            self.client.set_terminated(run_id, status=status)
        except Exception as exc:
            raise self._error("could not end the run", exc) from exc

    def log_run(self, run: RunRecord, base_dir: str, parent: str | None = None,
                extra_params: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> str:
        """Log a finished app run (record, history, test figures, model file) as one MLflow run; its id."""
        mlflow_id = self.start(run.id, parent, {"visualnn.run_id": run.id, "visualnn.status": run.status,
                                                **(tags or {})})
        try:
            self.log_params(mlflow_id, run_params(run, extra_params))
            test = final_test_metrics(run)
            self.log_metrics(mlflow_id, epoch_metrics(run) + [(k, run.epochs_done, v) for k, v in test.items()])
            if run.model_path and os.path.exists(os.path.join(base_dir, run.model_path)):
                try:
                    self.client.log_artifact(mlflow_id, os.path.join(base_dir, run.model_path), "model")
                except Exception as exc:
                    raise self._error("refused the model file", exc) from exc
        except TrackingError:
            self.finish(mlflow_id, "FAILED")
            raise
        self.finish(mlflow_id, _STATUS.get(run.status, "FINISHED"))
        return mlflow_id


def tracking_note(tracker: MlflowTracker, mlflow_run_id: str) -> dict[str, str]:
    """What a run record keeps about where it was logged (``extra["mlflow"]``)."""
    return {"uri": masked_uri(tracker.uri), "experiment": tracker.experiment, "run_id": mlflow_run_id}


__all__ = ["MlflowTracker", "TrackingError", "masked_uri", "tracking_note"]
