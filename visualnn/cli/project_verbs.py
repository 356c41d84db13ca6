"""Project verbs: ``new``, ``templates``, ``layers``, ``check``, ``summary`` (core only: no TensorFlow, no Qt)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visualnn.cli.exit_codes import ExitCode, fail
from visualnn.core.paths import outside_folder_notice
from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, load_project, save_project
from visualnn.core.shapes import ShapeReport, infer_shapes
from visualnn.core.specs import default_registry, fmt_shape
from visualnn.core.summary import SummaryRow, summary_rows
from visualnn.core.templates import TEMPLATES, template
from visualnn.core.validation import Issue, data_unreadable, validate

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "tabular" / "tabular.vnn"
"""The bundled example opened by ``make run`` (and summarised until the window exists)."""

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = int(ExitCode.OK), int(ExitCode.ERRORS), int(ExitCode.BAD_INPUT)


def _emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _fail(message: str, as_json: bool, **extra: Any) -> int:
    """A file that cannot be read or written, or a wrong argument: exit 2."""
    return fail(message, ExitCode.BAD_INPUT, as_json, **extra)


# --------------------------------------------------------------------------- new
def create_project(template_name: str, data: str | None = None, target: str | None = None,
                   notes: list[str] | None = None) -> Project:
    """A new project from a template, optionally pointed at a data file and its target column.

    With data, the Input shape and output layer follow the data and the data gets the new-project
    split (train/validation/test 70/15/15); why a small dataset got no test split is appended to
    ``notes``. The data path is stored absolute in memory and written relative to the project file
    by ``save_project``. :func:`new_project` also says what was adapted and whether the result fits.
    """
    made = new_project(template_name, data, target)
    if made.split_note is not None and notes is not None:
        notes.append(made.split_note)
    return made.project


@dataclass
class NewProject:
    """A project made from a template, with what adapting it to the data did and what still does not fit."""

    project: Project
    notes: list[str] = field(default_factory=list)  # what adapting to the data did beyond Input and output settings
    issues: list[Issue] = field(default_factory=list)  # validation against the data
    fitting: list[str] = field(default_factory=list)  # templates that do fit the data (filled when this one does not)
    split_note: str | None = None  # why the data got no test split (too little of it), when it did not


def new_project(template_name: str, data: str | None = None, target: str | None = None) -> NewProject:
    """Build the template and, with ``data``, adapt it: Input shape, a Flatten where the data needs one, the
    output layer and loss/metrics, the new-project split; then check it against the data (TF-free: the data
    is only inspected)."""
    project = template(template_name).build()
    if data is None:
        return NewProject(project, issues=validate(project))
    from visualnn.services.datasets.attach import apply_info, fitting_templates, inspect_to_attach
    from visualnn.services.datasets.facts import facts_of

    info, notes = inspect_to_attach(project.graph, data, target)
    path = os.path.abspath(data)
    adaptation = apply_info(project, info, path)
    result = NewProject(project, notes + adaptation.notes, validate(project, facts=facts_of(info)),
                        split_note=info.split_note)
    if any(i.is_error for i in result.issues):
        result.fitting = [t for t in fitting_templates(info, path) if t != template_name]
    return result


def add_new_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``visualnn new`` (extended in one place when --data/--target arrive)."""
    parser.add_argument("--template", "-t", required=True, choices=list(TEMPLATES), metavar="NAME",
                        help=f"starter model: {', '.join(TEMPLATES)}")
    parser.add_argument("-o", "--output", required=True, metavar="FILE.vnn", help="project file to write")
    parser.add_argument("--name", help="project name (default: the template's title)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--data", metavar="PATH", help="attach a CSV, image folder or .npy/.npz and adapt the model to it")
    parser.add_argument("--target", metavar="COLUMN", help="the target column of --data (default: the last column)")


def cmd_new(args: argparse.Namespace) -> int:
    """``visualnn new``: write a project created from a template (adapted to ``--data``, or refused when it cannot fit)."""
    out = args.output if args.output.endswith(".vnn") else args.output + ".vnn"
    if os.path.exists(out) and not args.force:
        return _fail(f"{out} already exists; pass --force to overwrite it.", args.json)
    data = getattr(args, "data", None)
    try:
        made = new_project(args.template, data, getattr(args, "target", None))
    except (OSError, ValueError, KeyError) as exc:
        return _fail(f"cannot create {out}: {exc}", args.json)
    errors = [i for i in made.issues if i.is_error]
    if errors:
        return _refuse_new(args, out, data or "", made, errors)
    project = made.project
    notes = [made.split_note] if made.split_note else []
    try:
        if args.name:
            project.set_name(args.name)
        save_project(project, out)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot create {out}: {exc}", args.json)
    if args.json:
        _emit_json({"ok": True, "path": os.path.abspath(out), "template": args.template, "name": project.name,
                    "adapted": made.notes, "issues": [i.to_dict() for i in made.issues],
                    "split": _split_dict(project), "notes": notes})
    else:
        print(f"Created {out} from the {args.template} template ({len(project.graph)} layers).")
        for note in made.notes:
            print(f"  Adapted to the data: {note}")
        split = _split_dict(project)
        if split is not None:
            print(f"Data split: train {split['train']:.0%}, validation {split['val']:.0%}, test {split['test']:.0%}"
                  f" (seed {split['seed']}{', stratified by class' if split['stratify'] else ''}).")
        for note in notes:
            print(note)
    return EXIT_OK


