"""``visualnn train|evaluate|predict``: headless training with the same services the engine runs.

The project file is loaded once (``load_project``) and the services get that ``Project``, as the
engine's handlers give them the project they parsed from a job.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from visualnn.cli.distribute_args import add_distribution_args, apply_distribution_args, is_chief_run
from visualnn.cli.exit_codes import ExitCode, fail
from visualnn.cli.terminal import is_terminal
from visualnn.cli.tracking_args import add_tracking_args, tracking_fields
from visualnn.core.decision import DEFAULT_THRESHOLD, best_f1, describe, parse_threshold
from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError
from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest
from visualnn.core.training_config import DIVERGED, FAILED, RunRecord
from visualnn.core.training_settings import CLASS_WEIGHTS


def register(sub: Any) -> None:
    """Add the train, evaluate and predict verbs."""
    p = sub.add_parser("train", help="Train a project's model headless and record the run in the project file.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("--epochs", type=int, help="number of epochs (default: the project's setting)")
    p.add_argument("--batch-size", type=int, dest="batch_size", help="batch size (default: the project's)")
    p.add_argument("--device", help="cpu, gpu:0 or auto (default: the project's)")
    p.add_argument("--seed", type=int, help="random seed (default: the project's)")
    p.add_argument("--continue", dest="continue_run", metavar="RUN_ID", help="continue training an earlier run")
    p.add_argument("--class-weight", dest="class_weight", choices=CLASS_WEIGHTS,
                   help="balanced: each class counts as much in the loss as the others, so a rare class is found more "
                        "often (default: the project's)")
    add_distribution_args(p)  # --strategy/--gpus/--mixed-precision (visualnn.cli.distribute_args)
    add_tracking_args(p)  # --mlflow URI, --mlflow-experiment NAME (visualnn.cli.tracking_args)
    p.add_argument("--json", action="store_true", help="print the run record as JSON")
    p.set_defaults(func=train_main, tensorflow=True)

    p = sub.add_parser("evaluate", help="Evaluate a trained run on the test split (the validation split when the "
                                        "project has none) and print the metrics.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("--run", dest="run_id", help="run id (default: the latest run)")
    p.add_argument("--split", default="test", choices=("test", "val", "train"), help="which split to score (test: the validation split when there is no test split)")
    _add_threshold(p)
    p.add_argument("--keep", action="store_true",
                   help="keep --threshold for the run in the project file: predict, the Predict tab and exports then "
                        "decide at it (choose it on --split val: the test split's figures stay honest)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=evaluate_main, tensorflow=True)

    p = sub.add_parser("predict", help="Predict new samples (CSV, .npy, image or folder) with a trained run.")
    p.add_argument("file", help="the .vnn project file")
    p.add_argument("input", help="CSV file, .npy/.npz array, image, or folder of images (a model with several "
                                 "Inputs: an .npz with one array per Input name)")
    p.add_argument("--run", dest="run_id", help="run id (default: the latest run)")
    _add_threshold(p)
    p.add_argument("--json", action="store_true", help="print predictions as JSON")
    p.add_argument("-o", "--output", metavar="FILE.csv",
                   help="write the predictions to a CSV: each sample as given (a CSV's own columns, an image's file), "
                        "then the predicted class, its probability and each class's, or the predicted values")
    p.set_defaults(func=predict_main, tensorflow=True)


def _add_threshold(parser: Any) -> None:
    """``--threshold T`` of evaluate and predict."""
    parser.add_argument("--threshold", type=_threshold, metavar="T",
                        help="a yes/no output predicts its second class where that class's probability is above T "
                             "(default: the threshold kept for the run, else 0.5)")


def _threshold(text: str) -> float:
    """argparse type of ``--threshold``: a number strictly between 0 and 1."""
    try:
        return parse_threshold(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _load(path: str) -> tuple[Project, str]:
    """The loaded project and its folder (the base of its data paths and ``runs/``); ProjectFileError when unreadable."""
    from visualnn.core.project.io import load_project

    return load_project(path), os.path.dirname(os.path.abspath(path))


def _fail(message: str, code: ExitCode = ExitCode.ERRORS) -> int:
    """The model or its data has errors (exit 1), or, with ``BAD_INPUT``, a file or argument is wrong (exit 2)."""
    return fail(message, code)


class ProgressPrinter:
    """Progress on stderr: a one-line bar redrawn in place (at most 10 times a second) on a terminal; a line per
    epoch and no bar where stderr is a file or a pipe (a log or CI), which cannot erase what it was sent."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.tty = is_terminal(self.stream)
        self.width = width
        self.last = 0.0

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        """Sink for the runner's messages."""
        if kind == "status":
            self.stream.write(f"{data.get('text', '')}\n")
        elif kind == "batch" and self.tty and time.perf_counter() - self.last > 0.1:
            self.last = time.perf_counter()
            batches = data.get("batches") or 0
            done = int(self.width * data["batch"] / batches) if batches else 0
            bar = "█" * done + "·" * (self.width - done)
            loss = data["logs"].get("loss", float("nan"))
            self.stream.write(f"\rEpoch {data['epoch']}/{data['epochs']} [{bar}] {data['batch']}/{batches or '?'} "
                              f"loss {loss:.4f} · {data.get('samples_per_s', 0):,.0f} samples/s")
        elif kind == "epoch":
            logs = "  ".join(f"{k} {v:.4f}" for k, v in data["logs"].items() if isinstance(v, float))
            erase = f"\r{' ' * (self.width + 60)}\r" if self.tty else ""  # the bar's line, wider than the bar
            self.stream.write(f"{erase}Epoch {data['epoch']}/{data['epochs']}  {logs}\n")
        elif kind == "log":  # compile checks and settings warnings (mixed precision on a CPU), said at the start
            self.stream.write(f"{data.get('level', 'info')}: {data.get('text', '')}\n")
        elif kind == "paused":
            self.stream.write("\npaused\n" if data.get("paused") else "resumed\n")
        self.stream.flush()


