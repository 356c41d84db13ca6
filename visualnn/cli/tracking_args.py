"""``--mlflow URI`` and ``--mlflow-experiment NAME``, shared by ``visualnn train`` and ``visualnn search``.

They fill the job's ``mlflow_uri``/``mlflow_experiment`` (docs/TRACKING.md): the run (or the study and each of its
trials) is logged to that MLflow tracking store. The experiment defaults to the project file's name, as in the
window.
"""

from __future__ import annotations

import argparse
from typing import Any

from visualnn.core.tracking import INSTALL_HINT, experiment_name


def add_tracking_args(parser: Any) -> None:
    """Add the MLflow options to a verb's parser."""
    parser.add_argument("--mlflow", metavar="URI", default="",
                        help="log to this MLflow tracking store (sqlite:////abs/mlflow.db, file:/abs/mlruns, "
                             f"http://host:5000); needs the optional extra: {INSTALL_HINT}")
    parser.add_argument("--mlflow-experiment", dest="mlflow_experiment", metavar="NAME", default="",
                        help="the MLflow experiment (default: the project file's name)")


def tracking_fields(args: argparse.Namespace, project_path: str) -> dict[str, Any]:
    """The job's tracking fields from the command line (empty when --mlflow was not given)."""
    if not args.mlflow.strip():
        return {}
    return {"mlflow_uri": args.mlflow.strip(), "mlflow_experiment": experiment_name(args.mlflow_experiment,
                                                                                    project_path)}


__all__ = ["add_tracking_args", "tracking_fields"]
