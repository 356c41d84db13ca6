"""Project -> a standalone Optuna search script with the project's space, sampler, pruner, seed and metric.

The script is the exported training script (data loading, ``make_dataset``, ``compile_model``) whose searched
values read a dict ``P`` (the trial's values) instead of literals, followed by the search: ``SPACE``, the
sampler and pruner the app would use, an ``objective`` that trains one trial with a pruning callback on the
validation figure, and ``search_main`` (``--trials``, ``--timeout``, ``--storage``, ``--study``).

How the searched values get into the code: each searched layer parameter is given a unique stand-in value,
the model code is generated, and each stand-in's text is replaced by ``P["dense_1.units"]``. Optional and
repeated layers give one ``build_model`` per structure (at most :data:`MAX_VARIANTS`), chosen by the trial's
structural values. Training settings the script can search: the optimizer and its numbers (learning rate,
momentum...), batch size and epochs; anything else is refused naming the parameter.
"""

from __future__ import annotations

import itertools
import pprint
import re
from typing import Any

from visualnn import __version__
from visualnn.core.codegen.literals import CodegenError
from visualnn.core.codegen.model_code import model_definition
from visualnn.core.model_io import is_multi_io, output_names
from visualnn.core.project import Project
from visualnn.core.search_settings import config_problems, default_study_name
from visualnn.core.search_space import CHOICE, FLOAT, INT, OPTIONAL, REPEAT, TRAINING, SearchParam, resolved

MAX_VARIANTS = 64
_FIT_FIELDS = ("batch_size", "epochs")
_INT_BASE, _FLOAT_BASE = 909_000_001, 0.909000001


def search_script(project: Project, facts: dict[str, Any] | None, project_path: str | None = None) -> str:
    """The search script's text for ``project`` (``facts``: the data facts the training script needs)."""
    from visualnn.core.codegen.script import _calls, _optimizer_lines, script
    from visualnn.core.search_commands import materialize

    cfg = project.search
    problems = config_problems(cfg, project.graph, project.training.metrics)
    if problems:
        raise CodegenError("The search cannot be exported: " + " ".join(problems))
    if is_multi_io(project.graph):
        raise CodegenError("The exported search script trains models with one Input and one output.")
    space = resolved(cfg.space, project.graph)
    for p in space:
        field = p.target.split(".", 1)[1]
        if p.target.startswith(TRAINING + ".") and p.kind == CHOICE and field not in (*_FIT_FIELDS, "optimizer"):
            raise CodegenError(f"{p.target} cannot be searched by the exported script (it searches the optimizer, "
                               f"its numbers, batch size and epochs); remove it from the space to export.")
    structure = [p for p in space if p.kind in (OPTIONAL, REPEAT)]
    values = [p for p in space if p.kind not in (OPTIONAL, REPEAT)]
    stand_ins = {p.target: _stand_in(p, i) for i, p in enumerate(values)}
    node_values = {t: v for t, v in stand_ins.items() if not t.startswith(TRAINING + ".")}
    train_values = {t.split(".", 1)[1]: v for t, v in stand_ins.items() if t.startswith(TRAINING + ".")}
    optimizers = _optimizer_choices(values)
    graph = project.graph.copy()
    for target, value in node_values.items():  # stand-ins are no valid values: set directly, not through a command
        node_id, name = target.rsplit(".", 1)
        graph.nodes[node_id].params[name] = value
    stand_project = Project(graph, project.name, project.dataset, project.training, [], project.path, project.search)
    stand_project.training = project.training.with_changes(
        **{k: v for k, v in train_values.items() if k not in (*_FIT_FIELDS, "optimizer")})
    # Without the tracking flags: their MLflow parameters would print the stand-in values inside strings.
    base = script(stand_project, "functional", strategy="auto", facts=facts, tracking=False)
    main_at = base.rfind('if __name__ == "__main__":')
    base = base[:main_at].rstrip() + "\n" if main_at >= 0 else base  # search_main() runs instead
    optimizer_code = ""
    if optimizers:
        blocks = []
        for name in optimizers:
            cfg_o = stand_project.training.with_changes(optimizer=name)
            lines = _optimizer_lines(_calls(cfg_o, output_names(project.graph)).optimizer)
            blocks.append("\n".join(lines).replace("def make_optimizer():", f"def _make_optimizer_{name}():"))
        optimizer_code = "\n\n\n".join(blocks) + "\n\n\n" + (
            "def make_optimizer():\n"
            '    """The trial\'s optimizer."""\n'
            f"    return {{{', '.join(f'{n!r}: _make_optimizer_{n}' for n in optimizers)}}}"
            '[P["training.optimizer"]]()\n')
    variants = _variants(stand_project, structure, materialize)
    overrides = [c.strip("\n") for c in (optimizer_code, variants) if c]
    if overrides:
        overrides.insert(0, "# The search's definitions: they replace build_model() and make_optimizer() above.")
    text = _substitute("\n\n\n".join([base.rstrip("\n"), *overrides]) + "\n", stand_ins)
    missing = [t for t in stand_ins if f'P["{t}"]' not in text and t.split(".", 1)[1] not in (*_FIT_FIELDS, "optimizer")]
    if missing:
        raise CodegenError(f"{', '.join(missing)} cannot be searched by the exported script (the generated code has no "
                           f"place for it); search it in VisualNN, or remove it from the space to export.")
    out = _assemble(text, project, space, structure, project_path)
    if project.training.class_weight == "balanced":  # the base script defines balanced_class_weights()
        out = out.replace(_TRIAL_FIT_END, "class_weight=balanced_class_weights(y_train),\n" + " " * 24
                          + _TRIAL_FIT_END, 1)
    return out