def train_main(args: argparse.Namespace) -> int:
    """Train, print progress, save the run into the project file."""
    from visualnn.core.project.io import save_project
    from visualnn.services.training import run_training
    from visualnn.services.training_common import TrainingError

    try:
        project, base_dir = _load(args.file)
        job_project = apply_distribution_args(project, args,
                                              {"class_weight": args.class_weight} if args.class_weight else None)
    except (OSError, ValueError) as exc:  # an unreadable project, or --gpus/--strategy that cannot apply
        return _fail(str(exc), ExitCode.BAD_INPUT)
    stop = threading.Event()

    def on_interrupt(*_: Any) -> None:
        stop.set()  # Ctrl+C ends after the current batch; the run is still saved, as "stopped"
        sys.stderr.write("\nstopping after this batch…\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    req = TrainRequest(project=job_project, base_dir=base_dir, epochs=args.epochs, batch_size=args.batch_size,
                       seed=args.seed, device=args.device, continue_run=args.continue_run,
                       **tracking_fields(args, args.file))
    try:
        result = run_training(req, (lambda k, d: None) if args.json else ProgressPrinter(), stop)
    except TrainingError as exc:
        from visualnn.services.tracking import TrackingError

        # an MLflow store that cannot be opened is a wrong argument (exit 2); nothing was trained
        return _fail(str(exc), ExitCode.BAD_INPUT if isinstance(exc.__cause__, TrackingError) else ExitCode.ERRORS)
    finally:
        signal.signal(signal.SIGINT, previous)
    run: RunRecord = result.run
    if not is_chief_run(run):  # multi-worker: only the chief writes the run record and the model
        print(f"Worker {run.extra.get('rank')} of {run.extra.get('workers')}: {run.status} after {run.epochs_done} "
              f"epoch(s), weights sha256 {run.extra.get('weights_sha256')}; the chief records the run.")
        return int(ExitCode.ERRORS if run.status in FAILED_STATUSES else ExitCode.OK)
    project.add_run(run)
    try:
        save_project(project, args.file)
    except (OSError, ValueError) as exc:  # not recorded: its model must not stay behind as an orphan folder
        from visualnn.core.project.run_folders import RunFolderError, remove_run_folder

        why = exc.strerror or exc if isinstance(exc, OSError) else exc
        try:
            remove_run_folder(base_dir, run.id)
        except RunFolderError as left:
            return _fail(f"Run {run.id} finished but could not be recorded in {args.file} ({why}). {left}",
                         ExitCode.BAD_INPUT)
        return _fail(f"Run {run.id} finished but could not be recorded in {args.file} ({why}); its model was "
                     "removed. Make the file writable (or free some disk space) and train again.", ExitCode.BAD_INPUT)
    if args.json:
        print(json.dumps(run.to_dict(), indent=2))
    else:
        print(f"Run {run.id}: {run.status} after {run.epochs_done} epoch(s) in {run.duration_s:.1f} s on {run.device}")
        phases = run.extra.get("fine_tune")
        if isinstance(phases, dict):  # two-phase fine-tuning: say where phase 2 began and what it unfroze
            print(f"  fine-tuning: phase 2 from epoch {int(phases['boundary']) + 1}, "
                  f"{len(phases.get('unfrozen', []))} layer(s) unfrozen, learning rate {phases['learning_rate']:g}")
        for key, value in run.metrics.items():
            print(f"  {key:<24} {value:.4f}" if isinstance(value, float) else f"  {key:<24} {value}")
        print(f"Model saved to {run.model_path}; run recorded in {args.file}.")
        print_run_notes(run)
    return int(ExitCode.ERRORS if run.status in FAILED_STATUSES else ExitCode.OK)


