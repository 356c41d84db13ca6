"""Distribution options shared by ``visualnn train`` and ``visualnn export-code`` (strategy, GPUs, precision)."""

from __future__ import annotations

import argparse
from typing import Any

from visualnn.core.distribution import PRECISIONS, STRATEGIES, DistributionConfig, DistributionError
from visualnn.core.project import Project


def add_distribution_args(parser: argparse.ArgumentParser, training: bool = True) -> None:
    """Add ``--strategy``, ``--mixed-precision`` (and for training ``--gpus``) to a verb's parser."""
    parser.add_argument("--strategy", choices=STRATEGIES,
                        help="auto (one GPU if present, else CPU), mirrored (all or --gpus local GPUs) or "
                             "multiworker (one worker of the cluster in TF_CONFIG); default: the project's")
    parser.add_argument("--mixed-precision", dest="mixed_precision", choices=PRECISIONS,
                        help="mixed_float16 (GPUs with tensor cores) or mixed_bfloat16; outputs stay float32")
    if training:
        parser.add_argument("--gpus", help="mirrored only: comma-separated local GPU indices, e.g. 0,1 (default: all)")


def apply_distribution_args(project: Project, args: argparse.Namespace,
                            more: dict[str, Any] | None = None) -> Project:
    """The project a job trains: ``project``'s graph, data and runs with the command line's distribution options
    (and ``more`` of this run's training settings, such as ``train --class-weight``) in its training settings.
    ``project`` itself is left as it is, so the file saved afterwards keeps its own.

    Raises :class:`DistributionError` (a ValueError) naming the bad option.
    """
    changes: dict[str, Any] = dict(more or {})
    if getattr(args, "strategy", None):
        changes["strategy"] = args.strategy
    if getattr(args, "mixed_precision", None):
        changes["mixed_precision"] = args.mixed_precision
    gpus = getattr(args, "gpus", None)
    if gpus:
        try:
            changes["gpus"] = [int(g) for g in gpus.split(",") if g.strip()]
        except ValueError as exc:
            raise DistributionError(f"--gpus must be comma-separated GPU indices such as 0,1; received {gpus!r}.") \
                from exc
    training = project.training.with_changes(**changes)
    DistributionConfig.from_training(training.to_dict()).check()
    if not changes:
        return project
    return Project(project.graph, project.name, project.dataset, training, project.runs, project.path)


def is_chief_run(run: Any) -> bool:
    """Whether this process's run record is the one to keep (False on non-chief workers of a cluster)."""
    return bool((getattr(run, "extra", None) or {}).get("chief", True))