def _stand_in(param: SearchParam, index: int) -> Any:
    """A unique value standing in for ``param`` in the generated code (replaced by ``P[...]`` afterwards)."""
    if param.kind == INT or (param.kind == CHOICE and all(isinstance(c, int) and not isinstance(c, bool)
                                                          for c in param.choices)):
        return _INT_BASE + 1000 * index
    if param.kind == FLOAT:
        return round(_FLOAT_BASE + 1e-6 * index, 9)
    return f"vnnsearch_{index}"


def _substitute(text: str, stand_ins: dict[str, Any]) -> str:
    for target, value in stand_ins.items():
        token = f'"{value}"' if isinstance(value, str) else repr(value)
        text = re.sub(rf"(?<![\w.]){re.escape(token)}(?![\w.])", f'P["{target}"]', text)
    return text


def _optimizer_choices(values: list[SearchParam]) -> list[str]:
    for p in values:
        if p.target == f"{TRAINING}.optimizer":
            return [str(c) for c in p.choices]
    return []


def _variants(project: Project, structure: list[SearchParam], materialize: Any) -> str:
    """One ``_build_model_K`` per combination of the structural values, and the ``build_model`` choosing one."""
    if not structure:
        return ""
    options = [p.values() or [] for p in structure]
    combos = list(itertools.product(*options))
    if len(combos) > MAX_VARIANTS:
        raise CodegenError(f"{', '.join(p.target for p in structure)} give {len(combos)} model structures; the exported "
                           f"script writes at most {MAX_VARIANTS}. Narrow the ranges to export.")
    blocks, table = [], []
    for k, combo in enumerate(combos):
        values = {p.target: v for p, v in zip(structure, combo, strict=True)}
        lines = model_definition(materialize(project, values).graph, project.name, "functional")
        blocks.append("\n".join(lines).replace("def build_model():", f"def _build_model_{k}():", 1))
        table.append(f"    {tuple(combo)!r}: _build_model_{k},")
    keys = ", ".join(f'P["{p.target}"]' for p in structure)
    return ("\n\n\n".join(blocks) + "\n\n\nMODEL_VARIANTS = {\n" + "\n".join(table) + "\n}\n\n\n"
            "def build_model():\n"
            '    """The network with the trial\'s structure (optional layers present or skipped, repeats)."""\n'
            f"    return MODEL_VARIANTS[({keys},)]()\n")


