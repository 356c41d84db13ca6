"""The full training script: data, model, compile, fit, evaluate, predict, save (six workflow steps).

Settings go into the script as literals (``DATA``, ``PIPELINE``, ``SEED`` ...) at the top; the
loaders in :mod:`data_templates` read them. ``facts`` (from ``services.script_facts``) pins what
VisualNN detected in the data (CSV format, column kinds, task); without them the script
detects column kinds with pandas.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from visualnn import __version__
from visualnn.core.codegen import data_templates as T
from visualnn.core.codegen import data_templates_parts as P
from visualnn.core.codegen import finetune_code as FT
from visualnn.core.codegen import image_table_templates as IT
from visualnn.core.codegen import input_templates as I
from visualnn.core.codegen import tracking_code as TC
from visualnn.core.codegen.distribute_snippets import EXPORT_STRATEGIES, distributed_main_lines, save_lines
from visualnn.core.codegen.literals import (
    Br,
    Cat,
    CodegenError,
    Raw,
    call,
    literal,
    render,
    statement,
    string,
)
from visualnn.core.codegen.model_code import model_definition
from visualnn.core.dataset import FALSE_WORDS, NO_TEST_LABEL, NULL_VALUES, TRUE_WORDS
from visualnn.core.decision import latest_threshold
from visualnn.core.finetune import FineTuneError, FineTunePlan, fine_tune_plan
from visualnn.core.model_io import input_names, is_multi_io, output_names
from visualnn.core.project import Project
from visualnn.core.specs import KerasCall
from visualnn.core.specs.builtin.hub import code_imports
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import CompileCalls, SettingsError, callback_calls, compile_calls

RAW_INPUT_KINDS = ("csv", "images", "numpy", "timeseries")  # the script saves the model behind preprocessing layers
STRATEGIES = EXPORT_STRATEGIES  # None/auto, mirrored, multiworker: see distribute_snippets
PINNED = {"tensorflow": "2.21", "keras": "3.15", "numpy": "2", "pandas": "2"}

REQUIREMENTS_HEADER = "# Written by VisualNN"  # first line: tells VisualNN's requirements.txt from the user's own


def requirements(extra: dict[str, str] | None = None) -> str:
    """``requirements.txt`` for the exported script: the versions installed here, else the tested minor versions
    (``extra``: packages the model needs beyond :data:`PINNED`, such as keras-hub)."""
    from importlib.metadata import PackageNotFoundError, version

    lines = []
    for name, pin in {**PINNED, **(extra or {})}.items():
        try:
            lines.append(f"{name}=={version(name)}")
        except PackageNotFoundError:  # not installed here: the minor version VisualNN was tested with
            lines.append(f"{name}~={pin}.0")
    return f"{REQUIREMENTS_HEADER} {__version__} for the exported training script.\n" + "\n".join(lines) + "\n"


def _assign(name: str, value: Any) -> str:
    return render(Cat((f"{name} = ", literal(value))), 0)


def data_settings(project: Project, facts: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """(source kind, the ``DATA`` dict) for the script; kind ``"random"`` when there is no dataset."""
    spec = project.dataset
    if spec is None:
        return "random", None
    if facts is not None:
        return spec.kind, dict(facts)
    raise CodegenError(
        f"The script needs what VisualNN detected in the {spec.kind} data at {spec.path!r} (column kinds, "
        "task); export from the app or with `visualnn export-code`, which read the data first."
    )


def _optimizer_lines(optimizer: KerasCall) -> list[str]:
    """``make_optimizer()``: the settings table's optimizer call, its schedule on a line of its own."""
    rate = optimizer.kwargs["learning_rate"]
    return [
        "def make_optimizer():",
        '    """The optimizer (a variant of stochastic gradient descent) and its learning rate."""',
        statement(Cat(("learning_rate = ", literal(rate))), 4),
        statement(Cat(("return ", literal(KerasCall(optimizer.class_path, {
            **optimizer.kwargs, "learning_rate": Raw("learning_rate")})))), 4),
    ]


