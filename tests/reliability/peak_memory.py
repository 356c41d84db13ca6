"""A process's own peak resident memory, for the memory tests' child processes.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` survives ``exec`` on Linux: a child forked from a large
pytest worker (TensorFlow loaded: ~850 MB) starts with the worker's peak, so a growth measured with it
reads 0 and a bound checked with it fails for the worker's size. ``VmHWM`` in ``/proc/self/status``
belongs to the new address space, so it is the child's own peak.
"""

from __future__ import annotations

import resource


def peak_rss_kb() -> int:
    """This process's peak resident set size in KiB (``VmHWM``; ``ru_maxrss`` where /proc has none)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


__all__ = ["peak_rss_kb"]
