"""The app and the exported script compile alike, for every setting the table allows.

Both read :mod:`visualnn.core.training_settings`; these tests prove it through the real exported
script (imported as a module) and the real trainer's ``compile_model``/``make_callbacks``.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.core.test_training_settings import configs
from visualnn.core.codegen.script import script
from visualnn.core.project import Project
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import METRICS, OPTIMIZERS, SCHEDULES

pytestmark = pytest.mark.tf


class Recorder:
    """Stands in for a model: records what ``compile`` receives."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def compile(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


def described(value: Any) -> Any:
    """A comparable description: Keras objects by class and config, identifiers as they are."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [described(v) for v in value]
    if isinstance(value, dict):
        return {k: described(v) for k, v in value.items()}
    import keras

    config = value.get_config()
    if isinstance(value, keras.optimizers.Optimizer):
        config.pop("name")  # numbered per instance (adam_2, adam_3)
    return type(value).__name__, described(config)


def callback_facts(callbacks: list[Any]) -> list[tuple[Any, ...]]:
    return [(type(c).__name__, getattr(c, "monitor", None), getattr(c, "patience", None),
             getattr(c, "factor", None), getattr(c, "restore_best_weights", None)) for c in callbacks]


def exported_module(cfg: TrainingConfig, folder: Path) -> Any:
    project = Project(TEMPLATES["mlp_classifier"].build().graph, "Parity", None, cfg, [])
    path = folder / "train.py"
    path.write_text(script(project), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(cfg))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions; trains only under __main__
    return module


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=configs().map(lambda c: c.with_changes(fine_tune=False)))  # phase 2 needs frozen layers (own test)
def test_the_exported_compile_call_equals_the_apps(tmp_path: Path, cfg: TrainingConfig) -> None:
    from visualnn.services.training_common import compile_model, make_callbacks

    app, exported = Recorder(), Recorder()
    compile_model(app, cfg)
    module = exported_module(cfg, tmp_path)
    module.compile_model(exported)
    assert described(exported.kwargs) == described(app.kwargs)

    app_callbacks = make_callbacks(cfg, str(tmp_path / "run"), has_val=True)
    script_callbacks = [c for c in module.make_callbacks(True) if type(c).__name__ != "TerminateOnNaN"]
    assert callback_facts(script_callbacks) == callback_facts(app_callbacks)  # NaN: the progress callback


@pytest.mark.slow
def test_the_engine_trains_with_every_optimizer_schedule_and_metric() -> None:
    import numpy as np

    from visualnn.core.graph import Graph
    from visualnn.services.keras_builder import build_model
    from visualnn.services.training_common import compile_model

    graph: Graph = TEMPLATES["mlp_classifier"].build().graph
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    classification = tuple(m.id for m in METRICS if m.task == "classification" and m.id not in
                           ("precision", "recall", "auc"))  # binary-only metrics need one output unit
    for opt, schedule in itertools.product(OPTIMIZERS, SCHEDULES):
        cfg = TrainingConfig(optimizer=opt.id, schedule=schedule.id, metrics=classification, decay_steps=10)
        model = build_model(graph)
        compile_model(model, cfg)
        logs = model.train_on_batch(x, y, return_dict=True)
        assert set(classification) <= set(logs) and np.isfinite(logs["loss"]), (opt.id, schedule.id)
    regression = tuple(m.id for m in METRICS if m.task == "regression")
    binary = ("precision", "recall", "auc", "accuracy")
    for loss, metrics, target in (("mean_squared_error", regression, np.linspace(0, 1, 16)),
                                  ("binary_crossentropy", binary, (np.arange(16) % 2))):
        model = build_model(graph)
        model = _with_one_output(model)
        compile_model(model, TrainingConfig(loss=loss, metrics=metrics))
        logs = model.train_on_batch(x, target.reshape(-1, 1).astype("float32"), return_dict=True)
        assert set(metrics) <= set(logs)


def _with_one_output(model: Any) -> Any:
    import keras

    out = keras.layers.Dense(1, activation="sigmoid", name="one_output")(model.layers[-2].output)
    return keras.Model(model.inputs, out)