def _assemble(text: str, project: Project, space: tuple[SearchParam, ...], structure: list[SearchParam],
              project_path: str | None) -> str:
    cfg = project.search
    tail = '\n\n\nif __name__ == "__main__":\n    search_main()\n'
    doc_end = text.index('"""', 3) + 3
    title = re.sub(r"[^\w .,:;()+-]", "", project.name).strip() or "Model"
    doc = (f'"""{title}: an Optuna hyperparameter search exported from VisualNN {__version__}.\n\n'
           "Run it with:  python this_script.py --trials 20  (add --storage postgresql://... --study NAME to let\n"
           "several machines search one study). It keeps VisualNN's space, sampler, pruner, seed and metric.\n"
           '"""')
    text = doc + text[doc_end:]
    text = text.replace("import tensorflow as tf\n", "import optuna\nimport tensorflow as tf\n", 1)
    text = text.replace("import os\n", "import hashlib\nimport math\nimport os\n", 1)  # trial seeds, pruning
    study = cfg.study or default_study_name(project_path)
    settings = "\n".join([
        "",
        "",
        "",
        "# Step 7: the hyperparameter search (Optuna).",
        "SPACE = " + pprint.pformat([p.to_dict() for p in space], width=110, sort_dicts=False),
        f"SAMPLER = {cfg.sampler!r}",
        f"PRUNER = {cfg.pruner!r}",
        f"SEARCH_SEED = {cfg.seed!r}",
        f"TRIALS = {cfg.trials!r}",
        f"TIMEOUT = {cfg.timeout_s!r}",
        f"OBJECTIVE = {cfg.objective!r}  # a validation figure: the test split never chooses a trial",
        f"DIRECTIONS = {list(cfg.directions)!r}",
        f"SECOND_OBJECTIVE = {cfg.second_objective!r}  # 'params': also minimise the parameter count",
        f"STUDY = {study!r}",
        f'STORAGE = "sqlite:///" + os.path.join(HERE, {study + ".search.db"!r})',
        "P = {}  # the trial's values, read by build_model() and make_optimizer()",
        "",
        _SEARCH_CODE.rstrip(),
    ])
    return (text.rstrip() + settings + tail).replace("\n\n\n\n", "\n\n\n")


_TRIAL_FIT_END = "shuffle=False, verbose=0)"
"""How each trial's ``model.fit`` call in :data:`_SEARCH_CODE` ends (class weights go in before it)."""

