"""The ``visualnn`` command: no arguments starts the GUI; verbs run headless (no Qt import)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from visualnn import __version__
from visualnn.cli.exit_codes import ExitCode, epilog, run_verb

# Each module defines ``register(subparsers)`` adding its verbs; a verb's handler is stored as
# ``func`` and returns the exit code of the contract in ``visualnn.cli.exit_codes`` (``main`` turns an
# unexpected exception into its code 70). Adding verbs never touches this file beyond this tuple.
VERB_MODULES: tuple[str, ...] = (
    "visualnn.cli.project_verbs",
    "visualnn.cli.train_verbs",
    "visualnn.cli.data_verbs",
    "visualnn.cli.export_verbs",
    "visualnn.cli.cluster_verbs",
    "visualnn.cli.analyze_verbs",
    "visualnn.cli.explain_verbs",
    "visualnn.cli.search_verbs",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available verb."""
    parser = argparse.ArgumentParser(
        prog="visualnn",
        description="VisualNN: build, train and export Keras models visually. Without a verb, opens the app.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"VisualNN {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in VERB_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def launch_gui(argv: Sequence[str]) -> int:
    """Start the desktop app (optionally opening a project file)."""
    try:
        from visualnn.ui.app import run_app
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("visualnn.ui"):
            print(f"visualnn: the desktop app needs {exc.name} ({exc}). Install with: pip install visualnn", file=sys.stderr)
            return int(ExitCode.BAD_INPUT)
        print("visualnn: the desktop window is not available in this build; showing the model summary.")
        from visualnn.cli.project_verbs import summary_main

        target = argv[0] if argv else None
        return summary_main(target)
    return int(run_app(list(argv)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``visualnn`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args_list or (len(args_list) == 1 and args_list[0].endswith(".vnn")) or args_list[0] in ("--gui",):
        return launch_gui([a for a in args_list if a != "--gui"])
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help/--version (0) or bad usage (2, argparse has said why)
        return exc.code if isinstance(exc.code, int) else int(ExitCode.BAD_INPUT)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return int(ExitCode.BAD_INPUT)
    verb = " ".join(str(part) for part in (args.verb, getattr(args, "data_verb", None)) if part)
    func = args.func
    if getattr(args, "tensorflow", False):  # set by the verbs that train or load models
        from visualnn.cli.tf_start import after_tensorflow

        func = after_tensorflow(func)
    return run_verb(func, args, verb)
