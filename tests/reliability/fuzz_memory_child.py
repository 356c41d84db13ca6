"""Run a batch of fuzz cases in this one process, under an address-space limit, and report each as JSON.

``python -m tests.reliability.fuzz_memory_child CASES.jsonl [--limit-gb N] [--keras]`` reads one
:class:`~tests.reliability.fuzz_inputs.Case` per line, imports what the cases need (``--keras``: Keras and
TensorFlow) and prints ``{"baseline_kb": ...}`` (peak resident memory after the imports), then one line per
case: ``{"i", "outcome": "ok" | "refused", "peak_kb"}``, or ``{"i", "error", "traceback", "peak_kb"}`` for an
exception that is neither success nor the documented refusal (a ``MemoryError`` under the limit included).
The peak is the process's own ``VmHWM`` (:mod:`tests.reliability.peak_memory`). A crash leaves lines missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import traceback


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases")
    parser.add_argument("--limit-gb", type=float, default=0.0)
    parser.add_argument("--keras", action="store_true")
    args = parser.parse_args()
    if args.limit_gb:
        limit = int(args.limit_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    import numpy  # noqa: F401  (the baseline: what the readers import anyway)
    import pandas  # noqa: F401
    import PIL.Image  # noqa: F401
    import pyarrow  # noqa: F401

    import visualnn.services.datasets.inspect  # noqa: F401
    from tests.reliability.fuzz_inputs import Case, run_case
    from tests.reliability.peak_memory import peak_rss_kb

    if args.keras:
        import keras  # noqa: F401

        import visualnn.services.importing  # noqa: F401
    print(json.dumps({"baseline_kb": peak_rss_kb()}), flush=True)
    with open(args.cases, encoding="utf-8") as fh:
        cases = [Case.from_json(line) for line in fh if line.strip()]
    for i, case in enumerate(cases):
        out: dict[str, object] = {"i": i}
        try:
            outcome = run_case(case)
        except Exception as exc:  # reported, not raised: the rest of the batch still runs
            out["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
            out["traceback"] = traceback.format_exc()[-3000:]
        else:
            out["outcome"] = "ok" if outcome == "ok" else "refused"
        out["peak_kb"] = peak_rss_kb()
        out["vm_peak_kb"] = _vm_peak_kb()
        print(json.dumps(out), flush=True)
    return 0


def _vm_peak_kb() -> int:
    """Peak address space reserved (``VmPeak``): what ``RLIMIT_AS`` counts, reported to explain a MemoryError."""
    with open("/proc/self/status", encoding="ascii") as fh:
        return next((int(line.split()[1]) for line in fh if line.startswith("VmPeak:")), 0)


if __name__ == "__main__":
    sys.exit(main())