_SEARCH_CODE = '''

def suggest(trial, p):
    """The trial's value for one searched parameter (as VisualNN samples it)."""
    name, kind = p["target"], p["kind"]
    if kind == "choice":
        return trial.suggest_categorical(name, p["choices"])
    if kind == "optional":
        return trial.suggest_categorical(name, [True, False])
    if kind in ("int", "repeat"):
        return trial.suggest_int(name, int(p["low"]), int(p["high"]), step=int(p.get("step") or 1),
                                 log=p.get("log", False))
    return trial.suggest_float(name, p["low"], p["high"], step=p.get("step"), log=p.get("log", False))


def trial_seed(seed, number):
    """The sampler seed of trial ``number``: trial numbers are unique in a study, so machines sharing it never
    propose the same values from one seed, and one process on a fresh study repeats its search (as VisualNN)."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=4).digest(), "big")


class TrialSeeded(optuna.samplers.BaseSampler):
    """The sampler of each trial, made as the trial starts and seeded with trial_seed(SEARCH_SEED, its number)."""

    def __init__(self, seed):
        self.seed = seed
        self.inner = seeded_sampler(trial_seed(seed, -1))

    def before_trial(self, study, trial):
        # A grid keeps its first shuffle: trial N takes grid point N of it (the storage keeps processes apart).
        if not isinstance(self.inner, optuna.samplers.GridSampler):
            self.inner = seeded_sampler(trial_seed(self.seed, trial.number))
        self.inner.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self.inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self.inner.after_trial(study, trial, state, values)

    def reseed_rng(self):
        self.inner.reseed_rng()


def seeded_sampler(seed):
    if SAMPLER == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if SAMPLER == "grid":
        grid = {}
        for p in SPACE:
            if p["kind"] == "choice":
                grid[p["target"]] = p["choices"]
            elif p["kind"] == "optional":
                grid[p["target"]] = [True, False]
            else:
                count = int(round((p["high"] - p["low"]) / (p.get("step") or 1))) + 1
                grid[p["target"]] = [p["low"] + i * (p.get("step") or 1) for i in range(count)]
        return optuna.samplers.GridSampler(grid, seed=seed)
    if SAMPLER == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(epochs):
    if SECOND_OBJECTIVE or PRUNER == "none":
        return optuna.pruners.NopPruner()
    if PRUNER == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs))
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


class PruningCallback(keras.callbacks.Callback):
    """Reports the validation figure after every epoch; stops a trial the pruner gives up on."""

    def __init__(self, trial):
        super().__init__()
        self.trial = trial
        self.pruned = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(OBJECTIVE)
        if SECOND_OBJECTIVE or value is None or not math.isfinite(value):
            return
        self.trial.report(float(value), epoch + 1)
        # After the last epoch the trial is done: pruning it then would only lose its result.
        if epoch + 1 < self.params.get("epochs", 0) and self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True


def objective(trial, data):
    """Train one trial on the training split; its value is OBJECTIVE on the validation split."""
    P.clear()
    P.update({p["target"]: suggest(trial, p) for p in SPACE})
    keras.utils.set_random_seed(SEED)
    (x_train, y_train), (x_val, y_val), _ = data
    batch_size = P.get("training.batch_size", BATCH_SIZE)
    train_ds = make_dataset(x_train, y_train, batch_size, training=True)
    val_ds = make_dataset(x_val, y_val, batch_size, training=False)
    steps_per_epoch = math.ceil(len(y_train) / batch_size) if PIPELINE["repeat"] else None
    model = build_model()
    compile_model(model)
    pruning = PruningCallback(trial)
    history = model.fit(train_ds, validation_data=val_ds, epochs=P.get("training.epochs", EPOCHS),
                        steps_per_epoch=steps_per_epoch, callbacks=[pruning], shuffle=False, verbose=0)
    if pruning.pruned:
        raise optuna.TrialPruned()
    value = history.history[OBJECTIVE][-1]
    if SECOND_OBJECTIVE == "params":
        return float(value), float(model.count_params())
    return float(value)


def search_main(argv=None):
    """Run the search and print every trial and the best."""
    parser = argparse.ArgumentParser(description="Search the exported model's hyperparameters with Optuna.")
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials this process runs")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="stop starting trials after S seconds")
    parser.add_argument("--storage", default=STORAGE, help="an Optuna storage URL (default: SQLite beside this script)")
    parser.add_argument("--study", default=STUDY, help="the study name")
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load_data()
    if not len(data[1][1]):
        raise SystemExit(f"The data has no validation split, so {OBJECTIVE} cannot be measured; give it one.")
    study = optuna.create_study(storage=args.storage, study_name=args.study, directions=DIRECTIONS,
                                sampler=TrialSeeded(SEARCH_SEED), pruner=make_pruner(EPOCHS),
                                load_if_exists=True)
    study.optimize(lambda trial: objective(trial, data), n_trials=args.trials, timeout=args.timeout)
    for t in study.trials:
        print(f"trial {t.number}: {t.state.name.lower()} {t.values} {t.params}")
    if len(DIRECTIONS) == 1:
        best = study.best_trial
        print(f"best: trial {best.number}, {OBJECTIVE} {best.value:.4f}, {best.params}")
    else:
        for t in study.best_trials:
            print(f"pareto: trial {t.number}, {t.values}, {t.params}")
    return study
'''


__all__ = ["MAX_VARIANTS", "search_script"]