def _calls(cfg: TrainingConfig, outputs: list[str]) -> CompileCalls:
    try:
        return compile_calls(cfg, outputs)
    except SettingsError as exc:
        raise CodegenError(str(exc)) from exc


BALANCED_CLASS_WEIGHTS = '''
def balanced_class_weights(y):
    """Keras class_weight giving every class the same share of the loss: class i weighs
    n / (classes * count of i), so a class ten times rarer weighs ten times more."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        labels = y.argmax(axis=-1)  # one-hot rows
    else:
        labels = np.rint(y.reshape(len(y))).astype(np.int64)  # class numbers, or 0/1
    counts = np.bincount(labels)
    present = [(i, int(c)) for i, c in enumerate(counts) if c > 0]
    n = sum(c for _, c in present)
    return {i: n / (len(present) * c) for i, c in present}
'''
"""The script's copy of :func:`visualnn.core.tensors.balanced_class_weights`, from its own ``y_train`` (the
services count classes the same way: ``services.datasets.prepared.class_counts``)."""

CLASS_WEIGHT_LINES = [
    "    # Balanced class weights: a rare class counts as much in the loss as a common one.",
    "    class_weight = balanced_class_weights(y_train)",
    '    print("Class weights:", {k: round(v, 4) for k, v in class_weight.items()})',
]


def _callback_lines(cfg: TrainingConfig) -> list[str]:
    """``make_callbacks()``: the settings table's callbacks, watching the validation value when there is one."""
    out = [
        "def make_callbacks(has_validation):",
        '    """The callbacks chosen in VisualNN; they watch a validation metric when there is one."""',
        f"    monitor = {string(cfg.monitor)}",
        '    if not has_validation and monitor.startswith("val_"):',
        "        monitor = monitor[4:]",
        "    callbacks = []",
    ]
    for kc in callback_calls(cfg, Raw("monitor"), "best.keras", "logs"):
        out.append(statement(Cat(("callbacks.append", Br("(", (literal(kc),), ")", call=True))), 4))
    out.append("    return callbacks")
    return out


def _random_settings(project: Project) -> list[str]:
    from visualnn.core.shapes import infer_shapes

    report = infer_shapes(project.graph)
    inputs = [n for n in project.graph if n.type == "Input"]
    shapes = [tuple(n.params.get("shape") or ()) for n in inputs]
    sinks = [nid for nid in project.graph.sinks() if project.graph.nodes[nid].type != "Input"]
    outputs = [tuple(d or 1 for d in (report.output(nid) or (None, 1))[1:]) for nid in sinks]
    loss = project.training.loss
    classes = outputs[0][-1] if len(outputs) == 1 and outputs[0] and "sparse_categorical" in loss else 0
    binary = "binary" in loss or "hinge" in loss
    return [_assign("INPUT_SHAPES", shapes), _assign("OUTPUT_SHAPES", outputs), _assign("CLASSES", classes),
            _assign("BINARY", binary)]


def _random_parts_settings(project: Project) -> list[str]:
    """Named Inputs and outputs for random stand-in data: each output's targets suit its own loss."""
    from visualnn.core.model_io import model_inputs, model_outputs
    from visualnn.core.training_options import output_settings

    inputs = [{"name": p.name, "shape": [d or 1 for d in p.shape or ()]} for p in model_inputs(project.graph)]
    ports = model_outputs(project.graph)
    rows = output_settings(project.training, [p.name for p in ports])
    outputs = []
    for port, row in zip(ports, rows, strict=True):
        shape = [d or 1 for d in port.shape or (1,)]
        targets = ("classes" if "sparse_categorical" in row.loss else
                   "binary" if "binary" in row.loss or "hinge" in row.loss else "values")
        outputs.append({"name": port.name, "shape": shape, "targets": targets})
    return [_assign("INPUTS", inputs), _assign("OUTPUTS", outputs)]