FAILED_STATUSES = (FAILED, DIVERGED)
"""Statuses that make ``visualnn train`` exit 1 (the run is still recorded, with its model)."""


def print_run_notes(run: RunRecord, stream: Any = None) -> None:
    """Why a run diverged, the hints its history gives (a flat loss) and the warnings of its settings."""
    out = stream or sys.stdout
    if run.error:
        print(f"{run.status.capitalize()}: {run.error}", file=out)
    for hint in run.extra.get("hints") or []:
        print(f"Hint: {hint}", file=out)
    for warning in run.extra.get("warnings") or []:
        print(f"Warning: {warning}", file=out)


def evaluate_main(args: argparse.Namespace) -> int:
    """Print the metrics table (and confusion matrix / per-class report) of a run."""
    from visualnn.services.evaluation import run_evaluation
    from visualnn.services.training_common import TrainingError

    if args.keep and args.threshold is None:
        return _fail("--keep keeps the threshold given with --threshold T; give one (a number between 0 and 1).",
                     ExitCode.BAD_INPUT)
    try:
        project, base_dir = _load(args.file)
    except ProjectFileError as exc:
        return _fail(str(exc), ExitCode.BAD_INPUT)
    try:
        report = run_evaluation(EvaluateRequest(project=project, base_dir=base_dir, run_id=args.run_id,
                                                split=args.split, threshold=args.threshold))
    except ProjectFileError as exc:
        return _fail(str(exc), ExitCode.BAD_INPUT)
    except (OSError, ValueError, TrainingError) as exc:
        return _fail(str(exc))
    for warning in report.get("warnings", []):
        print(f"visualnn: warning: {warning}", file=sys.stderr)
    if args.keep:
        code = _keep_threshold(args, project, report)
        if code:
            return code
    if args.json:
        print(json.dumps(report, indent=2))
        return int(ExitCode.OK)
    print(f"Run {report['run_id']} on the {report['split_label']} ({report['n_samples']} samples)")
    outputs = report.get("outputs")
    if outputs:  # several outputs: the total loss, then each output's metrics and report
        print(f"  {'loss (total)':<20} {report['metrics'].get('loss', float('nan')):.4f}")
        for name, entry in outputs.items():
            print(f"\nOutput {name!r} ({entry['task']})")
            _print_report(entry)
        return int(ExitCode.OK)
    _print_report(report)
    return int(ExitCode.OK)


def _keep_threshold(args: argparse.Namespace, project: Project, report: dict[str, Any]) -> int:
    """``evaluate --threshold T --keep``: record T for the run's yes/no outputs in the project file (0: done)."""
    from visualnn.core.commands import CommandError, UndoStack
    from visualnn.core.project.io import save_project
    from visualnn.core.run_commands import SetRunThreshold

    heads = report.get("outputs") or {"": report}
    binary = [str(cls["output"]) for head in heads.values() if "threshold" in (cls := head.get("classification") or {})]
    if not binary:
        return _fail(f"Run {report['run_id']} has no yes/no output, so there is no threshold to keep: a regression "
                     "predicts values, and a classifier of more classes its most probable class.", ExitCode.BAD_INPUT)
    run = next(r for r in project.runs if r.id == report["run_id"])
    stack = UndoStack(project)
    try:
        for name in binary:
            stack.push(SetRunThreshold(run.id, name, args.threshold))
        save_project(project, args.file)
    except (CommandError, OSError, ValueError) as exc:
        return _fail(f"The threshold was not kept: {exc}", ExitCode.BAD_INPUT)
    if report.get("split") == "test":
        print("visualnn: warning: this threshold was chosen by looking at the test split, whose figures are now "
              "optimistic; choose it on the validation split (--split val) and read the test split's figures after.",
              file=sys.stderr)
    print(f"Kept threshold {args.threshold:g} for run {run.id} in {args.file}.", file=sys.stderr)
    return 0


