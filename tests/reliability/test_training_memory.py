"""A training run leaves nothing behind in TensorFlow's process-wide state (the engine's leak of issue 15).

Every ``model.fit`` traced a ``tf.custom_gradient`` (Keras's TensorFlow optimizer all-reduces the gradients,
even without a distribution strategy) whose gradient function TensorFlow registers for good in its global
gradient registry; its closure holds the whole traced training graph: about 4 MB per run in a long-lived
engine. The soak test (``test_soak.py``) measures the engine's memory; these tests pin the cause, in-process.
"""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path
from typing import Any

import pytest

from tests.services.training_helpers import blobs, project_dict
from visualnn.core.protocol import TrainRequest
from visualnn.services.training import run_training
from visualnn.services.training_common import releasing_traced_gradients

pytestmark = pytest.mark.tf


def _registry() -> dict[str, Any]:
    from tensorflow.python.framework import ops

    return ops._gradient_registry._registry  # type: ignore[no-any-return]


def _custom(registry: dict[str, Any]) -> set[str]:
    return {k for k in registry if k.startswith("CustomGradient-")}


def test_a_run_leaves_no_gradient_function_registered(tmp_path: Path) -> None:
    before = _custom(_registry())
    req = TrainRequest(project=project_dict(epochs=1), base_dir=str(tmp_path), inline_data=blobs(64)).parsed()
    result = run_training(req)
    assert result.run.status == "finished"
    graph = weakref.ref(result.model.train_function)
    del result
    gc.collect()
    assert _custom(_registry()) == before, "the run's traced gradient functions are still registered"
    assert graph() is None, "the run's traced training function is still alive after the run"


def test_overlapping_runs_release_only_when_the_last_ends() -> None:
    registry = _registry()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with releasing_traced_gradients():
            registry["CustomGradient-test-a"] = {"type": None}
            first_in.set()
            second_in.wait(10)
        first_out.set()

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(10)
    with releasing_traced_gradients():
        registry["CustomGradient-test-b"] = {"type": None}
        second_in.set()
        first_out.wait(10)
        assert {"CustomGradient-test-a", "CustomGradient-test-b"} <= set(registry), \
            "a run still tracing lost a gradient function another run's end removed"
    t.join(10)
    assert not {"CustomGradient-test-a", "CustomGradient-test-b"} & set(registry)