def script(project: Project, style: str = "functional", strategy: str | None = None,
           facts: dict[str, Any] | None = None, tracking: bool = True) -> str:
    """The whole script as text (see the module docstring). ``tracking`` False leaves out ``--tensorboard`` and
    ``--mlflow`` (the exported search script, whose trials are not one run, writes its own ``main``)."""
    if strategy not in STRATEGIES:
        raise CodegenError(f"Distribution strategy must be auto, mirrored or multiworker; received {strategy!r}.")
    cfg = project.training
    kind, data = data_settings(project, facts)
    parts = is_multi_io(project.graph)
    if parts and strategy == "multiworker":
        raise CodegenError("The multi-worker script trains models with one Input and one output; this model has "
                           f"Inputs {', '.join(input_names(project.graph))} and outputs "
                           f"{', '.join(output_names(project.graph))}. Export it with the auto or mirrored strategy.")
    if cfg.class_weight == "balanced" and (parts or _image_table(project) or strategy == "multiworker"):
        raise CodegenError("Balanced class weights are exported for a model with one Input and one output, trained with "
                           "the auto or mirrored strategy; set Class weights to none to export this one.")
    model_lines = model_definition(project.graph, project.name, style)
    plan = _fine_tune_plan(project, strategy)
    title = re.sub(r"[^\w .,:;()+-]", "", project.name).strip() or "Model"
    tracked = tracking and strategy != "multiworker"  # --tensorboard/--mlflow (tracking_code): one process's run
    imports = ["import argparse", *(["import math"] if tracked else []), "import os", *(["import time"] if tracked else [])]
    image_table = _image_table(project)  # read with pandas, its columns encoded as a CSV's
    if kind == "csv" or image_table:
        imports.append("from collections import Counter")
    imports += ["", "import keras", *code_imports(n.type for n in project.graph), "import numpy as np"]
    if kind in ("csv", "timeseries") or image_table:
        imports.append("import pandas as pd")
    imports.append("import tensorflow as tf")
    out = [
        f'"""{title}: a Keras training script exported from VisualNN {__version__}.',
        "",
        "Run it with:  python this_script.py --epochs 10 --batch-size 32",
        "It defines load_data() and build_model(), and trains only when run as a script.",
        '"""',
        "",
        *imports,
        "",
        "# Data paths are relative to the folder of this script.",
        "HERE = os.path.dirname(os.path.abspath(__file__))",
        _assign("SEED", int(cfg.seed)),
        _assign("EPOCHS", int(cfg.epochs)),
        _assign("BATCH_SIZE", int(cfg.batch_size)),
        *_threshold_lines(project, parts),
        *([FT.settings_line(plan)] if plan is not None else []),
        *(TC.settings_lines(cfg.to_dict(), project.graph.to_dict(), _experiment(project)) if tracked else []),
    ]
    out += _data_block(project, kind, data)
    out += ["", "", "# Step 2: define the network.", *model_lines]
    calls = _calls(cfg, output_names(project.graph))
    out += ["", "", "# Step 3: compile settings (loss, optimizer, metrics).", *_optimizer_lines(calls.optimizer), "", ""]
    compile_args: dict[str, Any] = {"optimizer": Raw("make_optimizer()"), "loss": calls.loss}
    if calls.loss_weights is not None:
        compile_args["loss_weights"] = calls.loss_weights
    compile_args["metrics"] = ({k: list(v) for k, v in calls.metrics.items()} if isinstance(calls.metrics, dict)
                               else list(calls.metrics))
    out += [
        "def compile_model(model):",
        '    """Step 3: compile: the loss to minimise, the optimizer and the metrics to watch."""',
        *(["    # Several outputs: each output (by its layer name) has its own loss, weight and metrics."]
          if calls.loss_weights is not None else []),
        statement(call("model.compile", compile_args), 4),
        "",
        "",
        *_callback_lines(cfg),
        "",
        "",
        *(BALANCED_CLASS_WEIGHTS.strip("\n").splitlines() + ["", ""] if cfg.class_weight == "balanced" else []),
        *(TC.HELPERS.strip("\n").splitlines() + ["", ""] if tracked else []),
        *(FT.function_lines(_calls(cfg.with_changes(learning_rate=plan.learning_rate), output_names(project.graph))
                            .optimizer, compile_args) + ["", ""] if plan is not None else []),
        *distributed_main_lines(cfg, strategy, partial(_main_lines, raw_inputs=kind in RAW_INPUT_KINDS, parts=parts,
                                                       fine_tune=plan is not None,
                                                       decides=bool(_threshold_lines(project, parts))),
                                raw_inputs=kind in RAW_INPUT_KINDS),
    ]
    return "\n".join(out).rstrip() + "\n"