def _print_report(report: dict[str, Any]) -> None:
    """One output's metrics, then its confusion matrix and per-class table, or its regression errors."""
    for key, value in report["metrics"].items():
        print(f"  {key:<20} {value:.4f}")
    cls = report.get("classification")
    if cls and cls.get("threshold", DEFAULT_THRESHOLD) != DEFAULT_THRESHOLD:
        print("  (Keras's metrics above decide at 0.5; the tables below at the run's threshold)")
    if cls:
        names = cls["class_names"]
        w = max(8, *(len(n) for n in names))
        print("\nConfusion matrix (rows: true, columns: predicted)")
        print(" " * w + "".join(f"{n[:w]:>{w + 1}}" for n in names))
        for name, row in zip(names, cls["confusion"], strict=False):
            print(f"{name[:w]:<{w}}" + "".join(f"{v:>{w + 1}}" for v in row))
        print(f"\n{'class':<{w}} precision  recall     f1  support")
        for r in cls["per_class"]:
            print(f"{r['class'][:w]:<{w}} {r['precision']:9.3f} {r['recall']:7.3f} {r['f1']:6.3f} {r['support']:8d}")
        if "threshold" in cls:
            curve = cls["curve"]
            auc = curve.get("roc_auc")
            print(f"\nDecision: {describe(cls['threshold'], names)}; accuracy {cls['accuracy']:.4f} at it"
                  + (f"; ROC AUC {auc:.4f}" if auc is not None else "")
                  + f"; the best F1 on this split is at {best_f1(curve):.2f} (--threshold T to try one)")
    reg = report.get("regression")
    if reg:
        # Keras's metrics above accumulate in float32; these come from the predictions in float64, so an MAE can
        # differ in its last digits (9094.9746 against 9094.9752 on a price table): say which is which.
        print(f"  from the predictions, in float64: MAE {reg['mae']:.4f}  RMSE {reg['rmse']:.4f}  R² {reg['r2']:.4f}")


def predict_main(args: argparse.Namespace) -> int:
    """Print predictions for a file of new samples."""
    from visualnn.services.predict import run_prediction
    from visualnn.services.training_common import TrainingError

    try:
        project, base_dir = _load(args.file)
    except ProjectFileError as exc:
        return _fail(str(exc), ExitCode.BAD_INPUT)
    if not os.path.exists(args.input):
        return _fail(f"{args.input}: there is no such file or folder to predict; give a CSV, .npy/.npz, an image "
                     "or a folder of images.", ExitCode.BAD_INPUT)
    try:
        out = run_prediction(PredictRequest(project=project, base_dir=base_dir, run_id=args.run_id,
                                            input_path=os.path.abspath(args.input), threshold=args.threshold))
    except ProjectFileError as exc:
        return _fail(str(exc), ExitCode.BAD_INPUT)
    except (OSError, ValueError, TrainingError) as exc:
        return _fail(str(exc))
    for warning in out.get("warnings", []):
        print(f"visualnn: warning: {warning}", file=sys.stderr)
    if args.output:
        return _save_predictions(args, project, out)
    if args.json:
        print(json.dumps(out, indent=2))
        return int(ExitCode.OK)
    classes = out.get("output_class_names") or {}
    for output, threshold in (out.get("thresholds") or {}).items():
        if threshold != DEFAULT_THRESHOLD:
            names = list(classes.get(output) or out.get("class_names") or [])
            print(f"Decision of {output!r}: {describe(threshold, names)}")
    if len(out.get("outputs") or {}) > 1:  # several outputs: each sample, then each output's prediction
        outputs = out["outputs"]
        files = out.get("files") or (out.get("row_names") or {}).get("values") or []
        width = max((len(f) for f in files), default=4)
        for i in range(len(next(iter(outputs.values())))):
            name = f"{files[i]:<{width}}" if files else f"{i:>4}"
            print(f"{name}  " + "   ".join(f"{head}: {_prediction_text(rows[i])}" for head, rows in outputs.items()))
        return int(ExitCode.OK)
    rows = out["predictions"]
    named = out.get("row_names") or {}  # a CSV's id column the model ignores names each row
    if named:
        rows = [{"file": name, **row} for name, row in zip(named["values"], rows, strict=False)]
    width = max((len(r["file"]) for r in rows if "file" in r), default=0)
    for i, row in enumerate(rows):
        name = f"{row['file']:<{width}}" if "file" in row else f"{i:>4}"
        print(f"{name}  {_prediction_text(row)}")
    return int(ExitCode.OK)


def _save_predictions(args: argparse.Namespace, project: Project, out: dict[str, Any]) -> int:
    """``predict --output``: the predictions table (``services.prediction_table``) written to the file."""
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.prediction_table import table_csv, write_predictions

    try:
        n = write_predictions(args.output, out, os.path.abspath(args.input), table_csv(project.dataset))
    except OSError as exc:
        return _fail(str(exc))
    except DataError as exc:
        return _fail(f"Cannot save the predictions: {exc}")
    if args.json:
        print(json.dumps({"ok": True, "path": os.path.abspath(args.output), "rows": n}))
    else:
        print(f"Wrote {n:,} prediction(s) with run {out.get('run_id')} to {args.output}.")
    return int(ExitCode.OK)


def _prediction_text(row: dict[str, Any]) -> str:
    """One output's prediction for one sample: the label and the top classes, or the values."""
    if "label" in row:
        top = ", ".join(f"{label} {p:.1%}" for label, p in row["top"][:3])
        return f"{row['label']}  ({top})"
    return ", ".join(f"{v:.4f}" for v in row["values"])
