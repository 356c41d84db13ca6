"""Entry point frozen by PyInstaller: the ``visualnn`` command, plus ``-m visualnn.<module>``.

A frozen bundle has no Python interpreter to run ``python -m visualnn.engine``; the engine client
starts ``sys.executable -m visualnn.engine`` either way, so this script emulates ``-m`` for the
app's own modules (and nothing else, so the bundle cannot be used to run arbitrary code).
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def main() -> int:
    """Dispatch to ``-m visualnn.*`` or to the ``visualnn`` command line."""
    multiprocessing.freeze_support()
    argv = sys.argv
    if len(argv) >= 3 and argv[1] == "-m":
        module = argv[2]
        if module != "visualnn" and not module.startswith("visualnn."):
            print(f"visualnn: only the app's own modules run with -m; received {module!r}.", file=sys.stderr)
            return 2
        sys.argv = [argv[0], *argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from visualnn.cli import main as cli_main

    return int(cli_main())


if __name__ == "__main__":
    raise SystemExit(main())
