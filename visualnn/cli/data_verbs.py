"""Data verbs: ``visualnn data inspect PATH`` (TF-free: format, columns or classes, tensors, problems)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail

EXIT_OK, EXIT_UNREADABLE = int(ExitCode.OK), int(ExitCode.BAD_INPUT)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (window lengths, image sizes), refused with the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; received {value}")
    return value


def _options(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The source kind (``--kind``, the options' ``kind``, else guessed from the path) and the DatasetSpec options
    from the command line (``--options`` JSON, then the shortcuts).

    A shortcut that does not apply to ``kind`` (``--window`` without a time series, ``--image-size`` without an
    image folder) is refused rather than ignored.
    """
    options: dict[str, Any] = {}
    if args.options:
        try:
            loaded = json.loads(args.options)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--options is not valid JSON ({exc}); give a JSON object such as "
                             '\'{"scaling": "minmax"}\'.') from None
        if not isinstance(loaded, dict):
            raise ValueError(f"--options must be a JSON object; received {args.options!r}.")
        options.update(loaded)
    from visualnn.services.datasets.inspect import guess_kind

    kind = str(args.kind or options.pop("kind", None) or guess_kind(args.path))
    if args.window is not None and kind != "timeseries":
        raise ValueError(f"--window sets the window of a time series, but {args.path} is read as {kind}; "
                         "add --kind timeseries (or leave --window out).")
    if args.image_size is not None and kind != "images":
        raise ValueError(f"--image-size sets the size images are resized to, but {args.path} is read as {kind}; "
                         "give an image folder (or leave --image-size out).")
    if args.target:
        if kind == "timeseries":
            options["window"] = dict(options.get("window") or {}, target=args.target)
        else:
            options.setdefault("columns", {})[args.target] = {"role": "target"}
    if args.window is not None:
        options["window"] = dict(options.get("window") or {}, length=args.window)
    if args.image_size is not None:
        options["image"] = dict(options.get("image") or {}, image_size=list(args.image_size))
    return kind, options


def cmd_inspect(args: argparse.Namespace) -> int:
    """``visualnn data inspect``: describe a data source; exit 2 when it cannot be read."""
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.inspect import inspect_source

    try:
        kind, options = _options(args)
        info = inspect_source(args.path, options, kind=kind)
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
    p.add_argument("path", metavar="PATH", help="a CSV/TSV file, an image folder (one sub-folder per class), .npy or .npz "
                   "(an image or a .keras file alone is no data source)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--kind", choices=("csv", "images", "numpy", "timeseries"), help="source kind (default: guessed)")
    p.add_argument("--target", metavar="COLUMN", help="target column (default: the last column)")
    p.add_argument("--window", type=positive_int, metavar="STEPS",
                   help="time-series window length, at least 1 (with --kind timeseries)")
    p.add_argument("--image-size", type=positive_int, nargs=2, metavar=("HEIGHT", "WIDTH"),
                   help="resize images to this size (with an image folder)")
    p.add_argument("--options", metavar="JSON", help="DatasetSpec options as a JSON object")
    p.set_defaults(func=cmd_inspect)

    def _usage(args: argparse.Namespace) -> int:
        data.print_help(sys.stderr)
        return EXIT_UNREADABLE

    data.set_defaults(func=_usage)
