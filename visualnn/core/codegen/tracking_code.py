"""The exported script's tracking options: ``--tensorboard DIR`` and ``--mlflow URI`` (docs/TRACKING.md).

With ``--mlflow`` the script logs what the app logs for a run (:mod:`visualnn.services.tracking`): the same
parameter names (``training.<field>``, ``<node id>.<param>``, taken from the project when the script was written,
with ``--epochs``/``--batch-size`` as run), every epoch's figures with ``step`` = the epoch from 1 (``lr`` as the
app names the learning rate), the test figures as ``test_<metric>`` when there is a test split, and the saved
model file as the artifact ``model/<file>``. ``mlflow`` is imported only when the flag is given, so the script
runs without it otherwise.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.codegen.literals import string
from visualnn.core.tracking import project_params

ARGUMENT_LINES = [
    "    parser.add_argument(",
    '        "--tensorboard", metavar="DIR", help="write TensorBoard logs into DIR"',
    "    )",
    "    parser.add_argument(",
    '        "--mlflow",',
    '        metavar="URI",',
    '        help="log settings, per-epoch metrics and the model to this MLflow tracking "',
    '        "store, e.g. sqlite:///mlflow.db (needs: pip install mlflow-skinny)",',
    "    )",
    "    parser.add_argument(",
    '        "--mlflow-experiment", default=MLFLOW_EXPERIMENT, help="the MLflow experiment"',
    "    )",
]
"""``main()``'s parser lines for the two options."""

OPEN_LINES = ["    mlflow = open_mlflow(args.mlflow) if args.mlflow else None"]
"""``main()``'s line right after parsing: the MLflow client, before anything trains."""

HELPERS = '''
def with_tensorboard(callbacks, log_dir):
    """--tensorboard DIR: TensorBoard logs go into DIR (not where the project chose)."""
    if not log_dir:
        return callbacks
    kept = [c for c in callbacks if not isinstance(c, keras.callbacks.TensorBoard)]
    return kept + [keras.callbacks.TensorBoard(log_dir=log_dir)]


def open_mlflow(uri):
    """--mlflow URI: the store's client, opened before training so a missing package or
    a bad URI stops the script at once. MLflow is imported here only: without --mlflow
    the script runs without it."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        hint = "install it with: pip install mlflow-skinny"
        raise SystemExit(f"--mlflow needs MLflow ({exc}); {hint}") from exc
    if uri.startswith("file:") or "://" not in uri:
        # a local folder: MLflow 3 keeps the file store for those who ask for it
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=uri)


def log_to_mlflow(client, experiment, params, history, test_scores, model_file):
    """One MLflow run with the settings, every epoch's figures (step = epoch), the test
    figures and the saved model file."""
    from mlflow.entities import Metric, Param

    found = client.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        artifacts = None  # MLflow's default: ./mlruns in the working folder
        if client.tracking_uri.startswith("sqlite:///"):  # beside the database instead
            database = os.path.abspath(client.tracking_uri[len("sqlite:///") :])
            artifacts = os.path.join(os.path.dirname(database), "mlartifacts")
        experiment_id = client.create_experiment(
            experiment, artifact_location=artifacts
        )
    name = os.path.basename(model_file)
    run_id = client.create_run(experiment_id, run_name=name).info.run_id
    items = [Param(key, value) for key, value in params.items()]
    for i in range(0, len(items), 100):  # MLflow takes 100 parameters per batch
        client.log_batch(run_id, params=items[i : i + 100])
    now = int(time.time() * 1000)
    history = dict(history)
    if "learning_rate" in history:  # the name VisualNN gives the learning rate
        history["lr"] = history.pop("learning_rate")
    metrics = [
        Metric(name, float(value), now, epoch)
        for name, values in sorted(history.items())
        for epoch, value in enumerate(values, start=1)
    ]
    epochs = len(history.get("loss", []))
    metrics += [
        Metric("test_" + name, float(value), now, epochs)
        for name, value in test_scores.items()
    ]
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    client.log_artifact(run_id, model_file, "model")
    client.set_terminated(run_id)
    print(f"Logged to MLflow, experiment {experiment}, run {run_id}")
'''
"""The script's module-level helpers (it imports ``os``, ``time`` and ``keras``)."""


def settings_lines(config: dict[str, Any], graph: dict[str, Any], experiment: str) -> list[str]:
    """The constants the helpers use: the parameters the app would log and the default experiment."""
    params = project_params(config, graph)
    return [f"MLFLOW_EXPERIMENT = {string(experiment)}",
            "MLFLOW_PARAMS = {  # what VisualNN logs for a run of this project (docs/TRACKING.md)",
            *(f"    {string(k)}: {string(v)}," for k, v in params.items()), "}"]


def call_lines(test_scores: str) -> list[str]:
    """``main()``'s lines after the model is saved: log to MLflow when ``--mlflow`` was given."""
    return [
        "    if mlflow is not None:",
        "        params = {",
        "            **MLFLOW_PARAMS,",
        '            "training.epochs": str(args.epochs),',
        '            "training.batch_size": str(args.batch_size),',
        "        }",
        "        log_to_mlflow(",
        "            mlflow,",
        "            args.mlflow_experiment,",
        "            params,",
        "            history.history,",
        f"            {test_scores},",
        "            args.output,",
        "        )",
    ]


def with_tensorboard_line(line: str) -> str:
    """``line`` with ``make_callbacks(...)`` wrapped in ``with_tensorboard(..., args.tensorboard)``."""
    if line.strip() != "callbacks=make_callbacks(val_ds is not None),":
        return line
    pad = line[:len(line) - len(line.lstrip())]
    return (f"{pad}callbacks=with_tensorboard(\n{pad}    make_callbacks(val_ds is not None), args.tensorboard\n"
            f"{pad}),")


__all__ = ["ARGUMENT_LINES", "HELPERS", "OPEN_LINES", "call_lines", "settings_lines", "with_tensorboard_line"]
