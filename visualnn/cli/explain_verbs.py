"""``visualnn explain``: Grad-CAM, saliency or permutation importance of a trained run, written as PNG or CSV.

The project is loaded once and the same service the engine's ``explain`` job runs gets it, so the window
and the command line explain identically.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail
from visualnn.core.explain_protocol import METHODS, ExplainRequest, importance_effect
from visualnn.core.project.io import ProjectFileError
from visualnn.core.tensors import figure_text


def register(sub: Any) -> None:
    """Add the explain verb."""
    p = sub.add_parser("explain", help="Explain a trained run: Grad-CAM or saliency over an image (PNG, or the "
                                       "heatmap as CSV), or permutation importance of a table's columns (CSV or PNG).")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("--run", dest="run_id", help="run id (default: the latest run with a saved model)")
    p.add_argument("--input", dest="input_path", help="an image (or .npy) to explain, read as the training data was; "
                                                      "without it, --split/--index pick a sample of the project's data")
    p.add_argument("--method", choices=METHODS, default="gradcam", help="gradcam (default), saliency or permutation "
                                                                        "(on the validation split; no --input)")
    p.add_argument("--split", default="test", choices=("test", "val", "train"), help="split of --index (default test)")
    p.add_argument("--index", type=int, default=0, help="sample of the split to explain (default 0)")
    p.add_argument("--node", help="the convolutional layer Grad-CAM looks at (default: the last one)")
    p.add_argument("--class", dest="class_index", type=int, help="class index to explain (default: the predicted one)")
    p.add_argument("-o", "--output", required=True, help="out.png or out.csv")
    p.add_argument("--force", action="store_true", help="overwrite the output file")
    p.set_defaults(func=explain_main, tensorflow=True)


def explain_main(args: argparse.Namespace) -> int:
    """Explain, then write the PNG or CSV."""
    from visualnn.core.project.io import load_project
    from visualnn.services.training_common import TrainingError

    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".png", ".csv"):
        return fail(f"-o {args.output}: write a .png or a .csv file.", ExitCode.BAD_INPUT)
    if os.path.exists(args.output) and not args.force:
        return fail(f"{args.output} exists; pass --force to overwrite it.", ExitCode.BAD_INPUT)
    if args.input_path and not os.path.exists(args.input_path):
        return fail(f"--input {args.input_path}: no such file.", ExitCode.BAD_INPUT)
    try:
        project = load_project(args.file)
    except ProjectFileError as exc:
        return fail(str(exc), ExitCode.BAD_INPUT)
    base_dir = os.path.dirname(os.path.abspath(args.file))
    node = _node_id(project, args.node)
    req = ExplainRequest(project=project, base_dir=base_dir, run_id=args.run_id, method=args.method,
                         split=args.split, index=args.index, node=node, class_index=args.class_index,
                         input_path=os.path.abspath(args.input_path) if args.input_path else None)
    from visualnn.services.explain_render import report_csv, report_png
    from visualnn.services.explanations import run_explain

    try:
        report = run_explain(req)
    except (OSError, ValueError, TrainingError) as exc:
        return fail(str(exc), ExitCode.ERRORS)
    try:
        if ext == ".csv":
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(report_csv(report))
        else:
            with open(args.output, "wb") as fh:
                fh.write(report_png(report))
    except OSError as exc:
        return fail(f"Could not write {args.output}: {exc.strerror or exc}.", ExitCode.BAD_INPUT)
    print(_summary(report, args.output))
    return int(ExitCode.OK)


def _node_id(project: Any, node: str | None) -> str | None:
    """``--node`` as a canvas node id: a node's id or its layer name."""
    if node is None:
        return None
    for n in project.graph:
        if node in (n.id, n.label):
            return str(n.id)
    return node


def _summary(report: dict[str, Any], path: str) -> str:
    """One line per fact the file holds."""
    if report["method"] == "permutation":
        lines = [f"Permutation importance of run {report['run_id']} on {report['n_samples']} validation samples "
                 f"({report['metric']} {report['baseline']:.4f}; each figure is the {importance_effect(report)} "
                 "when that column is shuffled):"]
        lines += [f"  {r['column']:<24} {figure_text(r['drop'], sign=True):>14}" for r in report["importances"]]
    else:
        where = report.get("source") or f"{report.get('split')} sample {report.get('index')}"
        layer = f" on {report['layer']}" if report.get("layer") else ""
        lines = [f"{report['method']}{layer} of run {report['run_id']} for {where}: predicted {report['predicted']} "
                 f"({report['confidence']:.1%}), explaining class {report['class_name']}"]
    lines.append(f"Wrote {path}")
    return "\n".join(lines)