def _split_dict(project: Project) -> dict[str, Any] | None:
    """The data split of ``project`` as JSON (None without data)."""
    if project.dataset is None:
        return None
    split = project.dataset.split()
    stratify = split.stratify and project.dataset.kind != "timeseries"
    return {"train": round(split.train, 6), "val": split.val, "test": split.test, "seed": split.seed,
            "stratify": stratify}


def _refuse_new(args: argparse.Namespace, out: str, data: str, made: NewProject, errors: list[Issue]) -> int:
    """The template cannot be adapted to the data: write nothing, name each problem and the templates that fit."""
    others = (f" Templates that fit this data: {', '.join(made.fitting)}." if made.fitting
              else " No template fits this data as it is; start from the closest one and edit it.")
    message = f"the {args.template} template does not fit {data}; {out} was not written.{others}"
    if args.json:
        _emit_json({"ok": False, "error": message, "fitting_templates": made.fitting,
                    "issues": [i.to_dict() for i in made.issues]})
    else:
        print(f"visualnn: {message}", file=sys.stderr)
        for issue in errors:
            print(f"  {_issue_line(issue)}", file=sys.stderr)
    return EXIT_ERRORS


# --------------------------------------------------------------------- templates
def cmd_templates(args: argparse.Namespace) -> int:
    """``visualnn templates``: the starter models."""
    rows: list[dict[str, Any]] = []
    for t in TEMPLATES.values():
        project = t.build()
        report = infer_shapes(project.graph)
        rows.append({"name": t.name, "title": t.title, "task": t.task, "description": t.description,
                     "mode": project.graph.mode, "layers": len(project.graph), "params": report.total_params,
                     "loss": project.training.loss})
    if args.json:
        _emit_json(rows)
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['description']} ({r['layers']} layers, {r['params']:,} params)")
    return EXIT_OK


# ------------------------------------------------------------------------ layers
def _param_row(p: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": p.name, "kind": p.kind, "default": p.default, "doc": p.doc}
    if p.choices:
        row["choices"] = list(p.choices)
    if p.min is not None or p.max is not None:
        row["range"] = [p.min, p.max]
    if p.optional:
        row["optional"] = True
    if p.advanced:
        row["advanced"] = True
    return row


def cmd_layers(args: argparse.Namespace) -> int:
    """``visualnn layers``: the catalog by category with each layer's parameters."""
    groups = default_registry().by_category()
    if args.category:
        if args.category not in groups:
            return _fail(f"no category {args.category!r}; choose one of {', '.join(groups)}.", args.json)
        groups = {args.category: groups[args.category]}
    if args.json:
        _emit_json({cat: [{"type": s.type, "doc": s.doc, "inputs": list(s.inputs), "variadic": s.variadic,
                           "params": [_param_row(p) for p in s.params]} for s in specs]
                    for cat, specs in groups.items()})
        return EXIT_OK
    for cat, specs in groups.items():
        print(f"{cat.upper()}")
        for s in specs:
            print(f"  {s.type}: {s.doc}")
            for p in s.params:
                extra = f" one of {', '.join(map(str, p.choices))}" if p.choices and len(p.choices) <= 8 else ""
                print(f"      {p.name} ({p.kind}) = {json.dumps(p.default)}{extra}")
        print()
    return EXIT_OK


# ------------------------------------------------------------------------- check
def _load(path: str, as_json: bool) -> Project | int:
    try:
        return load_project(path)
    except ProjectFileError as exc:
        return _fail(str(exc), as_json, file=path)


def _issue_line(issue: Issue) -> str:
    # A message that names its node itself ("dense_3: the output has ...") is not prefixed with it again.
    where = f"{issue.node_id}: " if issue.node_id and f"{issue.node_id}: " not in issue.message else ""
    # A message that already ends with its fix says it once.
    fix = f" Fix: {issue.fix}" if issue.fix and not issue.message.rstrip().endswith(issue.fix.rstrip()) else ""
    return f"{issue.severity:<7} [{issue.code}] {where}{issue.message}{fix}"


def check_with_data(project: Project) -> tuple[list[Issue], str | None]:
    """Every diagnostic, the model checked against the project's data when it has some; and the data's name.

    The data is inspected here, synchronously and without TensorFlow; data that cannot be read becomes a
    warning saying the data checks were skipped and why.
    """
    if project.dataset is None:
        return validate(project), None
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.facts import project_facts

    try:
        facts = project_facts(project)
    except DataError as exc:
        return [*validate(project), data_unreadable(str(exc))], None
    return validate(project, facts=facts), facts.source if facts is not None else None


def location_notices(project: Project, project_file: str) -> list[str]:
    """Notices for the data, the per-image table and run models that lie outside the project's folder."""
    places: list[tuple[str, str]] = []
    if project.dataset is not None:
        places.append(("The data", project.dataset.path))
        table = project.dataset.image().table if project.dataset.kind == "images" else None
        if table is not None:
            places.append(("The per-image table", table))
    places += [(f"The model of run {run.id}", run.model_path) for run in project.runs if run.model_path]
    found = (outside_folder_notice(path, project_file, what) for what, path in places)
    return [notice for notice in found if notice is not None]


def cmd_check(args: argparse.Namespace) -> int:
    """``visualnn check``: diagnostics (against the data when the project has some); exit 0 without errors,
    1 with errors, 2 when unreadable."""
    project = _load(args.file, args.json)
    if isinstance(project, int):
        return project
    issues, data = check_with_data(project)
    n_err = sum(i.is_error for i in issues)
    notices = location_notices(project, args.file)
    if args.json:
        _emit_json({"ok": n_err == 0, "file": args.file, "data": data, "errors": n_err,
                    "warnings": len(issues) - n_err, "issues": [i.to_dict() for i in issues], "notices": notices})
    else:
        for issue in issues:
            print(_issue_line(issue))
        for line in notices:
            print(f"notice  {line}")
        against = f" (checked against the data in {data})" if data else ""
        print(f"{args.file}: {n_err} error(s), {len(issues) - n_err} warning(s){against}.")
    return EXIT_ERRORS if n_err else EXIT_OK


# ----------------------------------------------------------------------- summary
def _size(n: int) -> str:
    """Weights as float32 bytes, the way ``model.summary()`` reports them."""
    size = float(n * 4)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def format_summary(project: Project, rows: list[SummaryRow], report: ShapeReport) -> str:
    """A text table like ``model.summary()``."""
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    cells = [(f"{r.name} ({r.type})",
              fmt_shape(r.output_shape),
              "?" if r.params is None else f"{r.params:,}",
              ", ".join(r.connected_to) or "-") for r in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) if cells else len(header[i]) for i in range(4)]
    line = "  ".join

    def fmt(c: tuple[str, str, str, str]) -> str:
        return line([c[0].ljust(widths[0]), c[1].ljust(widths[1]), c[2].rjust(widths[2]), c[3]]).rstrip()

    total = sum(widths) + 6
    out = [f'Model: "{project.name}" ({project.graph.mode})', "━" * total, fmt(header), "━" * total]
    out += [fmt(c) for c in cells]
    out.append("━" * total)
    out.append(f"Total params: {report.total_params:,} ({_size(report.total_params)})")
    out.append(f"Trainable params: {report.trainable_params:,} ({_size(report.trainable_params)})")
    out.append(f"Non-trainable params: {report.non_trainable_params:,} ({_size(report.non_trainable_params)})")
    return "\n".join(out)