def yes_no_outputs(project: Project) -> list[str]:
    """The outputs that decide at a threshold: one sigmoid unit (binary cross-entropy) or a softmax over two classes,
    by the layer that makes each output and its loss (:mod:`visualnn.core.decision`)."""
    from visualnn.core.compile_options import branch, output_layer
    from visualnn.core.training_options import output_settings

    names = output_names(project.graph)
    out = []
    for settings in output_settings(project.training, names):
        graph = branch(project.graph, settings.name) if len(names) > 1 else project.graph
        layer = output_layer(graph)
        if layer is None:
            continue
        _nid, activation, units = layer
        if (units == 1 and settings.loss == "binary_crossentropy") or (units == 2 and activation == "softmax"):
            out.append(settings.name)
    return out


def _threshold_lines(project: Project, parts: bool) -> list[str]:
    """``THRESHOLD = ...`` (one output) or ``THRESHOLDS = {output: ...}`` (several) for the yes/no outputs: the
    threshold the latest run keeps, else 0.5 (:mod:`visualnn.core.decision`); nothing for other models."""
    decided = {name: latest_threshold(project.runs, name) for name in yes_no_outputs(project)}
    if not decided:
        return []
    kept = sorted({run_id for _, run_id in decided.values() if run_id})
    whose = f"the threshold kept for {', '.join(kept)} in VisualNN" if kept else "the default; the Evaluation tab chooses one"
    if not parts:
        threshold = next(iter(decided.values()))[0]
        return [_assign("THRESHOLD", float(threshold)) + f"  # the second class where its probability is above this "
                f"({whose})"]
    return [f"# The yes/no outputs predict their second class above these ({whose}).",
            _assign("THRESHOLDS", {name: float(t) for name, (t, _) in decided.items()})]


def _fine_tune_plan(project: Project, strategy: str | None) -> FineTunePlan | None:
    """Phase 2 of two-phase fine-tuning, as the engine plans it (None when fine-tuning is off)."""
    try:
        plan = fine_tune_plan(project.graph, project.training)
    except FineTuneError as exc:
        raise CodegenError(str(exc)) from exc
    if plan is not None and strategy == "multiworker":
        raise CodegenError("The multi-worker script trains one phase; two-phase fine-tuning is written for the auto "
                           "and mirrored strategies. Choose one of them, or switch fine-tuning off.")
    return plan


