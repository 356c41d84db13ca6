"""Distribution options shared by ``visualnn train`` and ``visualnn export-code`` (strategy, GPUs, precision)."""

from __future__ import annotations

import argparse
import copy
from typing import Any

from visualnn.core.distribution import PRECISIONS, STRATEGIES, DistributionConfig, DistributionError


def add_distribution_args(parser: argparse.ArgumentParser, training: bool = True) -> None:
    """Add ``--strategy``, ``--mixed-precision`` (and for training ``--gpus``) to a verb's parser."""
    parser.add_argument("--strategy", choices=STRATEGIES,
                        help="auto (one GPU if present, else CPU), mirrored (all or --gpus local GPUs) or "
                             "multiworker (one worker of the cluster in TF_CONFIG); default: the project's")
    parser.add_argument("--mixed-precision", dest="mixed_precision", choices=PRECISIONS,
                        help="mixed_float16 (GPUs with tensor cores) or mixed_bfloat16; outputs stay float32")
    if training:
        parser.add_argument("--gpus", help="mirrored only: comma-separated local GPU indices, e.g. 0,1 (default: all)")


def apply_distribution_args(snapshot: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """A copy of the project snapshot with the command line's distribution options in its training settings.

    Raises :class:`DistributionError` (a ValueError) naming the bad option.
    """
    training = dict(snapshot.get("training") or {})
    if getattr(args, "strategy", None):
        training["strategy"] = args.strategy
    if getattr(args, "mixed_precision", None):
        training["mixed_precision"] = args.mixed_precision
    gpus = getattr(args, "gpus", None)
    if gpus:
        try:
            training["gpus"] = [int(g) for g in gpus.split(",") if g.strip()]
        except ValueError as exc:
            raise DistributionError(f"--gpus must be comma-separated GPU indices such as 0,1; received {gpus!r}.") \
                from exc
    DistributionConfig.from_training(training).check()
    out = copy.deepcopy(snapshot)
    out["training"] = training
    return out


def is_chief_run(run: Any) -> bool:
    """Whether this process's run record is the one to keep (False on non-chief workers of a cluster)."""
    return bool((getattr(run, "extra", None) or {}).get("chief", True))
