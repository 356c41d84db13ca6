"""Data verbs: ``visualnn data inspect PATH`` (TF-free: format, columns or classes, tensors, problems)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail

EXIT_OK, EXIT_UNREADABLE = int(ExitCode.OK), int(ExitCode.BAD_INPUT)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """DatasetSpec options from the command line (``--options`` JSON, then the shortcuts)."""
    options: dict[str, Any] = {}
    if args.options:
        loaded = json.loads(args.options)
        if not isinstance(loaded, dict):
            raise ValueError(f"--options must be a JSON object; received {args.options!r}.")
        options.update(loaded)
    if args.target:
        if args.kind == "timeseries":
            options["window"] = dict(options.get("window") or {}, target=args.target)
        else:
            options.setdefault("columns", {})[args.target] = {"role": "target"}
    if args.window:
        options["window"] = dict(options.get("window") or {}, length=args.window)
    if args.image_size:
        options["image"] = dict(options.get("image") or {}, image_size=list(args.image_size))
    return options


def cmd_inspect(args: argparse.Namespace) -> int:
    """``visualnn data inspect``: describe a data source; exit 2 when it cannot be read."""
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.inspect import inspect_source

    try:
        info = inspect_source(args.path, _options(args), kind=args.kind)
    except (DataError, ValueError, OSError) as exc:
        return fail(str(exc), ExitCode.BAD_INPUT, args.json, path=args.path)
    if args.json:
        print(json.dumps({"ok": True, **info.to_dict()}, indent=2, ensure_ascii=False, default=str))
    else:
        print(info.describe())
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the ``data`` verb group to the ``visualnn`` parser."""
    data = sub.add_parser("data", help="Look at data files (CSV, image folders, .npy/.npz, time series).")
    data_sub = data.add_subparsers(dest="data_verb", metavar="ACTION")
    p = data_sub.add_parser(
        "inspect",
        help="Print the detected format, columns or classes, tensor shapes/ranks/dtypes and any problems.",
        description="Print the detected format, columns or classes, tensor shapes/ranks/dtypes and any problems "
        "(exit 2 when the input cannot be read).",
    )
    p.add_argument("path", metavar="PATH", help="a CSV/TSV file, an image folder (one sub-folder per class), .npy or .npz")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--kind", choices=("csv", "images", "numpy", "timeseries"), help="source kind (default: guessed)")
    p.add_argument("--target", metavar="COLUMN", help="target column (default: the last column)")
    p.add_argument("--window", type=int, metavar="STEPS", help="time-series window length (with --kind timeseries)")
    p.add_argument("--image-size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"), help="resize images to this size")
    p.add_argument("--options", metavar="JSON", help="DatasetSpec options as a JSON object")
    p.set_defaults(func=cmd_inspect)

    def _usage(args: argparse.Namespace) -> int:
        data.print_help(sys.stderr)
        return EXIT_UNREADABLE

    data.set_defaults(func=_usage)