def _data_block(project: Project, kind: str, data: dict[str, Any] | None) -> list[str]:
    pipe = project.dataset.pipeline() if project.dataset is not None else None
    pipeline = {
        "shuffle": True if pipe is None else bool(pipe.shuffle),
        "shuffle_buffer": None if pipe is None else pipe.shuffle_buffer,
        "cache": False if pipe is None else bool(pipe.cache),
        "repeat": False if pipe is None else bool(pipe.repeat),
        "prefetch": True if pipe is None else bool(pipe.prefetch),
    }
    out = [_assign("PIPELINE", pipeline)]
    parts = is_multi_io(project.graph)
    if kind == "timeseries" and data and "targets" in data:
        return out + _series_targets_block(data, parts)
    if _image_table(project):
        return out + _image_table_block(data)
    if parts and kind not in ("random", "numpy", "csv"):
        raise CodegenError(f"A model with several Inputs or outputs takes named arrays from an .npz file, column "
                           f"groups from a CSV or an image folder with a per-image table; the project's data is "
                           f"{kind}. Choose an .npz with one array per Input and output, or a CSV.")
    if kind == "random":
        out += _random_parts_settings(project) if parts else _random_settings(project)
        body = [P.RANDOM_PARTS, P.PARTS_PIPELINE] if parts else [T.RANDOM, I.PIPELINE]
    elif parts and kind == "csv":
        out += _csv_parts_settings(data)
        body = [T.SPLIT, T.READ_TABLE, T.CSV_COLUMNS, P.CSV_PARTS, I.ENCODED_COLUMNS, P.CSV_PARTS_LAYERS,
                P.PARTS_PIPELINE]
    elif parts:
        if not data or "inputs" not in data:
            raise CodegenError("The script needs the array of each Input and output; export from the app or with "
                               "`visualnn export-code`, which read the .npz first.")
        out.append(_assign("DATA", data))
        body = [T.SPLIT, T.ENCODE_ARRAY_TARGETS, T.FIT_SCALING, P.NUMPY_PARTS, P.PARTS_LAYERS, P.PARTS_PIPELINE]
    else:
        out.append(_assign("DATA", data))
        if kind in ("csv", "timeseries"):
            out += _table_words()
        if kind == "images":
            out += _image_words(data)
        body = {
            "csv": [T.SPLIT, T.READ_TABLE, T.CSV, I.ENCODED_COLUMNS, I.CSV_LAYERS, I.PIPELINE],
            "timeseries": [T.READ_TABLE, T.TIMESERIES, I.SERIES_LAYERS, I.PIPELINE],
            "numpy": [T.SPLIT, T.ENCODE_ARRAY_TARGETS, T.FIT_SCALING, T.NUMPY, I.NUMPY_LAYERS, I.PIPELINE],
            "images": [T.SPLIT, T.IMAGES, I.IMAGE_LAYERS, I.IMAGE_PIPELINE],
        }[kind]
    return out + _step_one(body)


def _step_one(body: list[str]) -> list[str]:
    """The data step: the template pieces in order, two blank lines apart."""
    out = ["", "", "# Step 1: define the data (tensors of shape (samples, ...)) and the tf.data pipeline."]
    for i, part in enumerate(body):
        out += (["", ""] if i else []) + part.strip("\n").splitlines()
    return out


def _image_table(project: Project) -> bool:
    """Whether the data is an image folder read with a per-image table (or feeding several Inputs/outputs)."""
    spec = project.dataset
    return spec is not None and spec.kind == "images" and (is_multi_io(project.graph) or spec.image().table is not None)


def _image_words(data: dict[str, Any] | None) -> list[str]:
    """The image file extensions and the rescaling (x * scale + offset) the data service uses."""
    rescale = {"0_1": (1.0 / 255.0, 0.0), "-1_1": (1.0 / 127.5, -1.0)}.get(str(data and data.get("rescale")), (1.0, 0.0))
    return [_assign("IMAGE_EXTENSIONS", (".png", ".jpg", ".jpeg", ".bmp", ".gif")),
            _assign("RESCALE", rescale) + "  # x * scale + offset"]


def _image_table_block(data: dict[str, Any] | None) -> list[str]:
    """An image folder with its per-image table: the images feed one Input, the table's column groups the others."""
    if not data or "image_input" not in data:
        raise CodegenError("The script needs which Input takes the images, the table's key column and each Input's "
                           "columns; export from the app or with `visualnn export-code`, which match the images "
                           "with their table rows first.")
    out = [_assign("DATA", data), *_table_words(), *_image_words(data)]
    return out + _step_one(IT.BODY)


def _table_words() -> list[str]:
    """The texts a table reads as missing, true and false (the data service's)."""
    return [_assign("NULL_VALUES", list(NULL_VALUES)),
            _assign("TRUE_WORDS", sorted(TRUE_WORDS)), _assign("FALSE_WORDS", sorted(FALSE_WORDS))]


