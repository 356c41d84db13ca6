"""``visualnn local-cluster``: try multi-worker training on one computer (N workers on 127.0.0.1)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any


def register(sub: Any) -> None:
    """Add the local-cluster verb."""
    p = sub.add_parser("local-cluster", help="Run a visualnn command as N workers of a local TF_CONFIG cluster.",
                       description="Starts N copies of a visualnn command on 127.0.0.1 with free ports and their own "
                                   "TF_CONFIG, shows worker 0's output, and stops every worker at the end "
                                   "(SIGTERM, then SIGKILL). Example: visualnn local-cluster --workers 2 -- "
                                   "train p.vnn --strategy multiworker")
    p.add_argument("--workers", type=int, default=2, help="number of worker processes (default 2)")
    p.add_argument("--timeout", type=float, default=3600.0, help="stop every worker after this many seconds")
    p.add_argument("--logs", default="cluster-logs", help="folder for worker-<i>.log (default ./cluster-logs)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the visualnn command each worker runs, after --")
    p.set_defaults(func=local_cluster_main)


def local_cluster_main(args: argparse.Namespace) -> int:
    """Run the cluster, echo worker 0's output, return 0 only if every worker succeeded."""
    from visualnn.services.cluster import ClusterError, LocalCluster

    command = [a for a in args.command if a != "--"] if args.command[:1] == ["--"] else list(args.command)
    if not command:
        print("visualnn: give the command each worker runs, e.g. -- train p.vnn --strategy multiworker",
              file=sys.stderr)
        return 2
    if args.workers < 1:
        print(f"visualnn: --workers must be at least 1; received {args.workers}.", file=sys.stderr)
        return 2
    cluster = LocalCluster([sys.executable, "-m", "visualnn", *command], n_workers=args.workers, log_dir=args.logs)
    shown = 0
    deadline = time.monotonic() + args.timeout
    try:
        cluster.start()
        print(f"Started {args.workers} workers on {', '.join(cluster.addresses)}; logs in {args.logs}/")
        while any(w.alive() for w in cluster.workers) and time.monotonic() < deadline:
            text = cluster.workers[0].log()
            sys.stdout.write(text[shown:])
            sys.stdout.flush()
            shown = len(text)
            time.sleep(0.5)
        sys.stdout.write(cluster.workers[0].log()[shown:])
        if any(w.alive() for w in cluster.workers):
            raise ClusterError(f"The cluster did not finish within {args.timeout:.0f} s; all workers were stopped.")
    except ClusterError as exc:
        print(f"visualnn: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nvisualnn: interrupted; stopping every worker.", file=sys.stderr)
        return 130
    finally:
        codes = cluster.stop()
    for i, code in enumerate(codes):
        print(f"worker {i}: exit code {code} (log: {os.path.join(args.logs, f'worker-{i}.log')})")
    return 0 if all(code == 0 for code in codes) else 1
