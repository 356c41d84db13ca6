"""``visualnn export-code | export-model | import-model``: scripts, model files with parity, imports."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from visualnn.cli.distribute_args import add_distribution_args
from visualnn.cli.exit_codes import ExitCode, fail

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = int(ExitCode.OK), int(ExitCode.ERRORS), int(ExitCode.BAD_INPUT)


def register(sub: Any) -> None:
    """Add the export-code, export-model and import-model verbs."""
    p = sub.add_parser("export-code", help="Write the project as a standalone Keras training script.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("-o", "--output", required=True, help="the script to write, e.g. train.py")
    p.add_argument("--style", default="functional", choices=("sequential", "functional", "subclass"),
                   help="how the model is defined (default: functional)")
    p.add_argument("--model-only", action="store_true", help="write only the model definition (build_model)")
    p.add_argument("--search", action="store_true",
                   help="write a standalone Optuna search script with the project's search space, sampler, pruner and seed")
    p.add_argument("--space", action="append", default=[], metavar="TARGET=SPEC",
                   help="with --search: a searched parameter added to the project's space (as for visualnn search)")
    p.add_argument("--requirements", metavar="PATH",
                   help="where to write requirements.txt, pinned to the installed versions (default: beside the script)")
    add_distribution_args(p, training=False)  # --strategy/--mixed-precision (default: the project's)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=export_code_main)

    p = sub.add_parser("export-model", help="Export a trained model (.keras, .tflite, .onnx or SavedModel dir) with a parity check.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("-o", "--output", required=True, help="OUT.keras, OUT.tflite, OUT.onnx (needs visualnn[onnx]), or a folder for a SavedModel")
    p.add_argument("--run", dest="run_id", help="run id (default: the latest trained run, else the untrained model)")
    p.add_argument("--quantize", default="none", choices=("none", "dynamic", "float16", "int8", "int8-io"),
                   help="TFLite quantization (default: none, float32); int8 keeps float32 inputs and outputs, "
                        "int8-io makes them int8 too (scale and zero point in the report)")
    p.add_argument("--samples", type=int, default=256, help="samples used for the parity check (default 256)")
    p.add_argument("--json", action="store_true", help="print the parity report as JSON")
    p.set_defaults(func=export_model_main, tensorflow=True)

    p = sub.add_parser("import-model", help="Open a .keras file or Keras JSON config as a VisualNN project.")
    p.add_argument("model", help="MODEL.keras, a legacy MODEL.h5, or a model.to_json() file")
    p.add_argument("-o", "--output", required=True, help="the .vnn project to write")
    p.add_argument("--weights", action="store_true", help="bring the weights along as a run (from .keras or .h5)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file (its run history is replaced)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=import_model_main, tensorflow=True)


def _fail(message: str, as_json: bool, code: ExitCode = ExitCode.BAD_INPUT) -> int:
    """A file that cannot be read or written (exit 2), or with ``ERRORS`` a model that cannot be exported (exit 1)."""
    return fail(message, code, as_json)


def export_code_main(args: argparse.Namespace) -> int:
    """Write the training script (or model definition) and its requirements.txt for a project."""
    from visualnn.core.project.io import ProjectFileError, load_project
    from visualnn.services.script_export import ScriptExportError, export_script, write_script

    try:
        project = load_project(args.file)
    except ProjectFileError as exc:  # its message names the file already
        return _fail(str(exc), args.json)
    if getattr(args, "mixed_precision", None):
        project.set_training(project.training.with_changes(mixed_precision=args.mixed_precision))
    base_dir = os.path.dirname(os.path.abspath(args.file))
    script_dir = os.path.dirname(os.path.abspath(args.output))
    try:
        if getattr(args, "search", False):
            from visualnn.core.search_space import merged, parse_assignment
            from visualnn.services.search_export import export_search_script

            try:
                extra = [parse_assignment(text) for text in args.space]
            except ValueError as exc:
                return _fail(str(exc), args.json)
            project.search = project.search.with_changes(space=merged(project.search.space, extra))
            export = export_search_script(project, base_dir, script_dir, os.path.abspath(args.file))
        else:
            export = export_script(project, args.style, base_dir, script_dir, getattr(args, "strategy", None),
                                   model_only=args.model_only)
        written = write_script(export, args.output, args.requirements)
    except ScriptExportError as exc:  # the model cannot be written as code, or its data cannot be read
        return _fail(str(exc), args.json, ExitCode.ERRORS)
    except OSError as exc:
        return _fail(f"Could not write {exc.filename or args.output}: {exc.strerror or exc}.", args.json)
    if args.json:
        print(json.dumps({"ok": True, "path": args.output, "style": args.style, "lines": export.lines,
                          "requirements": written.requirements,
                          "kept_requirements": written.kept_requirements}))
    else:
        print(f"Wrote {args.output} ({export.lines} lines, {args.style} style).")
        if written.requirements:
            print(f"Wrote {written.requirements}.")
        if written.kept_requirements:
            print(f"Kept {written.kept_requirements}: VisualNN did not write it, so it was left as it is.")
    return EXIT_OK


def export_model_main(args: argparse.Namespace) -> int:
    """Export, reload, compare; exit 1 when parity fails its tolerance."""
    from visualnn.core.project.io import ProjectFileError, load_project, save_project
    from visualnn.services.export import ExportError
    from visualnn.services.export_project import export_project, replace_run

    try:
        project = load_project(args.file)
    except ProjectFileError as exc:  # its message names the file already
        return _fail(str(exc), args.json)
    base_dir = os.path.dirname(os.path.abspath(args.file))
    try:
        report, record = export_project(project, args.output, base_dir, args.run_id, args.quantize, args.samples)
    except OSError as exc:
        return _fail(f"Export failed: could not write {exc.filename or args.output}: {exc.strerror or exc}.", args.json)
    except (ExportError, ValueError) as exc:  # the model cannot be exported (the message says why)
        return _fail(str(exc), args.json, ExitCode.ERRORS)
    if record is not None:
        replace_run(project, record)
        try:
            save_project(project, args.file)
        except OSError as exc:
            return _fail(f"{args.output} was exported but its report could not be stored in {args.file}: "
                         f"{exc.strerror or exc}. Make the file writable and export again.", args.json)
    if args.json:
        print(json.dumps({"ok": report.passed, "run": record.id if record else None, "report": report.to_dict()}))
    else:
        print(report.summary())
        if record is not None:
            print(f"Report stored in run {record.id} of {args.file}.")
    return EXIT_OK if report.passed else EXIT_ERRORS


def import_model_main(args: argparse.Namespace) -> int:
    """Convert a Keras model file into a project file (an existing one only with ``--force``, as ``new``)."""
    if os.path.lexists(args.output) and not args.force:  # before anything is read or weights are written
        return _fail(f"{args.output} already exists; pass --force to overwrite it.", args.json)
    from visualnn.core.project.io import save_project
    from visualnn.core.shapes import infer_shapes
    from visualnn.services.export_project import import_project
    from visualnn.services.keras_config import ModelImportError

    try:
        project, notes = import_project(args.model, args.output, with_weights=args.weights)
    except (ModelImportError, OSError, ValueError) as exc:  # the model file cannot be read or is refused
        return _fail(str(exc), args.json)
    try:
        save_project(project, args.output)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}.", args.json)
    report = infer_shapes(project.graph)
    if args.json:
        print(json.dumps({"ok": True, "path": args.output, "name": project.name, "layers": len(project.graph),
                          "params": report.total_params, "notes": notes,
                          "runs": [r.id for r in project.runs]}))
    else:
        print(f"Imported {project.name!r}: {len(project.graph)} layers, {report.total_params:,} parameters -> {args.output}")
        for note in notes:
            print(f"  {note}")
    return EXIT_OK
