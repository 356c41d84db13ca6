"""``visualnn analyze``: FLOPs, memory and (with ``--deploy``) TFLite deployability of a project's model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail


def register(sub: Any) -> None:
    """Add the ``analyze`` verb."""
    p = sub.add_parser(
        "analyze",
        help="Cost of a model before training: FLOPs, weight and activation memory, peak training memory.",
        description="Per-layer multiply-accumulates and FLOPs per sample, weight bytes, activation bytes at the "
        "batch size, and peak memory estimates for training and inference (docs/COST_ANALYSIS.md). "
        "--deploy also converts the untrained model to TFLite (needs TensorFlow) and reports per layer whether "
        "it uses built-in ops, needs Flex (Select TF ops) or fails.",
    )
    p.add_argument("file", metavar="FILE.vnn")
    p.add_argument("--batch-size", type=int, default=None, metavar="B",
                   help="batch size for the activation memory (default: the project's training batch size)")
    p.add_argument("--deploy", action="store_true", help="also run the TFLite deployability precheck")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=analyze_main)


def analyze_main(args: argparse.Namespace) -> int:
    """Print the cost report (and the precheck); exit 1 when the model has shape errors or cannot convert."""
    from visualnn.core.costs import analyze_costs
    from visualnn.core.project.io import ProjectFileError, load_project
    from visualnn.core.shapes import infer_shapes

    if args.batch_size is not None and args.batch_size < 1:
        return fail(f"--batch-size must be a positive integer; received {args.batch_size}.", ExitCode.BAD_INPUT,
                    args.json)
    try:
        project = load_project(args.file)
    except ProjectFileError as exc:
        return fail(str(exc), ExitCode.BAD_INPUT, args.json, file=args.file)
    shapes = infer_shapes(project.graph)
    report = analyze_costs(project.graph, project.training, shapes, batch_size=args.batch_size)
    data: dict[str, Any] = {"ok": not shapes.errors, "file": args.file, **report.to_dict()}
    code = ExitCode.OK if not shapes.errors else ExitCode.ERRORS
    if shapes.errors:
        data["errors"] = {project.graph.nodes[nid].label: msg for nid, msg in shapes.errors.items()}
    if args.deploy:
        if shapes.errors:
            data["deploy"] = {"status": "fails", "message": "Fix the model's shape errors first.", "nodes": []}
        else:
            from visualnn.services.deploy_check import deploy_check
            from visualnn.services.keras_builder import BuildError

            try:
                data["deploy"] = deploy_check(project).to_dict()
            except BuildError as exc:
                data["deploy"] = {"status": "fails", "message": str(exc), "nodes": []}
            except ModuleNotFoundError as exc:
                if exc.name not in ("tensorflow", "keras", "ai_edge_litert"):
                    raise
                return fail(f"--deploy converts the model with TensorFlow, and {exc.name} is not installed. "
                            "Install it with: pip install visualnn", ExitCode.BAD_INPUT, args.json)
            if data["deploy"]["status"] == "fails":
                code = ExitCode.ERRORS
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(format_report(data))
    return int(code)


def format_report(data: dict[str, Any]) -> str:
    """The text form: a table of layers, then the totals and, when asked, the precheck."""
    from visualnn.core.costs import fmt_bytes, fmt_flops

    lines = [f"{'Layer':<28} {'Type':<22} {'FLOPs':>12} {'Weights':>10} {'Activations':>12}", "-" * 88]
    for row in data["layers"]:
        flops = fmt_flops(row["flops"]) + ("*" if not row["formula"] else "")
        lines.append(f"{row['name'][:28]:<28} {row['type'][:22]:<22} {flops:>12} {fmt_bytes(row['weight_bytes']):>10} "
                     f"{fmt_bytes(row['activation_bytes']):>12}")
    total = data["total"]
    lines += ["-" * 88,
              f"FLOPs per sample: {fmt_flops(total['flops'])} ({total['macs']:,} MACs)   Params: {total['params']:,}",
              f"Batch size {data['batch_size']}, {data['optimizer']} ({data['optimizer_slots_per_weight']} slots per "
              f"weight), precision {data['precision']}",
              f"Training peak (estimate): {fmt_bytes(total['training_peak_bytes'])}   "
              f"Inference peak (estimate): {fmt_bytes(total['inference_peak_bytes'])}"]
    if data["without_formula"]:
        lines.append("* no analytic formula, counted as 0: " + ", ".join(data["without_formula"]))
    for name, msg in (data.get("errors") or {}).items():
        lines.append(f"error: {name}: {msg}")
    deploy = data.get("deploy")
    if deploy:
        lines.append(f"TFLite: {deploy['status']} - {deploy['message']}")
        sizes = deploy.get("sizes") or {}
        if sizes:
            lines.append("  .tflite size: " + "   ".join(f"{k} {fmt_bytes(v)}" for k, v in sizes.items()))
        for node in deploy.get("nodes", []):
            if node["status"] != "builtin":
                lines.append(f"  {node['name']}: {node['status']} {node['message']}".rstrip())
    return "\n".join(lines)