def _csv_parts_settings(data: dict[str, Any] | None) -> list[str]:
    """``DATA`` of a CSV feeding a model with several Inputs or outputs (column groups and target columns)."""
    if not data or "inputs" not in data:
        raise CodegenError("The script needs the column group of each Input and the target column of each output; "
                           "export from the app or with `visualnn export-code`, which read the CSV first.")
    return [_assign("DATA", data), *_table_words()]


def _series_targets_block(data: dict[str, Any], parts: bool) -> list[str]:
    """A time series with several target columns: one output per column (named parts), or one vector target."""
    out = [_assign("DATA", data), *_table_words()]
    body = [T.READ_TABLE, P.TIMESERIES_TARGETS, *((P.SERIES_PARTS_LAYERS, P.PARTS_PIPELINE) if parts
                                                  else (I.SERIES_LAYERS, I.PIPELINE))]
    return out + _step_one(body)


def _main_lines(cfg: TrainingConfig, strategy: str | None, raw_inputs: bool = False, parts: bool = False,
                fine_tune: bool = False, decides: bool = False) -> list[str]:
    count = "num_samples" if parts else "len"  # named parts: y is a dict of arrays
    weighted = cfg.class_weight == "balanced"
    build = ["    model = build_model()", "    compile_model(model)"]
    if strategy == "mirrored":
        build = [
            "    strategy = tf.distribute.MirroredStrategy()  # one model copy per GPU",
            "    with strategy.scope():",
            "        model = build_model()",
            "        compile_model(model)",
        ]
    lines = [
        "def main(argv=None):",
        '    """Train, evaluate, predict and save; returns the History of model.fit."""',
        '    parser = argparse.ArgumentParser(description="Train the exported model.")',
        '    parser.add_argument("--epochs", type=int, default=EPOCHS)',
        '    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)',
        '    parser.add_argument("--output", default="model.keras", help="trained model file")',
        *TC.ARGUMENT_LINES,
        "    args = parser.parse_args(argv)",
        *TC.OPEN_LINES,
        "    keras.utils.set_random_seed(SEED)  # the same seed gives the same weights and order",
    ]
    if cfg.deterministic:
        lines.append("    tf.config.experimental.enable_op_determinism()  # reproducible results, a little slower")
    lines += [
        "",
        "    # Step 1: the data, as batched tf.data pipelines of (x, y) pairs.",
        "    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data()",
        "    train_ds = make_dataset(x_train, y_train, args.batch_size, training=True)",
        "    val_ds = test_ds = None",
        f"    if {count}(y_val):",
        "        val_ds = make_dataset(x_val, y_val, args.batch_size, training=False)",
        f"    if {count}(y_test):",
        "        test_ds = make_dataset(x_test, y_test, args.batch_size, training=False)",
        "",
        "    # Step 2 and 3: define the network and compile it.",
        *build,
        "    model.summary()",
        "",
        "    # Step 4: fit (train) the model.",
        "    # With Repeat, train_ds never ends: one epoch is one pass over the training split.",
        "    steps_per_epoch = None  # a finite pipeline: fit() counts its batches",
        "    if PIPELINE[\"repeat\"]:",
        f"        steps_per_epoch = math.ceil({count}(y_train) / args.batch_size)",
        "        print(f\"Repeat is on: {steps_per_epoch} steps per epoch\")",
        *(CLASS_WEIGHT_LINES if weighted else []),
        "    history = model.fit(",
        "        train_ds,",
        "        validation_data=val_ds,",
        "        epochs=args.epochs,",
        "        steps_per_epoch=steps_per_epoch,",
        "        callbacks=make_callbacks(val_ds is not None),",
        *(["        class_weight=class_weight,"] if weighted else []),
        "        shuffle=False,  # the pipeline already shuffles",
        "        verbose=2,",
        "    )",
        *(FT.phase_two_lines(strategy == "mirrored", weighted) if fine_tune else []),
        "",
        "    # Step 5: evaluate on data the model has not seen (the validation split when there is no test split).",
        "    eval_ds, split_name = test_ds, \"test split\"",
        "    if test_ds is None:",
        "        eval_ds = val_ds",
        f"        split_name = {string(NO_TEST_LABEL)}",
        "    scores = {}",
        "    if eval_ds is not None:",
        "        scores = model.evaluate(eval_ds, return_dict=True, verbose=0)",
        '        metrics = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())',
        '        print(f"Evaluation on the {split_name}: {metrics}")',
        *(['        # Keras decides at 0.5; the model decides at THRESHOLD: its accuracy there, as VisualNN gives it.',
           '        # (the last column: the one sigmoid unit, or the second class of two; labels 0/1 or one-hot)',
           '        truth = np.concatenate([np.asarray(y) for _, y in eval_ds])',
           '        truth = truth.reshape(len(truth), -1)[:, -1] > 0.5',
           '        chosen = model.predict(eval_ds, verbose=0)',
           '        chosen = chosen.reshape(len(chosen), -1)[:, -1] > THRESHOLD',
           '        print(f"Accuracy at threshold {THRESHOLD}: {np.mean(chosen == truth):.4f}")']
          if decides and not parts else []),
        *(['        # Keras decides at 0.5; the yes/no outputs decide at THRESHOLDS: their accuracy there, as VisualNN',
           '        # gives it (the last column: the one sigmoid unit, or the second class of two).',
           '        scored = model.predict(eval_ds, verbose=0)',
           '        if not isinstance(scored, dict):',
           '            scored = scored if isinstance(scored, list) else [scored]',
           '            scored = dict(zip(model.output_names, scored))',
           '        for name, threshold in THRESHOLDS.items():',
           '            truth = [',
           '                np.asarray(y[name] if isinstance(y, dict) else y) for _, y in eval_ds',
           '            ]',
           '            truth = np.concatenate(truth)',
           '            truth = truth.reshape(len(truth), -1)[:, -1] > 0.5',
           '            chosen = np.asarray(scored[name])',
           '            chosen = chosen.reshape(len(chosen), -1)[:, -1] > threshold',
           '            accuracy = np.mean(chosen == truth)',
           '            print(f"Accuracy of {name} at threshold {threshold}: {accuracy:.4f}")']
          if decides and parts else []),
        "",
        "    # Step 6: predict new samples.",
        "    x_new = next(iter((val_ds if val_ds is not None else train_ds).take(1)))[0]",
        "    predictions = model.predict(x_new, verbose=0)",
        *([
            "    # A functional model lists its outputs in order; a subclassed one names them.",
            "    if not isinstance(predictions, dict):",
            "        predictions = dict(zip(model.output_names, predictions))",
            "    for name, values in predictions.items():",
            '        print(f"First predictions of {name}:", np.round(np.asarray(values)[:3], 3))',
            *(['        if name in THRESHOLDS:  # a yes/no output: class 1 above its threshold',
               '            values = np.asarray(values)',
               '            chosen = values.reshape(len(values), -1)[:3, -1] > THRESHOLDS[name]',
               '            print(f"First predicted classes of {name}:", chosen.astype(int))']
              if decides else []),
        ] if parts else ['    print("First predictions:", np.round(np.asarray(predictions)[:3], 3))']),
        *(['    # A yes/no model gives the probability of its second class (1): the one sigmoid unit, or the',
           '    # second of two; it predicts 1 above THRESHOLD.',
           '    chosen = np.asarray(predictions).reshape(len(predictions), -1)[:3, -1] > THRESHOLD',
           '    print("First predicted classes:", chosen.astype(int))']
          if decides and not parts else []),
        "",
        *save_lines(raw_inputs, 4),
        *TC.call_lines("scores if test_ds is not None else {}"),
        "    return history",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
    ]
    return [TC.with_tensorboard_line(line) for line in lines]  # --tensorboard DIR, phase 2 of fine-tuning too


def _experiment(project: Project) -> str:
    """The script's default MLflow experiment: the project file's name, as the app's (else the project's name)."""
    from visualnn.core.tracking import experiment_name

    return experiment_name("", project.path) if project.path else (project.name or "untitled")
