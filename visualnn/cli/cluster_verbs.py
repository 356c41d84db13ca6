"""``visualnn local-cluster``: try multi-worker training on one computer (N workers on 127.0.0.1)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail


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
        return fail("give the command each worker runs, e.g. -- train p.vnn --strategy multiworker",
                    ExitCode.BAD_INPUT)
    if args.workers < 1:
        return fail(f"--workers must be at least 1; received {args.workers}.", ExitCode.BAD_INPUT)
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
        return fail(str(exc), ExitCode.ERRORS)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return fail("interrupted; stopping every worker.", ExitCode.INTERRUPTED)
    finally:
        codes = cluster.stop()
    for i, code in enumerate(codes):
        print(f"worker {i}: exit code {code} (log: {os.path.join(args.logs, f'worker-{i}.log')})")
    return int(ExitCode.OK if all(code == 0 for code in codes) else ExitCode.ERRORS)