def print_summary(project: Project, as_json: bool = False) -> int:
    """Print the summary of a loaded project; exit 0 (1 when the model has errors)."""
    report = infer_shapes(project.graph)
    rows = summary_rows(project.graph, report)
    issues = validate(project, shapes=report)
    n_err = sum(i.is_error for i in issues)
    if as_json:
        _emit_json({"name": project.name, "mode": project.graph.mode, "layers": [r.to_dict() for r in rows],
                    "total_params": report.total_params, "trainable_params": report.trainable_params,
                    "non_trainable_params": report.non_trainable_params, "issues": [i.to_dict() for i in issues]})
    else:
        print(format_summary(project, rows, report))
        if issues:
            print(f"{n_err} error(s), {len(issues) - n_err} warning(s); run `visualnn check` for details.")
    return EXIT_ERRORS if n_err else EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    """``visualnn summary``: the model table of a project file (or of a template)."""
    if args.template:
        return print_summary(template(args.template).build(), args.json)
    if not args.file:
        return _fail("give a project file or --template NAME.", args.json)
    project = _load(args.file, args.json)
    if isinstance(project, int):
        return project
    return print_summary(project, args.json)


def summary_main(path: str | None) -> int:
    """Summary of ``path``; None means the bundled example (or the MLP template until it exists)."""
    if path is None:
        if EXAMPLE.exists():
            path = str(EXAMPLE)
        else:
            return print_summary(template("mlp_classifier").build())
    project = _load(path, False)
    if isinstance(project, int):
        return project
    return print_summary(project)


# ---------------------------------------------------------------------- register
def register(sub: Any) -> None:
    """Add the project verbs to the ``visualnn`` parser."""
    def verb(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    add_new_arguments(verb("new", "Create a project file from a template.", cmd_new))
    verb("templates", "List the starter templates.", cmd_templates)
    p = verb("layers", "List the layer catalog by category with each layer's parameters.", cmd_layers)
    p.add_argument("--category", help="only this category")
    p = verb("check", "Validate a project file (exit 0: no errors, 1: errors, 2: unreadable).", cmd_check)
    p.add_argument("file", metavar="FILE.vnn")
    p = verb("summary", "Print a model summary table (like model.summary()) for a project file.", cmd_summary)
    p.add_argument("file", nargs="?", metavar="FILE.vnn")
    p.add_argument("--template", choices=list(TEMPLATES), metavar="NAME", help="summarise a template instead")
